"""What the read side answers over HTTP, declared once with pydantic v2 (the OpenAPI document's
response schemas come from here; tests/security/test_fuzz.py checks every answer against them).

The queries (backend/read/queries.py) build plain dicts for speed; these models describe them.
Extra keys are allowed, as a client should ignore what it does not know.
"""
from typing import Any, Literal

from pydantic import BaseModel, Field


class Post(BaseModel):
    id: int
    author: str
    body: str
    created_at: float = Field(description="Unix time, seconds")
    edited_at: float | None = None
    edited: bool = False
    likes: int
    comments: int
    liked: bool = Field(False, description="Present when a member is logged in")


class Comment(BaseModel):
    id: int
    post_id: int
    author: str
    body: str
    created_at: float


class PostWithComments(Post):
    comment_list: list[Comment] = Field([], description="The first page of comments, oldest first")
    comments_next: int | None = Field(None, description="`after` for the next page, or null")


class CommentPage(BaseModel):
    comments: list[Comment]
    next: int | None = Field(description="`after` for the next page, or null at the end")
    version: int


class Page(BaseModel):
    posts: list[Post]
    version: int = Field(description="The read side's checkpoint (last applied event seq)")
    next: int | None = Field(description="`before` for the next page, or null at the end")


class User(BaseModel):
    handle: str
    joined: float | None = None
    posts: int | None = None
    followers: int | None = None
    following: int | None = None
    followed_by_me: bool | None = None


class UserResponse(BaseModel):
    user: User


class SessionsEnded(BaseModel):
    ended: int = Field(description="How many sessions of this member were ended")


class Profile(Page):
    user: User


class FollowList(BaseModel):
    handle: str
    total: int
    followers: list[str] | None = Field(None, description="On /followers")
    following: list[str] | None = Field(None, description="On /following")


class PostDetail(BaseModel):
    post: PostWithComments
    version: int


class Rejection(BaseModel):
    code: str
    message: str


class CommandStatus(BaseModel):
    command_id: str = Field(json_schema_extra={"format": "uuid"})
    status: Literal["queued", "succeeded", "failed"]
    result: Any = None
    error: Rejection | None = None

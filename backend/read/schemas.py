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


class Tombstone(BaseModel):
    """In an `as_of` answer: a post deleted since then, to everyone but its author."""
    id: int
    author: str
    deleted: Literal[True]


class PostWithComments(Post):
    comment_list: list[Comment] = Field([], description="The first page of comments, oldest first")
    comments_next: int | None = Field(None, description="`after` for the next page, or null")


class CommentPage(BaseModel):
    comments: list[Comment]
    next: int | None = Field(description="`after` for the next page, or null at the end")
    version: int


class Page(BaseModel):
    posts: list[Post | Tombstone] = Field(description="Tombstones only in `as_of` answers")
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
    post: PostWithComments | Tombstone
    version: int


class Rejection(BaseModel):
    code: str
    message: str


class CommandStatus(BaseModel):
    command_id: str = Field(json_schema_extra={"format": "uuid"})
    status: Literal["queued", "saved", "succeeded", "failed"]
    result: Any = None
    error: Rejection | None = None
    timings: dict[str, float | None] | None = Field(
        None, description="Server epoch ms of the stages reached (accepted_at … notified_at)")


class LoggedEvent(BaseModel):
    """One event of the log, as GET /api/events shows it (privacy rules applied to `data`)."""
    seq: int
    type: str
    at: float = Field(description="Unix time, seconds")
    author: str | None
    command_id: str | None
    data: dict


class EventsPage(BaseModel):
    events: list[LoggedEvent]
    next: int | None = Field(description="The cursor for the next page, or null")
    head: int = Field(description="The log head (the last event's seq)")


class HistoryEvent(BaseModel):
    seq: int
    type: str
    at: float
    author: str | None
    command_id: str | None
    summary: str
    diff: list | None = Field(None, description="Edits: word-level [op, text] runs, before → after")


class HistoryPage(BaseModel):
    """GET /api/posts/<id>/history: oldest first."""
    post_id: int
    author: str
    deleted: bool
    events: list[HistoryEvent]
    next: int | None


class MemberHistoryPage(BaseModel):
    """GET /api/users/<handle>/history: newest first, paged like /api/events."""
    handle: str
    events: list[HistoryEvent]
    next: int | None
    head: int


class RebuildStatus(BaseModel):
    """The last live rebuild (GET /api/rebuild; `rebuild` in the inspector's `system` report)."""
    state: str = Field(description="idle, running, done or failed")
    done: int | None = Field(None, description="Events replayed so far")
    total: int | None = Field(None, description="Events to replay (grows if commands flow)")
    rate: float | None = Field(None, description="Events per second so far")
    eta_s: float | None = Field(None, description="Seconds left at that rate")
    started_at: float | None = None
    finished_at: float | None = None
    seq: int | None = Field(None, description="When done: the checkpoint the new set took over at")
    model_config = {"extra": "allow"}


class DemoState(BaseModel):
    worker_delay_ms: int
    workers_paused: bool
    projection_paused: bool
    crowd: bool
    until: float | None = Field(description="When every control reverts by itself (epoch s)")
    set_by: str | None = Field(description="Who set the controls last")


class SystemInfo(BaseModel):
    """GET /api/system: the pipeline's live figures (the inspector); also the `system` event."""
    queue_depth: int
    workers: int
    log_head: int
    checkpoint: int
    lag_events: int
    lag_ms: float = Field(description="Age of the oldest event not yet projected; 0 when caught up")
    demo: DemoState | None = Field(description="null when demo mode is off")
    rebuild: RebuildStatus = Field(description="The last live rebuild's progress (pushed with the "
                                   "report while it runs)")

"""The Socket.IO messages the server emits, declared once with pydantic v2: the AsyncAPI document
(/api/asyncapi.json, backend/web/asyncapi.py) is generated from these, and a test checks what a
real server emits against it. Who hears each one is backend/read/notifications.py's business;
MESSAGES says it in words for the document.
"""
from typing import Any

from pydantic import BaseModel, Field

from backend.read.schemas import Comment, DemoState, Post, Rejection, SystemInfo


class Meta(BaseModel):
    command_id: str | None = Field(description="The command that caused it (the author's tab "
                                               "matches its own pending command by it)")
    version: int = Field(description="The event's seq: a tab skips what its page already has")


class PostCreated(Meta):
    post: Post


class PostEdited(Meta):
    post_id: int
    author: str
    body: str
    edited_at: float | None


class PostDeleted(Meta):
    post_id: int
    author: str


class CommentCreated(Meta):
    comment: Comment
    post_id: int
    comments: int = Field(description="The post's comment count now")


class LikeChanged(Meta):
    post_id: int
    user: str
    likes: int = Field(description="The post's like count now")


class FollowChanged(Meta):
    follower: str
    followee: str
    followee_followers: int
    follower_following: int


class Timings(BaseModel):
    """Server epoch milliseconds of each stage, non-decreasing in this order (the stages reached
    so far; the browser adds its own sent/confirmed times on its own clock)."""
    accepted_at: float | None = None
    taken_at: float | None = None
    committed_at: float | None = None
    projected_at: float | None = None
    notified_at: float | None = None


class CommandSucceeded(BaseModel):
    command_id: str
    type: str
    result: Any = Field(description="What the command did, e.g. {\"post\": {...}}")
    version: int
    timings: Timings | None = None


class CommandFailed(BaseModel):
    command_id: str
    type: str
    error: Rejection


class CommandSaved(BaseModel):
    command_id: str
    type: str
    seq: int = Field(description="The last event seq the command wrote")
    timings: Timings


class TailEvent(BaseModel):
    seq: int
    type: str
    at: float
    author: str | None
    command_id: str | None
    summary: str = Field(description="One line; no deleted bodies, no likers")


class EventsAppended(BaseModel):
    events: list[TailEvent]


class LogHeadMoved(BaseModel):
    """Only where the log now ends: the /events page fetches GET /api/events?after=<its newest>
    (with its filters), so every event it shows passed the log's privacy rules for its viewer."""
    head: int = Field(description="The seq of the last event in the log")


# event name -> (payload model, who hears it)
MESSAGES = {
    "post_created": (PostCreated, "timeline, profile:<author>, the author's and their followers' "
                                  "user rooms"),
    "post_edited": (PostEdited, "timeline, profile:<author>, post:<id>, author and followers"),
    "post_deleted": (PostDeleted, "timeline, profile:<author>, post:<id>, author and followers"),
    "comment_created": (CommentCreated, "post:<id> and the commenter's own tabs"),
    "post_liked": (LikeChanged, "post:<id>, timeline and the liker's own tabs"),
    "post_unliked": (LikeChanged, "post:<id>, timeline and the liker's own tabs"),
    "user_followed": (FollowChanged, "both members' tabs and both profiles"),
    "user_unfollowed": (FollowChanged, "both members' tabs and both profiles"),
    "command_succeeded": (CommandSucceeded, "the author's own tabs, after the read side holds it"),
    "command_failed": (CommandFailed, "the author's own tabs (a business rule said no)"),
    "command_saved": (CommandSaved, "the author's own tabs, as soon as the write DB holds it "
                                    "(before projection)"),
    "system": (SystemInfo, "the inspector room (members who opened it), at most 4 a second"),
    "events_appended": (EventsAppended, "the inspector room, in batches"),
    "log_head": (LogHeadMoved, "the log room (the /events pages, anyone), when the log grew, at "
                               "most 4 a second"),
    "demo": (DemoState, "every tab, when the demo controls change or revert (demo mode)"),
}

"""Business rules: one function per command type, (command, session, rules) -> Outcome.

Handlers run inside the worker's transaction. They read and change the write models and return the
events that describe what happened; a broken rule raises Rejected (an outcome, not an error to retry).
Every handler checks all its rules before it changes anything, so a rejection leaves nothing behind.
"""
import time
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.write.commands import Command
from backend.write.models import Comment, Follow, Like, Post, User


class Rejected(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


@dataclass
class Outcome:
    events: list[dict] = field(default_factory=list)
    result: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Rules:
    duplicate_window_s: int = 60


def _user(session: Session, handle: str) -> User:
    # Remembered for the transaction: a batch of commands looks up the same authors again and again.
    known = session.info.setdefault("users_by_handle", {})
    user = known.get(handle)
    if user is None:
        user = known[handle] = session.scalar(select(User).where(User.handle == handle))
    if user is None:
        raise Rejected("user_not_found", f"No user @{handle}.")
    return user


def _live_post(session: Session, post_id: int) -> Post:
    post = session.get(Post, post_id)
    if post is None:
        raise Rejected("post_not_found", "That post does not exist.")
    if post.deleted_at is not None:
        raise Rejected("post_deleted", "That post was deleted.")
    return post


def post_view(post: Post, author: str) -> dict:
    return {"id": post.id, "author": author, "body": post.body, "created_at": post.created_at}


def create_post(cmd: Command, session: Session, rules: Rules) -> Outcome:
    author = _user(session, cmd.author)
    now = time.time()
    last = session.scalar(select(Post).where(Post.author_id == author.id, Post.deleted_at.is_(None))
                          .order_by(Post.id.desc()).limit(1))
    if last and last.body == cmd.payload["body"] and now - last.created_at < rules.duplicate_window_s:
        raise Rejected("duplicate_post", "You already posted that.")
    post = Post(author_id=author.id, body=cmd.payload["body"], created_at=now)
    session.add(post)
    session.flush()
    view = post_view(post, author.handle)
    return Outcome([{"type": "post_created", "data": {"post": view}}], {"post": view})


def _own_post(cmd: Command, session: Session, verb: str) -> Post:
    post = _live_post(session, cmd.payload["post_id"])
    if post.author_id != _user(session, cmd.author).id:
        raise Rejected("not_author", f"Only the author can {verb} this post.")
    return post


def edit_post(cmd: Command, session: Session, rules: Rules) -> Outcome:
    post = _own_post(cmd, session, "edit")
    if post.body == cmd.payload["body"]:
        return Outcome([], {"post_id": post.id})
    post.body, post.edited_at = cmd.payload["body"], time.time()
    data = {"post_id": post.id, "author": cmd.author, "body": post.body, "edited_at": post.edited_at}
    return Outcome([{"type": "post_edited", "data": data}], data)


def delete_post(cmd: Command, session: Session, rules: Rules) -> Outcome:
    post = _own_post(cmd, session, "delete")
    post.deleted_at = time.time()
    data = {"post_id": post.id, "author": cmd.author}
    return Outcome([{"type": "post_deleted", "data": data}], data)


def create_comment(cmd: Command, session: Session, rules: Rules) -> Outcome:
    post = _live_post(session, cmd.payload["post_id"])
    author = _user(session, cmd.author)
    comment = Comment(post_id=post.id, author_id=author.id, body=cmd.payload["body"],
                      created_at=time.time())
    session.add(comment)
    session.flush()
    view = {"id": comment.id, "post_id": post.id, "author": author.handle, "body": comment.body,
            "created_at": comment.created_at}
    return Outcome([{"type": "comment_created", "data": {"comment": view}}], {"comment": view})


def like_post(cmd: Command, session: Session, rules: Rules) -> Outcome:
    post = _live_post(session, cmd.payload["post_id"])
    user = _user(session, cmd.author)
    data = {"post_id": post.id, "user": user.handle}
    if session.get(Like, (user.id, post.id)) is not None:
        return Outcome([], data | {"liked": True})
    session.add(Like(user_id=user.id, post_id=post.id, created_at=time.time()))
    return Outcome([{"type": "post_liked", "data": data}], data | {"liked": True})


def unlike_post(cmd: Command, session: Session, rules: Rules) -> Outcome:
    post = _live_post(session, cmd.payload["post_id"])
    user = _user(session, cmd.author)
    data = {"post_id": post.id, "user": user.handle}
    gone = session.execute(delete(Like).where(Like.user_id == user.id, Like.post_id == post.id))
    events = [{"type": "post_unliked", "data": data}] if gone.rowcount else []
    return Outcome(events, data | {"liked": False})


def _follow_pair(cmd: Command, session: Session) -> tuple[User, User]:
    if cmd.payload["handle"] == cmd.author:
        raise Rejected("cannot_follow_self", "You cannot follow yourself.")
    return _user(session, cmd.author), _user(session, cmd.payload["handle"])


def follow_user(cmd: Command, session: Session, rules: Rules) -> Outcome:
    me, them = _follow_pair(cmd, session)
    data = {"follower": me.handle, "followee": them.handle}
    if session.get(Follow, (me.id, them.id)) is not None:
        return Outcome([], data | {"following": True})
    session.add(Follow(follower_id=me.id, followee_id=them.id, created_at=time.time()))
    return Outcome([{"type": "user_followed", "data": data}], data | {"following": True})


def unfollow_user(cmd: Command, session: Session, rules: Rules) -> Outcome:
    me, them = _follow_pair(cmd, session)
    data = {"follower": me.handle, "followee": them.handle}
    gone = session.execute(delete(Follow).where(Follow.follower_id == me.id,
                                                Follow.followee_id == them.id))
    events = [{"type": "user_unfollowed", "data": data}] if gone.rowcount else []
    return Outcome(events, data | {"following": False})


HANDLERS = {f.__name__: f for f in (create_post, edit_post, delete_post, create_comment, like_post,
                                    unlike_post, follow_user, unfollow_user)}

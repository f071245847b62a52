"""The social commands' business rules (backend/write/handlers.py) on an in-memory SQLite write DB:
follows, comments, likes, edit and delete. Each rejection names its reason and leaves nothing behind;
each repeat (follow twice, like twice, unlike when not liked) is one effect and one event at most."""
import uuid

import pytest
from sqlalchemy import func, select

from backend.write.commands import Command
from backend.write.handlers import HANDLERS, Rejected, Rules
from backend.write.models import Comment, Follow, Like, Post


def run(session_factory, author, ctype, **payload):
    with session_factory() as s, s.begin():
        return HANDLERS[ctype](Command(str(uuid.uuid4()), ctype, payload, author), s, Rules())


def rejected(session_factory, author, ctype, **payload) -> dict:
    with pytest.raises(Rejected) as info:
        run(session_factory, author, ctype, **payload)
    return info.value.as_dict()


def rows(session_factory, model) -> int:
    with session_factory() as s:
        return s.scalar(select(func.count()).select_from(model))


def new_post(session_factory, author="alice", body="a post") -> int:
    return run(session_factory, author, "create_post", body=body).result["post"]["id"]


def test_follow_yourself_or_nobody_is_rejected(session_factory):
    assert rejected(session_factory, "alice", "follow_user", handle="alice") == {
        "code": "cannot_follow_self", "message": "You cannot follow yourself."}
    assert rejected(session_factory, "alice", "unfollow_user", handle="alice")["code"] == \
        "cannot_follow_self"
    assert rejected(session_factory, "alice", "follow_user", handle="ghost") == {
        "code": "user_not_found", "message": "No user @ghost."}
    assert rows(session_factory, Follow) == 0


def test_following_twice_is_one_follow_and_unfollow_undoes_it(session_factory):
    first = run(session_factory, "alice", "follow_user", handle="bob")
    assert first.events == [{"type": "user_followed", "data": {"follower": "alice", "followee": "bob"}}]
    again = run(session_factory, "alice", "follow_user", handle="bob")
    assert (again.events, again.result["following"]) == ([], True)
    assert rows(session_factory, Follow) == 1

    gone = run(session_factory, "alice", "unfollow_user", handle="bob")
    assert gone.events == [{"type": "user_unfollowed",
                            "data": {"follower": "alice", "followee": "bob"}}]
    again = run(session_factory, "alice", "unfollow_user", handle="bob")
    assert (again.events, again.result["following"]) == ([], False)
    assert rows(session_factory, Follow) == 0


def test_follow_is_one_way(session_factory):
    run(session_factory, "alice", "follow_user", handle="bob")
    assert run(session_factory, "bob", "follow_user", handle="alice").events  # a second follow
    assert run(session_factory, "bob", "unfollow_user", handle="alice").events
    assert rows(session_factory, Follow) == 1  # alice still follows bob


def test_comment_on_a_live_post_then_on_a_deleted_one(session_factory):
    pid = new_post(session_factory)
    out = run(session_factory, "bob", "create_comment", post_id=pid, body="nice")
    [event] = out.events
    comment = event["data"]["comment"]
    assert event["type"] == "comment_created" and out.result == {"comment": comment}
    assert {k: comment[k] for k in ("post_id", "author", "body")} == {"post_id": pid, "author": "bob",
                                                                       "body": "nice"}
    run(session_factory, "alice", "delete_post", post_id=pid)
    assert rejected(session_factory, "bob", "create_comment", post_id=pid, body="late") == {
        "code": "post_deleted", "message": "That post was deleted."}
    assert rejected(session_factory, "bob", "create_comment", post_id=pid + 1, body="x") == {
        "code": "post_not_found", "message": "That post does not exist."}
    assert rows(session_factory, Comment) == 1


def test_one_like_per_user_per_post(session_factory):
    pid = new_post(session_factory)
    liked = [run(session_factory, "bob", "like_post", post_id=pid) for _ in range(3)]
    assert [len(o.events) for o in liked] == [1, 0, 0]
    assert liked[0].events[0] == {"type": "post_liked", "data": {"post_id": pid, "user": "bob"}}
    assert all(o.result == {"post_id": pid, "user": "bob", "liked": True} for o in liked)
    assert run(session_factory, "alice", "like_post", post_id=pid).events  # another user's like
    assert rows(session_factory, Like) == 2

    unliked = [run(session_factory, "bob", "unlike_post", post_id=pid) for _ in range(2)]
    assert [e["type"] for o in unliked for e in o.events] == ["post_unliked"]
    assert unliked[1].result["liked"] is False
    assert rows(session_factory, Like) == 1


def test_likes_on_a_deleted_post_are_rejected(session_factory):
    pid = new_post(session_factory)
    run(session_factory, "alice", "delete_post", post_id=pid)
    for ctype in ("like_post", "unlike_post"):
        assert rejected(session_factory, "bob", ctype, post_id=pid)["code"] == "post_deleted"


def test_only_the_author_edits_or_deletes_with_a_clear_reason(session_factory):
    pid = new_post(session_factory, body="original")
    assert rejected(session_factory, "bob", "edit_post", post_id=pid, body="mine now") == {
        "code": "not_author", "message": "Only the author can edit this post."}
    assert rejected(session_factory, "bob", "delete_post", post_id=pid) == {
        "code": "not_author", "message": "Only the author can delete this post."}
    with session_factory() as s:
        post = s.get(Post, pid)
        assert (post.body, post.edited_at, post.deleted_at) == ("original", None, None)


def test_edit_marks_the_post_edited_and_a_same_body_edit_is_no_event(session_factory):
    pid = new_post(session_factory, body="original")
    out = run(session_factory, "alice", "edit_post", post_id=pid, body="better")
    [event] = out.events
    assert event["type"] == "post_edited"
    assert {k: event["data"][k] for k in ("post_id", "author", "body")} == {
        "post_id": pid, "author": "alice", "body": "better"}
    assert event["data"]["edited_at"] > 0
    assert run(session_factory, "alice", "edit_post", post_id=pid, body="better").events == []


def test_a_deleted_post_cannot_be_deleted_or_edited_again(session_factory):
    pid = new_post(session_factory)
    out = run(session_factory, "alice", "delete_post", post_id=pid)
    assert out.events == [{"type": "post_deleted", "data": {"post_id": pid, "author": "alice"}}]
    for ctype, extra in (("delete_post", {}), ("edit_post", {"body": "zombie"})):
        assert rejected(session_factory, "alice", ctype, post_id=pid, **extra)["code"] == "post_deleted"
    assert rows(session_factory, Post) == 1  # soft-deleted: the row stays, the read models drop it

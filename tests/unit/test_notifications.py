"""Routing of Socket.IO messages (backend/read/notifications.py): who hears about what."""
from backend.read.notifications import messages_for_event, outcome_message, saved_message
from backend.read.projections import followers_key, post_key, user_key

CID = "0b9e7a52-3c1d-4f7e-9a59-2d0c8e4b6f11"
POST = {"id": 9, "author": "alice", "body": "hi", "created_at": 1000.0}


def event(kind, data, seq=42):
    return {"seq": seq, "type": kind, "data": data, "command_id": CID, "author": "alice"}


def test_post_created_goes_to_the_timeline_the_author_and_the_followers(mem):
    mem.zadd(followers_key("alice"), {"bob": 1, "carol": 2})
    mem.zadd(followers_key("dave"), {"erin": 1})  # someone else's follower hears nothing
    [(name, payload, rooms)] = messages_for_event(event("post_created", {"post": POST}), mem)
    assert name == "post_created"
    assert payload == {"post": POST | {"edited_at": None, "edited": False, "likes": 0, "comments": 0},
                       "command_id": CID, "version": 42}
    assert sorted(rooms) == sorted(["timeline", "profile:alice", "user:alice", "user:bob",
                                    "user:carol"])


def test_post_created_without_followers(mem):
    [(_, _, rooms)] = messages_for_event(event("post_created", {"post": POST}), mem)
    assert sorted(rooms) == ["profile:alice", "timeline", "user:alice"]


def test_command_failed_goes_to_its_author_only():
    envelope = {"command_id": CID, "type": "create_post", "payload": {"body": "hi"}, "author": "alice"}
    error = {"code": "duplicate_post", "message": "You already posted that."}
    name, payload, rooms = outcome_message(envelope, {"status": "failed", "error": error}, 7)
    assert (name, rooms) == ("command_failed", ["user:alice"])
    assert payload == {"command_id": CID, "type": "create_post", "error": error}


def test_command_succeeded_goes_to_its_author_only_with_the_version():
    envelope = {"command_id": CID, "type": "create_post", "payload": {"body": "hi"}, "author": "bob"}
    status = {"status": "succeeded", "result": {"post": POST}}
    timings = {"accepted_at": 1.0, "taken_at": 2.0, "committed_at": 3.0, "projected_at": 4.0,
               "notified_at": 5.0}
    name, payload, rooms = outcome_message(envelope, status, 12, timings)
    assert (name, rooms) == ("command_succeeded", ["user:bob"])
    assert payload == {"command_id": CID, "type": "create_post", "result": {"post": POST},
                       "version": 12, "timings": timings}


def test_command_saved_goes_to_its_author_only_with_seq_and_timings():
    envelope = {"command_id": CID, "type": "like_post", "payload": {"post_id": 1}, "author": "bob"}
    timings = {"accepted_at": 1.0, "taken_at": 2.0, "committed_at": 3.0}
    assert saved_message(envelope, 41, timings) == (
        "command_saved", {"command_id": CID, "type": "like_post", "seq": 41, "timings": timings},
        ["user:bob"])


def test_edits_and_deletes_reach_every_view_of_the_post(mem):
    mem.zadd(followers_key("alice"), {"bob": 1})
    for kind in ("post_edited", "post_deleted"):
        [(name, payload, rooms)] = messages_for_event(
            event(kind, {"post_id": 9, "author": "alice"}), mem)
        assert name == kind and payload["version"] == 42 and payload["command_id"] == CID
        assert set(rooms) == {"timeline", "profile:alice", "post:9", "user:alice", "user:bob"}


def test_likes_comments_and_follows_carry_the_projected_counts(mem):
    mem.hset(post_key(9), mapping={"likes": 3, "comments": 2})
    mem.hset(user_key("alice"), mapping={"followers": 5, "following": 1})
    mem.hset(user_key("bob"), mapping={"followers": 0, "following": 4})
    [(_, liked, rooms)] = messages_for_event(event("post_liked", {"post_id": 9, "user": "bob"}), mem)
    assert liked["likes"] == 3 and set(rooms) == {"post:9", "user:bob", "timeline"}
    comment = {"id": 1, "post_id": 9, "author": "bob", "body": "c", "created_at": 1.0}
    [(_, msg, rooms)] = messages_for_event(event("comment_created", {"comment": comment}), mem)
    assert (msg["comments"], msg["post_id"], set(rooms)) == (2, 9, {"post:9", "user:bob"})
    [(_, msg, rooms)] = messages_for_event(
        event("user_followed", {"follower": "bob", "followee": "alice"}), mem)
    assert (msg["followee_followers"], msg["follower_following"]) == (5, 4)
    assert set(rooms) == {"user:bob", "user:alice", "profile:alice", "profile:bob"}


def test_an_event_nobody_watches_sends_nothing(mem):
    assert messages_for_event(event("user_registered", {"handle": "x", "joined": 1.0}), mem) == []

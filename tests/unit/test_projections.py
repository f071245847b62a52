"""Each projection's writes (backend/read/projections.py), recorded on a pipeline double and applied to an
in-memory Redis double. Reads must go through `r`, writes onto the MULTI pipeline `p`."""
import json

import pytest

from backend.read.projections import (PROJECTIONS, TIMELINE, USERS, Caps, comments_key, feed_key,
                                 followers_key, following_key, likers_key, post_key, user_key,
                                 user_posts_key)
from tests.unit.conftest import ReadOnly, Recorder

_seq = iter(range(1, 10**6))


def apply(mem, kind, caps=Caps(), **data):
    """Project one event into `mem`; return the pipeline double (its calls and scripts)."""
    p = Recorder(mem)
    PROJECTIONS[kind](data, {"seq": next(_seq), "type": kind, "data": data}, ReadOnly(mem), p, caps)
    p.execute()
    return p


def writes(p):
    return [(name, args[0] if args else None) for name, args, _ in p.calls]


def register(mem, *handles):
    for h in handles:
        apply(mem, "user_registered", handle=h, joined=1000.5)


def post(mem, pid, author="alice", body="hi", caps=Caps()):
    return apply(mem, "post_created", caps,
                 post={"id": pid, "author": author, "body": body, "created_at": 1000.0 + pid})


def ids(mem, key):
    return [int(x) for x in mem.zrevrange(key, 0, -1)]


def test_user_registered(mem):
    register(mem, "zed", "alice")
    assert mem.hgetall(user_key("alice")) == {"handle": "alice", "joined": "1000.5", "posts": "0",
                                             "followers": "0", "following": "0"}
    assert mem.zrange(USERS, 0, -1) == ["zed", "alice"]  # in sign-up order (the event's seq)


def test_post_created_writes_the_post_timeline_profile_and_feeds(mem):
    register(mem, "alice", "bob")
    p = post(mem, 7, body="hello <b>you</b>", caps=Caps(feed=800))
    assert mem.hgetall(post_key(7)) == {"id": "7", "author": "alice", "body": "hello <b>you</b>",
                                        "created_at": "1007.0", "edited_at": "", "likes": "0",
                                        "comments": "0"}
    assert ids(mem, TIMELINE) == [7] and mem.zscore(TIMELINE, 7) == 7.0
    assert ids(mem, user_posts_key("alice")) == [7]
    assert mem.hget(user_key("alice"), "posts") == "1"
    # feeds: one script on the MULTI pipeline, over the author's followers key (real Redis runs it
    # in tests/integration/test_rebuild.py)
    [(numkeys, key, prefix, author, pid, cap)] = p.evals()
    assert (numkeys, key, author, pid, cap) == (1, followers_key("alice"), "alice", 7, 800)
    assert prefix + "bob" == feed_key("bob")


def test_the_timeline_is_capped_newest_kept(mem):
    register(mem, "alice")
    for pid in range(1, 6):
        post(mem, pid, body=f"p{pid}", caps=Caps(timeline=3))
    assert ids(mem, TIMELINE) == [5, 4, 3]
    assert ids(mem, user_posts_key("alice")) == [5, 4, 3, 2, 1]  # a profile keeps every post
    assert mem.hget(user_key("alice"), "posts") == "5"


def test_post_edited(mem):
    register(mem, "alice")
    post(mem, 1)
    p = apply(mem, "post_edited", post_id=1, author="alice", body="new", edited_at=2000.25)
    assert writes(p) == [("hset", post_key(1))]
    raw = mem.hgetall(post_key(1))
    assert (raw["body"], raw["edited_at"], raw["created_at"]) == ("new", "2000.25", "1001.0")


def test_post_deleted_removes_it_everywhere(mem):
    register(mem, "alice", "bob")
    post(mem, 1)
    post(mem, 2)
    apply(mem, "post_liked", post_id=1, user="bob")
    apply(mem, "comment_created", comment={"id": 1, "post_id": 1, "author": "bob", "body": "c",
                                            "created_at": 1.0})
    p = apply(mem, "post_deleted", post_id=1, author="alice")
    for key in (post_key(1), likers_key(1), comments_key(1)):
        assert key not in mem.data
    for key in (TIMELINE, user_posts_key("alice")):
        assert ids(mem, key) == [2]
    assert mem.hget(user_key("alice"), "posts") == "1"
    [(_, key, _, author, pid, cap)] = p.evals()  # out of every feed it was fanned out to
    assert (key, author, pid, cap) == (followers_key("alice"), "alice", 1, 0)


def test_comment_created_appends_canonical_json_and_counts(mem):
    register(mem, "alice")
    post(mem, 1)
    for cid in (1, 2):
        comment = {"post_id": 1, "id": cid, "author": "alice", "body": f"c{cid}", "created_at": 5.0}
        apply(mem, "comment_created", comment=comment)
    stored = mem.lrange(comments_key(1), 0, -1)
    assert [json.loads(c)["id"] for c in stored] == [1, 2]  # oldest first
    assert stored[0] == json.dumps(json.loads(stored[0]), sort_keys=True)  # deterministic bytes
    assert mem.hget(post_key(1), "comments") == "2"


def test_likes_and_unlikes(mem):
    register(mem, "alice", "bob")
    post(mem, 1)
    apply(mem, "post_liked", post_id=1, user="bob")
    apply(mem, "post_liked", post_id=1, user="alice")
    assert mem.smembers(likers_key(1)) == {"alice", "bob"}
    assert mem.hget(post_key(1), "likes") == "2"
    apply(mem, "post_unliked", post_id=1, user="bob")
    assert mem.smembers(likers_key(1)) == {"alice"}
    assert mem.hget(post_key(1), "likes") == "1"


def test_follow_back_fills_the_feed_and_unfollow_removes_it(mem):
    register(mem, "alice", "bob")
    for pid in (1, 2, 3):
        post(mem, pid)
    mem.zadd(feed_key("bob"), {4: 4})  # bob's own post, already in his feed
    apply(mem, "user_followed", Caps(feed=3), follower="bob", followee="alice")
    assert ids(mem, feed_key("bob")) == [4, 3, 2]  # back-filled, capped
    assert mem.zrange(followers_key("alice"), 0, -1) == ["bob"]
    assert mem.zrange(following_key("bob"), 0, -1) == ["alice"]
    assert (mem.hget(user_key("alice"), "followers"), mem.hget(user_key("bob"), "following")) == (
        "1", "1")
    apply(mem, "user_unfollowed", follower="bob", followee="alice")
    assert ids(mem, feed_key("bob")) == [4]
    assert followers_key("alice") not in mem.data and following_key("bob") not in mem.data
    assert (mem.hget(user_key("alice"), "followers"), mem.hget(user_key("bob"), "following")) == (
        "0", "0")


@pytest.mark.parametrize("kind", sorted(PROJECTIONS))
def test_no_projection_writes_outside_its_pipeline(mem, kind):
    """ReadOnly/Recorder raise on a write through r or a read through p; this runs each one."""
    register(mem, "alice", "bob")
    post(mem, 1)
    data = {"user_registered": {"handle": "carol", "joined": 1.0},
            "post_created": {"post": {"id": 2, "author": "alice", "body": "b", "created_at": 1.0}},
            "post_edited": {"post_id": 1, "author": "alice", "body": "e", "edited_at": 2.0},
            "post_deleted": {"post_id": 1, "author": "alice"},
            "comment_created": {"comment": {"id": 1, "post_id": 1, "author": "bob", "body": "c",
                                            "created_at": 1.0}},
            "post_liked": {"post_id": 1, "user": "bob"}, "post_unliked": {"post_id": 1, "user": "bob"},
            "user_followed": {"follower": "bob", "followee": "alice"},
            "user_unfollowed": {"follower": "bob", "followee": "alice"}}[kind]
    assert apply(mem, kind, **data).calls  # every projection writes something


def test_the_projector_fast_path_splits_a_batch_before_each_event_that_reads_redis():
    from backend.read.fast_path import _chunks
    kinds = ["post_created", "post_liked", "user_followed", "post_created", "user_unfollowed",
             "user_followed", "comment_created"]
    events = [{"seq": i, "type": k} for i, k in enumerate(kinds, start=1)]
    assert [[e["seq"] for e in c] for c in _chunks(events)] == [[1, 2], [3, 4], [5], [6, 7]]
    assert _chunks([]) == []

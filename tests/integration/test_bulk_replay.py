"""Rebuild == live on a long mixed stream: every event type the handlers write (sign-ups, posts,
edits, deletes, comments, likes and unlikes, follows and unfollows, back-fills), with caps small
enough to be hit. The replay from scratch (folded in memory, written in bulk), a replay resumed from a
checkpoint half-way (the pipelined path) and the live rebuild all equal the live projector applying
the same log event by event (one MULTI/EXEC each, the real Lua fan-out), key for key."""
import random

from sqlalchemy import insert, update

from backend.read.projections import Caps
from backend.read.projector import Projector
from backend.read.rebuild import rebuild_live
from backend.read.replay import replay, scratch_caps
from backend.write.models import Event, LogHead
from tests.support import read_models_snapshot

CAPS = Caps(timeline=25, feed=12)
HANDLES = ["ann", "Ben", "cat", "dé", "eve_2", "zed", "b", "Ann"]  # ties and odd orders in zsets


def mixed_stream(n: int, seed: int = 3) -> list[dict]:
    """`n` events as the handlers would write them, every rule respected (live posts only, no
    double like or follow, only authors edit and delete)."""
    rnd, t0 = random.Random(seed), 1_700_000_000.0
    users, posts, likes, follows, events = [], {}, set(), set(), []
    next_post, next_comment = 1, 1

    def add(kind, data, author):
        events.append({"seq": len(events) + 1, "type": kind, "data": data, "command_id": None,
                       "author": author, "created_at": t0 + len(events)})
    while len(events) < n:
        roll = rnd.random()
        if len(users) < len(HANDLES) and (roll < 0.05 or len(users) < 3):
            h = HANDLES[len(users)]
            users.append(h)
            add("user_registered", {"handle": h, "joined": t0 + len(events) / 7}, h)
        elif roll < 0.35 or not posts:
            who = rnd.choice(users)
            body = rnd.choice(["hi", "héllo 😀", "x" * 80, f"post {next_post}"])
            posts[next_post] = who
            add("post_created", {"post": {"id": next_post, "author": who, "body": body,
                                          "created_at": t0 + next_post / 3}}, who)
            next_post += 1
        elif roll < 0.42:
            pid = rnd.choice(list(posts))
            add("post_edited", {"post_id": pid, "author": posts[pid], "body": f"edit {len(events)}",
                                "edited_at": t0 + len(events) + 0.25}, posts[pid])
        elif roll < 0.47:
            pid = rnd.choice(list(posts))
            add("post_deleted", {"post_id": pid, "author": posts.pop(pid)}, None)
            likes = {(u, p) for u, p in likes if p != pid}
        elif roll < 0.57:
            pid, who = rnd.choice(list(posts)), rnd.choice(users)
            add("comment_created", {"comment": {"id": next_comment, "post_id": pid, "author": who,
                                                "body": f"c{next_comment}\nline",
                                                "created_at": t0 + len(events)}}, who)
            next_comment += 1
        elif roll < 0.75:
            pair = (rnd.choice(users), rnd.choice(list(posts)))
            kind = "post_unliked" if pair in likes else "post_liked"
            likes ^= {pair}
            add(kind, {"post_id": pair[1], "user": pair[0]}, pair[0])
        else:
            me, them = rnd.sample(users, 2)
            kind = "user_unfollowed" if (me, them) in follows else "user_followed"
            follows ^= {(me, them)}
            add(kind, {"follower": me, "followee": them}, me)
    return events


def load(services, events) -> None:
    with services.engine.begin() as conn:
        conn.execute(insert(Event), events)
        conn.execute(update(LogHead).where(LogHead.id == 1).values(seq=events[-1]["seq"]))


def keyspace(r, prefix: str) -> dict:
    """The read models under `prefix`, named as if live (the store label left out)."""
    snap = read_models_snapshot(r, prefix=prefix, skip=(prefix + "store",))
    return {"ripple:" + key[len(prefix):]: value for key, value in snap.items()}


def test_every_replay_equals_the_live_projector_on_a_long_mixed_stream(services):
    events = mixed_stream(3000)
    assert {e["type"] for e in events} == {
        "user_registered", "post_created", "post_edited", "post_deleted", "comment_created",
        "post_liked", "post_unliked", "user_followed", "user_unfollowed"}
    load(services, events)
    r, sf = services.redis, services.session_factory
    live_projector = Projector(r, sf, CAPS)
    assert live_projector.catch_up() == 3000  # event by event: WATCH/MULTI/EXEC, real Lua
    live = keyspace(r, "ripple:")
    assert len(r.zrange("ripple:feed:ann", 0, -1)) == CAPS.feed  # the caps were reached
    assert r.zcard("ripple:timeline") == CAPS.timeline

    assert replay(r, sf, scratch_caps(CAPS, "ripple-fold:"), 0) == 3000  # folded, from scratch
    assert keyspace(r, "ripple-fold:") == live

    half = scratch_caps(CAPS, "ripple-half:")
    assert replay(r, sf, half, 0, 1234) == 1234  # folded up to 1234, then pipelined from there
    assert replay(r, sf, half, 1234) == 3000
    assert keyspace(r, "ripple-half:") == live

    r.hset("ripple:post:1", mapping={"body": "damaged"})  # something for the rebuild to repair
    assert rebuild_live(live_projector) == 3000
    assert keyspace(r, "ripple:") == live

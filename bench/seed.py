"""A big world for the read benchmark, fast: bulk rows into the write DB and its event log, then the
read models built by the REAL projection functions (backend/read/projections.py), pipelined.

Log order: every user_registered, then user_followed, then post_created, then post_liked; the events
have exactly the shapes the handlers write, so `flask rebuild-read-models` would rebuild the same
read models from this log. The projection here differs from Projector.catch_up only in batching
thousands of events per pipeline instead of one MULTI/EXEC each (nothing else runs meanwhile).
"""
import json
import random
import time

from sqlalchemy import insert, text, update

from backend.read.projections import CHECKPOINT, PROJECTIONS, STORE, Caps
from backend.write.models import Event, Follow, Like, LogHead, Post, User

PW_HASH = "scrypt:32768:8:1$bench$not-a-real-hash"  # nobody logs in with a password here


def make_world(users: int, posts: int, likes: int, follows: int, seed: int = 42) -> dict:
    rnd, t0 = random.Random(seed), time.time() - 86400
    handles = {i: f"u{i:05d}" for i in range(1, users + 1)}
    per_user = max(1, follows // users)
    follow_pairs = []
    for u in handles:
        chosen = set()
        while len(chosen) < min(per_user, users - 1):
            f = rnd.randint(1, users)
            if f != u:
                chosen.add(f)
        follow_pairs += [(u, f) for f in chosen]
    post_rows = [(i, rnd.randint(1, users), f"post {i}: " + "lorem ipsum " * rnd.randint(1, 8),
                  t0 + i * 0.5) for i in range(1, posts + 1)]
    like_pairs, per = [], max(1, likes // users)
    for u in handles:
        like_pairs += [(u, p) for p in rnd.sample(range(1, posts + 1), min(per, posts))]
    return {"handles": handles, "follows": follow_pairs, "posts": post_rows, "likes": like_pairs,
            "t0": t0}


def events_of(world: dict):
    h, t0 = world["handles"], world["t0"]
    for i, handle in h.items():
        yield "user_registered", {"handle": handle, "joined": t0 + i * 0.001}, handle
    for u, f in world["follows"]:
        yield "user_followed", {"follower": h[u], "followee": h[f]}, h[u]
    for pid, author, body, created in world["posts"]:
        yield "post_created", {"post": {"id": pid, "author": h[author], "body": body,
                                        "created_at": created}}, h[author]
    for u, pid in world["likes"]:
        yield "post_liked", {"post_id": pid, "user": h[u]}, h[u]


def _rows(world: dict):
    h, t0 = world["handles"], world["t0"]
    yield User, ("id", "handle", "password_hash", "created_at"), (
        (i, handle, PW_HASH, t0 + i * 0.001) for i, handle in h.items())
    yield Follow, ("follower_id", "followee_id", "created_at"), (
        (u, f, t0) for u, f in world["follows"])
    yield Post, ("id", "author_id", "body", "created_at"), iter(world["posts"])
    yield Like, ("user_id", "post_id", "created_at"), ((u, p, t0) for u, p in world["likes"])
    yield Event, ("seq", "type", "data", "command_id", "author", "created_at"), (
        (seq, kind, json.dumps(data), None, author, t0)
        for seq, (kind, data, author) in enumerate(events_of(world), start=1))


def write_db(engine, world: dict) -> int:
    """Bulk-load the write DB (COPY on PostgreSQL, executemany on SQLite); return the log head."""
    head = 0
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            with raw.cursor() as cur:
                for model, cols, rows in _rows(world):
                    copy = f"COPY {model.__tablename__} ({', '.join(cols)}) FROM STDIN"
                    with cur.copy(copy) as cp:
                        for r in rows:
                            cp.write_row(r)
                            head = r[0] if model is Event else head
                for table in ("users", "posts"):
                    cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                f"(SELECT max(id) FROM {table}))")
            raw.commit()
            raw.driver_connection.autocommit = True  # VACUUM now: no autovacuum mid-benchmark
            with raw.cursor() as cur:
                cur.execute("VACUUM ANALYZE")
        finally:
            raw.close()
    else:
        with engine.begin() as conn:
            for model, cols, rows in _rows(world):
                rows = [dict(zip(cols, r)) for r in rows]
                if model is Event:
                    rows = [r | {"data": json.loads(r["data"])} for r in rows]
                    head = rows[-1]["seq"]
                conn.execute(insert(model), rows)
    with engine.begin() as conn:
        conn.execute(update(LogHead).where(LogHead.id == 1).values(seq=head))
        if engine.dialect.name == "sqlite":
            conn.execute(text("ANALYZE"))
    return head


class _NoPostsYet:
    """The Redis client, while no post is projected yet: every user's post list is still empty, so
    user_followed's back-fill read (ZREVRANGE of the followee's posts) is answered without a round
    trip. Everything else goes to Redis."""

    def __init__(self, r):
        self.r = r

    def zrevrange(self, key, *args, **kwargs):
        if not key.endswith(":posts"):
            return self.r.zrevrange(key, *args, **kwargs)
        return []

    def __getattr__(self, name):
        return getattr(self.r, name)


def project(r, world: dict, store_id: str, caps: Caps = Caps(), chunk: int = 5000) -> int:
    """Apply every event with the real projection functions, `chunk` events per pipeline, and label
    the read models with the write DB's identity (else the app would drop and replay them)."""
    seq, reader = 0, _NoPostsYet(r)
    p = r.pipeline(transaction=False)
    for seq, (kind, data, author) in enumerate(events_of(world), start=1):
        if kind == "post_created" and reader is not r:
            p.execute()
            assert not r.keys("ripple:user:*:posts"), "posts projected before the follows"
            reader = r
        PROJECTIONS[kind](data, {"seq": seq, "type": kind, "data": data, "command_id": None,
                                 "author": author}, reader, p, caps)
        if seq % chunk == 0:
            p.execute()
    p.set(CHECKPOINT, seq)
    p.set(STORE, store_id)
    p.execute()
    return seq

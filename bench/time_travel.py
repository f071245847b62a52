"""Time travel, replay and history, side by side in one run (issue 14).

`python -m bench.time_travel [--size quick|small|full]` (full: the 100,000-post bench world, about
1.1 M events). Figures:
- replay rate: today's per-event projector path (one WATCH/MULTI/EXEC per event) vs the replay
  from scratch (folded in memory, written in bulk: backend/read/bulk_replay.py) on the same slice
  of the log; the replay of the whole log; the live blue/green rebuild (backend/read/rebuild.py);
- `as_of` timeline, profile, feed and post answers at random versions (through Flask, scoped
  replay) vs the naive way: replay from event 1 up to N, then query (3 samples);
- the history of a post with 1,000 events (GET /api/posts/<id>/history).
"""
import argparse
import time

import redis
from sqlalchemy import insert, select, update

from backend.config import Config
from backend.read.replay import read_events, replay, scratch_caps
from backend.services import build_services
from backend.write.models import Event, LogHead, StoreIdentity
from bench import seed, time_travel_pages
from bench.common import RedisServer, WriteDB, row, settle
from bench.stats import median
from backend.write.models import init_db

SIZES = {"full": (10_000, 100_000, 500_000, 500_000), "small": (1_000, 10_000, 50_000, 50_000),
         "quick": (200, 2_000, 6_000, 4_000)}
OLD_PATH_EVENTS = {"full": 50_000, "small": 13_000, "quick": 13_000}
HOT_EVENTS = 1_000


def hot_post_events(head: int, post_id: int, author: str, likers: list[str], t0: float):
    """1,000 events on one post: edits, comments, likes and unlikes (valid for the projections)."""
    rows, liked = [], set()
    for i in range(HOT_EVENTS):
        kind = ("post_edited", "comment_created", "like")[i % 3]
        if kind == "post_edited":
            data = {"post_id": post_id, "author": author, "body": f"hot post, edit number {i} of many",
                    "edited_at": t0 + i}
        elif kind == "comment_created":
            data = {"comment": {"id": 10**7 + i, "post_id": post_id, "author": likers[0],
                                "body": f"comment {i}", "created_at": t0 + i}}
        else:
            who = likers[(i // 3) % len(likers)]
            kind = "post_unliked" if who in liked else "post_liked"
            liked.symmetric_difference_update({who})
            data = {"post_id": post_id, "user": who}
        rows.append({"seq": head + 1 + i, "type": kind, "data": data, "command_id": None,
                     "author": author, "created_at": t0 + i})
    return rows


def build(size: str):
    users, posts, likes, follows = SIZES[size]
    rs, db = RedisServer().start(), WriteDB(prefer_pg=size == "full")
    svc = build_services(Config(redis_url=rs.url, database_url=db.url, secret_key="bench",
                                ratelimit_enabled=False))
    init_db(svc.engine)
    world = seed.make_world(users, posts, likes, follows)
    head = seed.write_db(svc.engine, world)
    # the hot post: the newest, liked by members who had not liked it
    hot, author = world["posts"][-1][0], world["handles"][world["posts"][-1][1]]
    taken = {u for u, p in world["likes"] if p == hot}
    likers = [h for i, h in world["handles"].items() if i not in taken][:50]
    extra = hot_post_events(head, hot, author, likers, world["t0"])
    with svc.engine.begin() as conn:
        conn.execute(insert(Event), extra)
        conn.execute(update(LogHead).where(LogHead.id == 1).values(seq=extra[-1]["seq"]))
    return rs, db, svc, hot, world


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def run(quick: bool = True, size: str | None = None, replay_rows: bool = True,
        replay_only: bool = False) -> list[dict]:
    size = size or ("quick" if quick else "full")
    rs, db, svc, hot, world = build(size)
    rows, r = [], svc.redis
    try:
        with svc.session_factory() as s:
            head = s.scalar(select(LogHead.seq))
            store = s.scalar(select(StoreIdentity.store_id))
        cond = f"{head:,} events, {db.kind}, this shared 2-core machine"
        if not replay_rows:  # the live read models only, from the whole log (blue/green rebuild)
            r.flushdb()
            r.set("ripple:store", store)
            live_s, _ = timed(svc.projector.rebuild)
            return [row("live blue/green rebuild", head / live_s, "events/s", conditions=cond),
                    *time_travel_pages.rows(svc, r, head, store, hot, world, size, cond)]
        # 1-2. today's path (one WATCH/MULTI/EXEC per event, Projector._apply) vs the bulk
        # replay, on the same events, alternating (this machine is shared and noisy): medians
        n_old = OLD_PATH_EVENTS[size]
        old = [e for batch in read_events(svc.session_factory, 0, n_old) for e in batch]
        olds, pipes, old_cpu, pipe_cpu = [], [], [], []

        def cpu_s():  # this process (client + SQLite) and the Redis server
            info = r.info("cpu")
            return time.process_time() + info["used_cpu_user"] + info["used_cpu_sys"]

        def measure(fn, walls, cpus):
            settle(r)  # the flush before it is freed in Redis's background thread: not inside
            c = cpu_s()
            walls.append(len(old) / timed(fn)[0])
            cpus.append(len(old) / (cpu_s() - c))
        for _ in range(3):
            r.flushdb(asynchronous=True)
            r.set("ripple:checkpoint", 0)
            measure(lambda: [svc.projector._apply(e) for e in old], olds, old_cpu)
            r.flushdb(asynchronous=True)
            caps = scratch_caps(svc.projector.caps, "ripple-bench:")
            measure(lambda: replay(r, svc.session_factory, caps, 0, n_old), pipes, pipe_cpu)
        old_rate, pipe_rate = median(olds), median(pipes)
        r.flushdb(asynchronous=True)
        settle(r)
        whole_s, _ = timed(lambda: replay(r, svc.session_factory, scratch_caps(
            svc.projector.caps, "ripple-bench:"), 0))
        r.flushdb(asynchronous=True)
        r.set("ripple:store", store)
        settle(r)
        # 3. the live blue/green rebuild (what `flask rebuild-read-models` runs), whole log
        live_s, cp = timed(svc.projector.rebuild)
        assert cp == head
        slice_ = f"; the first {n_old:,} events, median of 3 alternating rounds"
        rows += [row("replay: today's per-event path", old_rate, "events/s", conditions=cond
                     + slice_ + ", one WATCH/MULTI/EXEC each"),
                 row("replay: bulk (folded)", pipe_rate, "events/s", old_rate,
                     "≥ 50,000 and ≥ 5× today", pipe_rate >= max(50_000, 5 * old_rate),
                     cond + slice_),
                 row("replay CPU-bound: today's path", median(old_cpu), "events/s",
                     conditions=cond + slice_ + "; events / (client + Redis CPU seconds)"),
                 row("replay CPU-bound: bulk", median(pipe_cpu), "events/s", median(old_cpu),
                     "≥ 5× today", median(pipe_cpu) >= 5 * median(old_cpu),
                     cond + slice_ + "; events / (client + Redis CPU seconds)"),
                 row("replay: bulk, whole log", head / whole_s, "events/s", old_rate,
                     "≥ 5× today", head / whole_s >= 5 * old_rate, cond),
                 row("live blue/green rebuild", head / live_s, "events/s", old_rate, "≥ 5× today",
                     head / live_s >= 5 * old_rate, cond + "; replay + switch")]
        if replay_only:
            return rows
        rows += time_travel_pages.rows(svc, r, head, store, hot, world, size, cond)
        return rows
    finally:
        svc.engine.dispose()
        rs.stop()
        db.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="quick", choices=sorted(SIZES))
    ap.add_argument("--replay-only", action="store_true", help="the replay rows alone")
    ap.add_argument("--no-replay", action="store_true",
                    help="skip the replay-rate rows (time travel and history only)")
    args = ap.parse_args()
    from bench.__main__ import table
    print(table(run(size=args.size, replay_rows=not args.no_replay, replay_only=args.replay_only)))


if __name__ == "__main__":
    main()

"""Time travel, replay and history, side by side in one run (issue 14).

`python -m bench.time_travel [--size quick|small|full]` (full: the 100,000-post bench world, about
1.1 M events). Figures:
- replay rate: today's per-event projector path (one WATCH/MULTI/EXEC per event) on a slice of
  the log vs the pipelined replay of the whole log (backend/read/replay.py) vs the live blue/green
  rebuild (backend/read/rebuild.py) of the whole log;
- `as_of` timeline, profile, feed and post answers at random versions (through Flask, scoped
  replay) vs the naive way: replay from event 1 up to N, then query (3 samples);
- the history of a post with 1,000 events (GET /api/posts/<id>/history).
"""
import argparse
import random
import sys
import time

import redis
from sqlalchemy import insert, select, update

from backend.config import Config
from backend.read import queries
from backend.read.keyspace import drop_prefix
from backend.read.replay import read_events, replay, scratch_caps
from backend.services import build_services
from backend.write.models import Event, LogHead, StoreIdentity
from bench import seed
from bench.common import RedisServer, WriteDB, median, percentile, row
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


class _Progress(list):
    def append(self, item):
        super().append(item)
        print(f"[bench.time_travel] {item['figure']}: {item['value']:,.1f} {item['unit']}",
              file=sys.stderr, flush=True)


def _time_travel_rows(svc, r, head: int, store: str, hot: int, world: dict, size: str,
                      cond: str) -> list[dict]:
    """Rows 4-5: as_of pages by scoped replay vs naive replay 1..N, and a post's history. Needs
    the live read models caught up to the head."""
    rows = _Progress()  # each row goes to stderr as soon as it is measured (full size: long)
    # 4. as_of pages at random versions vs naive replay 1..N. The audit index (with the scope
    # index) is a projection of the log kept beside the read models: built once, timed apart.
    from backend import create_app
    from backend.read import audit_index
    from backend.write import sessions
    idx_s, _ = timed(lambda: audit_index.catch_up(r, svc.session_factory, store,
                                                  svc.projector.caps.timeline))
    rows.append(row("audit + scope index, built from the whole log", head / idx_s,
                    "events/s", conditions=cond + "; once, before the as_of pages"))
    app = create_app(svc.config)
    app.extensions["ripple"] = svc
    client, rnd = app.test_client(), random.Random(7)
    handles = list(world["handles"].values())
    member = app.test_client()  # the feed needs a member: a real server-side session
    member.set_cookie("session", sessions.create(svc.session_factory, r, handles[0])[0])
    got = {"timeline": [], "profile": [], "feed": [], "post": []}
    scrub = []

    def get(c, url):
        resp = c.get(url)
        assert resp.status_code in (200, 404), (url, resp.status_code)
        return resp

    cpu = {k: [] for k in got}

    def cpu_s():  # this process (client + SQLite) and the Redis server (PostgreSQL's not counted)
        info = r.info("cpu")
        return time.process_time() + info["used_cpu_user"] + info["used_cpu_sys"]

    def sample(kind, c, url):
        before = cpu_s()
        wall = timed(lambda: get(c, url))[0]
        cpu[kind].append(cpu_s() - before)
        got[kind].append(wall)
        return wall

    def page_at(n, who=None):
        t_tl = timed(lambda: get(client, f"/api/timeline?as_of={n}"))[0]
        t_pr = timed(lambda: get(client, f"/api/users/{who or rnd.choice(handles)}?as_of={n}"))[0]
        return t_tl, t_pr
    visited = []
    for _ in range(20 if size == "quick" else 30):
        n = rnd.randint(head // 10, head)
        visited.append(n)
        sample("timeline", client, f"/api/timeline?as_of={n}")
        sample("profile", client, f"/api/users/{rnd.choice(handles)}?as_of={n}")
        sample("feed", member, f"/api/feed?as_of={n}")
        sample("post", client, f"/api/posts/{rnd.randint(1, len(world['posts']))}?as_of={n}")
    for n in visited:  # the scrubber: one event back and forth from a page just seen
        scrub += [sum(page_at(max(0, n - 1))), sum(page_at(min(head, n + 1)))]
    print("[bench.time_travel] as_of p95 (ms) before the naive baseline: " + ", ".join(
        f"{k} {percentile(v, 95) * 1000:,.0f} (CPU {percentile(cpu[k], 95) * 1000:,.0f})"
        for k, v in got.items()), file=sys.stderr, flush=True)
    naive = []
    for i in range(3):
        n = rnd.randint(head // 2, head)
        prefix = f"ripple-naive{i}:"

        def naive_answer():
            replay(r, svc.session_factory, scratch_caps(svc.projector.caps, prefix), 0, n)
            queries.timeline(r, 20, None, None, prefix=prefix)
            try:
                queries.profile(r, handles[0], None, prefix=prefix)
            except queries.NotFound:
                pass
        naive.append(timed(naive_answer)[0])
        drop_prefix(r, prefix)
    base = sum(naive) / len(naive) * 1000
    both = [a + b for a, b in zip(got["timeline"], got["profile"])]
    conds = (cond + f"; {len(both)} random versions in [head/10, head], through Flask, scoped "
             "replay; baseline = mean of 3 naive replays 1..N (timeline + profile)")
    p95 = percentile(both, 95) * 1000
    rows.append(row("as_of timeline + profile p95", p95, "ms", base, "≤ 150 ms", p95 <= 150,
                    conds, ratio=base / p95))
    for kind in ("timeline", "profile", "feed", "post"):
        v = percentile(got[kind], 95) * 1000
        rows.append(row(f"as_of {kind} alone p95", v, "ms", base, "≤ 150 ms", v <= 150,
                        conds, ratio=base / v))
    for kind in ("timeline", "profile", "feed", "post"):
        v = percentile(cpu[kind], 95) * 1000
        rows.append(row(f"as_of {kind} CPU p95", v, "ms", conditions=cond + "; CPU seconds of "
                        "this process + the Redis server per answer (not waiting for a core)"))
    p95s = percentile(scrub, 95) * 1000
    rows.append(row("as_of scrubbing ±1 event p95", p95s, "ms", base, "≤ 150 ms", p95s <= 150,
                    cond + f"; {len(scrub)} timeline + profile pages one event before/after "
                    "a visited one", ratio=base / p95s))
    # 5. history of a post with 1,000 events
    client.get(f"/api/posts/{hot}/history")  # (the audit index is caught up already)
    hist, hist_cpu = [], []
    for _ in range(50):
        before = cpu_s()
        hist.append(timed(lambda: client.get(f"/api/posts/{hot}/history?limit=200"))[0])
        hist_cpu.append(cpu_s() - before)
    rows.append(row("history of a 1,000-event post p95", percentile(hist, 95) * 1000, "ms",
                    target="≤ 50 ms", met=percentile(hist, 95) <= 0.05,
                    conditions=cond + "; through Flask, 50 calls, limit=200"))
    rows.append(row("history of a 1,000-event post CPU p95", percentile(hist_cpu, 95) * 1000,
                    "ms", conditions=cond + "; CPU seconds of this process + Redis per answer"))
    return rows


def run(quick: bool = True, size: str | None = None, replay_rows: bool = True) -> list[dict]:
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
                    *_time_travel_rows(svc, r, head, store, hot, world, size, cond)]
        # 1-2. today's path (one WATCH/MULTI/EXEC per event, Projector._apply) vs the pipelined
        # replay, on the same events, alternating (this machine is shared and noisy): medians
        n_old = OLD_PATH_EVENTS[size]
        old = [e for batch in read_events(svc.session_factory, 0, n_old) for e in batch]
        olds, pipes, old_cpu, pipe_cpu = [], [], [], []

        def cpu_s():  # this process (client + SQLite) and the Redis server
            info = r.info("cpu")
            return time.process_time() + info["used_cpu_user"] + info["used_cpu_sys"]

        def measure(fn, walls, cpus):
            c = cpu_s()
            walls.append(len(old) / timed(fn)[0])
            cpus.append(len(old) / (cpu_s() - c))
        for _ in range(3):
            r.flushdb()
            r.set("ripple:checkpoint", 0)
            measure(lambda: [svc.projector._apply(e) for e in old], olds, old_cpu)
            r.flushdb()
            caps = scratch_caps(svc.projector.caps, "ripple-bench:")
            measure(lambda: replay(r, svc.session_factory, caps, 0, n_old), pipes, pipe_cpu)
        old_rate, pipe_rate = median(olds), median(pipes)
        r.flushdb()
        whole_s, _ = timed(lambda: replay(r, svc.session_factory, scratch_caps(
            svc.projector.caps, "ripple-bench:"), 0))
        r.flushdb()
        r.set("ripple:store", store)
        # 3. the live blue/green rebuild (what `flask rebuild-read-models` runs), whole log
        live_s, cp = timed(svc.projector.rebuild)
        assert cp == head
        slice_ = f"; the first {n_old:,} events, median of 3 alternating rounds"
        rows += [row("replay: today's per-event path", old_rate, "events/s", conditions=cond
                     + slice_ + ", one WATCH/MULTI/EXEC each"),
                 row("replay: pipelined", pipe_rate, "events/s", old_rate,
                     "≥ 50,000 and ≥ 5× today", pipe_rate >= max(50_000, 5 * old_rate),
                     cond + slice_),
                 row("replay CPU-bound: today's path", median(old_cpu), "events/s",
                     conditions=cond + slice_ + "; events / (client + Redis CPU seconds)"),
                 row("replay CPU-bound: pipelined", median(pipe_cpu), "events/s", median(old_cpu),
                     "≥ 5× today", median(pipe_cpu) >= 5 * median(old_cpu),
                     cond + slice_ + "; events / (client + Redis CPU seconds)"),
                 row("replay: pipelined, whole log", head / whole_s, "events/s", old_rate,
                     "≥ 5× today", head / whole_s >= 5 * old_rate, cond),
                 row("live blue/green rebuild", head / live_s, "events/s", old_rate, "≥ 5× today",
                     head / live_s >= 5 * old_rate, cond + "; replay + switch")]
        rows += _time_travel_rows(svc, r, head, store, hot, world, size, cond)
        return rows
    finally:
        svc.engine.dispose()
        rs.stop()
        db.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="quick", choices=sorted(SIZES))
    ap.add_argument("--no-replay", action="store_true",
                    help="skip the replay-rate rows (time travel and history only)")
    args = ap.parse_args()
    from bench.__main__ import table
    print(table(run(size=args.size, replay_rows=not args.no_replay)))


if __name__ == "__main__":
    main()

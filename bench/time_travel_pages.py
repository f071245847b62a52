"""bench.time_travel's rows 4-5: `as_of` pages (timeline, profile, feed, post) by scoped replay at
random versions vs the naive replay 1..N, the scrubber, and the history of a 1,000-event post; wall
and CPU (this process + the Redis server) per answer."""
import random
import sys
import time

from backend.read import queries
from backend.read.keyspace import drop_prefix
from backend.read.replay import replay, scratch_caps
from bench.common import row, settle
from bench.stats import percentile


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


class _Progress(list):
    def append(self, item):
        super().append(item)
        print(f"[bench.time_travel] {item['figure']}: {item['value']:,.1f} {item['unit']}",
              file=sys.stderr, flush=True)


def rows(svc, r, head: int, store: str, hot: int, world: dict, size: str,
                      cond: str) -> list[dict]:
    """Rows 4-5: as_of pages by scoped replay vs naive replay 1..N, and a post's history. Needs
    the live read models caught up to the head."""
    rows = _Progress()  # each row goes to stderr as soon as it is measured (full size: long)
    # 4. as_of pages at random versions vs naive replay 1..N. The audit index (with the scope
    # index) is a projection of the log kept beside the read models: built once, timed apart.
    from backend import create_app
    from backend.read import audit_index
    from backend.write import sessions
    settle(r)
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
    settle(r)
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
    # 5. history of a post with 1,000 events (after the naive replays' key spaces are freed)
    settle(r)
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

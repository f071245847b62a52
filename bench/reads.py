"""Benchmark 4: reads from the Redis read models vs the same answer computed by SQL from the write DB:
GET /api/timeline, GET /api/feed and the home page (GET /, HTML with the feed as initial state).

World (bench/seed.py): 10,000 users, 100,000 posts, 500,000 likes, 500,000 follows in PostgreSQL,
projected into Redis by the real projection code. Servers: gunicorn, one gevent process each, two of
them (one per core), serving `bench.sql_app:app` = Ripple's app + the bench-only SQL endpoints.
Before timing, both answers are checked equal (same rows, counts, flags, version; same HTML).
Load: wrk on 127.0.0.1 (keep-alive), or, when wrk is not installed, a threaded Python client (much
weaker; the table says which).

Two more measurements say what bounds the ratio: the Flask floor (a constant page through the same
app, no data source) and framework-free twins of both pages (bench/sql_app.BareReads), so that the
read-model/SQL ratio is also known without Flask's per-request cost in both.
"""
import re
import shutil
import subprocess
import threading
import time

import redis
import requests

from bench import seed
from bench.clients import cpu_seconds
from bench.common import Stack, child_pids, postgres_pids, row
from bench.stats import median
from bench.world import seed_stack
from backend.write import sessions
from backend.write.models import make_engine, make_session_factory

SIZES = {"full": (10_000, 100_000, 500_000, 500_000), "quick": (1_000, 10_000, 50_000, 50_000)}
VIEWER = "u00001"
PROCESSES = 2  # web processes, as `WEB_PROCESSES=2 python -m backend.prod` on 2 cores


def session_cookie(stack: Stack, handle: str) -> str:
    """The cookie a browser holds after logging in: a server-side session (backend/write/sessions)
    made here, to skip password hashing."""
    engine = make_engine(stack.db.url)
    try:
        token, _ = sessions.create(make_session_factory(engine),
                                   redis.Redis.from_url(stack.redis.url), handle)
    finally:
        engine.dispose()
    return f"session={token}"


def wrk(urls: list[str], cookie: str, seconds: float, connections: int = 64) -> float:
    """One wrk per URL (one per web process), all at once; the summed requests/s."""
    procs = [subprocess.Popen(["wrk", "-t1" if len(urls) > 1 else "-t2",
                               f"-c{connections // len(urls)}", f"-d{seconds}s", "-H",
                               f"Cookie: {cookie}", url], stdout=subprocess.PIPE, text=True)
             for url in urls]
    total = 0.0
    for proc, url in zip(procs, urls):
        out = proc.communicate()[0]
        if "Non-2xx" in out or proc.returncode:
            raise RuntimeError(f"wrk saw errors for {url}:\n{out}")
        total += float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return total


def python_load(urls: list[str], cookie: str, seconds: float, threads: int = 16) -> float:
    counts, end = [0] * threads, time.monotonic() + seconds

    def run(i):
        s, url = requests.Session(), urls[i % len(urls)]
        while time.monotonic() < end:
            assert s.get(url, headers={"Cookie": cookie}, timeout=10).ok
            counts[i] += 1
    ts = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return sum(counts) / seconds


def check_same(base: str, cookie: str, rm_path: str, sql_path: str) -> int:
    """Both endpoints give the same JSON (first two pages). Returns the number of posts compared."""
    n, q = 0, "?limit=20"
    if rm_path == "/":  # an HTML page: the same bytes
        a, b = (requests.get(base + path, headers={"Cookie": cookie}, timeout=30)
                for path in (rm_path, sql_path))
        if not a.ok or a.text != b.text:
            raise AssertionError(f"/ and {sql_path} differ")
        return a.text.count('"author"')
    for _ in range(2):
        a = requests.get(base + rm_path + q, headers={"Cookie": cookie}, timeout=30).json()
        b = requests.get(base + sql_path + ("&" + q[1:] if "?" in sql_path else q),
                         headers={"Cookie": cookie}, timeout=30).json()
        if a != b:
            raise AssertionError(f"{rm_path} and {sql_path} differ:\n{a}\n{b}")
        n += len(a["posts"])
        if a["next"] is None:  # a short feed: one page is all there is
            break
        q = f"?limit=20&before={a['next']}"
    return n


def run(quick: bool = False) -> list[dict]:
    users, posts, likes, follows = SIZES["quick" if quick else "full"]
    seconds, rounds = (3, 1) if quick else (5, 3)
    stack = Stack(workers=0, start_web=False)
    try:
        world = seed.make_world(users, posts, likes, follows)
        # the write DB loads while Redis projects; no extra index: the SQL baseline as before
        setup_s = seed_stack(stack, world, index=False)
        stack.start_web(target="bench.sql_app:app", processes=PROCESSES)
        cookie = session_cookie(stack, VIEWER)
        load, gen = (wrk, "wrk, 64 connections") if shutil.which("wrk") else \
            (python_load, "Python client, 16 threads")
        webs = [c for w in stack.webs for c in child_pids(w.pid)]
        where = {"rm": [stack.redis.proc.pid], "sql": postgres_pids(), "floor": []}

        def side_by_side(paths: dict[str, str]) -> tuple[dict, dict]:
            """Each path in turn, `rounds` times (so drift hits them alike): median req/s and
            median server CPU per request (web processes + the path's data store), by key."""
            rates, cost = {k: [] for k in paths}, {k: [] for k in paths}
            load([b + next(iter(paths.values())) for b in stack.bases], cookie, 1)  # warm-up
            for _ in range(rounds):
                for key, path in paths.items():
                    pids = webs + where[key.split(":")[0]]
                    before = cpu_seconds(pids)
                    rates[key].append(load([b + path for b in stack.bases], cookie, seconds))
                    cost[key].append((cpu_seconds(pids) - before) * 1000 / (rates[key][-1] * seconds))
            return rates, {k: median(v) for k, v in cost.items()}

        world_s = (f"{users:,} users, {posts:,} posts, {likes:,} likes, {follows:,} follows "
                   f"({stack.db.kind}, seeded+projected in {setup_s:.0f} s); gunicorn gevent, "
                   f"{PROCESSES} web processes (backend.prod layout, one per core); load: {gen}, "
                   f"{seconds} s × {rounds}, medians; limit=20")
        rows = []
        for name, rm, sql in (("GET /api/timeline", "/api/timeline", "/bench/sql/timeline"),
                              ("GET /api/feed (home feed)", "/api/feed", "/bench/sql/feed"),
                              ("GET / (home page, HTML)", "/", "/bench/sql/home")):
            compared = check_same(stack.base, cookie, rm, sql)
            rates, cost = side_by_side({"sql": sql, "rm": rm})
            value, base = median(rates["rm"]), median(rates["sql"])
            cond = (f"{world_s}; baseline = the same JSON by SQL (checked equal on {compared} "
                    f"posts); server CPU per request: {cost['rm']:.2f} ms (web+Redis) vs "
                    f"{cost['sql']:.2f} ms (web+PostgreSQL)")
            rows.append(row(f"{name}: read models req/s", value, "req/s", base, "≥ 1,500 req/s",
                            value >= 1500, cond, runs=rates["rm"], baseline_runs=rates["sql"]))
            rows.append(row(f"{name}: read models vs SQL", value / base, "×", None,
                            "report (was ≥ 10× SQL: see bench/README.md)", None,
                            "same run as the row above", ratio=value / base))
        rows += _bounds(stack, cookie, side_by_side, world_s)
        return rows
    finally:
        stack.close()


def _bounds(stack, cookie, side_by_side, world_s: str) -> list[dict]:
    """What bounds the read-model/SQL ratio: the most a Flask-served endpoint can do here (a
    constant page, no data source), and both pages served framework-free (bench/sql_app.BareReads)."""
    for name in ("timeline", "feed"):
        check_same(stack.base, cookie, f"/api/{name}", f"/bench/bare/rm/{name}")
        check_same(stack.base, cookie, f"/api/{name}", f"/bench/bare/sql/{name}")
    rates, cost = side_by_side({"sql": "/bench/sql/timeline", "floor": "/bench/floor",
                                "floor:bare": "/bench/bare/floor"})
    sql, floor, bare = (median(rates[k]) for k in ("sql", "floor", "floor:bare"))
    rows = [row("Flask floor: a constant 20-post page, no data source", floor, "req/s", sql,
                "bound: ≥ 10× SQL needs this ≥ 10×", floor >= 10 * sql,
                f"{world_s}; baseline = GET /bench/sql/timeline in the same rounds; the same app, "
                f"hooks and cookie as /api/timeline; server CPU per request {cost['floor']:.2f} ms "
                f"(SQL page {cost['sql']:.2f} ms)", runs=rates["floor"]),
            row("Framework-free floor (plain WSGI, same page)", bare, "req/s", sql, "bound", None,
                f"same rounds; server CPU per request {cost['floor:bare']:.2f} ms",
                runs=rates["floor:bare"])]
    for name in ("timeline", "feed"):
        rates, cost = side_by_side({"sql": f"/bench/bare/sql/{name}", "rm": f"/bench/bare/rm/{name}"})
        value, base = median(rates["rm"]), median(rates["sql"])
        rows.append(row(f"Framework-free {name} page: read models vs SQL", value / base, "×", None,
                        "information (not the app's path)", None,
                        f"same wrapper for both (bench/sql_app.BareReads; JSON checked equal to "
                        f"/api/{name}): {value:,.0f} vs {base:,.0f} req/s; server CPU per request "
                        f"{cost['rm']:.2f} ms (web+Redis) vs {cost['sql']:.2f} ms (web+PostgreSQL)",
                        ratio=value / base, runs=rates["rm"], baseline_runs=rates["sql"]))
    return rows

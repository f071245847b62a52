"""§1 of issue 16: reads under write load, read models vs the same JSON by SQL from the write DB.

Layout as `./ripple prod` with 2 workers: one gunicorn (gevent) process takes the commands, a
SEPARATE gunicorn process serves the queries (`bench.sql_app:app`: Ripple's app + the bench-only
SQL twins of /api/timeline and /api/feed). World: bench.seed.make_world (bulk-loaded, projected by
the real projection functions). First the end-to-end maximum is measured (8 closed-loop HTTP
clients, as bench/commands.py); then, at 0 / 50 / 80 % of it, an open-loop command sender (this
process) and an open-loop reader at a FIXED offered rate (bench/loadgen.py, its own process;
timeline and feed in turn) run together; read models and SQL alternate, the order flipping
between load levels. CPU per process group from /proc. Run on PostgreSQL and on SQLite. Then,
on PostgreSQL at 50 % write load, closed-loop read capacity (wrk) of 1 vs 2 query processes.
"""
import os
import shutil
import threading
import time

import requests

from bench import loadgen, seed, world
from bench.clients import Listener, Poster, cpu_seconds, open_loop, users
from bench.commands import ripple_round
from bench.common import LOG_DIR, _pg_available, median
from bench.reads_load_rows import rows_of
from bench.cpu import CpuWindow, pg_backends, web_pids
from bench.reads import VIEWER, session_cookie, wrk
from backend.config import ProdConfig
from backend.prod import web_command
from tests.support import Proc, free_port, new_command, signup, wait_for

SIZES = {"full": (10_000, 100_000, 200_000, 200_000), "quick": (1_000, 10_000, 20_000, 20_000)}
LOADS = (0.0, 0.5, 0.8)
PATHS = {"rm": ("/api/timeline", "/api/feed"), "sql": ("/bench/sql/timeline", "/bench/sql/feed")}


def start_query_web(stack) -> str:
    """One more gunicorn process (one gevent worker) serving the queries; stopped with the stack."""
    port = free_port()
    args = web_command(ProdConfig(async_mode="gevent", threads=1100), port)[:-1]
    proc = Proc(args + ["bench.sql_app:app"], stack.env, LOG_DIR / f"query-{port}.log").start()
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: requests.get(base + "/healthz", timeout=2).ok, timeout=60, what="query web")
    stack.webs.append(proc)
    return base


class Commands:
    """An open-loop create_post sender (one author), each command timed submit -> the author's
    command_succeeded over Socket.IO."""

    def __init__(self, stack, author):
        self.stack, self.author = stack, author
        self.listener = Listener(stack.base, author, events=("command_succeeded",), rooms=())
        self.local = threading.local()

    def start(self, rate: float, seconds: float, start_at: float) -> threading.Thread:
        self.submitted, self.rate = {}, rate

        def send():
            if not hasattr(self.local, "poster"):
                self.local.poster = Poster(self.stack.base, self.author)
            cmd = new_command(body=f"load {time.perf_counter_ns()}")
            self.submitted[cmd["command_id"]] = time.perf_counter()
            self.local.poster.post_command(cmd)

        def go():
            time.sleep(max(0.0, start_at - time.time()))
            open_loop(rate, seconds, send)
        t = threading.Thread(target=go)
        t.start()
        return t

    def latencies(self) -> list[float]:
        with self.listener.cond:
            self.listener.cond.wait_for(
                lambda: all(c in self.listener.seen for c in self.submitted), timeout=120)
        return [(self.listener.seen[c] - t) * 1000 for c, t in self.submitted.items()
                if c in self.listener.seen]

    def close(self):
        self.listener.close()


def groups(stack, query_procs) -> dict:
    return {"web-commands": web_pids(stack.webs[:1]), "web-queries": web_pids(query_procs),
            "workers": [w.pid for w in stack.workers], "Redis": [stack.redis.proc.pid],
            "DB": pg_backends(stack.db.name), "load generators": [os.getpid()]}


def measure(stack, cmds, query_procs, urls, cookie, read_rate, cmd_rate, seconds) -> dict:
    """One window: open-loop reads at read_rate (+ commands at cmd_rate, if any)."""
    start_at = time.time() + 1.0
    reader = loadgen.spawn(urls, read_rate, seconds, cookie, start_at)
    sender = cmds.start(cmd_rate, seconds + 1.0, start_at - 0.5) if cmd_rate else None
    time.sleep(max(0.0, start_at - time.time()))
    with CpuWindow(groups(stack, query_procs)) as win:
        got = loadgen.collect(reader)
    if sender:
        sender.join()
    lat = cmds.latencies() if sender else []
    used = dict(win.used)
    used["load generators"] += got["cpu_s"]
    every = [x for v in got["latency_ms"].values() for x in v]
    return {"read": loadgen.summary(every),
            "by_path": {u.rsplit("/", 1)[1]: loadgen.summary(v) for u, v in got["latency_ms"].items()},
            "req_s": len(every) / got["elapsed_s"], "errors": got["errors"],
            "cmd": loadgen.summary(lat) | {"offered": cmd_rate},
            "cpu_cores": {k: v / win.wall for k, v in used.items()}}


def end_to_end_max(stack, quick: bool) -> tuple[float, list]:
    posters = users(stack.base, 8)
    listener = Listener(stack.base, signup(stack.base))
    try:
        ripple_round(stack, listener, posters, 40)
        n = 200 if quick else 1000
        return median([ripple_round(stack, listener, posters, n) for _ in range(1 if quick else 2)]), \
            posters
    finally:
        listener.close()


def run_db(quick: bool, prefer_pg: bool) -> tuple[list[dict], dict]:
    users_n, posts, likes, follows = SIZES["quick" if quick else "full"]
    # 100 req/s: ~⅙ of what one query process serves from SQL on a quiet machine (bench/reads.py), so
    # SQL is not saturated by the reads alone; 200 req/s was too much for SQL with the machine shared.
    seconds, read_rate = (4, 100) if quick else (8, 100)
    stack, took = world.seeded_stack(seed.make_world(users_n, posts, likes, follows), workers=2,
                                     prefer_pg=prefer_pg)
    try:
        stack.start_web()  # the command web process: Ripple's app:app
        qbase = start_query_web(stack)
        qprocs = stack.webs[1:]
        cookie = session_cookie(stack, VIEWER)
        max_rate, posters = end_to_end_max(stack, quick)
        cmds = Commands(stack, posters[0])
        kind = stack.db.kind
        out = {"db": kind, "max_cmd_s": max_rate, "read_rate": read_rate, "levels": {}}
        loadgen.collect(loadgen.spawn([qbase + p for p in PATHS["rm"] + PATHS["sql"]], 50, 2,
                                      cookie, 0))  # warm-up: connections, caches
        for i, level in enumerate(LOADS):
            cmd_rate = round(level * max_rate)
            sides = ("rm", "sql") if i % 2 == 0 else ("sql", "rm")
            out["levels"][level] = {side: measure(stack, cmds, qprocs, [qbase + p for p in PATHS[side]],
                                                  cookie, read_rate, cmd_rate, seconds)
                                    for side in sides}
            print(f"[reads-load] {kind} {level:.0%}: " + ", ".join(
                f"{s} p50/p99 {r['read']['p50']:.1f}/{r['read']['p99']:.1f} ms"
                for s, r in out["levels"][level].items()), flush=True)
        if stack.db.name and shutil.which("wrk"):
            out["scale"] = scale_out(stack, cmds, qbase, cookie, round(0.5 * max_rate),
                                     3 if quick else 8)
        cmds.close()
        return rows_of(out, took, seconds, quick), out
    finally:
        stack.close()


def scale_out(stack, cmds, qbase, cookie, cmd_rate, seconds) -> dict:
    """Closed-loop read capacity (wrk, /api/feed) with 1, then 2 query processes, commands at
    cmd_rate meanwhile; the command path (web, workers) is the same in both."""
    res = {}
    bases = [qbase]
    for n in (1, 2):
        if n == 2:
            bases.append(start_query_web(stack))
        start_at = time.time() + 0.5
        sender = cmds.start(cmd_rate, seconds + 1.0, start_at - 0.5)
        time.sleep(max(0.0, start_at - time.time()))
        before = cpu_seconds(web_pids(stack.webs[1:]))
        rate = wrk([b + "/api/feed" for b in bases], cookie, seconds, connections=32)
        used = cpu_seconds(web_pids(stack.webs[1:])) - before
        sender.join()
        lat = loadgen.summary(cmds.latencies())
        res[n] = {"req_s": rate, "query_cores": used / seconds, "cmd": lat, "cmd_offered": cmd_rate}
        print(f"[reads-load] {n} query process(es): {rate:,.0f} req/s; commands p50/p99 "
              f"{lat['p50']:.0f}/{lat['p99']:.0f} ms", flush=True)
    return res


def run(quick: bool = False) -> list[dict]:
    rows = []
    for prefer_pg in ((True, False) if _pg_available() else (False,)):
        rows += run_db(quick, prefer_pg)[0]
    return rows

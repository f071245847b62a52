"""§1 of issue 16: reads under write load, read models vs the same JSON by SQL from the write DB.

Layout as `./ripple prod` with 2 workers: one gunicorn (gevent) process takes the commands, a
SEPARATE gunicorn process serves the queries (`bench.sql_app:app`: Ripple's app + the bench-only
SQL twins of /api/timeline and /api/feed). World: bench.seed.make_world (bulk-loaded, projected by
the real projection functions). First the end-to-end maximum is measured (8 closed-loop HTTP
clients, as bench/commands.py); then, at 0 / 50 / 80 % of it, an open-loop command sender (this
process) runs for the whole level, and after a warm-up an open-loop reader at a FIXED offered rate
(bench/loadgen.py, its own process; timeline and feed in turn) reads in short windows, read models
and SQL alternating ABBA... (so a slow spell of a shared machine cannot pick one side), each side's
windows pooled. CPU per process group from /proc, plus the rest of the machine; the query
process's in-app time and GC pauses, the reader's send lag and Redis's latency monitor say where a
slow read waited. Run on PostgreSQL and on SQLite. Then, on PostgreSQL at 50 % write load,
closed-loop read capacity (wrk) of 1 vs 2 query processes.
"""
import os
import shutil
import time

import redis
import requests

from bench import loadgen, seed, world
from bench.clients import Listener, cpu_seconds, users
from bench.command_flow import Commands
from bench.commands import ripple_round
from bench.common import LOG_DIR, _pg_available
from bench.stats import median
from bench.reads_load_rows import rows_of
from bench.cpu import CpuWindow, pg_backends, web_pids
from bench.reads import VIEWER, session_cookie, wrk
from backend.config import ProdConfig
from backend.prod import web_command
from tests.support import Proc, free_port, signup, wait_for

SIZES = {"full": (10_000, 100_000, 200_000, 200_000), "quick": (1_000, 10_000, 20_000, 20_000)}
LOADS = (0.0, 0.5, 0.8)
# (rounds, seconds per window): each side gets rounds windows per level (ABBA order)
WINDOWS = {"full": (6, 3.0), "quick": (2, 2.0)}
READ_RATE = 100  # req/s offered: ~⅙ of what one query process serves from SQL (bench/reads.py)
# commands flow this long before a level's first read window, so that the windows see the steady
# state. (The 50 % level's first read-model window used to be its worst, 115-290 ms against 9-37:
# the reader's own gen-2 collection, ~100 ms, as it imported the whole app. See bench/loadgen.py.)
WARMUP_S, GAP_S = 10.0, 0.3
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


def groups(stack, query_procs, reader) -> dict:
    return {"web-commands": web_pids(stack.webs[:1]), "web-queries": web_pids(query_procs),
            "workers": [w.pid for w in stack.workers], "Redis": [stack.redis.proc.pid],
            "DB": pg_backends(stack.db.name), "load generators": [os.getpid(), reader.pid]}


def measure(stack, cmds, reader, urls, read_rate, cmd_rate, rounds, window_s, first) -> dict:
    """One load level: commands flow at cmd_rate (if any) the whole time; after a warm-up, reads
    at read_rate in short windows, read models and SQL in turn (ABBA..., see loadgen.window_order),
    each window its own CPU split. Both sides thus meet the same write load and the same spells of
    a noisy machine. Redis's own latency monitor watches for slow commands meanwhile."""
    r = redis.Redis.from_url(stack.redis.url)
    r.config_set("latency-monitor-threshold", 2)
    r.execute_command("LATENCY", "RESET")
    if cmd_rate:
        cmds.start(cmd_rate)
        time.sleep(WARMUP_S)  # the inbox and the workers in their steady state first
    windows, qprocs = [], stack.webs[1:2]
    for side in loadgen.window_order(tuple(urls), rounds, first):
        t0 = time.perf_counter()
        with CpuWindow(groups(stack, qprocs, reader)) as win:
            got = reader.window(urls[side], read_rate, window_s)
        windows.append(got | {"side": side, "span": (t0, time.perf_counter()), "cpu": win.used,
                              "wall": win.wall})
        time.sleep(GAP_S)
    cmds.stop()
    slow = {e[0].decode() if isinstance(e[0], bytes) else e[0]: e[3]
            for e in r.execute_command("LATENCY", "LATEST")}
    out = {}
    for side in urls:
        mine = [w for w in windows if w["side"] == side]
        res = loadgen.pool(windows, side)
        res["by_path"] = {u.rsplit("/", 1)[1]: v for u, v in res["by_path"].items()}
        wall = sum(w["wall"] for w in mine)
        res["cpu_cores"] = {k: sum(w["cpu"][k] for w in mine) / wall for k in mine[0]["cpu"]}
        lat = cmds.latencies([w["span"] for w in mine]) if cmd_rate else []
        res["cmd"] = loadgen.summary(lat) | {"offered": cmd_rate}
        if cmd_rate:  # sends not answered 202; accepted ones whose confirmation never came
            res["cmd"] |= {"send_errors": dict(cmds.errors), "unconfirmed": len(cmds.unconfirmed)}
        res["redis_slow_ms"] = slow  # the level's worst Redis event >= 2 ms, by kind
        out[side] = res
    return out


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
    rounds, window_s = WINDOWS["quick" if quick else "full"]
    stack, took = world.seeded_stack(seed.make_world(users_n, posts, likes, follows), workers=2,
                                     prefer_pg=prefer_pg)
    reader = cmds = None
    try:
        stack.start_web()  # the command web process: Ripple's app:app
        qbase = start_query_web(stack)
        cookie = session_cookie(stack, VIEWER)
        max_rate, posters = end_to_end_max(stack, quick)
        cmds, reader = Commands(stack, posters[0]), loadgen.Reader(cookie)
        kind = stack.db.kind
        out = {"db": kind, "max_cmd_s": max_rate, "read_rate": READ_RATE, "rounds": rounds,
               "window_s": window_s, "levels": {}}
        urls = {side: [qbase + p for p in paths] for side, paths in PATHS.items()}
        reader.window(urls["rm"] + urls["sql"], 50, 2)  # warm-up: connections, caches
        for i, level in enumerate(LOADS):
            out["levels"][level] = measure(stack, cmds, reader, urls, READ_RATE,
                                           round(level * max_rate), rounds, window_s, i % 2)
            lost = out["levels"][level]["rm"]["cmd"]
            if lost.get("send_errors") or lost.get("unconfirmed"):
                print(f"[reads-load] {kind} {level:.0%}: commands not answered 202: "
                      f"{lost['send_errors']}; accepted but unconfirmed: {lost['unconfirmed']}",
                      flush=True)
            print(f"[reads-load] {kind} {level:.0%}: " + ", ".join(
                f"{s} p50/p99 {r['read']['p50']:.1f}/{r['read']['p99']:.1f} ms "
                f"(windows' p99 {min(r['windows_p99']):.0f}–{max(r['windows_p99']):.0f})"
                for s, r in out["levels"][level].items()), flush=True)
        if stack.db.name and shutil.which("wrk"):
            out["scale"] = scale_out(stack, cmds, qbase, cookie, round(0.5 * max_rate),
                                     3 if quick else 8)
        return rows_of(out, took, window_s * rounds, quick), out
    finally:
        for part in (reader, cmds):
            if part:
                part.close()
        stack.close()


def scale_out(stack, cmds, qbase, cookie, cmd_rate, seconds) -> dict:
    """Closed-loop read capacity (wrk, /api/feed) with 1, then 2 query processes, commands at
    cmd_rate meanwhile; the command path (web, workers) is the same in both."""
    res = {}
    bases = [qbase]
    for n in (1, 2):
        if n == 2:
            bases.append(start_query_web(stack))
        cmds.start(cmd_rate)
        time.sleep(WARMUP_S)
        t0 = time.perf_counter()
        before = cpu_seconds(web_pids(stack.webs[1:]))
        rate = wrk([b + "/api/feed" for b in bases], cookie, seconds, connections=32)
        used = cpu_seconds(web_pids(stack.webs[1:])) - before
        t1 = time.perf_counter()
        cmds.stop()
        lat = loadgen.summary(cmds.latencies([(t0, t1)]))
        res[n] = {"req_s": rate, "query_cores": used / seconds, "cmd": lat, "cmd_offered": cmd_rate}
        print(f"[reads-load] {n} query process(es): {rate:,.0f} req/s; commands p50/p99 "
              f"{lat['p50']:.0f}/{lat['p99']:.0f} ms", flush=True)
    return res


def run(quick: bool = False) -> list[dict]:
    rows = []
    for prefer_pg in ((True, False) if _pg_available() else (False,)):
        rows += run_db(quick, prefer_pg)[0]
    return rows

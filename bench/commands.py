"""Benchmarks 1 and 2: end-to-end commands/s and submit -> confirmation latency, each side by side
with bare RQ running a no-op job on the same worker class (SimpleWorker), count and Redis.

1. Throughput: `clients` HTTP clients POST create_post commands as fast as they get 202s; the figure
   is n / (first send -> the n-th post_created received by a Socket.IO client watching the timeline).
   Baseline: the same clients enqueue n no-op jobs; n / (first enqueued_at -> last ended_at).
   Run with 1 worker and with 2 (the production default), bare RQ with as many.
2. Latency: an open-loop sender offers a fixed rate (50/s, 200/s, 80 % of the 2-worker maximum);
   submit (before the POST) -> the author's `command_succeeded` over Socket.IO. Baseline: a no-op
   job, enqueued_at -> ended_at, same rate.
"""
import threading
import time

from bench.clients import BareRQ, Listener, Poster, cpu_seconds, open_loop, post_burst, users
from bench.common import LOG_DIR, Stack, child_pids, postgres_pids, row
from bench.stats import median, percentile
from tests.support import new_command, signup

CLIENTS, WORKERS = 8, 2


def ripple_round(stack, listener, posters, n) -> float:
    with listener.cond:
        listener.seen.clear()
    t0 = post_burst(stack.base, posters, n)
    if not listener.wait_count(n, timeout=180):
        raise RuntimeError(f"only {len(listener.seen)} of {n} post_created arrived")
    return n / (max(listener.seen.values()) - t0)


def bare_round(bare, n) -> float:
    ids = bare.enqueue_burst(n, CLIENTS)
    bare.wait_finished(n, timeout=180)
    spans = bare.spans(ids)
    return n / (max(e for _, e in spans) - min(s for s, _ in spans))


def throughput(stack, bare, listener, posters, n, rounds) -> dict:
    ripple_round(stack, listener, posters, 40)  # warm-up: connections, caches, JIT-free paths
    bare_round(bare, 40)
    ripple, base, cpu, bare_cpu = [], [], {"workers": [], "web": [], "client": [], "data": []}, []
    bare_client, bare_data = [], []
    workers, web = [w.pid for w in stack.workers], child_pids(stack.web.pid)
    data = [stack.redis.proc.pid] + postgres_pids()  # Redis and PostgreSQL (the whole server)
    for _ in range(rounds):  # alternate, so both see the same machine
        before, client, store = cpu_seconds(bare.pids()), time.process_time(), cpu_seconds(data)
        base.append(bare_round(bare, n))
        bare_cpu.append((cpu_seconds(bare.pids()) - before) / n * 1000)
        bare_client.append((time.process_time() - client) / n * 1000)
        bare_data.append((cpu_seconds(data) - store) / n * 1000)
        before = {k: cpu_seconds(v) for k, v in (("workers", workers), ("web", web), ("data", data))}
        client = time.process_time()
        ripple.append(ripple_round(stack, listener, posters, n))
        for k, v in (("workers", workers), ("web", web), ("data", data)):
            cpu[k].append((cpu_seconds(v) - before[k]) / n * 1000)
        cpu["client"].append((time.process_time() - client) / n * 1000)
    return {"ripple": ripple, "bare": base, "cpu": {k: median(v) for k, v in cpu.items()},
            "bare_cpu": median(bare_cpu), "bare_client": median(bare_client),
            "bare_data": median(bare_data)}


def ripple_latency(stack, author, rate, seconds) -> list[float]:
    listener = Listener(stack.base, author, events=("command_succeeded",), rooms=())
    submitted, local = {}, threading.local()

    def send():
        if not hasattr(local, "poster"):
            local.poster = Poster(stack.base, author)
        cmd = new_command(body=f"latency {time.perf_counter_ns()}")
        submitted[cmd["command_id"]] = time.perf_counter()
        local.poster.post_command(cmd)

    n = open_loop(rate, seconds, send)
    listener.wait_count(n, timeout=120)
    listener.close()
    return [(listener.seen[c] - t) * 1000 for c, t in submitted.items() if c in listener.seen]


def bare_latency(bare, rate, seconds) -> list[float]:
    ids = []

    def send():
        ids.append(bare.queue.enqueue(bare.FUNC).id)

    n = open_loop(rate, seconds, send)
    bare.wait_finished(n, timeout=120)
    return [(e - s) * 1000 for s, e in bare.spans(ids)]


def run(quick: bool = False) -> list[dict]:
    """Throughput with 1 worker and with WORKERS (the production default), each against bare RQ
    with as many workers; the latencies with WORKERS."""
    rows = []
    for workers in (1, WORKERS):
        rows += _run(quick, workers, latency=workers == WORKERS)
    return rows


def _run(quick: bool, workers: int, latency: bool) -> list[dict]:
    n, rounds, seconds = (200, 1, 3) if quick else (1000, 5, 10)
    stack = Stack(workers=workers)
    bare = BareRQ(stack.redis.url, stack.env, workers, LOG_DIR)
    try:
        posters = users(stack.base, CLIENTS)
        listener = Listener(stack.base, signup(stack.base))
        tp = throughput(stack, bare, listener, posters, n, rounds)
        listener.close()
        max_rate = median(tp["ripple"])
        rows = [row(f"End-to-end commands/s, {workers} worker{'s' if workers > 1 else ''}", max_rate,
                    "cmd/s", median(tp["bare"]),
                    "≥ 1.0× bare RQ no-op", median(tp["ripple"]) >= median(tp["bare"]),
                    f"{n} create_post, {CLIENTS} HTTP clients, {workers} worker(s), gunicorn gevent "
                    f"×1, {stack.db.kind}; median of {rounds}; "
                    f"CPU per command: workers {tp['cpu']['workers']:.1f} ms + web "
                    f"{tp['cpu']['web']:.1f} ms, load generator {tp['cpu']['client']:.1f} ms, Redis + "
                    f"PostgreSQL {tp['cpu']['data']:.1f} ms (bare RQ: workers {tp['bare_cpu']:.1f} ms "
                    f"per job, load generator {tp['bare_client']:.1f} ms, Redis {tp['bare_data']:.1f} ms; "
                    f"{median(tp['bare']) / workers:.0f} no-op jobs/s per worker process)",
                    runs=tp["ripple"], baseline_runs=tp["bare"])]
        rates = (("50/s", 50.0), ("200/s", 200.0), ("80% max", round(0.8 * max_rate))) \
            if latency else ()
        for label, rate in rates:
            lat = ripple_latency(stack, posters[0], rate, seconds)
            base = bare_latency(bare, rate, seconds)
            cond = f"{rate:.0f} cmd/s offered for {seconds} s, {len(lat)} confirmed"
            p50, p99 = percentile(lat, 50), percentile(lat, 99)
            at50 = label == "50/s"
            plot = {"section": "e2e-latency", "offered": rate}  # for bench/plots.py
            rows.append(row(f"Latency p50 @{label}", p50, "ms", percentile(base, 50),
                            "≤ 20 ms" if at50 else "report", p50 <= 20 if at50 else None, cond,
                            pct="p50", **plot))
            rows.append(row(f"Latency p99 @{label}", p99, "ms", percentile(base, 99),
                            "≤ 100 ms" if at50 else "report", p99 <= 100 if at50 else None, cond,
                            pct="p99", **plot))
        return rows
    finally:
        bare.close()
        stack.close()

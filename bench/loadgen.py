"""An open-loop read load in a process of its own (so that its GIL and CPU are not the command
sender's), driven window by window: `Reader(cookie)` starts `python -m bench.loadgen --serve`;
`reader.window(urls, rate, seconds)` runs one window and returns what it saw.

In a window the URLs are GET in turn at a fixed offered rate, whatever the answers, over keep-alive
connections (http.client, one per thread; the threads and their connections live across windows).
Each latency runs from the request's SCHEDULED send time to its last byte, so a stalled server is
not hidden by a stalled sender (no coordinated omission). A window ends when every request of it
has been answered, so the next window (maybe the other side) never inherits its queue.

Also recorded per request: the send lag (actual send - scheduled: the client's own delay, or all
its threads busy) and the server's time inside the WSGI app (`X-Bench-App-Us`, bench/sql_app.py);
per window: the query process's GC pause time (`X-Bench-GC-Us`, cumulative) and achieved req/s.

The generator's own pauses would pass for the server's: it imports only the standard library and
bench.stats (not the app: with it, ~130,000 objects made one gen-2 collection a 98 ms stall in the
middle of a window), and it collects its garbage between windows, never inside one
(`no_gc_pauses`; reference counting still frees what a window drops).
"""
import argparse
import contextlib
import gc
import http.client
import json
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from urllib.parse import urlsplit

from bench.stats import percentile


STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


def achieved_rate(start: float, answered_at: list[float]) -> float:
    """Answers per second from the first scheduled send to the last answer."""
    return len(answered_at) / (max(answered_at) - start) if answered_at else 0.0


@contextlib.contextmanager
def no_gc_pauses():
    """No cyclic garbage collection inside the block; one full collection after it."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


def window_order(sides, rounds: int, first: int = 0) -> list:
    """ABBA...: the sides alternate, and the one that leads flips every round."""
    a, b = (sides[first], sides[1 - first])
    return [s for r in range(rounds) for s in ((a, b) if r % 2 == 0 else (b, a))]


def summary(values: list[float]) -> dict:
    if not values:
        return {"p50": None, "p90": None, "p99": None, "n": 0}
    return {"p50": percentile(values, 50), "p90": percentile(values, 90),
            "p99": percentile(values, 99), "n": len(values)}


def pool(windows: list[dict], side: str) -> dict:
    """One side's windows together: latency (pooled and each window's p99), req/s, diagnostics."""
    mine = [w for w in windows if w["side"] == side]
    paths = {u for w in mine for u in w["latency_ms"]}
    by_path = {u: [x for w in mine for x in w["latency_ms"].get(u, [])] for u in sorted(paths)}
    every = [x for v in by_path.values() for x in v]
    return {"read": summary(every), "by_path": {u: summary(v) for u, v in by_path.items()},
            "windows_p99": [summary([x for v in w["latency_ms"].values() for x in v])["p99"]
                            for w in mine],
            "req_s": sum(w["answered"] for w in mine) / max(1e-9, sum(w["span_s"] for w in mine)),
            "errors": sum(w["errors"] for w in mine), "gc_ms": sum(w["gc_ms"] for w in mine),
            "lag": summary([x for w in mine for x in w["lag_ms"]]),
            "app": summary([x for w in mine for x in w["app_ms"]])}


class _Window:
    def __init__(self, urls, rate, seconds, cookie, pool_):
        self.urls, self.rate, self.cookie, self.pool = urls, rate, cookie, pool_
        self.n = max(1, int(rate * seconds))
        self.lock, self.local = threading.Lock(), pool_.local
        self.latency = {u: [] for u in urls}
        self.lag, self.app, self.gc, self.done_at, self.errors = [], [], [], [], 0

    def get(self, url: str, scheduled: float):
        parts = urlsplit(url)
        conns = self.local.__dict__.setdefault("conns", {})
        conn = conns.get(parts.netloc) or http.client.HTTPConnection(parts.hostname, parts.port,
                                                                      timeout=30)
        conns[parts.netloc] = conn
        sent = time.perf_counter()
        for attempt in (1, 2):
            try:
                conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""),
                             headers={"Cookie": self.cookie})
                resp = conn.getresponse()
                resp.read()
                ok, app, gc = resp.status == 200, resp.getheader("X-Bench-App-Us"), \
                    resp.getheader("X-Bench-GC-Us")
                break
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                ok = False
                # a kept-alive connection the server closed while idle (gunicorn's keep-alive is
                # 2 s; the gaps between levels are longer): once more on a new one, as browsers do
                if attempt == 2 or not isinstance(exc, STALE):
                    conns.pop(parts.netloc, None)
                    break
        now = time.perf_counter()
        with self.lock:
            if not ok:
                self.errors += 1
                return
            self.latency[url].append((now - scheduled) * 1000)
            self.lag.append((sent - scheduled) * 1000)
            self.done_at.append(now)
            if app is not None:
                self.app.append(int(app) / 1000)
            if gc is not None:
                self.gc.append(int(gc) / 1000)

    def run(self) -> dict:
        futures, t0 = [], time.perf_counter()
        for i in range(self.n):
            scheduled = t0 + i / self.rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            futures.append(self.pool.submit(self.get, self.urls[i % len(self.urls)], scheduled))
        wait(futures)
        return {"latency_ms": self.latency, "errors": self.errors, "sent": self.n,
                "answered": len(self.done_at),
                "span_s": (max(self.done_at) - t0) if self.done_at else 0.0,
                "req_s": achieved_rate(t0, self.done_at), "lag_ms": self.lag, "app_ms": self.app,
                "gc_ms": (max(self.gc) - min(self.gc)) if self.gc else 0.0}


def serve(threads: int = 24) -> None:
    """One JSON window request per stdin line -> one JSON result per stdout line."""
    pool_ = ThreadPoolExecutor(threads)
    pool_.local = threading.local()
    gc.freeze()  # what the process holds from its start is never walked again
    for line in sys.stdin:
        ask = json.loads(line)
        cpu0 = time.process_time()
        with no_gc_pauses():
            got = _Window(ask["urls"], ask["rate"], ask["seconds"], ask["cookie"], pool_).run()
        got["cpu_s"] = time.process_time() - cpu0
        print(json.dumps(got), flush=True)


class Reader:
    """The load generator process, kept for many windows (its threads' connections stay warm)."""

    def __init__(self, cookie: str):
        self.cookie = cookie
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.loadgen", "--serve"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.pid = self.proc.pid

    def window(self, urls: list[str], rate: float, seconds: float) -> dict:
        self.proc.stdin.write(json.dumps({"urls": urls, "rate": rate, "seconds": seconds,
                                          "cookie": self.cookie}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"load generator died ({self.proc.poll()})")
        return json.loads(line)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(30)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--serve", action="store_true", required=True)
    ap.parse_args()
    serve()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

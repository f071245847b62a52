"""An open-loop read load in a process of its own (so that its GIL and CPU are not the command
sender's): `python -m bench.loadgen --rate 200 --seconds 10 --start-at T --cookie C URL [URL ...]`.

GETs the URLs in turn at a fixed offered rate, whatever the answers, over keep-alive connections
(http.client, one per thread). Each latency runs from the request's SCHEDULED send time to its
last byte, so a stalled server is not hidden by a stalled sender (no coordinated omission).
Prints one JSON object: {"latency_ms": {url: [...]}, "errors": n, "sent": n, "cpu_s": s}.
"""
import argparse
import http.client
import json
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from bench.common import percentile


def run(urls: list[str], rate: float, seconds: float, cookie: str, start_at: float,
        threads: int = 24) -> dict:
    local, lock = threading.local(), threading.Lock()
    latency, errors = {u: [] for u in urls}, [0]

    def get(url: str, scheduled: float):
        parts = urlsplit(url)
        conns = local.__dict__.setdefault("conns", {})
        conn = conns.get(parts.netloc) or http.client.HTTPConnection(parts.hostname, parts.port,
                                                                      timeout=30)
        conns[parts.netloc] = conn
        try:
            conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""),
                         headers={"Cookie": cookie})
            resp = conn.getresponse()
            resp.read()
            ok = resp.status == 200
        except (OSError, http.client.HTTPException):
            conn.close()
            conns.pop(parts.netloc, None)
            ok = False
        took = (time.perf_counter() - scheduled) * 1000
        with lock:
            if ok:
                latency[url].append(took)
            else:
                errors[0] += 1

    n = max(1, int(rate * seconds))
    time.sleep(max(0.0, start_at - time.time()))
    cpu0 = time.process_time()
    with ThreadPoolExecutor(threads) as pool:
        t0 = time.perf_counter()
        for i in range(n):
            scheduled = t0 + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(get, urls[i % len(urls)], scheduled)
    return {"latency_ms": latency, "errors": errors[0], "sent": n,
            "elapsed_s": time.perf_counter() - t0, "cpu_s": time.process_time() - cpu0}


def spawn(urls: list[str], rate: float, seconds: float, cookie: str, start_at: float):
    """Start the load generator in its own process; .communicate() gives its JSON."""
    return subprocess.Popen([sys.executable, "-m", "bench.loadgen", "--rate", str(rate),
                             "--seconds", str(seconds), "--start-at", str(start_at),
                             "--cookie", cookie, *urls], stdout=subprocess.PIPE, text=True)


def collect(proc) -> dict:
    out, _ = proc.communicate(timeout=600)
    if proc.returncode:
        raise RuntimeError(f"load generator failed ({proc.returncode})")
    return json.loads(out)


def summary(values: list[float]) -> dict:
    if not values:
        return {"p50": None, "p90": None, "p99": None, "n": 0}
    return {"p50": percentile(values, 50), "p90": percentile(values, 90),
            "p99": percentile(values, 99), "n": len(values)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=float, required=True)
    ap.add_argument("--seconds", type=float, required=True)
    ap.add_argument("--start-at", type=float, default=0.0)
    ap.add_argument("--cookie", default="")
    ap.add_argument("urls", nargs="+")
    args = ap.parse_args()
    print(json.dumps(run(args.urls, args.rate, args.seconds, args.cookie, args.start_at)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Exactly N requests, closed loop, by wrk (`counted(url, cookie, n)`): a Lua script counts the
answers and ends wrk at the N-th, so every cell of a grid gets the same number of requests (a
timed run gives the cheap cells more requests than the dear ones, and wrk's own req/s × seconds
is only an estimate of the count).

At most connections - 1 requests may still be in flight when wrk exits; the server finishes them,
so at most that many extra requests' CPU is counted (< 0.2 % at N = 2,000 with 4 connections).
"""
import os
import re
import subprocess
import tempfile
import time

SCRIPT = """
local limit, n, bad = tonumber(os.getenv("WRK_REQUESTS")), 0, 0
function response(status, headers, body)
  n = n + 1
  if status ~= 200 then bad = bad + 1 end
  if n >= limit then
    io.write(string.format("answered %d non-200 %d\\n", n, bad)); io.flush(); os.exit(0)
  end
end
"""
_path = None


def _script() -> str:
    global _path
    if _path is None:
        fd, _path = tempfile.mkstemp(prefix="ripple-bench-", suffix=".lua")
        with os.fdopen(fd, "w") as f:
            f.write(SCRIPT)
    return _path


def counted(url: str, cookie: str, n: int, connections: int = 4, cap_s: int = 120,
            cpus: set[int] | None = None) -> float:
    """GET `url` n times (wrk, one thread, on `cpus` if given); returns the wall seconds taken."""
    t = time.perf_counter()
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{cap_s}s", "-s", _script(),
                          "-H", f"Cookie: {cookie}", url], capture_output=True, text=True,
                         env=os.environ | {"WRK_REQUESTS": str(n)},
                         preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None
                         ).stdout
    took = time.perf_counter() - t
    m = re.search(r"answered (\d+) non-200 (\d+)", out)
    if not m or int(m.group(1)) != n or int(m.group(2)):
        raise RuntimeError(f"wrk did not get {n} good answers from {url}:\n{out}")
    return took

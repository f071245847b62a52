"""Benchmark 6: many live Socket.IO connections on ONE web process, and one broadcast to them all.

Server: gunicorn, one gevent worker process (`-k gevent`, simple-websocket), as `python -m
backend.prod` runs it. Clients: python-socketio AsyncClients (aiohttp) in this process, websocket
transport, all logged in (one user with many tabs: every tab joins the `user:<handle>` room).
A broadcast is emitted the way the worker emits (SocketIO(message_queue=REDIS_URL)) to that room;
latency = emit call -> arrival at each client, both clocks in this process. Baseline: the same
broadcast with a single client connected.
"""
import asyncio
import resource
import time

import socketio
from flask_socketio import SocketIO

from bench.common import Stack, row
from bench.stats import median, percentile
from tests.support import signup


def _raise_fd_limit(need: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, need), hard))


class Fleet:
    def __init__(self, base: str, cookie: str):
        self.base, self.cookie, self.clients, self.arrivals = base, cookie, [], {}

    async def connect(self, n: int, batch: int = 50) -> None:
        async def one():
            sio = socketio.AsyncClient(reconnection=False)
            sio.on("bench_broadcast", lambda m: self.arrivals.setdefault(m["n"], []).append(
                time.perf_counter()))
            await sio.connect(self.base, headers={"Cookie": self.cookie}, transports=["websocket"],
                              wait_timeout=30)
            self.clients.append(sio)
        for i in range(0, n, batch):
            await asyncio.gather(*(one() for _ in range(min(batch, n - i))))

    async def broadcast(self, emitter, room: str, n: int, timeout: float = 10.0) -> list[float]:
        """Emit once; wait for every client; return per-client latencies in ms."""
        loop = asyncio.get_running_loop()
        t0 = time.perf_counter()
        await loop.run_in_executor(None, lambda: emitter.emit("bench_broadcast", {"n": n}, to=room))
        end = time.monotonic() + timeout
        while len(self.arrivals.get(n, [])) < len(self.clients) and time.monotonic() < end:
            await asyncio.sleep(0.005)
        return [(t - t0) * 1000 for t in self.arrivals.get(n, [])]

    async def close(self):
        await asyncio.gather(*(c.disconnect() for c in self.clients), return_exceptions=True)


async def _measure(stack, clients: int, broadcasts: int) -> dict:
    user = signup(stack.base)
    cookie = "; ".join(f"{k}={v}" for k, v in user.cookies.items())
    room = f"user:{user.handle}"
    emitter = SocketIO(message_queue=stack.redis.url, channel="ripple-socketio")
    solo = Fleet(stack.base, cookie)
    await solo.connect(1)
    base = [median(await solo.broadcast(emitter, room, i)) for i in range(broadcasts)]
    await solo.close()
    fleet = Fleet(stack.base, cookie)
    t = time.perf_counter()
    await fleet.connect(clients)
    connect_s = time.perf_counter() - t
    await asyncio.sleep(1.0)  # let the connect burst settle
    runs = []
    for i in range(broadcasts):
        lat = await fleet.broadcast(emitter, room, 100 + i)
        runs.append({"got": len(lat), "p50": percentile(lat, 50) if lat else None,
                     "p99": percentile(lat, 99) if lat else None, "max": max(lat, default=None)})
        await asyncio.sleep(0.5)
    await fleet.close()
    return {"base": median(base), "runs": runs, "connected": len(fleet.clients),
            "connect_s": connect_s}


def run(quick: bool = False) -> list[dict]:
    clients, broadcasts = (1000, 2) if quick else (1000, 5)
    _raise_fd_limit(clients * 3 + 1000)
    # one member, one session, 1,000 sockets: the per-member/session caps are raised for this run
    stack = Stack(workers=0, RIPPLE_SOCKETS_PER_MEMBER=clients, RIPPLE_SOCKETS_PER_SESSION=clients)
    try:
        res = asyncio.run(_measure(stack, clients, broadcasts))
    finally:
        stack.close()
    runs = res["runs"]
    all_got = all(r["got"] == clients for r in runs)
    p99 = median([r["p99"] for r in runs if r["p99"] is not None])
    return [row(f"Broadcast to {clients} live Socket.IO clients, p99", p99, "ms", res["base"],
                "≥ 1,000 clients, all reached, p99 ≤ 1000 ms",
                all_got and clients >= 1000 and p99 <= 1000,
                f"one gunicorn gevent process; {res['connected']} websocket clients connected in "
                f"{res['connect_s']:.1f} s; median of {broadcasts} broadcasts "
                f"(max {max(r['max'] for r in runs):.0f} ms, all reached: {all_got}); "
                f"baseline = same broadcast to 1 client", runs=runs)]

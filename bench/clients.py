"""Load-generating clients for the command benchmarks: HTTP senders, Socket.IO listeners, bare RQ.

Times are time.perf_counter() in this process, so every latency compares two clocks of one process.
"""
import http.client
import json
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import redis
import requests
import socketio
from rq import Queue
from rq.job import Job
from rq.registry import FinishedJobRegistry
from rq.serializers import JSONSerializer

from tests.support import PYTHON, Proc, new_command, signup, wait_for


class Listener:
    """A logged-in Socket.IO client recording when each message (by command_id) first arrives."""

    def __init__(self, base: str, session: requests.Session, events=("post_created",),
                 rooms=("timeline",)):
        self.seen: dict[str, float] = {}
        self.cond = threading.Condition()
        self.sio = socketio.Client(reconnection=False)
        for name in events:
            self.sio.on(name, self._record)
        cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
        self.sio.connect(base, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=10)
        if rooms:
            self.sio.call("watch", {"rooms": list(rooms)}, timeout=10)

    def _record(self, msg):
        now = time.perf_counter()
        with self.cond:
            self.seen.setdefault(msg.get("command_id"), now)
            self.cond.notify_all()

    def wait_count(self, n: int, timeout: float) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: len(self.seen) >= n, timeout)

    def close(self):
        self.sio.disconnect()


class Poster:
    """One user's keep-alive HTTP/1.1 connection (http.client): the load generator shares the 2 cores
    with the servers it measures, and costs about half the CPU per request of `requests`."""

    def __init__(self, base: str, session: requests.Session):
        url = urlsplit(base)
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        self.headers = {"Content-Type": "application/json",
                        "Cookie": "; ".join(f"{k}={v}" for k, v in session.cookies.items())}

    def post_command(self, cmd: dict) -> None:
        self.conn.request("POST", "/api/commands", body=json.dumps(cmd), headers=self.headers)
        resp = self.conn.getresponse()
        body = resp.read()
        if resp.status != 202:
            raise AssertionError(f"{resp.status}: {body[:200]!r}")

    def close(self):
        self.conn.close()


def post_burst(base: str, sessions: list, n: int) -> float:
    """Each session POSTs its share of n create_post commands as fast as it can (closed loop), over
    its own keep-alive connection. Returns the perf_counter time of the first send."""
    start = threading.Barrier(len(sessions) + 1)

    def run(session, count):
        poster = Poster(base, session)
        start.wait()
        for _ in range(count):
            poster.post_command(new_command(body=f"bench {uuid.uuid4().hex}"))
        poster.close()

    threads = [threading.Thread(target=run, args=(s, n // len(sessions) + (i < n % len(sessions))))
               for i, s in enumerate(sessions)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return t0


def open_loop(rate: float, seconds: float, send, pool_size: int = 32) -> int:
    """Call send() at a fixed offered rate (independent of answers), for `seconds`. Returns count."""
    n = max(1, int(rate * seconds))
    with ThreadPoolExecutor(pool_size) as pool:
        t0 = time.perf_counter()
        for i in range(n):
            delay = t0 + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(send)
    return n


def users(base: str, count: int) -> list[requests.Session]:
    return [signup(base) for _ in range(count)]


class BareRQ:
    """The baseline: stock `rq worker -w rq.worker.SimpleWorker` processes and a no-op job."""

    FUNC = "bench.noop.noop"

    def __init__(self, redis_url: str, env: dict, workers: int, log_dir):
        self.name = f"bench-noop-{uuid.uuid4().hex[:6]}"
        self.conn = redis.Redis.from_url(redis_url)
        self.queue = Queue(self.name, connection=self.conn, serializer=JSONSerializer)
        args = [str(Path(PYTHON).parent / "rq"), "worker", "-w", "rq.worker.SimpleWorker",
                "-S", "json", "-u", redis_url, "--logging_level", "WARNING", self.name]
        self.finished = 0  # jobs finished so far (the registry only grows)
        self.procs = [Proc(args, env, log_dir / f"rq-{self.name}-{i}.log").start()
                      for i in range(workers)]
        wait_for(lambda: len(self._workers()) == workers, timeout=30, what="bare rq workers")

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def _workers(self):
        from rq import Worker
        return Worker.all(queue=self.queue)

    def enqueue_burst(self, n: int, clients: int) -> list[str]:
        ids = [str(uuid.uuid4()) for _ in range(n)]
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(lambda i: self.queue.enqueue(self.FUNC, job_id=i), ids))
        return ids

    def enqueue_one(self) -> None:
        self.queue.enqueue(self.FUNC)

    def wait_finished(self, n: int, timeout: float) -> None:
        """Until n more jobs have finished."""
        reg, self.finished = FinishedJobRegistry(queue=self.queue), self.finished + n
        wait_for(lambda: reg.count >= self.finished, timeout=timeout, interval=0.01,
                 what="no-op jobs")

    def spans(self, ids=None) -> list[tuple[float, float]]:
        """(enqueued_at, ended_at) of finished jobs, as epoch seconds from RQ's own records."""
        ids = ids or FinishedJobRegistry(queue=self.queue).get_job_ids()
        jobs = Job.fetch_many(ids, connection=self.conn, serializer=JSONSerializer)
        return [(j.enqueued_at.timestamp(), j.ended_at.timestamp()) for j in jobs if j and j.ended_at]

    def close(self):
        for p in self.procs:
            p.stop()


def cpu_seconds(pids) -> float:
    """User+system CPU seconds used so far by these processes (from /proc)."""
    total = 0.0
    for pid in pids:
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / _CLK
        except (OSError, IndexError):
            pass
    return total


_CLK = int(subprocess.run(["getconf", "CLK_TCK"], capture_output=True, text=True).stdout or 100)

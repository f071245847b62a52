"""A Ripple stack the fault tests may break: private redis-server, write DB, web server, N workers.

Every process is real and started here; every one is stopped here by its PID. `close()` also looks
for any process still carrying this stack's REDIS_URL (e.g. an RQ scheduler orphaned by a SIGKILLed
worker) and fails the test if it finds one, after killing it.
"""
import itertools
import os
import signal
from pathlib import Path

from backend.write.command_queue import depth, put_commands
from backend.config import Config
from backend.read.projections import CHECKPOINT
from backend.services import build_services
from tests.support import (PYTHON, Proc, RedisServer, init_db, process_env, sqlite_url, start_web,
                           wait_for)


class FaultStack:
    def __init__(self, tmp_dir, database_url: str | None = None, workers: int = 1, web: bool = True):
        self.tmp_dir = Path(tmp_dir)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        self.redis_server = RedisServer().start()
        self.database_url = database_url or sqlite_url(tmp_dir)
        self.env = process_env(self.redis_server.url, self.database_url)
        init_db(self.env)
        self.svc = build_services(Config(redis_url=self.redis_server.url,
                                         database_url=self.database_url, secret_key="x",
                                         ratelimit_enabled=False, testing=True))
        self.r = self.svc.redis
        self._names = itertools.count(1)
        self.workers: list[Proc] = []
        self.web, self.base = (start_web(self.env, tmp_dir) if web else (None, None))
        for _ in range(workers):
            self.start_worker()

    # ---- workers ---------------------------------------------------------------------------------
    def start_worker(self) -> Proc:
        name = f"w{next(self._names)}"
        proc = Proc([PYTHON, "-m", "worker", "--name", name], self.env,
                    self.tmp_dir / f"worker-{name}.log").start()
        proc.rq_name = f"{name}-{proc.pid}"  # what `python -m worker --name` registers with RQ
        self.workers.append(proc)
        return proc

    def kill_worker(self, proc: Proc) -> None:
        """SIGKILL: no handler runs, nothing is cleaned up (a crash, an OOM kill, a lost machine)."""
        proc.proc.send_signal(signal.SIGKILL)
        proc.proc.wait(10)
        proc.log.close()
        self.workers.remove(proc)

    def stop_workers(self) -> None:
        for proc in list(self.workers):
            proc.stop()
            self.workers.remove(proc)

    def wait_workers_ready(self, timeout=60.0) -> None:
        """Every running worker has registered with RQ (so jobs do not wait on a cold start)."""
        def ready():
            names = {w.decode() for w in self.svc.rq_redis.smembers("rq:workers")}
            return all(f"rq:worker:{w.rq_name}" in names for w in self.workers)
        wait_for(ready, timeout=timeout, what="workers registered")

    # ---- redis and web ---------------------------------------------------------------------------
    def restart_redis_empty(self) -> None:
        """Kill redis-server and start a new, empty one on the same port (nothing was on disk)."""
        self.redis_server.stop(signal.SIGKILL)
        self.redis_server.start()

    def restart_web(self, between=None) -> None:
        """Stop the web server, run `between()` while it is down, start it again on its port."""
        port = int(self.base.rsplit(":", 1)[1])
        self.web.stop()
        if between:
            between()
        self.web, self.base = start_web(self.env, self.tmp_dir, port=port)

    # ---- queue access (what a web process does) --------------------------------------------------
    def enqueue(self, *envelopes: dict) -> None:
        """Put `envelopes` in the command inbox, exactly as a web process does."""
        put_commands(self.svc.queue, self.svc.redis, list(envelopes), self.svc.config.job_timeout_s)

    def queued_commands(self) -> int:
        """Commands in the inbox: waiting, or read by a drain job and not yet acknowledged."""
        return depth(self.r)

    def queue_idle(self) -> bool:
        """No command left in the inbox and no drain job waiting (RQ's started registry may still
        name a killed worker's job until RQ's own cleanup: it holds no command)."""
        return self.queued_commands() == 0 and self.svc.queue.count == 0

    def log_head(self) -> int:
        with self.svc.engine.connect() as conn:
            return int(conn.exec_driver_sql("SELECT seq FROM log_head WHERE id = 1").scalar())

    def projected(self) -> bool:
        return int(self.r.get(CHECKPOINT) or -1) == self.log_head()

    # ---- teardown --------------------------------------------------------------------------------
    def leftover_pids(self) -> list[int]:
        """PIDs of live processes (not redis itself) started with this stack's REDIS_URL."""
        needle = f"REDIS_URL={self.redis_server.url}".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                if needle in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
        return found

    def close(self) -> list[int]:
        """Stop everything; return the PIDs of orphans that had to be killed (should be none)."""
        self.stop_workers()
        if self.web:
            self.web.stop()
        orphans = wait_for_orphans(self)
        for pid in orphans:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.redis_server.stop()
        self.svc.engine.dispose()
        return orphans


def wait_for_orphans(stack: FaultStack, grace_s: float = 5.0) -> list[int]:
    """Leftover processes after a short grace (a scheduler told to stop takes ~1 s to exit)."""
    try:
        wait_for(lambda: not stack.leftover_pids(), timeout=grace_s, interval=0.2, what="no orphans")
    except TimeoutError:
        pass
    return stack.leftover_pids()


def settle(predicate, timeout: float, what: str) -> bool:
    """wait_for that answers False instead of raising, so a test can report its figures first."""
    try:
        wait_for(predicate, timeout=timeout, interval=0.2, what=what)
        return True
    except TimeoutError:
        return False

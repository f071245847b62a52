"""What every benchmark needs: a private Redis, a fresh write DB, Ripple's production processes,
and the shape of a result row (percentiles and medians: bench/stats.py). Everything listens on
127.0.0.1 only.
"""
import os
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from backend.config import ProdConfig
from backend.prod import web_command, worker_command
from tests.support import (PYTHON, ROOT, Proc, RedisServer, free_port, init_db, process_env,
                           sqlite_url, wait_for)

PG_URL = os.environ.get("RIPPLE_BENCH_PG_URL",
                        os.environ.get("RIPPLE_TEST_PG_URL",
                                       "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
LOG_DIR = Path(tempfile.gettempdir()) / "ripple-bench"


def row(figure, value, unit, baseline=None, target="", met=None, conditions="", ratio=None,
        **extra) -> dict:
    """One line of the table. `ratio` defaults to value / baseline."""
    if ratio is None and baseline:
        ratio = value / baseline
    return {"figure": figure, "value": value, "unit": unit, "baseline": baseline, "ratio": ratio,
            "target": target, "met": met, "conditions": conditions, **extra}


def settle(r, timeout: float = 60.0) -> None:
    """Wait until Redis has freed what UNLINK / FLUSHDB ASYNC handed to its lazy-free thread: that
    thread takes a core (and counts in Redis's CPU) for seconds after a big key space is dropped,
    and must not run inside the next measurement."""
    end = time.monotonic() + timeout
    while int(r.info("memory").get("lazyfree_pending_objects", 0)) and time.monotonic() < end:
        time.sleep(0.05)


class WriteDB:
    """A fresh PostgreSQL database (dropped on close), or a temp SQLite file if none answers."""

    def __init__(self, prefer_pg: bool = True):
        self.name = None
        if prefer_pg and _pg_available():
            self.name = f"ripple_bench_{uuid.uuid4().hex[:10]}"
            with _admin().connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{self.name}"'))
            self.url = sa.engine.make_url(PG_URL).set(database=self.name).render_as_string(
                hide_password=False)
        else:
            self.url = sqlite_url(tempfile.mkdtemp(prefix="ripple-bench-db-"))
        self.kind = "PostgreSQL" if self.name else "SQLite"

    def close(self):
        if self.name:
            with _admin().connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))


def _admin():
    return sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def _pg_available() -> bool:
    try:
        with _admin().connect():
            return True
    except Exception:  # noqa: BLE001
        return False


class Stack:
    """Ripple as in production: gunicorn (one gevent process) + `python -m worker` processes."""

    def __init__(self, workers: int = 2, prefer_pg: bool = True, async_mode: str = "gevent",
                 start_web: bool = True, root=None, **env_extra):
        """`root`: run the web and worker processes from another checkout (bench/designs.py)."""
        LOG_DIR.mkdir(exist_ok=True)
        self.root = root or ROOT
        self.redis = RedisServer().start()
        self.db = WriteDB(prefer_pg)
        self.env = process_env(self.redis.url, self.db.url, RIPPLE_ASYNC_MODE=async_mode,
                               **env_extra)
        init_db(self.env)
        self.async_mode, self.web, self.workers, self.webs, self.bases = async_mode, None, [], [], []
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        if start_web:
            self.start_web()
        for _ in range(workers):
            self.add_worker()

    def start_web(self, threads: int = 1100, target: str = "app:app", processes: int = 1):
        """`processes` gunicorn servers (one worker process each, as backend.prod lays them out)."""
        import requests
        prod = ProdConfig(async_mode=self.async_mode, threads=threads)
        ports = [self.port] + [free_port() for _ in range(processes - 1)]
        for port in ports:
            args = web_command(prod, port)[:-1] + [target]
            self.webs.append(Proc(args, self.env, LOG_DIR / f"web-{port}.log", self.root).start())
            self.bases.append(f"http://127.0.0.1:{port}")
        for base in self.bases:
            wait_for(lambda b=base: requests.get(b + "/healthz", timeout=2).ok, timeout=60,
                     what="gunicorn")
        self.web = self.webs[0]

    def add_worker(self):
        self.workers.append(Proc(worker_command(ProdConfig.from_env()), self.env,
                                 LOG_DIR / f"worker-{uuid.uuid4().hex[:6]}.log", self.root).start())

    def close(self):
        for w in self.workers:
            w.stop()
        for web in self.webs:
            web.stop()
        self.redis.stop()
        self.db.close()


def child_pids(pid: int) -> list[int]:
    """The direct children of a process (gunicorn's worker under its master)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def postgres_pids() -> list[int]:
    """Every PostgreSQL server process on this machine (their CPU, for a rough per-request cost)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as f:
                    if f.read().strip() in ("postgres", "postmaster"):
                        pids.append(int(entry))
            except OSError:
                pass
    return pids

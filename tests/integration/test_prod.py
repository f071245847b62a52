"""Production processes: `./ripple prod` (backend/prod.py on supervisord) and the Procfile (honcho).

Real programs throughout: supervisord, gunicorn, RQ workers, honcho, a private redis-server and a
fresh SQLite file per test (the PostgreSQL layout is tests/integration/test_scale_out.py)."""
import os
import re
import signal
import socket
import subprocess
import uuid
from pathlib import Path

import pytest
import redis
import requests
from rq import Worker
from sqlalchemy import create_engine

from backend.config import ProdConfig
from backend.write import schema
from tests.support import (PYTHON, ROOT, Proc, RedisServer, free_port, new_command, process_env,
                           signup, sqlite_url, wait_for)


@pytest.fixture
def redis_url():
    server = RedisServer().start()
    yield server.url
    server.stop()


def prod_env(redis_url, tmp_path, **extra):
    return process_env(redis_url, sqlite_url(tmp_path), RIPPLE_RUN_DIR=tmp_path / "run",
                       WEB_PORT=free_port(), WEB_PROCESSES=1, RQ_WORKERS=1,
                       RIPPLE_SECURE_COOKIES="0", **extra)  # plain HTTP: cookies not Secure


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"  # not a zombie either


def worker_pids(redis_url) -> set[int]:
    return {w.pid for w in Worker.all(connection=redis.Redis.from_url(redis_url))}


def post_and_wait(base: str) -> None:
    """A real command through the web process and an RQ worker, to `succeeded`."""
    author = signup(base)
    cmd = new_command(body=f"hello {uuid.uuid4().hex[:6]}")
    assert author.post(f"{base}/api/commands", json=cmd, timeout=10).status_code == 202
    wait_for(lambda: author.get(f"{base}/api/commands/{cmd['command_id']}", timeout=5)
             .json().get("status") == "succeeded", timeout=30, what="command applied")


@pytest.mark.parametrize("launcher", [[PYTHON, "-m", "backend.prod"], ["bash", "ripple", "prod"]])
def test_prod_refuses_to_start_without_a_secret_key(launcher, redis_url, tmp_path):
    env = prod_env(redis_url, tmp_path)
    del env["SECRET_KEY"]
    done = subprocess.run(launcher, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "SECRET_KEY is not set: refusing to start" in done.stderr
    assert not (tmp_path / "run").exists()  # nothing was started


def test_prod_migrates_restarts_a_killed_child_and_stops_cleanly(redis_url, tmp_path):
    env = prod_env(redis_url, tmp_path)
    prod = Proc([PYTHON, "-m", "backend.prod"], env, tmp_path / "prod.log").start()
    base = f"http://127.0.0.1:{env['WEB_PORT']}"
    try:
        wait_for(lambda: requests.get(base + "/healthz", timeout=2).ok, timeout=60, what="web")
        engine = create_engine(env["DATABASE_URL"])
        with engine.connect() as conn:
            assert schema.current(conn) == schema.head()  # migrated before anything started
        engine.dispose()
        (first,) = wait_for(lambda: worker_pids(redis_url), what="a registered worker")
        niced = os.getpriority(os.PRIO_PROCESS, first) - os.getpriority(os.PRIO_PROCESS, 0)
        assert niced == min(ProdConfig().worker_nice, 19 - os.getpriority(os.PRIO_PROCESS, 0)) > 0
        os.kill(first, signal.SIGKILL)
        wait_for(lambda: worker_pids(redis_url) - {first}, timeout=30, what="a new worker")
        post_and_wait(base)  # the replacement serves the queue
        children = [int(p) for p in re.findall(r"spawned: '(?:web|worker)\S*' with pid (\d+)",
                                               (tmp_path / "prod.log").read_text())]
        prod.proc.send_signal(signal.SIGTERM)
        assert prod.proc.wait(40) == 0
        assert not any(alive(pid) for pid in children)
        assert "stopped (supervisord exit status 0)" in (tmp_path / "prod.log").read_text()
    finally:
        prod.stop(timeout=20)


def test_a_child_that_cannot_start_is_retried_then_prod_stops_with_an_error(redis_url, tmp_path):
    # a failed start is one within 60 s, so that a slow gunicorn on a loaded machine still counts
    env = prod_env(redis_url, tmp_path, RIPPLE_START_RETRIES=1, RIPPLE_START_SECS=60)
    with socket.socket() as taken:  # the web process's port is busy: gunicorn cannot bind
        taken.bind(("127.0.0.1", int(env["WEB_PORT"])))
        taken.listen()
        prod = Proc([PYTHON, "-m", "backend.prod"], env, tmp_path / "prod.log").start()
        try:
            assert prod.proc.wait(180) == 1
        finally:
            prod.stop()
    log = (tmp_path / "prod.log").read_text()
    assert len(re.findall(r"spawned: 'web-\d+'", log)) == 2  # the first try and one retry
    assert "entered FATAL state, too many start retries too quickly" in log
    worker = int(re.search(r"spawned: 'worker-0' with pid (\d+)", log).group(1))
    assert not alive(worker)  # the whole launcher stopped, not just the web process


def test_the_procfile_runs_under_honcho(redis_url, tmp_path):
    port = free_port()
    env = process_env(redis_url, sqlite_url(tmp_path))
    env["PATH"] = f"{Path(PYTHON).parent}{os.pathsep}{env['PATH']}"
    honcho = Proc([PYTHON, "-m", "honcho", "start", "-p", str(port)], env,
                  tmp_path / "honcho.log").start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: requests.get(base + "/healthz", timeout=2).ok, timeout=60, what="web")
        post_and_wait(base)
        honcho.proc.send_signal(signal.SIGTERM)
        honcho.proc.wait(40)
        with pytest.raises(requests.ConnectionError):
            requests.get(base + "/healthz", timeout=2)
        wait_for(lambda: not worker_pids(redis_url), timeout=10, what="worker unregistered")
    finally:
        honcho.stop(timeout=20)

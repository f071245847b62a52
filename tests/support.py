"""Real processes for the tests: a private redis-server, the web server and RQ workers.

Nothing is mocked: each helper starts the real program on a free port and stops it by its PID.
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import redis
import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def _die_with_parent() -> None:
    """preexec_fn: the child gets SIGKILL when the test process dies (no orphan servers after a
    killed or timed-out run). Linux only; elsewhere a no-op."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout=15.0, interval=0.05, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            value = predicate()
            if value:
                return value
        except Exception:  # noqa: BLE001 -- not ready yet
            pass
        time.sleep(interval)
    raise TimeoutError(f"timed out waiting for {what}")


class RedisServer:
    """A private redis-server (nothing on disk) that tests may kill and restart empty."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix="ripple-redis-")
        self.proc = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir, "--maxclients", "4000"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        wait_for(lambda: redis.Redis(port=self.port).ping(), what="redis-server")
        return self

    def stop(self, sig=signal.SIGKILL) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(10)
        self.proc = None


def sqlite_url(tmp_dir) -> str:
    return f"sqlite:///{Path(tmp_dir) / f'ripple-{uuid.uuid4().hex[:8]}.db'}"


def process_env(redis_url: str, database_url: str, **extra) -> dict:
    env = dict(os.environ)
    env.update(REDIS_URL=redis_url, DATABASE_URL=database_url, RIPPLE_RATELIMIT="0",
               SECRET_KEY="test-secret-key", PYTHONUNBUFFERED="1")
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Proc:
    """A child process (web server or worker) with its log file; stop() kills it by PID."""

    def __init__(self, args, env, log_path, cwd=ROOT):
        self.args, self.env, self.log_path, self.cwd = args, env, log_path, cwd
        self.proc = None

    def start(self) -> "Proc":
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.args, cwd=self.cwd, env=self.env, stdout=self.log,
                                     stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        return self

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=10) -> None:
        if self.alive():
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


def start_worker(env, log_dir, name=None) -> Proc:
    args = [PYTHON, "-m", "worker"] + (["--name", name] if name else [])
    return Proc(args, env, Path(log_dir) / f"worker-{name or uuid.uuid4().hex[:6]}.log").start()


def start_web(env, log_dir, port=None) -> tuple[Proc, str]:
    port = port or free_port()
    env = dict(env, PORT=str(port))
    proc = Proc([PYTHON, "app.py"], env, Path(log_dir) / f"web-{port}.log").start()
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: requests.get(base + "/api/timeline", timeout=1).ok, timeout=30, what="web server")
    return proc, base


def init_db(env) -> None:
    subprocess.run([PYTHON, "-m", "flask", "--app", "app", "init-db"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


PASSWORD = "password123"


def new_handle() -> str:
    return f"u{uuid.uuid4().hex[:10]}"


def new_command(ctype="create_post", command_id=None, **payload) -> dict:
    """The one command builder: the body of POST /api/commands (a fresh command_id unless given)."""
    return {"command_id": command_id or str(uuid.uuid4()), "type": ctype, "payload": payload}


def envelope(author: str, ctype="create_post", command_id=None, **payload) -> dict:
    """The one envelope builder: what the web side puts in the command inbox (command + author)."""
    return new_command(ctype, command_id, **payload) | {"author": author}


def sign_up(client, handle: str | None = None, base: str = "", password=PASSWORD):
    """The one sign-up: POST /api/signup with `client` -- a Flask test client, or a
    requests.Session against a running server at `base` -- which then holds the session cookie.
    Returns the client, with .handle set."""
    handle = handle or new_handle()
    extra = {"timeout": 15} if base else {}
    r = client.post(f"{base}/api/signup", json={"handle": handle, "password": password}, **extra)
    assert r.status_code == 201, r.text
    client.handle = handle
    return client


def signup(base: str, handle: str | None = None, password=PASSWORD) -> requests.Session:
    """A logged-in HTTP session on a running server (same cookie a browser gets)."""
    return sign_up(requests.Session(), handle, base, password)


def read_models_snapshot(r, prefix="ripple:", skip=("ripple:command:", "ripple:projector-lock")):
    """The one read-model dumper: every key with its type-aware value, {key: (type, value)}.
    Command outcomes and the projector lock are left out (not read models of the event log).
    `r` must decode responses."""
    readers = {"string": r.get, "hash": r.hgetall, "list": lambda k: r.lrange(k, 0, -1),
               "set": lambda k: sorted(r.smembers(k)),
               "zset": lambda k: r.zrange(k, 0, -1, withscores=True)}
    snap = {}
    for key in r.scan_iter(prefix + "*", count=1000):
        if key.startswith(skip):
            continue
        kind = r.type(key)
        if kind == "none":  # gone since the scan
            continue
        assert kind in readers, f"unexpected {kind} at {key}"
        snap[key] = (kind, readers[kind](key))
    return snap


class CommandClients:
    """Users with their own logged-in Flask test clients: `do` sends (user, type, payload) commands
    through POST /api/commands, runs the real RQ worker, and returns their recorded outcomes."""

    def __init__(self, app, run_worker, *handles):
        self.run_worker = run_worker
        self.clients = {handle: sign_up(app.test_client(), handle) for handle in handles}

    def do(self, *commands) -> list[dict]:
        sent = []
        for user, ctype, payload in commands:
            cmd = new_command(ctype, **payload)
            r = self.clients[user].post("/api/commands", json=cmd)
            assert r.status_code == 202, r.get_json()
            sent.append((user, cmd["command_id"]))
        self.run_worker()
        return [self.clients[u].get(f"/api/commands/{cid}").get_json() for u, cid in sent]


def logged_in_page(context, handle: str | None = None):
    """A new page in a Playwright browser context whose cookie belongs to a freshly signed-up user;
    page.handle is the user, page.errors collects uncaught page errors."""
    handle = handle or new_handle()
    r = context.request.post("/api/signup", data={"handle": handle, "password": PASSWORD})
    assert r.status == 201, r.text()
    page = context.new_page()
    page.handle, page.errors = handle, []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    return page

"""`python -m backend.prod` (what `./ripple prod` runs): Ripple's production process layout.

- WEB_PROCESSES gunicorn servers on WEB_PORT, WEB_PORT+1, ... each with ONE worker process
  (Flask-SocketIO needs every request of a Socket.IO session on the same process: put a sticky load
  balancer in front, or use websocket-only clients). Worker class: gevent (`-k gevent`, monkey-patched
  by gunicorn before the app is imported; simple-websocket serves the websockets), or with
  RIPPLE_ASYNC_MODE=threading `-k gthread --threads WEB_THREADS`.
- RQ_WORKERS command workers (`python -m worker`, SimpleWorker: no fork per job).
- DATABASE_URL (PostgreSQL in production), REDIS_URL (queue, read models, Socket.IO message queue).

The schema is created first (idempotent). A child that dies is restarted after a short pause;
SIGTERM/SIGINT stop every child (workers finish their current job) and then this process exits.
"""
import os
import signal
import subprocess
import sys
import time

from backend.config import ROOT, Config, ProdConfig

RESTART_PAUSE_S = 2.0
STOP_TIMEOUT_S = 15.0


def web_command(prod: ProdConfig, port: int) -> list[str]:
    args = [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"{prod.host}:{port}",
            "--graceful-timeout", "10", "--timeout", "60", "--log-level", "warning",
            "--config", "python:backend.gunicorn_conf"]  # no server name/version in headers
    if prod.async_mode == "gevent":
        args += ["--worker-class", "gevent", "--worker-connections", str(prod.connections)]
    else:
        args += ["--worker-class", "gthread", "--threads", str(prod.threads)]
    return args + ["app:app"]


def commands(prod: ProdConfig) -> list[tuple[str, list[str]]]:
    webs = [(f"web:{prod.port + i}", web_command(prod, prod.port + i))
            for i in range(prod.web_processes)]
    workers = [(f"worker:{i}", [sys.executable, "-m", "worker", "--name", f"prod-{os.getpid()}-{i}"])
               for i in range(prod.rq_workers)]
    return webs + workers


class Supervisor:
    def __init__(self, specs, env):
        self.specs, self.env = dict(specs), env
        self.children: dict[str, subprocess.Popen] = {}
        self.stopping = False

    def spawn(self, name: str) -> None:
        self.children[name] = subprocess.Popen(self.specs[name], cwd=ROOT, env=self.env)
        print(f"[prod] {name} started (pid {self.children[name].pid})", flush=True)

    def run(self) -> int:
        for name in self.specs:
            self.spawn(name)
        while not self.stopping:
            time.sleep(0.5)
            for name, proc in list(self.children.items()):
                if proc.poll() is not None and not self.stopping:
                    print(f"[prod] {name} exited with {proc.returncode}; restarting", flush=True)
                    time.sleep(RESTART_PAUSE_S)
                    if not self.stopping:
                        self.spawn(name)
        return self.stop_all()

    def request_stop(self, *_):
        self.stopping = True

    def stop_all(self) -> int:
        for proc in self.children.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        end = time.monotonic() + STOP_TIMEOUT_S
        for name, proc in self.children.items():
            try:
                proc.wait(max(0.1, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"[prod] {name} did not stop in time; killing it", flush=True)
                proc.kill()
                proc.wait(5)
        print("[prod] stopped", flush=True)
        return 0


def main() -> int:
    prod, config = ProdConfig.from_env(), Config.from_env()
    from backend.write.models import init_db, make_engine  # noqa: PLC0415 -- keep the import light
    engine = make_engine(config.database_url)
    init_db(engine)
    engine.dispose()
    env = dict(os.environ, RIPPLE_ASYNC_MODE=prod.async_mode, PYTHONUNBUFFERED="1",
               RIPPLE_PRODUCTION="1")  # Secure cookies unless RIPPLE_SECURE_COOKIES=0
    env.setdefault("SECRET_KEY", config.secret_key)  # every process must sign sessions alike
    sup = Supervisor(commands(prod), env)
    signal.signal(signal.SIGTERM, sup.request_stop)
    signal.signal(signal.SIGINT, sup.request_stop)
    ports = ", ".join(f"http://{prod.host}:{prod.port + i}" for i in range(prod.web_processes))
    print(f"[prod] Ripple on {ports} ({prod.async_mode}), {prod.rq_workers} workers, "
          f"db {config.database_url.split('@')[-1]}", flush=True)
    return sup.run()


if __name__ == "__main__":
    sys.exit(main())

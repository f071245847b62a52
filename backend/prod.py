"""`python -m backend.prod` (what `./ripple prod` runs): Ripple's production processes, kept
running by supervisord.

1. Refuses to start without SECRET_KEY (every process must sign sessions with the same key).
2. Migrates the write DB to the newest schema (backend/write/schema.upgrade).
3. Writes a supervisord config into RIPPLE_RUN_DIR and runs supervisord in the foreground:
   - WEB_PROCESSES gunicorn servers on WEB_PORT, WEB_PORT+1, ... each with ONE worker process
     (Flask-SocketIO needs every request of a Socket.IO session on the same process: a sticky load
     balancer in front, or websocket-only clients). gevent by default (monkey-patched by gunicorn
     before the app is imported), or with RIPPLE_ASYNC_MODE=threading `gthread`.
   - RQ_WORKERS command workers (`python -m worker`, SimpleWorker: no fork per job).
   A child that exits is restarted. One that dies within RIPPLE_START_SECS (10) of starting is
   retried after 1 s, 2 s, 3 s, ... (supervisord's backoff); after RIPPLE_START_RETRIES such failures
   in a row it is FATAL and the whole launcher stops with exit status 1, so systemd or the
   platform sees it.
   SIGTERM/SIGINT (passed on to supervisord) stop every child (workers finish their current job);
   then this process exits 0.
   `supervisorctl -c $RIPPLE_RUN_DIR/supervisord.conf status` shows the processes.
"""
import configparser
import os
import shlex
import signal
import socket
import subprocess
import sys
from pathlib import Path

from backend.config import ROOT, Config, ProdConfig

STOP_TIMEOUT_S = 15  # then SIGKILL


def web_command(prod: ProdConfig, port: int) -> list[str]:
    args = [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"{prod.host}:{port}",
            "--graceful-timeout", "10", "--timeout", "60", "--log-level", "warning",
            "--config", "python:backend.gunicorn_conf"]  # no server name/version in headers
    if prod.async_mode == "gevent":
        args += ["--worker-class", "gevent", "--worker-connections", str(prod.connections)]
    else:
        args += ["--worker-class", "gthread", "--threads", str(prod.threads)]
    return args + ["app:app"]


def worker_command(prod: ProdConfig, *args: str) -> list[str]:
    """`python -m worker` at the workers' nice level (coreutils `nice`: any checkout runs so)."""
    niced = ["nice", "-n", str(prod.worker_nice)] if prod.worker_nice else []
    return niced + [sys.executable, "-m", "worker", *args]


def programs(prod: ProdConfig) -> dict[str, list[str]]:
    webs = {f"web-{prod.port + i}": web_command(prod, prod.port + i)
            for i in range(prod.web_processes)}
    host = socket.gethostname()  # RQ worker names are unique across hosts (the worker adds its pid)
    workers = {f"worker-{i}": worker_command(prod, "--name", f"prod-{host}-{i}")
               for i in range(prod.rq_workers)}
    return webs | workers


def _conf_value(text: str) -> str:
    return text.replace("%", "%%")  # supervisord expands %(name)s in its values


def supervisord_config(prod: ProdConfig, run_dir: Path) -> configparser.ConfigParser:
    conf = configparser.ConfigParser(interpolation=None)
    sock = _conf_value(str(run_dir / "supervisor.sock"))
    conf["supervisord"] = {"nodaemon": "true",
                           "logfile": _conf_value(str(run_dir / "supervisord.log")),
                           "pidfile": _conf_value(str(run_dir / "supervisord.pid")),
                           "directory": _conf_value(str(ROOT))}
    conf["unix_http_server"] = {"file": sock, "chmod": "0700"}
    conf["supervisorctl"] = {"serverurl": f"unix://{sock}"}
    conf["rpcinterface:supervisor"] = {
        "supervisor.rpcinterface_factory": "supervisor.rpcinterface:make_main_rpcinterface"}
    for name, args in programs(prod).items():
        conf[f"program:{name}"] = {
            "command": _conf_value(shlex.join(args)), "directory": _conf_value(str(ROOT)),
            "autorestart": "true", "startsecs": str(prod.start_secs),
            "startretries": str(prod.start_retries), "stopsignal": "TERM",
            "stopwaitsecs": str(STOP_TIMEOUT_S), "killasgroup": "true",
            "redirect_stderr": "true", "stdout_logfile": "/dev/stdout",
            "stdout_logfile_maxbytes": "0"}
    conf["eventlistener:fatal"] = {  # a child given up on stops the launcher (see the docstring)
        "command": _conf_value(shlex.join([sys.executable, "-m", "backend.prod", "fatal-listener",
                                           str(run_dir / "fatal")])),
        "events": "PROCESS_STATE_FATAL", "directory": _conf_value(str(ROOT)),
        "stderr_logfile": "/dev/stderr", "stderr_logfile_maxbytes": "0"}
    return conf


def fatal_listener(marker: Path) -> int:
    """supervisord event listener: on PROCESS_STATE_FATAL, leave `marker` (so main() exits 1) and
    stop supervisord (SIGTERM), which stops every child."""
    while True:
        sys.stdout.write("READY\n")
        sys.stdout.flush()
        line = sys.stdin.readline()
        if not line:
            return 0
        header = dict(token.split(":", 1) for token in line.split())
        payload = sys.stdin.read(int(header["len"]))
        print(f"[prod] {payload.strip()}: giving up, stopping Ripple", file=sys.stderr, flush=True)
        sys.stdout.write("RESULT 2\nOK")
        sys.stdout.flush()
        marker.write_text(payload)
        os.kill(os.getppid(), signal.SIGTERM)


def main() -> int:
    if not os.environ.get("SECRET_KEY"):
        print("[prod] SECRET_KEY is not set: refusing to start (set the same random key, e.g. "
              "`python -c 'import secrets; print(secrets.token_hex(32))'`, on every host)",
              file=sys.stderr, flush=True)
        return 2
    prod, config = ProdConfig.from_env(), Config.from_env()
    from backend.write.models import make_engine  # noqa: PLC0415 -- keep the import light
    from backend.write.schema import head, upgrade  # noqa: PLC0415
    engine = make_engine(config.database_url)
    upgrade(engine)
    engine.dispose()
    run_dir = Path(prod.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    conf_path = run_dir / "supervisord.conf"
    with open(conf_path, "w") as f:
        supervisord_config(prod, run_dir).write(f)
    ports = ", ".join(f"http://{prod.host}:{prod.port + i}" for i in range(prod.web_processes))
    print(f"[prod] Ripple on {ports} ({prod.async_mode}), {prod.rq_workers} workers, "
          f"db {config.database_url.split('@')[-1]} at migration {head()}; "
          f"supervisord config {conf_path}", flush=True)
    (run_dir / "fatal").unlink(missing_ok=True)
    env = dict(os.environ, RIPPLE_ASYNC_MODE=prod.async_mode, PYTHONUNBUFFERED="1",
               RIPPLE_PRODUCTION="1")  # Secure cookies unless RIPPLE_SECURE_COOKIES=0
    supervisord = subprocess.Popen([sys.executable, "-m", "supervisor.supervisord",
                                    "-c", str(conf_path)], env=env)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, _frame: supervisord.send_signal(signum))
    code = supervisord.wait()
    if (run_dir / "fatal").exists():
        print("[prod] stopped: a process could not be kept running", file=sys.stderr, flush=True)
        return 1
    print(f"[prod] stopped (supervisord exit status {code})", flush=True)
    return code


if __name__ == "__main__":
    if sys.argv[1:2] == ["fatal-listener"]:
        sys.exit(fatal_listener(Path(sys.argv[2])))
    sys.exit(main())

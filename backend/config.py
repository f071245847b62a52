"""All configuration, read from the environment in one place.

Nothing here connects to anything: it only reads strings.
"""
import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


def database_url_from_env() -> str:
    """DATABASE_URL, else SQLite at instance/ripple.db (what `./ripple run` uses by default)."""
    return os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE / 'ripple.db'}"


def _allowed_hosts(env) -> list[str]:
    hosts = [h.strip() for h in env.get("RIPPLE_ALLOWED_HOSTS", "").split(",") if h.strip()]
    if env.get("SERVER_NAME"):
        hosts.append(env["SERVER_NAME"].strip())
    return hosts


def _secure_cookies(env) -> bool:
    """RIPPLE_SECURE_COOKIES=1/0 decides; unset, cookies are Secure in production only."""
    value = env.get("RIPPLE_SECURE_COOKIES", "")
    if value in ("0", "1"):
        return value == "1"
    return env.get("RIPPLE_PRODUCTION", "") == "1"


@dataclass
class Config:
    redis_url: str = "redis://127.0.0.1:6379/0"
    database_url: str = ""
    secret_key: str = ""
    queue_name: str = "ripple-commands"
    socketio_channel: str = "ripple-socketio"
    async_mode: str = "threading"
    # Origins allowed for state-changing requests and Socket.IO, besides the request's own host.
    allowed_origins: list[str] = field(default_factory=list)
    # Host names this site answers to (RIPPLE_ALLOWED_HOSTS, comma-separated, or SERVER_NAME); when
    # set, any other Host header is refused and same-site means one of these (DNS-rebinding defence).
    allowed_hosts: list[str] = field(default_factory=list)
    production: bool = False  # set by `./ripple prod` (RIPPLE_PRODUCTION=1)
    session_cookie_secure: bool = False  # RIPPLE_SECURE_COOKIES; default: on in production
    sockets_per_member: int = 20   # open Socket.IO connections per member (per web process)
    sockets_per_session: int = 10  # ... per login session
    sockets_per_ip: int = 50       # ... per IP, for logged-out viewers
    comments_per_post_minute: int = 5  # new comments one member may add to one post per minute
    # Reverse proxies in front of the app (TLS terminator, load balancer) whose X-Forwarded-For/
    # -Proto/-Host headers are trusted, so the Origin check and the rate limits see the real client.
    trusted_proxies: int = 0
    timeline_cap: int = 1000
    feed_cap: int = 800
    duplicate_window_s: int = 60
    job_timeout_s: int = 30
    command_batch: int = 50  # commands a worker applies in one write transaction, at most
    max_content_length: int = 64 * 1024
    ratelimit_enabled: bool = True
    ratelimit_commands: str = "300 per 5 minutes"
    ratelimit_login: str = "25 per 5 minutes"
    ratelimit_signup: str = "5 per 30 minutes"
    testing: bool = False
    demo: bool = False  # demo controls (backend/demo.py) honoured only when on: RIPPLE_DEMO=1
    # The crowd (RIPPLE_CROWD=1, on under `./ripple run`): simulated members acting through the
    # command path, in demo mode only; guests and the inspector's controls are demo mode only too.
    crowd: bool = False
    ratelimit_demo: str = "20 per minute"

    @classmethod
    def from_env(cls, **overrides) -> "Config":
        env = os.environ
        values = dict(
            redis_url=env.get("REDIS_URL", cls.redis_url),
            database_url=database_url_from_env(),
            # Never invented here: `./ripple run` makes a development key (backend/cli.py), and
            # `./ripple prod` refuses to start without one (every process must sign alike).
            secret_key=env.get("SECRET_KEY", ""),
            queue_name=env.get("RIPPLE_QUEUE", cls.queue_name),
            socketio_channel=env.get("RIPPLE_SOCKETIO_CHANNEL", cls.socketio_channel),
            async_mode=env.get("RIPPLE_ASYNC_MODE", cls.async_mode),
            allowed_origins=[o for o in env.get("RIPPLE_ALLOWED_ORIGINS", "").split(",") if o],
            allowed_hosts=_allowed_hosts(env),
            production=env.get("RIPPLE_PRODUCTION", "") == "1",
            session_cookie_secure=_secure_cookies(env),
            sockets_per_member=int(env.get("RIPPLE_SOCKETS_PER_MEMBER", cls.sockets_per_member)),
            sockets_per_session=int(env.get("RIPPLE_SOCKETS_PER_SESSION", cls.sockets_per_session)),
            sockets_per_ip=int(env.get("RIPPLE_SOCKETS_PER_IP", cls.sockets_per_ip)),
            comments_per_post_minute=int(env.get("RIPPLE_COMMENTS_PER_POST_MINUTE",
                                                 cls.comments_per_post_minute)),
            trusted_proxies=int(env.get("RIPPLE_TRUSTED_PROXIES", "0") or 0),
            command_batch=int(env.get("RIPPLE_COMMAND_BATCH", cls.command_batch)),
            ratelimit_enabled=env.get("RIPPLE_RATELIMIT", "1") != "0",
            ratelimit_commands=env.get("RIPPLE_LIMIT_COMMANDS", cls.ratelimit_commands),
            ratelimit_login=env.get("RIPPLE_LIMIT_LOGIN", cls.ratelimit_login),
            ratelimit_signup=env.get("RIPPLE_LIMIT_SIGNUP", cls.ratelimit_signup),
            demo=env.get("RIPPLE_DEMO", "0") == "1",
            crowd=env.get("RIPPLE_CROWD", "0") == "1",
            ratelimit_demo=env.get("RIPPLE_LIMIT_DEMO", cls.ratelimit_demo),
        )
        values.update(overrides)
        return cls(**values)


@dataclass
class ProdConfig:
    """How `python -m backend.prod` lays out the processes (the app itself reads Config above).

    WEB_PROCESSES gunicorn servers, one worker process each, on WEB_PORT, WEB_PORT+1, ... (behind a
    sticky load balancer), plus RQ_WORKERS command workers. The web processes use gevent by default:
    one process holds thousands of Socket.IO connections (RIPPLE_ASYNC_MODE=threading also works).
    supervisord keeps them running (RIPPLE_START_RETRIES failed starts in a row, with growing
    pauses, before it gives up); its config, socket and log go to RIPPLE_RUN_DIR.
    """
    host: str = "127.0.0.1"
    port: int = 8000
    web_processes: int = 1
    rq_workers: int = 2
    async_mode: str = "gevent"
    connections: int = 4000  # gevent: concurrent connections per web process
    threads: int = 200       # threading: gunicorn threads per web process (one per websocket)
    start_secs: int = 10     # a child must stay up this long to count as started (gunicorn alone
                             # retries a busy port for ~5 s before it gives up)
    start_retries: int = 10
    run_dir: str = str(INSTANCE / "run")
    # The command workers run at this nice level: on a machine they share with the web processes,
    # the CPU goes first to whoever answers a request (a page, a query, a command's 202) and the
    # workers, whose work is already accepted and confirmed asynchronously, take the rest (0: off)
    worker_nice: int = 10

    @classmethod
    def from_env(cls) -> "ProdConfig":
        env = os.environ
        return cls(host=env.get("WEB_HOST", cls.host), port=int(env.get("WEB_PORT", cls.port)),
                   web_processes=int(env.get("WEB_PROCESSES", cls.web_processes)),
                   rq_workers=int(env.get("RQ_WORKERS", cls.rq_workers)),
                   async_mode=env.get("RIPPLE_ASYNC_MODE", cls.async_mode),
                   connections=int(env.get("WEB_CONNECTIONS", cls.connections)),
                   threads=int(env.get("WEB_THREADS", cls.threads)),
                   start_secs=int(env.get("RIPPLE_START_SECS", cls.start_secs)),
                   start_retries=int(env.get("RIPPLE_START_RETRIES", cls.start_retries)),
                   run_dir=env.get("RIPPLE_RUN_DIR", cls.run_dir),
                   worker_nice=int(env.get("RIPPLE_WORKER_NICE", cls.worker_nice)))

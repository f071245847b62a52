"""All configuration, read from the environment in one place.

Nothing here connects to anything: it only reads strings.
"""
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


def _secret_key() -> str:
    """SECRET_KEY from the environment, else a random key generated once and kept in instance/."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    path = INSTANCE / "secret_key"
    if not path.exists():
        INSTANCE.mkdir(exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _default_database_url() -> str:
    INSTANCE.mkdir(exist_ok=True)
    return f"sqlite:///{INSTANCE / 'ripple.db'}"


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
    session_cookie_secure: bool = False
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
    demo: bool = False  # demo mode (RIPPLE_DEMO=1): the demo controls, e.g. the rebuild button
    # Time travel (backend/read/time_travel.py): a read-model snapshot every N events, at most M kept.
    snapshot_every: int = 2000
    snapshot_keep: int = 32

    @classmethod
    def from_env(cls, **overrides) -> "Config":
        env = os.environ
        values = dict(
            redis_url=env.get("REDIS_URL", cls.redis_url),
            database_url=env.get("DATABASE_URL") or _default_database_url(),
            secret_key=_secret_key(),
            queue_name=env.get("RIPPLE_QUEUE", cls.queue_name),
            socketio_channel=env.get("RIPPLE_SOCKETIO_CHANNEL", cls.socketio_channel),
            async_mode=env.get("RIPPLE_ASYNC_MODE", cls.async_mode),
            allowed_origins=[o for o in env.get("RIPPLE_ALLOWED_ORIGINS", "").split(",") if o],
            session_cookie_secure=env.get("RIPPLE_SECURE_COOKIES", "") == "1",
            trusted_proxies=int(env.get("RIPPLE_TRUSTED_PROXIES", "0") or 0),
            command_batch=int(env.get("RIPPLE_COMMAND_BATCH", cls.command_batch)),
            ratelimit_enabled=env.get("RIPPLE_RATELIMIT", "1") != "0",
            ratelimit_commands=env.get("RIPPLE_LIMIT_COMMANDS", cls.ratelimit_commands),
            ratelimit_login=env.get("RIPPLE_LIMIT_LOGIN", cls.ratelimit_login),
            ratelimit_signup=env.get("RIPPLE_LIMIT_SIGNUP", cls.ratelimit_signup),
            demo=env.get("RIPPLE_DEMO", "0") == "1",
            snapshot_every=int(env.get("RIPPLE_SNAPSHOT_EVERY", cls.snapshot_every)),
            snapshot_keep=int(env.get("RIPPLE_SNAPSHOT_KEEP", cls.snapshot_keep)),
        )
        values.update(overrides)
        return cls(**values)


@dataclass
class ProdConfig:
    """How `python -m backend.prod` lays out the processes (the app itself reads Config above).

    WEB_PROCESSES gunicorn servers, one worker process each, on WEB_PORT, WEB_PORT+1, ... (behind a
    sticky load balancer), plus RQ_WORKERS command workers. The web processes use gevent by default:
    one process holds thousands of Socket.IO connections (RIPPLE_ASYNC_MODE=threading also works).
    """
    host: str = "127.0.0.1"
    port: int = 8000
    web_processes: int = 1
    rq_workers: int = 2
    async_mode: str = "gevent"
    connections: int = 4000  # gevent: concurrent connections per web process
    threads: int = 200       # threading: gunicorn threads per web process (one per websocket)

    @classmethod
    def from_env(cls) -> "ProdConfig":
        env = os.environ
        return cls(host=env.get("WEB_HOST", cls.host), port=int(env.get("WEB_PORT", cls.port)),
                   web_processes=int(env.get("WEB_PROCESSES", cls.web_processes)),
                   rq_workers=int(env.get("RQ_WORKERS", cls.rq_workers)),
                   async_mode=env.get("RIPPLE_ASYNC_MODE", cls.async_mode),
                   connections=int(env.get("WEB_CONNECTIONS", cls.connections)),
                   threads=int(env.get("WEB_THREADS", cls.threads)))

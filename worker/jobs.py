"""The RQ job's entry point and the clients a worker process uses.

`worker.jobs.drain_inbox` is the function RQ runs (backend/write/command_queue.JOB_FUNC); the work is
split by responsibility:
- worker/drain.py: the drain loop and a batch's steps (and the demo controls);
- worker/transaction.py: the write transaction, one savepoint per command;
- worker/outcomes.py: the command-outcome read model (`saved` at commit, then final);
- worker/announce.py: notification, by whoever projected the events;
- worker/projector_loop.py: the projector that follows the log in every worker process.
"""
import os
import socket
import uuid

from backend.config import Config
from backend.services import build_services
from worker import drain
from worker.announce import Announcer
from worker.emitter import make_emitter
from worker.transaction import NOT_APPLIED, apply_command, apply_commands, command_of  # noqa: F401

DRAIN_S = drain.DRAIN_S
_context = None


def process_identity() -> str:
    """This worker process's name: its consumer in the inbox's group and its alive key. Unique
    even when a pid is reused (a restarted process must not inherit a dead one's entries)."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class WorkerContext:
    """A worker process's clients; the projector announces what it applies through `announcer`.
    `consumer`: the name it reads the inbox under (backend/write/command_queue.take)."""

    def __init__(self, services, emitter, consumer: str | None = None):
        self.services, self.emitter = services, emitter
        self.consumer = consumer or process_identity()
        self.announcer = Announcer(services.redis, emitter)
        services.projector.on_applied = self.announcer


def get_context() -> WorkerContext:
    """Clients are built on the first job of this process, never at import time."""
    global _context
    if _context is None:
        config = Config.from_env()
        emitter = make_emitter(config.redis_url, config.socketio_channel)
        _context = WorkerContext(build_services(config), emitter)
    return _context


def use_context(ctx: "WorkerContext | None") -> None:
    """Install the clients this process's jobs use (tests and embedders); None = from the env."""
    global _context
    _context = ctx


def drain_inbox() -> dict:
    """The RQ job (see worker/drain.py)."""
    return drain.drain_inbox(get_context())


def handle_commands(envelopes: list[dict], ctx: WorkerContext) -> list[str]:
    return drain.handle_commands(envelopes, ctx)


def handle_command(envelope: dict, ctx: WorkerContext) -> dict:
    """One command on its own (tests and tools): {"status": ...}."""
    return {"status": drain.handle_commands([envelope], ctx)[0]}

"""The one RQ job: process a command -> write-side transaction -> project -> record -> notify.

Safe to run any number of times for the same command (RQ redelivery, retries, two workers): the
processed_commands row, written in the same transaction as the effects, turns a second run into
"look up the recorded outcome, make sure it is projected, notify again".
"""
import json
import logging

from flask_socketio import SocketIO
from sqlalchemy import select

from backend.commands import Command
from backend.config import Config
from backend.handlers import HANDLERS, Rejected
from backend.notifications import messages_for_event, outcome_message
from backend.projections import command_key
from backend.services import build_services
from backend.write_models import Event, ProcessedCommand, append_events, lock_log

log = logging.getLogger("ripple.worker")
COMMAND_STATUS_TTL_S = 7 * 24 * 3600
_context = None


class WorkerContext:
    def __init__(self, services, emitter):
        self.services, self.emitter = services, emitter


def get_context() -> WorkerContext:
    """Clients are built on the first job of this process, never at import time."""
    global _context
    if _context is None:
        config = Config.from_env()
        emitter = SocketIO(message_queue=config.redis_url, channel=config.socketio_channel)
        _context = WorkerContext(build_services(config), emitter)
    return _context


def use_context(ctx: "WorkerContext | None") -> None:
    """Install the clients this process's jobs use (tests and embedders); None = from the env."""
    global _context
    _context = ctx


def process_command(envelope: dict) -> dict:
    """The RQ entry point (the job's only argument is the JSON envelope, author included)."""
    return handle_command(envelope, get_context())


def handle_command(envelope: dict, ctx: WorkerContext) -> dict:
    cmd = Command(**envelope)
    status, events = apply_command(cmd, ctx.services)
    svc = ctx.services
    version = (svc.projector.project_until(status["last_seq"], events=events)
               if status["last_seq"] else svc.projector.checkpoint() or 0)
    record_status(svc.redis, status)
    notify(ctx.emitter, svc.redis, envelope, status, events, version)
    return {"status": status["status"]}


def apply_command(cmd: Command, svc) -> tuple[dict, list[dict]]:
    """One write-side transaction. Returns (status, events) -- the recorded ones on a re-run."""
    with svc.session_factory() as session, session.begin():
        head = lock_log(session)
        done = session.get(ProcessedCommand, cmd.command_id)
        if done is not None:
            events = [e.as_dict() for e in session.scalars(
                select(Event).where(Event.command_id == cmd.command_id).order_by(Event.seq))]
            return _status(done), events
        try:
            outcome = HANDLERS[cmd.type](cmd, session, svc.rules)
        except Rejected as rejected:
            row = ProcessedCommand(command_id=cmd.command_id, type=cmd.type, author=cmd.author,
                                   status="failed", error=rejected.as_dict(), last_seq=0)
            session.add(row)
            return _status(row), []
        new_head = append_events(session, head, outcome.events, cmd.command_id, cmd.author)
        row = ProcessedCommand(command_id=cmd.command_id, type=cmd.type, author=cmd.author,
                               status="succeeded", result=outcome.result,
                               last_seq=new_head if outcome.events else 0)
        session.add(row)
        events = [{"seq": head + i, "type": e["type"], "data": e["data"], "command_id": cmd.command_id,
                   "author": cmd.author} for i, e in enumerate(outcome.events, start=1)]
        return _status(row), events


def _status(row: ProcessedCommand) -> dict:
    return {"command_id": row.command_id, "author": row.author, "status": row.status,
            "result": row.result,
            "error": row.error, "last_seq": row.last_seq}


def record_status(r, status: dict) -> None:
    """The command-outcome read model behind GET /api/commands/<id>."""
    fields = {"status": status["status"], "author": status["author"]}
    for key in ("result", "error"):
        if status.get(key) is not None:
            fields[key] = json.dumps(status[key])
    with r.pipeline() as p:
        p.hset(command_key(status["command_id"]), mapping=fields)
        p.expire(command_key(status["command_id"]), COMMAND_STATUS_TTL_S)
        p.execute()


def notify(emitter, r, envelope: dict, status: dict, events: list[dict], version: int) -> None:
    """Emit through the Socket.IO message queue -- only ever after the read side holds the change."""
    for ev in events:
        for name, payload, rooms in messages_for_event(ev, r):
            emitter.emit(name, payload, to=rooms)
    name, payload, rooms = outcome_message(envelope, status, version)
    emitter.emit(name, payload, to=rooms)

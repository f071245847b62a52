"""The RQ job: drain the command inbox -> a batch per write transaction -> project -> record -> notify.

Safe to run any number of times for the same command (RQ redelivery, retries, two workers): the
processed_commands row, written in the same transaction as the effects, turns a second run into
"look up the recorded outcome, make sure it is projected, notify again".
"""
import json
import logging
import time

from rq import get_current_job
from sqlalchemy import select
from sqlalchemy.exc import InterfaceError, OperationalError

from backend.command_queue import DOORBELL, depth, done, queued_key, ring, take
from backend.commands import Command
from backend.config import Config
from backend.handlers import HANDLERS, Rejected
from backend.notifications import messages_for_event, outcome_message
from backend.projections import command_key
from backend.services import build_services
from backend.write_models import Event, ProcessedCommand, append_events, lock_log, set_log_head
from worker.emitter import batched, make_emitter

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
        emitter = make_emitter(config.redis_url, config.socketio_channel)
        _context = WorkerContext(build_services(config), emitter)
    return _context


def use_context(ctx: "WorkerContext | None") -> None:
    """Install the clients this process's jobs use (tests and embedders); None = from the env."""
    global _context
    _context = ctx


DRAIN_S = 5.0  # a drain job hands over to a fresh one after this long (well inside the job timeout)


def drain_inbox() -> dict:
    """The RQ job: apply the inbox's commands, a batch per transaction, until it is empty
    (backend/command_queue). Returns how many commands it applied, in how many batches."""
    ctx, job = get_context(), get_current_job()
    r, queue, config = ctx.services.redis, ctx.services.queue, ctx.services.config
    r.delete(DOORBELL)  # from now on a new command rings for a new job: none waits unseen
    end, applied, batches = time.monotonic() + DRAIN_S, 0, 0
    while True:
        envelopes = take(r, job.id, config.command_batch)
        if not envelopes:
            return {"commands": applied, "batches": batches}
        handle_commands(envelopes, ctx)
        done(r, job.id)
        applied, batches = applied + len(envelopes), batches + 1
        if time.monotonic() > end:  # let other queues and the RQ bookkeeping breathe
            if depth(r):
                ring(queue, r, config.job_timeout_s)
            return {"commands": applied, "batches": batches, "handed_over": True}


def handle_command(envelope: dict, ctx: WorkerContext) -> dict:
    """One command on its own (tests and tools): {"status": ...}."""
    return {"status": handle_commands([envelope], ctx)[0]}


def handle_commands(envelopes: list[dict], ctx: WorkerContext) -> list[str]:
    """Apply, project, record and notify a batch of commands; return each one's status.

    One write transaction for the batch (see apply_commands), one projection step for all its new
    events, then every command's outcome and notifications -- only after the read side holds them.
    A command that crashed (a bug, not a rule) is re-raised at the end, after its batch-mates are
    done, so RQ retries the job (the others are then harmless re-runs).
    """
    unique: dict[str, dict] = {}
    for env in envelopes:  # the same command twice in one job (a quick re-send): once
        unique.setdefault(env["command_id"], env)
    envelopes = list(unique.values())
    svc = ctx.services
    applied, fresh, crash = apply_commands([Command(**e) for e in envelopes], svc)
    last = max((s["last_seq"] for s, _ in applied.values()), default=0)
    version = (svc.projector.project_until(last, events=fresh)
               if last else svc.projector.checkpoint() or 0)
    settled = [e for e in envelopes if e["command_id"] in applied]  # all but crashed ones
    record_statuses(svc.redis, [applied[e["command_id"]][0] for e in settled])
    with batched(ctx.emitter):
        for env in settled:
            status, events = applied[env["command_id"]]
            notify(ctx.emitter, svc.redis, env, status, events, version)
    if crash is not None:
        raise crash
    return [applied[e["command_id"]][0]["status"] for e in envelopes]


TRANSIENT_DB_ERRORS = (OperationalError, InterfaceError)  # DB gone or busy: retry the whole job


def apply_commands(cmds: list[Command], svc) -> tuple[dict, list[dict], Exception | None]:
    """The write side of a batch: {command_id: (status, events)}, the events appended just now (in
    seq order, for the projector's fast path) and the first crash, if any.

    All commands in ONE transaction (one log lock, one commit: group commit). A command whose handler
    crashes must not take its batch-mates down: then the batch is rolled back and each command runs
    in its own transaction, and the crashed ones are left unrecorded (to be retried).
    """
    try:
        with svc.session_factory() as session, session.begin():
            start = head = lock_log(session)
            recorded = {row.command_id: row for row in session.scalars(select(ProcessedCommand).where(
                ProcessedCommand.command_id.in_([c.command_id for c in cmds])))}
            out, fresh = {}, []
            for cmd in cmds:
                status, events, new_head = _apply_in(session, cmd, head, svc.rules, recorded)
                out[cmd.command_id] = (status, events)
                if new_head != head:
                    fresh += events
                head = new_head
            if head != start:
                set_log_head(session, head)  # once for the batch
            return out, fresh, None
    except TRANSIENT_DB_ERRORS:
        raise
    except Exception:  # noqa: BLE001 -- a bug in a handler: isolate the command
        if len(cmds) == 1:
            raise
        log.exception("a batch of %d commands failed; applying them one by one", len(cmds))
        out, crash = {}, None
        for cmd in cmds:
            try:
                out[cmd.command_id] = apply_command(cmd, svc)
            except TRANSIENT_DB_ERRORS:
                raise
            except Exception as one:  # noqa: BLE001
                crash = crash or one
        return out, [], crash


def apply_command(cmd: Command, svc) -> tuple[dict, list[dict]]:
    """One command in its own write-side transaction. Returns (status, events) -- the recorded ones
    on a re-run."""
    with svc.session_factory() as session, session.begin():
        status, events, _ = _apply_in(session, cmd, lock_log(session), svc.rules)
        return status, events


def _apply_in(session, cmd: Command, head: int, rules,
              batch_recorded: dict | None = None) -> tuple[dict, list[dict], int]:
    """Apply `cmd` inside a transaction that holds the log lock at `head`; returns
    (status, events, new head): the head moves when the events were appended just now.
    In a batch, `batch_recorded` holds the batch's processed_commands rows, looked up at once, and the
    caller moves the log head row once at the end."""
    batch = batch_recorded is not None
    done = (batch_recorded.get(cmd.command_id) if batch
            else session.get(ProcessedCommand, cmd.command_id))
    if done is not None:
        events = [e.as_dict() for e in session.scalars(
            select(Event).where(Event.command_id == cmd.command_id).order_by(Event.seq))]
        return _status(done), events, head
    try:
        outcome = HANDLERS[cmd.type](cmd, session, rules)
    except Rejected as rejected:
        row = ProcessedCommand(command_id=cmd.command_id, type=cmd.type, author=cmd.author,
                               status="failed", error=rejected.as_dict(), last_seq=0)
        session.add(row)
        return _status(row), [], head
    new_head = append_events(session, head, outcome.events, cmd.command_id, cmd.author,
                             move_head=not batch)
    row = ProcessedCommand(command_id=cmd.command_id, type=cmd.type, author=cmd.author,
                           status="succeeded", result=outcome.result,
                           last_seq=new_head if outcome.events else 0)
    session.add(row)
    events = [{"seq": head + i, "type": e["type"], "data": e["data"], "command_id": cmd.command_id,
               "author": cmd.author} for i, e in enumerate(outcome.events, start=1)]
    return _status(row), events, new_head


def _status(row: ProcessedCommand) -> dict:
    return {"command_id": row.command_id, "author": row.author, "status": row.status,
            "result": row.result,
            "error": row.error, "last_seq": row.last_seq}


def record_statuses(r, statuses: list[dict]) -> None:
    """The command-outcome read model behind GET /api/commands/<id>; the commands leave the queue."""
    with r.pipeline() as p:
        for status in statuses:
            fields = {"status": status["status"], "author": status["author"]}
            for key in ("result", "error"):
                if status.get(key) is not None:
                    fields[key] = json.dumps(status[key])
            p.hset(command_key(status["command_id"]), mapping=fields)
            p.expire(command_key(status["command_id"]), COMMAND_STATUS_TTL_S)
            p.delete(queued_key(status["command_id"]))
        p.execute()


def notify(emitter, r, envelope: dict, status: dict, events: list[dict], version: int) -> None:
    """Emit through the Socket.IO message queue -- only ever after the read side holds the change."""
    for ev in events:
        for name, payload, rooms in messages_for_event(ev, r):
            emitter.emit(name, payload, to=rooms)
    name, payload, rooms = outcome_message(envelope, status, version)
    emitter.emit(name, payload, to=rooms)

"""The RQ job: drain the command inbox -> a batch per write transaction -> project -> record -> notify.

Safe to run any number of times for the same command (RQ redelivery, retries, two workers): the
processed_commands row, written in the same transaction as the effects, turns a second run into
"look up the recorded outcome, make sure it is projected, notify again".
"""
import logging
import time

from rq import get_current_job
from sqlalchemy import insert, select
from sqlalchemy.exc import InterfaceError, OperationalError

from backend.write.command_queue import (DOORBELL, RESCUE_LIMIT, depth, done, rescues, ring,
                                   take)
from backend.write.commands import Command
from backend.config import Config
from backend.write.handlers import HANDLERS, Rejected
from backend.read.notifications import messages_for_event, outcome_message, saved_message
from backend.services import build_services
from backend.write.models import Event, ProcessedCommand, lock_log, set_log_head
from worker import outcomes
from worker.emitter import batched, make_emitter

log = logging.getLogger("ripple.worker")
DRAIN_S = 5.0  # a drain job hands over to a fresh one after this long (well inside the job timeout)
STATUS_FIELDS = ("command_id", "type", "author", "status", "result", "error", "last_seq")
# The outcome of a command given up on: its batch failed for good more than RESCUE_LIMIT times.
NOT_APPLIED = {"code": "not_applied",
               "message": "The server could not save this. Nothing was changed; please try again."}
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
        done(r, job.id, envelopes)
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
    taken_at = outcomes.now_ms()
    unique: dict[str, dict] = {}
    for env in envelopes:  # the same command twice in one job (a quick re-send): once
        unique.setdefault(env["command_id"], env)
    envelopes = list(unique.values())
    svc = ctx.services
    give_up = {e["command_id"] for e in envelopes if rescues(e) > RESCUE_LIMIT}
    for command_id in give_up:
        log.error("command %s came back from failed batches %d times: recording it as not "
                  "applied (unless it already was)", command_id, RESCUE_LIMIT + 1)
    applied, fresh, crash = apply_commands([command_of(e) for e in envelopes], svc, give_up)
    committed_at = outcomes.now_ms()
    settled = [e for e in envelopes if e["command_id"] in applied]  # all but crashed ones
    timings = {e["command_id"]: outcomes.stamp(outcomes.start_timings(e, taken_at), "committed_at",
                                               committed_at) for e in settled}
    saved(ctx, settled, applied, timings)
    last = max((s["last_seq"] for s, _ in applied.values()), default=0)
    version = (svc.projector.project_until(last, events=fresh)
               if last else svc.projector.checkpoint() or 0)
    projected_at = outcomes.now_ms()
    for cid in timings:
        timings[cid] = outcomes.stamp(outcomes.stamp(timings[cid], "projected_at", projected_at),
                                      "notified_at")
    outcomes.record(svc.redis, [(applied[e["command_id"]][0], applied[e["command_id"]][0]["status"],
                                 timings[e["command_id"]] if _ok(applied, e) else None, None)
                                for e in settled])
    with batched(ctx.emitter):
        for env in settled:
            status, events = applied[env["command_id"]]
            notify(ctx.emitter, svc.redis, env, status, events, version, timings[env["command_id"]])
    if crash is not None:
        raise crash
    return [applied[e["command_id"]][0]["status"] for e in envelopes]


def _ok(applied: dict, env: dict) -> bool:
    return applied[env["command_id"]][0]["status"] == "succeeded"


def saved(ctx, settled: list[dict], applied: dict, timings: dict) -> None:
    """Right after the commit, before projection: record each outcome (`saved`, or `failed` for a
    rejection: final) and tell the author's tabs alone that it is saved (command_saved)."""
    entries = []
    for env in settled:
        status = applied[env["command_id"]][0]
        ok = status["status"] == "succeeded"
        entries.append((status, "saved" if ok else "failed", timings[env["command_id"]] if ok else None,
                        status["last_seq"] if ok else None))
    outcomes.record(ctx.services.redis, entries)
    with batched(ctx.emitter):
        for (status, stage, timing, seq), env in zip(entries, settled):
            if stage == "saved":
                name, payload, rooms = saved_message(env, seq, timing)
                ctx.emitter.emit(name, payload, to=rooms)


TRANSIENT_DB_ERRORS = (OperationalError, InterfaceError)  # DB gone or busy: retry the whole job


def command_of(envelope: dict) -> Command:
    """The command an inbox envelope carries (without the queue's own fields, e.g. "rescues")."""
    return Command(envelope["command_id"], envelope["type"], envelope["payload"],
                   envelope.get("author", ""))


def apply_commands(cmds: list[Command], svc, give_up=frozenset()) -> tuple[
        dict, list[dict], Exception | None]:
    """The write side of a batch: {command_id: (status, events)}, the events appended just now (in
    seq order, for the projector's fast path) and the first crash, if any. Commands in `give_up`
    are not run: they are recorded failed ("not_applied"), unless already recorded.

    All commands in ONE transaction (one log lock, one commit: group commit). A command whose handler
    crashes must not take its batch-mates down: then the batch is rolled back and each command runs
    in its own transaction, and the crashed ones are left unrecorded (to be retried).
    """
    try:
        with svc.session_factory() as session, session.begin():
            out, fresh = _apply_batch(session, cmds, svc.rules, give_up)
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
                out[cmd.command_id] = apply_command(cmd, svc, give_up)
            except TRANSIENT_DB_ERRORS:
                raise
            except Exception as one:  # noqa: BLE001
                crash = crash or one
        return out, [], crash


def apply_command(cmd: Command, svc, give_up=frozenset()) -> tuple[dict, list[dict]]:
    """One command in its own write-side transaction. Returns (status, events) -- the recorded ones
    on a re-run."""
    with svc.session_factory() as session, session.begin():
        out, _ = _apply_batch(session, [cmd], svc.rules, give_up)
        return out[cmd.command_id]


def _apply_batch(session, cmds: list[Command], rules, give_up=frozenset()) -> tuple[
        dict, list[dict]]:
    """Inside a transaction: take the log lock, apply each command (or find its recorded outcome),
    then write every new event and outcome row in one INSERT per table and move the log head once.

    Events and outcomes are plain rows, not ORM objects: nothing in the batch reads them back (a
    command's earlier outcome comes from the lookup at the start), so they need not be flushed
    command by command -- that was two statements per command."""
    start = head = lock_log(session)
    recorded = {row.command_id: row for row in session.scalars(select(ProcessedCommand).where(
        ProcessedCommand.command_id.in_([c.command_id for c in cmds])))}
    out, fresh, outcome_rows = {}, [], []
    for cmd in cmds:
        done = recorded.get(cmd.command_id)
        if done is not None:
            events = [e.as_dict() for e in session.scalars(
                select(Event).where(Event.command_id == cmd.command_id).order_by(Event.seq))]
            out[cmd.command_id] = ({k: getattr(done, k) for k in STATUS_FIELDS}, events)
            continue
        try:
            if cmd.command_id in give_up:
                raise Rejected(**NOT_APPLIED)
            outcome = HANDLERS[cmd.type](cmd, session, rules)
        except Rejected as rejected:
            row, events = _outcome_row(cmd, "failed", error=rejected.as_dict()), []
        else:
            events = [{"seq": head + i, "type": e["type"], "data": e["data"],
                       "command_id": cmd.command_id, "author": cmd.author}
                      for i, e in enumerate(outcome.events, start=1)]
            head += len(events)
            fresh += events
            row = _outcome_row(cmd, "succeeded", result=outcome.result,
                               last_seq=head if events else 0)
        outcome_rows.append(row)
        out[cmd.command_id] = ({k: row[k] for k in STATUS_FIELDS}, events)
    now = time.time()
    if fresh:
        session.execute(insert(Event), [e | {"created_at": now} for e in fresh])
    if head != start:
        set_log_head(session, head)
    if outcome_rows:
        session.execute(insert(ProcessedCommand), outcome_rows)
    return out, fresh


def _outcome_row(cmd: Command, status: str, result=None, error=None, last_seq: int = 0) -> dict:
    return {"command_id": cmd.command_id, "type": cmd.type, "author": cmd.author, "status": status,
            "result": result, "error": error, "last_seq": last_seq, "created_at": time.time()}


def notify(emitter, r, envelope: dict, status: dict, events: list[dict], version: int,
           timings: dict | None = None) -> None:
    """Emit through the Socket.IO message queue -- only ever after the read side holds the change."""
    for ev in events:
        for name, payload, rooms in messages_for_event(ev, r):
            emitter.emit(name, payload, to=rooms)
    name, payload, rooms = outcome_message(envelope, status, version, timings)
    emitter.emit(name, payload, to=rooms)

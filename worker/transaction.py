"""The write side of a batch: ONE transaction, each command in its own savepoint (group commit).

A command's effects, events and processed_commands row commit together. Each command runs inside
`session.begin_nested()`: a rejection (Rejected) or a crash (a bug) rolls back exactly that command's
writes, so it can leave no row behind, and its batch-mates still apply. Transient DB errors and RQ's
own signals (the job timeout, a stop request) are never caught here: the whole transaction rolls
back and the job fails as RQ intends, keeping its batch for the retry.

A command_id already recorded is answered from its record, but only to its author: another member
sending the same id gets a `command_id_conflict` and nothing else (command ids are public: every
post_created carries one).
"""
import time
from dataclasses import dataclass, field

from rq.exceptions import StopRequested
from rq.timeouts import BaseTimeoutException
from sqlalchemy import insert, select
from sqlalchemy.exc import InterfaceError, OperationalError

from backend.write.commands import Command
from backend.write.handlers import HANDLERS, Rejected
from backend.write.models import Event, ProcessedCommand, lock_log, set_log_head

TRANSIENT_DB_ERRORS = (OperationalError, InterfaceError)  # DB gone or busy: retry the whole job
PASS_THROUGH = TRANSIENT_DB_ERRORS + (BaseTimeoutException, StopRequested)
STATUS_FIELDS = ("command_id", "type", "author", "status", "result", "error", "last_seq")
# The outcome of a command given up on: its own handler crashed more than CRASH_LIMIT times.
NOT_APPLIED = {"code": "not_applied",
               "message": "The server could not save this. Nothing was changed; please try again."}
CONFLICT = {"code": "command_id_conflict", "message": "That command_id belongs to another command."}


@dataclass
class Applied:
    """One command's result in a batch. `kind`: "new" (applied or rejected just now), "recorded"
    (its author's re-delivery of a command recorded before) or "conflict" (another member's id).
    `seq`: the log position its outcome waits for before it is announced."""
    status: dict
    events: list = field(default_factory=list)
    kind: str = "new"
    seq: int = 0


def command_of(envelope: dict) -> Command:
    """The command an inbox envelope carries (without the queue's own fields, e.g. "crashes")."""
    return Command(envelope["command_id"], envelope["type"], envelope["payload"],
                   envelope.get("author", ""))


def conflict_status(cmd: Command) -> dict:
    return {"command_id": cmd.command_id, "type": cmd.type, "author": cmd.author,
            "status": "failed", "result": None, "error": CONFLICT, "last_seq": 0}


def apply_commands(cmds: list[Command], svc, give_up=frozenset()) -> tuple[
        dict, list[dict], Exception | None]:
    """{command_id: Applied}, the events appended just now (seq order, for the projector's fast
    path) and the first crash, if any (its command is left unrecorded, to be retried). Commands in
    `give_up` are not run: they are recorded failed ("not_applied"), unless already recorded."""
    with svc.session_factory() as session, session.begin():
        return _apply_batch(session, cmds, svc.rules, give_up)


def apply_command(cmd: Command, svc, give_up=frozenset()) -> tuple[dict, list[dict]]:
    """One command in its own transaction (tests and tools): (status, events); re-raises a crash."""
    out, _, crash = apply_commands([cmd], svc, give_up)
    if crash is not None:
        raise crash
    return out[cmd.command_id].status, out[cmd.command_id].events


def _apply_batch(session, cmds: list[Command], rules, give_up) -> tuple[dict, list, Exception | None]:
    """Inside the transaction: take the log lock, apply each command in a savepoint (or answer from
    its record), then write every new event and outcome row in one INSERT per table and move the
    log head once."""
    start = head = lock_log(session)
    recorded = {row.command_id: row for row in session.scalars(select(ProcessedCommand).where(
        ProcessedCommand.command_id.in_([c.command_id for c in cmds])))}
    out, fresh, outcome_rows, crash = {}, [], [], None
    for cmd in cmds:
        known = recorded.get(cmd.command_id)
        if known is not None:
            out[cmd.command_id] = _answer(session, cmd, known)
            continue
        try:
            with session.begin_nested():
                if cmd.command_id in give_up:
                    raise Rejected(**NOT_APPLIED)
                outcome = HANDLERS[cmd.type](cmd, session, rules)
                session.flush()  # a handler's pending writes fail here, inside its savepoint
        except Rejected as rejected:
            row, events = _outcome_row(cmd, "failed", error=rejected.as_dict()), []
        except PASS_THROUGH:
            raise
        except Exception as bug:  # noqa: BLE001 -- a bug in a handler: that command alone
            crash = crash or bug
            continue
        else:
            events = [{"seq": head + i, "type": e["type"], "data": e["data"],
                       "command_id": cmd.command_id, "author": cmd.author}
                      for i, e in enumerate(outcome.events, start=1)]
            head += len(events)
            fresh += events
            row = _outcome_row(cmd, "succeeded", result=outcome.result,
                               last_seq=head if events else 0)
        outcome_rows.append(row)
        out[cmd.command_id] = Applied({k: row[k] for k in STATUS_FIELDS}, events, "new", head)
    now = time.time()
    if fresh:
        session.execute(insert(Event), [e | {"created_at": now} for e in fresh])
    if head != start:
        set_log_head(session, head)
    if outcome_rows:
        session.execute(insert(ProcessedCommand), outcome_rows)
    return out, fresh, crash


def _answer(session, cmd: Command, known: ProcessedCommand) -> Applied:
    """A command recorded before: its author's re-delivery gets the record (announced once the
    read side holds it, which it already may); another member gets a conflict, nothing more."""
    if known.author != cmd.author:
        return Applied(conflict_status(cmd), [], "conflict", 0)
    status = {k: getattr(known, k) for k in STATUS_FIELDS}
    return Applied(status, [], "recorded", known.last_seq or 0)


def _outcome_row(cmd: Command, status: str, result=None, error=None, last_seq: int = 0) -> dict:
    return {"command_id": cmd.command_id, "type": cmd.type, "author": cmd.author, "status": status,
            "result": result, "error": error, "last_seq": last_seq, "created_at": time.time()}

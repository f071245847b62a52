"""The drain loop: the RQ job takes the inbox's commands a batch at a time, until it is empty.

Per batch: one write transaction (worker/transaction.py) -> record each outcome at commit time and
tell each author `command_saved` (worker/outcomes.py, worker/announce.py) -> project the new events
inline (the fast path) -> the projector's announcer sends the public messages and each author's
outcome. Safe to run any number of times for the same command (RQ redelivery, retries, two workers):
the processed_commands row, written in the same transaction as the effects, turns a second run
into "answer from the record, once the read side holds it".

Demo mode only (backend/demo.py): `worker_delay_ms` is waited before taking each batch (never while
holding one), `workers_paused` takes nothing (the job hands over to a fresh one rather than outlive
its timeout, so the doorbell is never lost), `projection_paused` commits and records `saved` but
leaves projection and announcing to the projector loop once resumed.
"""
import logging
import time

from backend import demo
from backend.write.command_queue import (CRASH_LIMIT, DOORBELL, crashed, crashes, depth, done, ring,
                                         take)
from backend.read.notifications import outcome_message, saved_message
from worker import outcomes
from worker.transaction import apply_commands, command_of, conflict_status

log = logging.getLogger("ripple.worker")
DRAIN_S = 5.0  # a drain job hands over to a fresh one after this long (well inside the job timeout)
PAUSE_POLL_S = 0.05


def controls(services) -> dict:
    """The demo controls, read only in demo mode; outside it they are all off."""
    return demo.read_controls(services.redis) if services.config.demo else demo.OFF


def drain_inbox(ctx) -> dict:
    """Apply the inbox's commands, a batch per transaction, until none is left to read. Returns how
    many commands it applied, in how many batches. A crashed command (a handler's bug) is re-raised
    once its batch-mates are done, so RQ records the failure (and retries the job)."""
    r, queue, config = ctx.services.redis, ctx.services.queue, ctx.services.config
    r.delete(DOORBELL)  # from now on a new command rings for a new job: none waits unseen
    started = time.monotonic()
    end, applied, batches = started + DRAIN_S, 0, 0
    while True:
        if not _wait_for_turn(ctx.services, started + config.job_timeout_s / 2):
            if depth(r):  # paused (or slowed) past half the job's time: a fresh job takes over
                ring(queue, r, config.job_timeout_s)
            return {"commands": applied, "batches": batches, "handed_over": True}
        envelopes = take(r, ctx.consumer, config.command_batch)
        if envelopes and envelopes[0].claimed:
            log.warning("claimed %d commands left by a dead, failed or timed-out run",
                        len(envelopes))
        if not envelopes:
            return {"commands": applied, "batches": batches}
        _, crash, again = apply_batch(envelopes, ctx)
        done(r, [e for e in envelopes if all(e is not x for x in again)])
        if again:
            crashed(r, again)
        if crash is not None:
            raise crash
        applied, batches = applied + len(envelopes), batches + 1
        if time.monotonic() > end:  # let other queues and the RQ bookkeeping breathe
            if depth(r):
                ring(queue, r, config.job_timeout_s)
            return {"commands": applied, "batches": batches, "handed_over": True}


def _wait_for_turn(services, deadline: float) -> bool:
    """Demo mode: wait out the worker delay and a pause before taking a batch; False if that would
    run past `deadline`, or if paused with nothing to take."""
    if not services.config.demo:
        return True
    while True:
        state = controls(services)
        if not state["workers_paused"]:
            delay = state["worker_delay_ms"] / 1000
            if time.monotonic() + delay > deadline:
                return False
            time.sleep(delay)
            return True
        if not depth(services.redis):
            return False  # nothing waits: a new command rings for a new job
        if time.monotonic() + PAUSE_POLL_S > deadline:
            return False
        time.sleep(PAUSE_POLL_S)


def handle_commands(envelopes: list[dict], ctx) -> list[str]:
    """A batch on its own (tests and tools): each command's status; a crash is re-raised."""
    statuses, crash, _ = apply_batch(envelopes, ctx)
    if crash is not None:
        raise crash
    return statuses


def apply_batch(envelopes: list[dict], ctx) -> tuple[list[str], Exception | None, list[dict]]:
    """Apply a batch, record and announce `saved`, then project and announce (unless projection is
    paused). Returns each settled command's status, the first crash (a bug, not a rule) and the
    envelopes whose handler crashed: not recorded, to be tried again."""
    taken_at = outcomes.now_ms()
    unique, clashes = {}, []
    for env in envelopes:  # the same command twice in one job (a quick re-send): once
        first = unique.setdefault(env["command_id"], env)
        if first.get("author") != env.get("author"):
            clashes.append(env)  # the same id from two members: the later one is a conflict
    envelopes = list(unique.values())
    svc = ctx.services
    give_up = {e["command_id"] for e in envelopes if crashes(e) > CRASH_LIMIT}
    for command_id in give_up:
        log.error("command %s crashed its handler %d times: recording it as not applied (unless "
                  "it already was)", command_id, CRASH_LIMIT + 1)
    applied, fresh, crash = apply_commands([command_of(e) for e in envelopes], svc, give_up)
    committed_at = outcomes.now_ms()
    settled = [e for e in envelopes if e["command_id"] in applied]  # all but crashed ones
    need = _record_saved(ctx, settled, applied, clashes, taken_at, committed_at)
    if not controls(svc)["projection_paused"]:
        if fresh:  # the fast path: straight from memory (need is their last seq)
            cp = svc.projector.project_until(fresh[-1]["seq"], events=fresh)  # announces them
        else:  # re-deliveries, rejections, no-ops: wait only if the read side is behind
            cp = svc.projector.checkpoint() or 0
            if need > cp:
                cp = svc.projector.project_until(need)
        ctx.announcer.flush(cp)
    again = [e for e in envelopes if e["command_id"] not in applied]
    return [applied[e["command_id"]].status["status"] for e in settled], crash, again


def _record_saved(ctx, settled, applied, clashes, taken_at, committed_at) -> int:
    """At commit time: each outcome recorded (`saved`, or `failed`: final) and left pending until
    the read side reaches its seq; command_saved to the authors of commands committed just now;
    a conflict told to its sender alone. Returns the seq the read side must reach."""
    entries, pending, messages, need = [], [], [], 0
    for position, env in enumerate(settled):
        a = applied[env["command_id"]]
        if a.kind == "conflict":
            messages.append(outcome_message(env, a.status, 0))
            continue
        ok = a.status["status"] == "succeeded"
        timings = outcomes.stamp(outcomes.start_timings(env, taken_at), "committed_at",
                                 committed_at) if ok else None
        entries.append((a.status, "saved" if ok else "failed", timings, a.seq))
        pending.append((env["command_id"], outcomes.pending_score(a.seq, position)))
        need = max(need, a.seq)
        if ok and a.kind == "new":
            messages.append(saved_message(env, a.seq, timings))
    for env in clashes:
        messages.append(outcome_message(env, conflict_status(command_of(env)), 0))
    conflicts = [e for e in settled if applied[e["command_id"]].kind == "conflict"] + clashes
    outcomes.forget_markers(ctx.services.redis, conflicts)
    outcomes.record(ctx.services.redis, entries, pending)
    ctx.announcer.emit(messages)
    return need

"""Fast recovery of commands whose worker died mid-job (SIGKILL, OOM kill, lost machine).

RQ notices an abandoned job only when its StartedJobRegistry entry expires (job timeout + 60 s) *and*
a worker's maintenance pass runs (every 10 minutes by default); a job a worker took from the queue but
had not yet started sits in RQ's "intermediate" list for over a minute. Either way a user's command
would wait minutes.

Instead every Ripple worker runs a Watchman: a daemon thread that keeps a short-lived "alive" key for
its worker and, twice a second, requeues (same job id) every job whose worker has no such key any more.
Re-running a command is harmless -- the worker is idempotent -- so a false alarm (a worker starved of
CPU for ALIVE_TTL_S) costs a little work, never a duplicate effect. The bound from a kill to the job
being back in the queue is ALIVE_TTL_S + INTERVAL_S (and STUCK_S + INTERVAL_S for the intermediate
list). Every process that takes jobs from a Ripple queue should run this thread (`python -m worker`
does): a job running longer than ALIVE_TTL_S in a process without it looks abandoned and is run a
second time (harmless, but wasted work).

The Watchman is also the command inbox's safety net: commands waiting with no drain job queued,
running or scheduled for STUCK_S get one (serve_inbox), and the batch of a drain job that failed for
good (RQ's retries exhausted, e.g. by a long write-DB outage) goes back to the inbox once the DB
answers again (rescue_stranded; backend/command_queue.rescue). Without that, such commands would
wait for their author's tab to re-send them -- and a closed tab never would.
"""
import logging
import threading
import time

from rq.executions import Execution, ExecutionRegistry
from rq.job import JobStatus
from rq.utils import as_text, parse_composite_key

from sqlalchemy import text

from backend.recovery_status import ALIVE_PREFIX, record_pass
from backend.write.command_queue import INBOX, enqueue_drain, rescue, ring, stranded

log = logging.getLogger("ripple.recovery")
ALIVE_TTL_S = 3      # a worker whose key is this old is dead
INTERVAL_S = 0.5     # how often each worker refreshes its key and looks for abandoned jobs
STUCK_S = 2.0        # dequeued but never started for this long: its worker died in between
RESCUE_EVERY_S = 5.0  # how often each worker looks for batches left by failed drain jobs
RERUN_STATES = {JobStatus.STARTED, JobStatus.QUEUED}


def alive_key(worker_name: str) -> str:
    return ALIVE_PREFIX + worker_name  # not "ripple:": read-model dumps and rebuilds skip it


def mark_alive(conn, worker_name: str) -> None:
    conn.set(alive_key(worker_name), time.time(), ex=ALIVE_TTL_S)


def _forget_execution(conn, job_id: str, execution_id: str) -> None:
    """Drop the dead worker's execution from the job's execution registry. RQ 3.0 keeps it there
    for the execution's TTL + 60 s but lets its hash expire at the TTL, and a run of the job that
    ends in between then fails in RQ's own cleanup ("Execution ... not found in Redis") -- again on
    every retry, until the job fails for good (seen in the SIGKILL fault scenario)."""
    conn.zrem(ExecutionRegistry(job_id=job_id, connection=conn).key, execution_id)


def _requeue(queue, job_id: str) -> bool:
    """Put a claimed job back at the front of its queue, unless it already finished."""
    job = queue.fetch_job(job_id)
    if job is None or job.get_status(refresh=False) not in RERUN_STATES:
        return False
    queue.connection.lrem(queue.intermediate_queue_key, 0, job_id)
    queue.enqueue_job(job, at_front=True)
    return True


def _abandoned_started(queue, now: float) -> list[tuple[str, str]]:
    """(registry entry, job id) of started jobs whose worker is gone."""
    conn, found = queue.connection, []
    for raw in conn.zrange(queue.started_job_registry.key, 0, -1):
        entry = as_text(raw)
        job_id, execution_id = parse_composite_key(entry)
        info = conn.hmget(Execution(execution_id, job_id, conn).key, "worker_name", "created_at")
        worker, created = as_text(info[0] or b""), float(info[1] or 0)
        if now - created >= ALIVE_TTL_S and not (worker and conn.exists(alive_key(worker))):
            found.append((entry, job_id))
    return found


def recover(queue, seen: dict, now: float | None = None) -> list[str]:
    """One pass: requeue abandoned jobs of `queue`; return their ids. `seen` persists between passes
    (job id -> when first seen stuck in the intermediate list)."""
    now = time.time() if now is None else now
    conn, requeued = queue.connection, []
    for entry, job_id in _abandoned_started(queue, now):
        # ZREM is the claim: when several workers find the same job, exactly one requeues it.
        if conn.zrem(queue.started_job_registry.key, entry) and _requeue(queue, job_id):
            _forget_execution(conn, job_id, parse_composite_key(entry)[1])
            requeued.append(job_id)
            seen.pop(job_id, None)
    started = {parse_composite_key(as_text(e))[0]
               for e in conn.zrange(queue.started_job_registry.key, 0, -1)}
    waiting = [as_text(j) for j in conn.lrange(queue.intermediate_queue_key, 0, -1)]
    for job_id in waiting:
        if job_id in started:  # running, so not stuck: its next wait starts a fresh clock
            seen.pop(job_id, None)
            continue
        if now - seen.setdefault(job_id, now) >= STUCK_S:
            seen.pop(job_id)
            if conn.lrem(queue.intermediate_queue_key, 1, job_id) and _requeue(queue, job_id):
                requeued.append(job_id)
    for job_id in set(seen) - set(waiting):
        del seen[job_id]
    return requeued


def inbox_unserved(queue) -> bool:
    """Commands wait in the inbox and no drain job is queued, running or due for a retry."""
    conn = queue.connection
    return bool(conn.llen(INBOX)) and queue.count == 0 and not any(
        conn.zcard(key) for key in (queue.started_job_registry.key, queue.scheduled_job_registry.key)
    ) and not conn.llen(queue.intermediate_queue_key)


def serve_inbox(queue, state: dict, job_timeout: int, now: float | None = None) -> bool:
    """One pass of the inbox safety net: a web process that died between ringing the doorbell and
    enqueuing the drain job (or a doorbell left set) must not leave commands waiting. True when it
    enqueued a drain job (after STUCK_S of the inbox being unserved)."""
    now = time.time() if now is None else now
    if not inbox_unserved(queue):
        state.pop("since", None)
        return False
    if now - state.setdefault("since", now) < STUCK_S:
        return False
    state.pop("since")
    enqueue_drain(queue, job_timeout)
    return True


def rescue_stranded(queue, state: dict, db_answers, job_timeout: int,
                    now: float | None = None) -> int:
    """One pass (at most every RESCUE_EVERY_S): when the write DB answers, put the batches of drain
    jobs that failed for good back in the inbox and ring for a drain job. Returns the commands moved."""
    now = time.time() if now is None else now
    if now - state.get("last", 0.0) < RESCUE_EVERY_S:
        return 0
    state["last"] = now
    jobs = stranded(queue)
    if not jobs or not db_answers():  # still down: rescuing now would only fail again
        return 0
    moved = sum(rescue(queue.connection, job_id) for job_id in jobs)
    if moved:
        ring(queue, queue.connection, job_timeout)
    return moved


def db_answers(engine) -> bool:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 -- any failure means "not yet"
        return False


class Watchman:
    """The thread each worker process runs: its alive key, and recovery passes over `queue`.

    `worker_name` may change while it runs (`python -m worker` starts a fresh RQ worker, under a new
    name, when the previous one quit on a lost Redis connection)."""

    def __init__(self, queue, worker_name: str, job_timeout: int = 30, engine=None):
        self.queue, self.worker_name, self.job_timeout = queue, worker_name, job_timeout
        self.engine = engine  # the write DB, to rescue failed batches only once it answers

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._loop, name="ripple-recovery", daemon=True)
        thread.start()
        return thread

    def _loop(self) -> None:
        state = ({}, {}, {})
        while True:
            self.one_pass(*state)
            time.sleep(INTERVAL_S)

    def one_pass(self, seen: dict, inbox: dict, rescued: dict) -> bool:
        """One recovery pass; its success or failure is recorded (GET /healthz shows it: a
        recovery that keeps failing -- e.g. RQ's internals changed -- is never silent)."""
        conn = self.queue.connection
        try:
            mark_alive(conn, self.worker_name)
            for job_id in recover(self.queue, seen):
                log.warning("requeued abandoned job %s", job_id)
            if serve_inbox(self.queue, inbox, self.job_timeout):
                log.warning("commands waited in the inbox with no drain job: enqueued one")
            if self.engine is not None and (moved := rescue_stranded(
                    self.queue, rescued, lambda: db_answers(self.engine), self.job_timeout)):
                log.warning("%d commands of drain jobs that failed for good: back in the inbox",
                            moved)
        except Exception as exc:  # noqa: BLE001 -- Redis briefly gone: try again next tick
            log.warning("recovery pass failed: %s", exc)
            record_pass(conn, type(exc).__name__)
            return False
        record_pass(conn, None)
        return True

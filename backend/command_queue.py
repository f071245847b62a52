"""Putting commands on the RQ queue -- several per job when they arrive together (group commit).

Every accepted command is in Redis before its 202 leaves, inside an RQ job
`worker.jobs.process_commands(envelopes)`, next to a marker `ripple-queued:<command_id>` that says
which job holds it and for whom (POST /api/commands and GET /api/commands/<id> read it). The job and
its markers are written in one MULTI/EXEC.

Why several commands per job: RQ's own bookkeeping (registries, execution records, status; ~2 ms of
worker CPU) was the largest single cost of a command, and a worker can apply many commands in one
write transaction. So the requests of one web process that arrive while an enqueue is in flight wait
for it and then leave together as the next job (the first of them enqueues it: the "leader"). A lone
request is enqueued at once -- batching never adds a wait, it only forms under load -- and a request
never answers before its command is stored, so an acknowledged command cannot be lost with the web
process. The worker keeps every command's own outcome, idempotency and notification.
"""
import json
import threading
import uuid
from collections.abc import Callable

from rq import Retry

JOB_FUNC = "worker.jobs.process_commands"
RETRY = Retry(max=6, interval=[1, 2, 4, 8, 16, 30])  # transient faults: DB or Redis briefly gone
KEEP_FAILED_S = 7 * 24 * 3600
MAX_BATCH = 50


def queued_key(command_id: str) -> str:
    # Not under "ripple:": that prefix holds read models, which a rebuild drops and replays.
    return f"ripple-queued:{command_id}"


def enqueue_commands(queue, envelopes: list[dict], job_timeout: int) -> str:
    """One RQ job for `envelopes`, and their markers, in one MULTI/EXEC; returns the job id."""
    job_id = str(uuid.uuid4())
    with queue.connection.pipeline() as p:
        queue.enqueue_call(JOB_FUNC, args=(envelopes,), job_id=job_id, retry=RETRY, result_ttl=0,
                           failure_ttl=KEEP_FAILED_S, timeout=job_timeout, pipeline=p)
        for env in envelopes:
            p.set(queued_key(env["command_id"]), json.dumps([env["author"], job_id]),
                  ex=KEEP_FAILED_S)
        p.execute()
    return job_id


def queued_in(r, command_id: str) -> tuple[str, str] | None:
    """(author, job id) of the job a command was put in, if it was."""
    raw = r.get(queued_key(command_id))
    return tuple(json.loads(raw)) if raw else None


class _Waiting:
    __slots__ = ("envelope", "ready", "lead", "job_id", "error")

    def __init__(self, envelope: dict):
        self.envelope, self.ready, self.lead = envelope, threading.Event(), False
        self.job_id, self.error = None, None


class CommandQueue:
    """Group commit at the queue, for the concurrent requests (threads or greenlets) of one process.

    The first request to arrive while no enqueue is running leads: it enqueues everything waiting
    (itself first, at most `max_batch`) as one job, wakes those requests, and hands the lead to the
    first request still waiting, if any.
    """

    def __init__(self, enqueue: Callable[[list[dict]], str], max_batch: int = MAX_BATCH):
        """`enqueue(envelopes) -> job id` stores one batch (enqueue_commands, bound to a queue)."""
        self.enqueue, self.max_batch = enqueue, max_batch
        self._lock = threading.Lock()
        self._waiting: list[_Waiting] = []
        self._leading = False

    def submit(self, envelope: dict) -> str:
        """Store `envelope` in an RQ job (returns its id) or raise what storing it raised."""
        me = _Waiting(envelope)
        with self._lock:
            self._waiting.append(me)
            if not self._leading:
                self._leading = me.lead = True
        if not me.lead:
            me.ready.wait()
        if me.lead:  # we were first, or the previous leader handed over to us
            self._lead()
        if me.error is not None:
            raise me.error
        return me.job_id

    def _lead(self) -> None:
        with self._lock:
            batch, self._waiting = self._waiting[:self.max_batch], self._waiting[self.max_batch:]
        try:
            job_id = self.enqueue([w.envelope for w in batch])
        except Exception as exc:  # noqa: BLE001 -- each request answers with it (503 upstream)
            for w in batch:
                w.error = exc
        else:
            for w in batch:
                w.job_id = job_id
        with self._lock:
            nxt = self._waiting[0] if self._waiting else None
            if nxt is None:
                self._leading = False
            else:
                nxt.lead = True
        for w in batch[1:]:  # batch[0] is this request, the leader
            w.ready.set()
        if nxt is not None:
            nxt.ready.set()

"""Contract test: the RQ behaviours Ripple's command path relies on, pinned against a real Redis and
real RQ workers, so an RQ upgrade that changes one fails here instead of in production.

Public behaviour (retries with intervals, the failed registry, the job timeout, RQ's own
abandoned-job cleanup, the JSON serializer, Worker.count) and the private structures
worker/recovery.py still reads (the StartedJobRegistry's "job:execution" entries,
Execution hashes, the ExecutionRegistry, the intermediate list, parse_composite_key) and
worker/__main__.py still reads (Worker._shutdown_requested_date). The job functions are trivial
(tests/rq_contract_jobs.py); each test names the Ripple module that depends on what it pins.
"""
import json
import signal
import time
import uuid
import zlib
from datetime import datetime

import pytest
import redis
from rq import Queue, Retry, SimpleWorker, Worker
from rq.exceptions import NoSuchJobError, StopRequested
from rq.executions import Execution, ExecutionRegistry
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer
from rq.timeouts import BaseTimeoutException, JobTimeoutException
from rq.utils import as_text, parse_composite_key

from backend.write.command_queue import JOB_FUNC, KEEP_S, RETRY, enqueue_drain, stranded, taken_key
from tests.support import PYTHON, Proc, wait_for
from worker import recovery
from worker.transaction import PASS_THROUGH

JOBS = "tests.rq_contract_jobs"
TIMEOUT_S = 30  # Ripple's default job timeout (Config.job_timeout_s)


@pytest.fixture
def conn(redis_server):
    """A Redis client as RQ needs it (bytes), on a database of its own, emptied before and after."""
    c = redis.Redis.from_url(redis_server.url.rsplit("/", 1)[0] + "/9")
    c.flushdb()
    yield c
    c.flushdb()


@pytest.fixture
def queue(conn):
    return Queue(f"rqc-{uuid.uuid4().hex[:8]}", connection=conn, serializer=JSONSerializer)


@pytest.fixture
def kill_worker(conn, queue, tmp_path):
    """Start `python -m tests.rq_contract_jobs` (a SimpleWorker like `python -m worker`'s) on the
    queue; returns (name, proc). Every process started is stopped at the end."""
    procs = []
    url = conn.connection_pool.connection_kwargs
    redis_url = f"redis://{url['host']}:{url['port']}/{url['db']}"

    def start():
        name = f"rqc-worker-{uuid.uuid4().hex[:6]}"
        proc = Proc([PYTHON, "-m", JOBS, redis_url, queue.name, name], None,
                    tmp_path / f"{name}.log").start()
        procs.append(proc)
        return name, proc
    yield start
    for proc in procs:
        proc.stop(signal.SIGKILL)


def burst(queue, with_scheduler=False) -> None:
    """A real SimpleWorker, in this process, until the queue is empty."""
    SimpleWorker([queue], connection=queue.connection, serializer=JSONSerializer).work(
        burst=True, with_scheduler=with_scheduler, logging_level="WARNING")


def notes(conn, key: str) -> list[tuple[str, str]]:
    return [tuple(as_text(x).split("|", 1)) for x in conn.lrange(key, 0, -1)]


def enqueue(queue, func: str, *args, retry=RETRY, timeout=TIMEOUT_S) -> Job:
    """Enqueued as backend/write/command_queue.enqueue_drain does (by dotted name, own job id)."""
    return queue.enqueue_call(f"{JOBS}.{func}", args=args, job_id=str(uuid.uuid4()), retry=retry,
                              result_ttl=0, failure_ttl=KEEP_S, timeout=timeout)


def scheduled_at(queue, job_id: str) -> float:
    return queue.connection.zscore(queue.scheduled_job_registry.key, job_id)


def assert_due_in(queue, job_id: str, interval: int, since: float) -> float:
    """The job waits in the scheduled registry for `interval` s from its failure (at or after
    `since`); RQ stores the due time in whole seconds."""
    due = scheduled_at(queue, job_id)
    assert due is not None, "not in the scheduled registry"
    assert since + interval - 1 < due <= time.time() + interval
    return due


def test_drain_job_is_json_on_the_wire_with_ripples_retry_budget(conn, queue):
    """JSON serializer + Retry(max=6, interval=[1, 2, 4, 8, 16, 30]): relied on by
    backend/write/command_queue.enqueue_drain (the web process enqueues, worker/__main__.py and
    backend/web/api._job_live read the job with JSONSerializer) and the README's fault budget (a
    write DB away for ~61 s is ridden out by retries). Each retry waits the next interval in order."""
    job_id = enqueue_drain(queue, TIMEOUT_S)
    raw = conn.hgetall(f"rq:job:{job_id}")
    func, _instance, args, kwargs = json.loads(zlib.decompress(raw[b"data"]))  # JSON, not pickle
    assert (func, args, kwargs) == (JOB_FUNC, [], {})
    job = Job.fetch(job_id, connection=conn, serializer=JSONSerializer)
    assert job.func_name == JOB_FUNC
    assert job.get_status(refresh=False) == JobStatus.QUEUED
    assert (job.timeout, job.result_ttl, job.failure_ttl) == (TIMEOUT_S, 0, KEEP_S)
    assert (job.retries_left, job.retry_intervals) == (6, [1, 2, 4, 8, 16, 30])
    waits = []
    for left in range(6, 0, -1):
        job.retries_left = left
        waits.append(job.get_retry_interval())
    assert waits == [1, 2, 4, 8, 16, 30] and sum(waits) == 61
    assert queue.job_ids == [job_id]


def test_failed_job_is_retried_by_interval_under_its_id_then_lands_in_failed_registry(conn, queue):
    """Retry with intervals, then FailedJobRegistry: relied on by backend/write/command_queue
    (a retried drain job finds its batch in `ripple-inbox:taken:<job id>`, so every attempt must
    run under the same job id; `stranded` reads the failed registry's zset for plain job ids) and
    worker/recovery.inbox_unserved (a job waiting for its retry sits in the scheduled registry)."""
    job = enqueue(queue, "fail", "notes", retry=Retry(max=2, interval=[1, 1]))
    for attempt, left in ((1, 1), (2, 0)):
        since = time.time()
        burst(queue, with_scheduler=True)
        job.refresh()
        assert job.get_status(refresh=False) == JobStatus.SCHEDULED, attempt
        assert job.retries_left == left
        due = assert_due_in(queue, job.id, 1, since)
        assert queue.count == 0 and not conn.zcard(queue.started_job_registry.key)
        assert not conn.zcard(queue.failed_job_registry.key)
        time.sleep(max(0.0, due - time.time()) + 0.05)
    burst(queue, with_scheduler=True)  # the third and last attempt
    assert notes(conn, "notes") == [(job.id, "ran")] * 3
    job.refresh()
    assert job.get_status(refresh=False) == JobStatus.FAILED
    assert "contract: always fails" in job.latest_result().exc_string
    assert [as_text(j) for j in conn.zrange(queue.failed_job_registry.key, 0, -1)] == [job.id]
    expires = conn.zscore(queue.failed_job_registry.key, job.id)
    assert abs(expires - (time.time() + KEEP_S)) < 60  # kept for inspection for failure_ttl
    assert conn.ttl(job.key) > KEEP_S - 60
    assert not conn.zcard(queue.scheduled_job_registry.key) and queue.count == 0
    conn.rpush(taken_key(job.id), "{}")  # the batch a failed drain job would still hold
    assert stranded(queue) == [job.id]


def test_job_timeout_reaches_the_job_as_a_pass_through_exception_and_fails_it(conn, queue):
    """The job timeout: RQ raises JobTimeoutException (a BaseTimeoutException, itself an Exception)
    inside the job's own code; worker/transaction.PASS_THROUGH must let it through (docs/
    architecture.md "RQ's signals pass through"), and the job then fails and is retried like any
    other failure instead of running on past its timeout."""
    assert issubclass(JobTimeoutException, BaseTimeoutException)
    assert issubclass(BaseTimeoutException, Exception)  # why an `except Exception` would eat it
    assert issubclass(StopRequested, Exception)
    assert issubclass(JobTimeoutException, PASS_THROUGH) and issubclass(StopRequested, PASS_THROUGH)
    job = enqueue(queue, "slow", "notes", 10, retry=Retry(max=1, interval=[60]), timeout=1)
    since, started = time.time(), time.monotonic()
    burst(queue)
    assert time.monotonic() - started < 4  # stopped at ~1 s, not after the job's 10 s
    assert notes(conn, "notes") == [(job.id, "passed:JobTimeoutException")]
    job.refresh()
    assert job.get_status(refresh=False) == JobStatus.SCHEDULED and job.retries_left == 0
    assert_due_in(queue, job.id, 60, since)


def _started_entry(conn, queue) -> tuple[str, float]:
    entries = conn.zrange(queue.started_job_registry.key, 0, -1, withscores=True)
    assert len(entries) == 1, entries
    return as_text(entries[0][0]), entries[0][1]


def _run_and_kill(conn, queue, kill_worker, key="notes") -> tuple[Job, str, str, float]:
    """A drain-like job started by a subprocess worker that is then SIGKILLed mid-job. Checks what
    RQ records about a running job; returns (job, worker name, execution id, started-entry score)."""
    job = enqueue(queue, "block", key, "release")
    name, proc = kill_worker()
    wait_for(lambda: notes(conn, key), timeout=15, what="the job to start")
    assert Worker.count(connection=conn, queue=queue) == 1  # backend/read/system.py, seed.py
    entry, score = _started_entry(conn, queue)
    job_id, execution_id = parse_composite_key(entry)  # "job id:execution id"
    assert job_id == job.id and execution_id
    # the Execution hash: who runs it, since when (worker/recovery._abandoned_started)
    info = conn.hmget(Execution(execution_id, job.id, conn).key, "worker_name", "created_at")
    assert as_text(info[0]) == name
    assert abs(float(info[1]) - time.time()) < 10
    assert execution_id in [as_text(e) for e in
                            conn.zrange(ExecutionRegistry(job_id=job.id, connection=conn).key, 0, -1)]
    # RQ's own abandoned-job clock: the job timeout + 60 s from the start
    assert abs(score - (time.time() + TIMEOUT_S + 60)) < 10
    assert not conn.llen(queue.intermediate_queue_key)  # a one-queue worker drops it on start
    proc.stop(signal.SIGKILL)
    job.refresh()
    assert job.get_status(refresh=False) == JobStatus.STARTED  # nothing noticed the death
    assert _started_entry(conn, queue)[0] == entry
    return job, name, execution_id, score


def test_killed_workers_job_is_found_in_rq_internals_and_requeued_under_its_id(conn, queue,
                                                                               kill_worker):
    """Abandoned-job handling, fast path: worker/recovery.recover (the Watchman) finds a SIGKILLed
    worker's job through the StartedJobRegistry's "job:execution" entries (parse_composite_key) and
    the Execution hash's worker_name/created_at, drops the execution from the ExecutionRegistry,
    and requeues the job under the same id with the public enqueue_job(at_front=True); the re-run
    then finishes normally (result_ttl=0: the job is gone, as backend/web/api._job_live expects)."""
    job, _name, execution_id, _score = _run_and_kill(conn, queue, kill_worker)
    assert recovery.recover(queue, {}, now=time.time() + recovery.ALIVE_TTL_S + 1) == [job.id]
    job.refresh()
    assert job.get_status(refresh=False) == JobStatus.QUEUED
    assert queue.job_ids == [job.id]
    assert not conn.zcard(queue.started_job_registry.key)
    assert execution_id not in [as_text(e) for e in conn.zrange(
        ExecutionRegistry(job_id=job.id, connection=conn).key, 0, -1)]
    conn.set("release", 1)
    burst(queue)
    assert notes(conn, "notes") == [(job.id, "started"), (job.id, "started"), (job.id, "released")]
    with pytest.raises(NoSuchJobError):
        Job.fetch(job.id, connection=conn, serializer=JSONSerializer)
    assert not conn.zcard(queue.failed_job_registry.key)
    assert not conn.zcard(queue.started_job_registry.key)


def test_rq_cleanup_retries_a_killed_workers_job_once_its_started_entry_expires(conn, queue,
                                                                                kill_worker):
    """Abandoned-job handling, RQ's own fallback (the slow path worker/recovery.py's docstring
    describes, and what is left when no Watchman runs): StartedJobRegistry.cleanup leaves the job
    alone before its entry expires (job timeout + 60 s) and afterwards spends one of its retries on
    it (scheduled by the retry interval), not straight to the failed registry."""
    job, _name, _execution_id, score = _run_and_kill(conn, queue, kill_worker)
    queue.started_job_registry.cleanup(timestamp=score - 1)
    job.refresh()
    assert job.get_status(refresh=False) == JobStatus.STARTED
    since = time.time()
    queue.started_job_registry.cleanup(timestamp=score + 1)
    job.refresh()
    assert job.get_status(refresh=False) == JobStatus.SCHEDULED
    assert job.retries_left == 5
    assert_due_in(queue, job.id, RETRY.intervals[0], since)  # RETRY's first interval
    assert not conn.zcard(queue.started_job_registry.key)
    assert not conn.zcard(queue.failed_job_registry.key)


def test_dequeued_but_unstarted_job_waits_in_the_intermediate_list(conn, queue):
    """RQ's dequeue moves a job id from the queue to `<queue key>:intermediate` (LMOVE) until a
    worker starts it: worker/recovery.recover reads that list (queue.intermediate_queue_key) to
    requeue a job whose worker died between dequeue and start after STUCK_S, not RQ's 1+ minute."""
    job = enqueue(queue, "succeed", "notes")
    assert queue.intermediate_queue_key == queue.key + ":intermediate"
    taken = Queue.dequeue_any([queue], None, connection=conn, serializer=JSONSerializer)
    assert taken is not None and taken[0].id == job.id
    assert queue.count == 0
    assert [as_text(j) for j in conn.lrange(queue.intermediate_queue_key, 0, -1)] == [job.id]
    assert job.get_status() == JobStatus.QUEUED
    seen, now = {}, time.time()
    assert recovery.recover(queue, seen, now=now) == []  # first seen
    assert recovery.recover(queue, seen, now=now + recovery.STUCK_S) == [job.id]
    assert queue.job_ids == [job.id] and not conn.llen(queue.intermediate_queue_key)
    burst(queue)
    assert notes(conn, "notes") == [(job.id, "ran")]
    assert not conn.llen(queue.intermediate_queue_key)


def test_stop_request_is_recorded_in_shutdown_requested_date(conn, queue):
    """worker/__main__._run tells "stopped as asked" (SIGTERM/SIGINT: exit) from "quit on an error"
    (start a fresh worker) by RQ's private Worker._shutdown_requested_date."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        worker = SimpleWorker([queue], connection=conn, serializer=JSONSerializer)
        assert worker._shutdown_requested_date is None
        with pytest.raises(StopRequested):  # idle: the work loop ends on this
            worker.request_stop(signal.SIGTERM, None)
        assert isinstance(worker._shutdown_requested_date, datetime)
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)

"""Contract test: the RQ behaviours Ripple's command path relies on, pinned against a real Redis and
real RQ workers, so an RQ upgrade that changes one fails here instead of in production.

All public behaviour: retries with intervals, the failed registry, the job timeout, RQ's own
abandoned-job cleanup, the JSON serializer, Queue.count, Worker.count. Recovery reads no RQ
internals any more (the inbox is a Redis stream: backend/write/command_queue.py); the one private
attribute pinned is Worker._shutdown_requested_date, which worker/__main__.py reads to tell a stop
request from a crash. The job functions are trivial (tests/rq_contract_jobs.py); each test names the
Ripple module that depends on what it pins.
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
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer
from rq.timeouts import BaseTimeoutException, JobTimeoutException
from rq.utils import as_text

from backend.write.command_queue import JOB_FUNC, KEEP_S, RETRY, enqueue_drain
from tests.support import PYTHON, Proc, wait_for
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
    backend/write/command_queue.enqueue_drain (the web process enqueues, worker/__main__.py reads
    the job with JSONSerializer) and the README's fault budget (a write DB away for ~61 s is ridden
    out by retries). Each retry waits the next interval in order."""
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
    """Retry with intervals, then FailedJobRegistry: relied on by worker/drain.py (a drain job that
    failed on a transient fault runs again after the interval; one failed for good is kept for
    inspection, `rq info`) and worker/recovery.serve_inbox (Queue.count counts the jobs waiting to
    start, not one waiting for its retry: those are in the scheduled registry)."""
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
    assert queue.failed_job_registry.get_job_ids() == [job.id]
    expires = conn.zscore(queue.failed_job_registry.key, job.id)
    assert abs(expires - (time.time() + KEEP_S)) < 60  # kept for inspection for failure_ttl
    assert conn.ttl(job.key) > KEEP_S - 60
    assert not conn.zcard(queue.scheduled_job_registry.key) and queue.count == 0


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


def _run_and_kill(conn, queue, kill_worker, key="notes") -> Job:
    """A drain-like job started by a subprocess worker that is then SIGKILLed mid-job."""
    job = enqueue(queue, "block", key, "release")
    _name, proc = kill_worker()
    wait_for(lambda: notes(conn, key), timeout=15, what="the job to start")
    assert Worker.count(connection=conn, queue=queue) == 1  # backend/read/system.py, seed.py
    assert queue.started_job_registry.get_job_ids() == [job.id]
    proc.stop(signal.SIGKILL)
    job.refresh()
    assert job.get_status(refresh=False) == JobStatus.STARTED  # nothing noticed the death
    return job


def test_rq_cleanup_retries_a_killed_workers_job_only_after_its_timeout(conn, queue, kill_worker):
    """Abandoned-job handling: RQ's StartedJobRegistry.cleanup leaves a SIGKILLed worker's job
    alone until its job timeout + 60 s have passed, and afterwards spends one of its retries on it
    (scheduled by the retry interval), not straight to the failed registry. Ripple relies on that
    only for tidy registries: the dead run's commands stay pending in the inbox stream and the next
    drain job claims them after CLAIM_IDLE_MS (worker/recovery.py rings for one), long before."""
    job = _run_and_kill(conn, queue, kill_worker)
    queue.started_job_registry.cleanup(timestamp=time.time() + TIMEOUT_S + 50)
    job.refresh()
    assert job.get_status(refresh=False) == JobStatus.STARTED
    since = time.time()
    queue.started_job_registry.cleanup(timestamp=time.time() + TIMEOUT_S + 70)
    job.refresh()
    assert job.get_status(refresh=False) == JobStatus.SCHEDULED
    assert job.retries_left == 5
    assert_due_in(queue, job.id, RETRY.intervals[0], since)  # RETRY's first interval
    assert queue.started_job_registry.get_job_ids() == []
    assert not conn.zcard(queue.failed_job_registry.key)
    assert queue.count == 0  # not waiting to start: serve_inbox may ring a fresh drain job


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

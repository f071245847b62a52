"""Trivial RQ jobs and a worker entry point for tests/integration/test_rq_contract.py.

Each job appends what it saw to a Redis list (`key`) through the job's own connection, so a test can
see every attempt, under which job id, and which exception reached the job's code.

`python -m tests.rq_contract_jobs REDIS_URL QUEUE NAME` runs one SimpleWorker the way
`python -m worker` does (JSON serializer, worker_ttl 30, maintenance every 15 s), without the
scheduler (a forked child would outlive the SIGKILL the tests send).
"""
import sys
import time

import redis
from rq import Queue, SimpleWorker, get_current_job
from rq.serializers import JSONSerializer


def _note(key: str, what: str) -> None:
    job = get_current_job()
    job.connection.rpush(key, f"{job.id}|{what}")


def succeed(key: str) -> str:
    _note(key, "ran")
    return "ok"


def fail(key: str) -> None:
    _note(key, "ran")
    raise RuntimeError("contract: always fails")


def block(key: str, release_key: str, limit_s: float = 20.0) -> str:
    """Run until `release_key` exists (or `limit_s` passes)."""
    _note(key, "started")
    conn, end = get_current_job().connection, time.monotonic() + limit_s
    while not conn.exists(release_key) and time.monotonic() < end:
        time.sleep(0.02)
    _note(key, "released")
    return "ok"


def slow(key: str, seconds: float) -> None:
    """Sleep past the job timeout, catching exceptions as worker/transaction.py does: PASS_THROUGH
    re-raised, any other Exception swallowed (what a handler bug gets)."""
    from worker.transaction import PASS_THROUGH
    try:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            time.sleep(0.02)
    except PASS_THROUGH as exc:
        _note(key, f"passed:{type(exc).__name__}")
        raise
    except Exception as exc:  # noqa: BLE001 -- what the contract must never see
        _note(key, f"swallowed:{type(exc).__name__}")
        return
    _note(key, "not-interrupted")


def main() -> None:
    url, queue_name, name = sys.argv[1:4]
    connection = redis.Redis.from_url(url)
    queue = Queue(queue_name, connection=connection, serializer=JSONSerializer)
    worker = SimpleWorker([queue], connection=connection, serializer=JSONSerializer, name=name,
                          worker_ttl=30, maintenance_interval=15)
    worker.work(burst=False, logging_level="WARNING")


if __name__ == "__main__":
    main()

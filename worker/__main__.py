"""`python -m worker`: one RQ worker for Ripple's command queue.

SimpleWorker (no fork per job): the job module and its clients are loaded once per process, which is
what makes ~100+ commands/s per worker possible instead of ~3/s with the forking Worker.
Run several of these (any machine) to scale out; they cooperate through Redis and the write DB.
"""
import argparse
import ctypes
import functools
import itertools
import logging
import os
import signal
import threading

import redis
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer

from backend.config import Config
from worker import crowd, inspector_feed, jobs, recovery
from worker.projector_loop import ProjectorLoop

MAINTENANCE_INTERVAL_S = 15  # RQ's registry cleanup, and restarting a scheduler that died (default 600)
RESTART_S = 1.0  # pause before a new RQ worker replaces one that quit on an error
log = logging.getLogger("ripple.worker")
_stopping = threading.Event()


def _die_with_parent(parent: int) -> None:
    """In a forked child (RQ's scheduler process): get SIGTERM when this worker dies, even by SIGKILL,
    instead of living on as an orphan that keeps the scheduler lock."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: nothing to do
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


def main() -> None:
    parser = argparse.ArgumentParser(description="Run a Ripple command worker.")
    parser.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    parser.add_argument("--name", default=None, help="worker name (default: generated)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    config = Config.from_env()
    connection = redis.Redis.from_url(config.redis_url)
    ctx = jobs.get_context()  # preload: the DB engine, Redis clients and emitter before the first job
    ProjectorLoop(ctx.services, ctx.announcer).start()  # follows the log (worker/projector_loop.py)
    os.register_at_fork(after_in_child=functools.partial(_die_with_parent, os.getpid()))
    inspector_feed.start(ctx.services)  # one per instance (Redis locks): the inspector's feed,
    crowd.start(ctx.services)           # and the demo crowd
    # A name is unique per process: a restarted worker must not inherit a killed one's identity
    # (RQ refuses a live-looking name).
    name = f"{args.name}-{os.getpid()}" if args.name else None
    queue = Queue(config.queue_name, connection=connection, serializer=JSONSerializer)
    watchman = recovery.Watchman(queue, ctx.services.redis, ctx.consumer, config.job_timeout_s,
                                 engine=ctx.services.engine)
    watchman.start()  # rings for a drain job when commands wait that no job will take
    for attempt in itertools.count():
        worker = SimpleWorker([queue], connection=connection, serializer=JSONSerializer,
                              name=name and (f"{name}.{attempt}" if attempt else name),
                              worker_ttl=30, maintenance_interval=MAINTENANCE_INTERVAL_S)
        if _run(worker, args.burst):
            return


def _run(worker, burst: bool) -> bool:
    """Run the RQ worker; True when it ended as asked (signal, burst done). RQ's loop quits on an
    error it does not handle -- e.g. Redis restarted while a job was running -- and then this
    process starts a fresh worker instead of leaving the queue with nobody to serve it."""
    try:
        worker.work(burst=burst, with_scheduler=True, logging_level="WARNING")
    except Exception:  # noqa: BLE001 -- its teardown could not reach Redis either
        log.exception("worker %s stopped on an error", worker.name)
    for sig in (signal.SIGINT, signal.SIGTERM):  # RQ's handlers belong to the worker that ended
        signal.signal(sig, lambda *_: _stopping.set())
    if burst or worker._shutdown_requested_date is not None:  # set by RQ on SIGTERM/SIGINT
        return True
    log.warning("worker %s quit unexpectedly: starting a new one in %s s", worker.name, RESTART_S)
    return _stopping.wait(RESTART_S)


if __name__ == "__main__":
    main()

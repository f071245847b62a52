"""`python -m worker`: one RQ worker for Ripple's command queue.

SimpleWorker (no fork per job): the job module and its clients are loaded once per process, which is
what makes ~100+ commands/s per worker possible instead of ~3/s with the forking Worker.
Run several of these (any machine) to scale out; they cooperate through Redis and the write DB.
"""
import argparse
import logging

import redis
from rq import SimpleWorker
from rq.serializers import JSONSerializer

from backend.config import Config
from worker import jobs


def main() -> None:
    parser = argparse.ArgumentParser(description="Run a Ripple command worker.")
    parser.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    parser.add_argument("--name", default=None, help="worker name (default: generated)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    config = Config.from_env()
    connection = redis.Redis.from_url(config.redis_url)
    jobs.get_context()  # preload: build the DB engine, Redis clients and emitter before the first job
    worker = SimpleWorker([config.queue_name], connection=connection, serializer=JSONSerializer,
                          name=args.name, worker_ttl=30)
    worker.work(burst=args.burst, with_scheduler=True, logging_level="WARNING")


if __name__ == "__main__":
    main()

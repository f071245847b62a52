"""`python -m bench.profile [--jobs 500] [--batch 1]`: where a command's time goes inside the worker (cProfile).

A real RQ SimpleWorker runs in this process (burst) over `--jobs` queued create_post commands (`--batch` per transaction) against
a private Redis and a fresh PostgreSQL database (SQLite if none), under cProfile. Prints the share of
each step and the round trips per command. cProfile roughly doubles Python-heavy costs: read the
shares, not the absolute times (the unprofiled ms/command is printed first).
"""
import argparse
import cProfile
import pstats
import time
import uuid

from rq import SimpleWorker
from rq.serializers import JSONSerializer

from backend.write import accounts
from backend.write.command_queue import put_commands
from backend.config import Config
from backend.services import build_services
from backend.write.models import init_db
from bench.common import WriteDB
from tests.support import RedisServer
from worker import jobs
from worker.emitter import make_emitter

STEPS = [("everything (the RQ worker loop)", "rq/worker/base.py", "work"),
         ("Ripple job: drain_inbox", "worker/jobs.py", "drain_inbox"),
         ("  write transaction (apply_commands)", "worker/jobs.py", "apply_commands"),
         ("    lock_log (log-head row lock)", "backend/write/models.py", "lock_log"),
         ("    handler (business rules)", "backend/write/handlers.py", "create_post"),
         ("  projection (project_until)", "backend/read/projector.py", "project_until"),
         ("  record outcomes (record_statuses)", "worker/jobs.py", "record_statuses"),
         ("  notify (Socket.IO emits via Redis)", "worker/jobs.py", "notify"),
         ("Redis round trips (all)", "redis/retry.py", "call_with_retry"),
         ("SQL statements (all)", "sqlalchemy/engine/base.py", "_execute_context")]


def enqueue(svc, handles, n):
    envelopes = []
    for i in range(n):
        cid = str(uuid.uuid4())
        envelopes.append({"command_id": cid, "type": "create_post",
                          "payload": {"body": f"profiled {cid}"}, "author": handles[i % len(handles)]})
    put_commands(svc.queue, svc.redis, envelopes, 30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=500, help="commands to run")
    ap.add_argument("--batch", type=int, default=1,
                    help="commands per write transaction (1: the cost of a lone command; under load "
                         "a worker takes up to 50 waiting commands at once)")
    args = ap.parse_args()
    n, batch = args.jobs, args.batch
    server, db = RedisServer().start(), WriteDB()
    try:
        config = Config(redis_url=server.url, database_url=db.url, secret_key="bench",
                        command_batch=batch)
        svc = build_services(config)
        init_db(svc.engine)
        jobs.use_context(jobs.WorkerContext(svc, make_emitter(server.url, config.socketio_channel)))
        handles = [f"prof{i}" for i in range(8)]
        for h in handles:
            accounts.signup(svc.session_factory, svc.projector, h, "password123")
        worker = SimpleWorker([svc.queue], connection=svc.rq_redis, serializer=JSONSerializer)
        for profiled in (False, True):
            enqueue(svc, handles, n)
            prof, t, cpu = cProfile.Profile(), time.perf_counter(), time.process_time()
            if profiled:
                prof.enable()
            worker.work(burst=True, logging_level="WARNING")
            prof.disable()
            if not profiled:
                print(f"unprofiled: {(time.perf_counter() - t) / n * 1000:.2f} ms wall, "
                      f"{(time.process_time() - cpu) / n * 1000:.2f} ms CPU per command "
                      f"({db.kind}, one worker)\n")
        report(pstats.Stats(prof), n)
    finally:
        server.stop()
        db.close()


def report(stats: pstats.Stats, n: int) -> None:
    found = {}
    for (path, _line, name), (_cc, calls, _tt, cum, _callers) in stats.stats.items():
        for label, suffix, func in STEPS:
            if name == func and path.endswith(suffix):
                prev = found.get(label, (0, 0.0))
                found[label] = (prev[0] + calls, max(prev[1], cum))
    total, job = found[STEPS[0][0]][1], found[STEPS[1][0]][1]
    found["RQ's own per-job work (dequeue, registries, heartbeat, success)"] = (0, total - job)
    print(f"{'step (profiled)':<66} {'share':>6} {'ms/cmd':>7} {'calls/cmd':>9}")
    labels = [STEPS[0][0], list(found)[-1]] + [label for label, _, _ in STEPS[1:]]
    for label in labels:
        calls, cum = found.get(label, (0, 0.0))
        print(f"{label:<66} {cum / total * 100:5.1f}% {cum / n * 1000:7.2f} "
              f"{f'{calls / n:.1f}' if calls >= n / 2 else '':>9}")


if __name__ == "__main__":
    main()

"""Benchmark 5 for the table: bench/fanout.py (written separately, runnable on its own as
`python -m bench.fanout`) measures fan-out on write. If it offers `run(quick) -> [row, ...]` that is
used as is; otherwise this adapter drives its building blocks (build_world, through_worker,
pipelined_alternative) the way its main() does and makes one table row.
"""
import tempfile

from bench.common import row
from bench.stats import median

FOLLOWERS = 10_000


def run(quick: bool = False) -> list[dict]:
    from bench import fanout
    if hasattr(fanout, "run"):
        return fanout.run(quick=quick)
    return _adapter(fanout, posts=3 if quick else 7)


def _adapter(fanout, posts: int) -> list[dict]:
    from backend.config import Config
    from backend.read.projections import feed_key
    from backend.services import build_services
    from backend.write.models import init_db
    from tests.support import RedisServer, process_env, sqlite_url, start_worker

    tmp = tempfile.mkdtemp(prefix="ripple-bench-fanout-")
    server, worker = RedisServer().start(), None
    try:
        db_url = sqlite_url(tmp)
        svc = build_services(Config(redis_url=server.url, database_url=db_url, secret_key="bench"))
        init_db(svc.engine)
        handles = fanout.build_world(svc, FOLLOWERS)
        last_feed = feed_key(handles[-1])
        worker = start_worker(process_env(server.url, db_url), tmp, name="bench-fanout")
        fanout.through_worker(svc, last_feed, "warm-up post")  # the worker loads its clients
        real = [fanout.through_worker(svc, last_feed, f"timed post {i}") for i in range(posts)]
        if not all(svc.redis.zcard(feed_key(h)) == svc.redis.zcard(last_feed)
                   for h in handles[::997]):
            raise AssertionError("some followers' feeds miss posts")
        alt = [fanout.pipelined_alternative(svc.redis, handles, i) for i in range(1, posts + 1)]
    finally:
        if worker:
            worker.stop()
        server.stop()
    value = median([r[0] for r in real])
    return [row(f"Fan-out: post → last of {FOLLOWERS:,} followers' feeds", value, "ms",
                median(alt), "≤ 100 ms", value <= 100,
                f"enqueue → post in the last follower's feed through a real worker (median of "
                f"{posts}, max {max(r[0] for r in real):.0f} ms; job done after "
                f"{median([r[1] for r in real]):.0f} ms); SQLite write DB; baseline = the same "
                f"fan-out queued from Python (2 commands per feed, one MULTI), projection only")]

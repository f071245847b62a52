"""Fan-out on write: how long until a post by a user with 10,000 followers is in every follower's feed?

    python -m bench.fanout [--followers 10000] [--posts 5]

Setup (not timed): a private redis-server, a temporary SQLite write DB, the author and N followers
bulk-inserted with their `user_registered` / `user_followed` events, then the projector catches up.

Timed, per post:
  * through the real path: enqueue `create_post` on the RQ queue, a real worker process
    (`python -m worker`) runs it, and a poller here notes when the post is in the *last* follower's
    feed (the projection is one MULTI/EXEC, so every feed gets it at the same instant);
  * in this process, the job's parts: write transaction, projection (the fan-out), notify.
"""
import argparse
import statistics
import tempfile
import threading
import time
import uuid

from sqlalchemy import insert, select, update
from werkzeug.security import generate_password_hash

from backend.write.command_queue import put_commands
from worker import outcomes
from backend.write.commands import Command
from backend.config import Config
from backend.read.projections import feed_key
from backend.services import build_services
from backend.write.models import Event, Follow, LogHead, User, init_db, lock_log
from tests.support import RedisServer, process_env, sqlite_url, start_worker, wait_for
from worker import jobs
from worker.emitter import make_emitter

AUTHOR = "author"


def build_world(svc, followers: int) -> list[str]:
    """The author and `followers` followers, straight into the write DB and its event log."""
    now = time.time()
    pw_hash = generate_password_hash("password123")  # one hash for everyone: setup speed only
    handles = [AUTHOR] + [f"f{i:05d}" for i in range(followers)]
    with svc.session_factory() as s, s.begin():
        head = lock_log(s)
        s.execute(insert(User), [{"handle": h, "password_hash": pw_hash, "created_at": now}
                                 for h in handles])
        ids = dict(s.execute(select(User.handle, User.id)).all())
        s.execute(insert(Follow), [{"follower_id": ids[h], "followee_id": ids[AUTHOR],
                                    "created_at": now} for h in handles[1:]])
        events = [("user_registered", {"handle": h, "joined": now}, h) for h in handles]
        events += [("user_followed", {"follower": h, "followee": AUTHOR}, h) for h in handles[1:]]
        s.execute(insert(Event), [{"seq": head + i, "type": t, "data": d, "command_id": None,
                                   "author": a, "created_at": now}
                                  for i, (t, d, a) in enumerate(events, start=1)])
        s.execute(update(LogHead).where(LogHead.id == 1).values(seq=head + len(events)))
    svc.projector.catch_up(wait_s=60)
    return handles


def post_envelope(body: str) -> dict:
    return Command(str(uuid.uuid4()), "create_post", {"body": body}, AUTHOR).envelope()


def through_worker(svc, last_feed: str, body: str) -> tuple[float, float]:
    """(enqueue -> post in the last follower's feed, enqueue -> command outcome recorded), in ms."""
    before = svc.redis.zrevrange(last_feed, 0, 0)
    seen = {}

    def poll():
        while "feed" not in seen:
            if svc.redis.zrevrange(last_feed, 0, 0) != before:
                seen["feed"] = time.perf_counter()
            else:
                time.sleep(0.0005)

    env = post_envelope(body)
    poller = threading.Thread(target=poll)
    poller.start()
    t0 = time.perf_counter()
    put_commands(svc.queue, svc.redis, [env], svc.config.job_timeout_s)
    wait_for(lambda: svc.redis.exists(f"ripple:command:{env['command_id']}"), timeout=60,
             interval=0.0005, what="the worker")
    done = time.perf_counter()
    poller.join(60)
    return (seen["feed"] - t0) * 1000, (done - t0) * 1000


def in_process(ctx, body: str) -> dict:
    """The job's three steps, timed one by one (ms)."""
    svc, env = ctx.services, post_envelope(body)
    t0 = time.perf_counter()
    status, events = jobs.apply_command(Command(**env), svc)
    t1 = time.perf_counter()
    svc.projector.on_applied = None  # announced below, timed on its own
    version = svc.projector.project_until(status["last_seq"], events=events)
    svc.projector.on_applied = ctx.announcer
    t2 = time.perf_counter()
    outcomes.record(svc.redis, [(status, "saved", {}, status["last_seq"])],
                    [(status["command_id"], status["last_seq"])])
    ctx.announcer(events, version)
    t3 = time.perf_counter()
    return {"write": (t1 - t0) * 1000, "project": (t2 - t1) * 1000, "notify": (t3 - t2) * 1000}


def pipelined_alternative(r, handles: list[str], pid: int) -> float:
    """For comparison: the same fan-out queued from Python, two commands per feed, one MULTI (ms)."""
    t = time.perf_counter()
    followers = r.zrange("ripple:user:" + AUTHOR + ":followers", 0, -1)
    with r.pipeline(transaction=True) as p:
        for h in [AUTHOR, *followers]:
            p.zadd(f"bench:feed:{h}", {pid: pid})
            p.zremrangebyrank(f"bench:feed:{h}", 0, -801)
        p.execute()
    return (time.perf_counter() - t) * 1000


def row(label: str, values: list[float]) -> str:
    return (f"{label:<52} {statistics.median(values):>8.1f} {min(values):>8.1f} "
            f"{max(values):>8.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--followers", type=int, default=10_000)
    ap.add_argument("--posts", type=int, default=5, help="timed posts per measurement")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="ripple-bench-")
    server = RedisServer().start()
    worker = None
    try:
        db_url = sqlite_url(tmp)
        config = Config(redis_url=server.url, database_url=db_url, secret_key="bench")
        svc = build_services(config)
        init_db(svc.engine)
        t = time.perf_counter()
        handles = build_world(svc, args.followers)
        setup_s = time.perf_counter() - t
        last_feed = feed_key(handles[-1])
        ctx = jobs.WorkerContext(svc, make_emitter(server.url, config.socketio_channel))
        parts = [in_process(ctx, f"in-process post {i}") for i in range(args.posts + 1)][1:]

        worker = start_worker(process_env(server.url, db_url), tmp, name="bench")
        through_worker(svc, last_feed, "warm-up post")  # the worker's first job loads its clients
        real = [through_worker(svc, last_feed, f"timed post {i}") for i in range(args.posts)]
        feed_n = svc.redis.zcard(last_feed)
        assert all(svc.redis.zcard(feed_key(h)) == feed_n for h in handles[::997])

        print(f"\nFan-out: 1 author, {args.followers:,} followers (setup {setup_s:.1f} s), "
              f"{args.posts} posts each, SQLite write DB, one worker\n")
        print(f"{'ms':<52} {'median':>8} {'min':>8} {'max':>8}")
        print(row("enqueue -> post in the LAST follower's feed", [r[0] for r in real]))
        print(row("enqueue -> job done (outcome recorded)", [r[1] for r in real]))
        print(row("in-process: write transaction (handler, events)", [p["write"] for p in parts]))
        print(row(f"in-process: projection (fan-out to {args.followers + 1:,} feeds)",
                  [p["project"] for p in parts]))
        print(row("in-process: record outcome + notify (emit)", [p["notify"] for p in parts]))
        alt = [pipelined_alternative(svc.redis, handles, i) for i in range(1, args.posts + 1)]
        print(row("for comparison: 2 queued commands per feed, 1 MULTI", alt))
    finally:
        if worker:
            worker.stop()
        server.stop()


if __name__ == "__main__":
    main()

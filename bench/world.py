"""Seeded worlds for the read benchmarks, and a Stack holding one.

- `zipf_world`: posts with Zipf-skewed authorship (author of rank k posts with weight 1/k**S: a few
  members write most posts, as on real networks) and a few viewers following 10 / 200 / 2,000
  accounts, drawn with the same weights without replacement (the busy are followed more often). Same shape as bench.seed.make_world, so bench.seed loads it.
- `seeded_stack`: a private Redis + a fresh write DB, the world bulk-loaded into the write DB and its
  event log and projected into Redis by the REAL projection functions (bench.seed.project), plus the
  index the SQL baseline deserves: posts (author_id, id).
"""
import bisect
import itertools
import random
import threading
import time

import redis
from sqlalchemy import select, text

from bench import seed
from bench.common import Stack
from backend.write.models import StoreIdentity, make_engine

S = 1.0  # Zipf exponent of authorship
INDEX = "CREATE INDEX IF NOT EXISTS ix_bench_posts_author_id_id ON posts (author_id, id)"


def viewer_handle(followees: int) -> str:
    return f"viewer_{followees}"


def zipf_world(users: int, posts: int, followees=(10, 200, 2000), likes: int = 0,
               seed_: int = 7) -> dict:
    """`users` members (u00001..), `posts` posts by Zipf-chosen authors, one viewer per followee
    count (they post nothing), `likes` likes by random members on random posts."""
    rnd, t0 = random.Random(seed_), time.time() - 86400
    handles = {i: f"u{i:05d}" for i in range(1, users + 1)}
    ranked = list(handles)
    rnd.shuffle(ranked)  # who is popular is random, not the lowest ids
    cum = list(itertools.accumulate(1.0 / (k ** S) for k in range(1, users + 1)))
    authors = [ranked[bisect.bisect(cum, rnd.random() * cum[-1])] for _ in range(posts)]
    post_rows = [(i, a, f"post {i}: " + "lorem ipsum " * (1 + i % 8), t0 + i * 0.05)
                 for i, a in enumerate(authors, start=1)]
    follows = []
    weight = {u: 1.0 / (k ** S) for k, u in enumerate(ranked, start=1)}
    for j, n in enumerate(followees, start=users + 1):
        handles[j] = viewer_handle(n)  # follows the busy more often: weighted, without replacement
        keyed = sorted(handles_range(users), key=lambda u: -rnd.random() ** (1.0 / weight[u]))
        follows += [(j, f) for f in keyed[:min(n, users)]]
    like_pairs = {(rnd.randint(1, users), rnd.randint(1, posts)) for _ in range(likes)}
    return {"handles": handles, "follows": follows, "posts": post_rows,
            "likes": sorted(like_pairs), "t0": t0}


def handles_range(users: int) -> range:
    return range(1, users + 1)


def top_share(world: dict, top: float = 0.01) -> float:
    """The share of posts written by the busiest `top` fraction of members (the skew, reported)."""
    counts = {}
    for _, a, _, _ in world["posts"]:
        counts[a] = counts.get(a, 0) + 1
    busiest = sorted(counts.values(), reverse=True)[:max(1, int(len(world["handles"]) * top))]
    return sum(busiest) / max(1, len(world["posts"]))


def seed_stack(stack: Stack, world: dict, index: bool = True) -> float:
    """Load `world` into the stack's write DB and Redis (concurrently: two servers); add the
    (author_id, id) index when `index`. Returns the seconds taken."""
    t = time.perf_counter()
    engine = make_engine(stack.db.url)
    with engine.connect() as conn:  # made by init-db (Stack)
        store_id = conn.execute(select(StoreIdentity.store_id)).scalar_one()
    failed = []

    def load_db():
        try:
            seed.write_db(engine, world)
            if index:
                with engine.begin() as conn:
                    conn.execute(text(INDEX))
                    conn.execute(text("ANALYZE"))
        except Exception as exc:  # noqa: BLE001 -- re-raised below, in this thread
            failed.append(exc)
    writer = threading.Thread(target=load_db)
    writer.start()
    seed.project(redis.Redis.from_url(stack.redis.url, decode_responses=True), world, store_id)
    writer.join()
    engine.dispose()
    if failed:
        raise failed[0]
    return time.perf_counter() - t


def seeded_stack(world: dict, workers: int = 0, prefer_pg: bool = True) -> tuple[Stack, float]:
    """A Stack (no web server yet, `workers` workers started after seeding) holding `world`."""
    stack = Stack(workers=0, start_web=False, prefer_pg=prefer_pg)
    try:
        took = seed_stack(stack, world)
        for _ in range(workers):
            stack.add_worker()
        return stack, took
    except BaseException:
        stack.close()
        raise

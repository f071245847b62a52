"""§2 of issue 16: reads as the world grows. Server CPU per request of the home feed and the timeline,
read models vs the same JSON by SQL, in worlds of 10k / 100k / 1M posts with viewers following
10 / 200 / 2,000 accounts.

Worlds (bench/world.py): 10,000 members, Zipf-skewed authorship, 25 % as many likes as posts; the
write DB bulk-loaded (COPY), the read models made by the real projection functions; the SQL side
gets the index it deserves, posts (author_id, id). Every world is up at once (its own Redis,
PostgreSQL database and one gunicorn gevent process serving `bench.sql_app:app`), so the sizes
ALTERNATE within each round (order flipped between rounds) and machine noise cannot pose as growth.
Load: wrk, 4 keep-alive connections, closed loop, the SAME number of requests in every visit to a
cell (bench/counted.py), after a short unmeasured warm-up of that cell. Server CPU per request =
(web process + Redis + this database's PostgreSQL backends) CPU / requests, from the processes' own
CPU clocks (/proc/<pid>/task/*/schedstat, ns; not wall time, not 10 ms ticks), the same processes
for both sides, pinned to one core while wrk runs on the other (bench/cpu.py `pin`); each cell's
figure is the median over the rounds. A control rides along: the Flask floor (a constant page
through the same app and cookie, no data source) in every world and round; its spread across
worlds is what noise alone does to a flat cost.
"""
import time

import sqlalchemy as sa

from bench import world
from bench.stats import median
from bench.growth_rows import FOLLOWEES, rows_of
from bench.counted import counted
from bench.cpu import cpu_ns, pg_backends, pin, split_cores, web_pids
from bench.reads import check_same, session_cookie
from bench.sql_queries import _COLUMNS, _FROM, _LIKED, _ORDER, WHERE

POSTS = {"full": (10_000, 100_000, 1_000_000), "quick": (10_000, 30_000)}
USERS = {"full": 10_000, "quick": 3_000}
WORLDS = None  # set by `python -m bench --worlds 10000,100000` to run only some sizes
PAGES = {("feed", "rm"): "/api/feed", ("feed", "sql"): "/bench/sql/feed",
         ("feed", "floor"): "/bench/floor",
         ("feed", "sql_in"): "/bench/sql/feed?form=in",
         ("timeline", "rm"): "/api/timeline", ("timeline", "sql"): "/bench/sql/timeline",
         ("timeline", "floor"): "/bench/floor"}
# rm and floor adjacent: the read model's cost is also reported in floor units, visit by visit
SIDES = {"feed": ("rm", "floor", "sql", "sql_in"), "timeline": ("rm", "floor", "sql")}
# requests per visit to a cell (closed loop; SQL is up to 40× dearer per request, so fewer), rounds
REQUESTS = {"full": ({"rm": 2000, "floor": 2000, "sql": 300, "sql_in": 300}, 5),
            "quick": ({"rm": 500, "floor": 500, "sql": 100, "sql_in": 100}, 2)}
WARM = 50  # unmeasured requests before each visit: that world's process and caches are awake


class World:
    def __init__(self, posts: int, users: int):
        t = time.perf_counter()
        self.data = world.zipf_world(users, posts, FOLLOWEES, likes=posts // 4)
        self.posts, self.users = posts, users
        self.top1 = world.top_share(self.data)
        self.stack, self.seed_s = world.seeded_stack(self.data)
        self.stack.start_web(target="bench.sql_app:app")
        self.make_s = time.perf_counter() - t
        self.cookies = {k: session_cookie(self.stack, world.viewer_handle(k))
                        for k in FOLLOWEES}
        for k, cookie in self.cookies.items():  # same JSON on every side, first two pages
            check_same(self.stack.base, cookie, "/api/feed", "/bench/sql/feed")
            check_same(self.stack.base, cookie, "/api/feed", "/bench/sql/feed?form=in")
        check_same(self.stack.base, self.cookies[FOLLOWEES[0]], "/api/timeline",
                   "/bench/sql/timeline")
        self.data = None  # free the Python copy of the world

    def server_pids(self) -> list[int]:
        return web_pids(self.stack.webs) + [self.stack.redis.proc.pid] + \
            pg_backends(self.stack.db.name)

    def pinned_servers(self, cores) -> list[int]:
        pids = self.server_pids()
        if cores:
            pin(pids, cores[0])
        return pids

    def cost(self, path: str, cookie: str, n: int) -> float:
        """Server CPU ms per request of `path`: n requests, closed loop, after a warm-up."""
        cores = split_cores()  # servers on one core, wrk on the other: the same placement always
        client_cpus = cores[1] if cores else None
        self.pinned_servers(cores)
        counted(self.stack.base + path, cookie, WARM, cpus=client_cpus)
        pids = self.pinned_servers(cores)  # (a backend may have come or gone in the warm-up)
        before = cpu_ns(pids)
        counted(self.stack.base + path, cookie, n, cpus=client_cpus)
        return (cpu_ns(pids) - before) / 1e6 / n

    def explain(self, followees: int, form: str = "feed") -> str:
        """PostgreSQL's plan for a SQL feed query (the 1st page), with its own timing."""
        sql = "SELECT " + _COLUMNS + _LIKED + _FROM + WHERE[form] + _ORDER
        eng = sa.create_engine(self.stack.db.url, poolclass=sa.pool.NullPool)
        with eng.connect() as conn:
            vid = conn.execute(sa.text("SELECT id FROM users WHERE handle = :h"),
                               {"h": world.viewer_handle(followees)}).scalar()
            plan = conn.execute(sa.text("EXPLAIN (ANALYZE, BUFFERS) " + sql),
                                {"vid": vid, "before": None, "lim": 21}).scalars().all()
        eng.dispose()
        return "\n".join(plan)

    def close(self):
        self.stack.close()


def visits(worlds, cells, r: int) -> list[tuple]:
    """Round r's visits, (page, followees, side, world): cell by cell, side by side, and the worlds
    of one side back to back (the sizes compared are seconds apart), in snake order (the world
    measured last for one side is first for the next); every order flips between rounds."""
    flip = (lambda xs: xs[::-1]) if r % 2 else (lambda xs: list(xs))
    out, n = [], 0
    for page, k in flip(cells):
        for side in flip(SIDES[page]):
            out += [(page, k, side, w) for w in (worlds if n % 2 == 0 else worlds[::-1])]
            n += 1
    return out


def run(quick: bool = False) -> list[dict]:
    sizes = WORLDS or POSTS["quick" if quick else "full"]
    users, (per_visit, rounds) = USERS["quick" if quick else "full"], REQUESTS["quick" if quick
                                                                               else "full"]
    worlds = []
    try:
        for posts in sizes:
            print(f"[growth] seeding {posts:,} posts …", flush=True)
            worlds.append(World(posts, users))
            print(f"[growth] {posts:,} posts ready in {worlds[-1].make_s:.0f} s "
                  f"(top 1 % of members wrote {worlds[-1].top1:.0%})", flush=True)
        cells = [("feed", k) for k in FOLLOWEES] + [("timeline", FOLLOWEES[0])]
        cost = {(w.posts, page, k, side): [] for w in worlds for page, k in cells
                for side in SIDES[page]}
        for w in worlds:  # warm-up: connections, caches, the pool of each web process
            for page, k in cells:
                for side in SIDES[page]:
                    counted(w.stack.base + PAGES[(page, side)], w.cookies[k], 200)
        for r in range(rounds):
            for page, k, side, w in visits(worlds, cells, r):
                cost[(w.posts, page, k, side)].append(
                    w.cost(PAGES[(page, side)], w.cookies[k], per_visit[side]))
            print(f"[growth] round {r + 1}/{rounds} done", flush=True)
        plan = {form: worlds[-1].explain(FOLLOWEES[-1], form) for form in ("feed", "feed_in")}
        return rows_of({key: median(v) for key, v in cost.items()}, worlds, cells, per_visit,
                       rounds, plan, cost)
    finally:
        for w in worlds:
            w.close()

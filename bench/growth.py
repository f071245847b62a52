"""§2 of issue 16: reads as the world grows. Server CPU per request of the home feed and the timeline,
read models vs the same JSON by SQL, in worlds of 10k / 100k / 1M posts with viewers following
10 / 200 / 2,000 accounts.

Worlds (bench/world.py): 10,000 members, Zipf-skewed authorship, 25 % as many likes as posts; the
write DB bulk-loaded (COPY), the read models made by the real projection functions; the SQL side
gets the index it deserves, posts (author_id, id). Every world is up at once (its own Redis,
PostgreSQL database and one gunicorn gevent process serving `bench.sql_app:app`), so the sizes
ALTERNATE within each round (order flipped between rounds) and machine noise cannot pose as growth.
Load: wrk, 4 keep-alive connections, closed loop. Server CPU per request = (web process + Redis +
this database's PostgreSQL backends) CPU / requests, the same three processes for both sides.
"""
import re
import time

import sqlalchemy as sa

from bench import world
from bench.common import median, row
from bench.cpu import pg_backends, web_pids
from bench.clients import cpu_seconds
from bench.reads import check_same, session_cookie, wrk
from bench.sql_queries import _COLUMNS, _FROM, _LIKED, _ORDER, WHERE

POSTS = {"full": (10_000, 100_000, 1_000_000), "quick": (10_000, 30_000)}
USERS = {"full": 10_000, "quick": 3_000}
FOLLOWEES = (10, 200, 2000)
WORLDS = None  # set by `python -m bench --worlds 10000,100000` to run only some sizes
PAGES = {("feed", "rm"): "/api/feed", ("feed", "sql"): "/bench/sql/feed",
         ("feed", "sql_in"): "/bench/sql/feed?form=in",
         ("timeline", "rm"): "/api/timeline", ("timeline", "sql"): "/bench/sql/timeline"}
SIDES = {"feed": ("rm", "sql", "sql_in"), "timeline": ("rm", "sql")}


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

    def cost(self, path: str, cookie: str, seconds: float) -> float:
        """Server CPU ms per request of `path`, closed loop for `seconds`."""
        pids = self.server_pids()
        before = cpu_seconds(pids)
        rate = wrk([self.stack.base + path], cookie, seconds, connections=4)
        return (cpu_seconds(pids) - before) * 1000 / (rate * seconds)

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


def run(quick: bool = False) -> list[dict]:
    sizes = WORLDS or POSTS["quick" if quick else "full"]
    users, (seconds, rounds) = USERS["quick" if quick else "full"], (2, 1) if quick else (3, 3)
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
            for k in FOLLOWEES:
                wrk([w.stack.base + "/api/feed", w.stack.base + "/bench/sql/feed"],
                    w.cookies[k], 1, connections=4)
        for r in range(rounds):
            order = worlds if r % 2 == 0 else worlds[::-1]
            for w in order:
                for page, k in (cells if r % 2 == 0 else cells[::-1]):
                    for side in (SIDES[page] if r % 2 == 0 else SIDES[page][::-1]):
                        cost[(w.posts, page, k, side)].append(
                            w.cost(PAGES[(page, side)], w.cookies[k], seconds))
            print(f"[growth] round {r + 1}/{rounds} done", flush=True)
        plan = {form: worlds[-1].explain(FOLLOWEES[-1], form) for form in ("feed", "feed_in")}
        return rows_of({key: median(v) for key, v in cost.items()}, worlds, cells, seconds,
                       rounds, plan, cost)
    finally:
        for w in worlds:
            w.close()


def _best_sql(cost, posts, page, k) -> tuple[float, str]:
    """The cheaper SQL form for this cell: the baseline gets its best query."""
    forms = {side: cost[(posts, page, k, side)] for side in SIDES[page] if side != "rm"}
    side = min(forms, key=forms.get)
    return forms[side], {"sql": "OR form", "sql_in": "IN form"}[side] if page == "feed" else "SQL"


def rows_of(cost, worlds, cells, seconds, rounds, plan, raw) -> list[dict]:
    how = (f"{worlds[0].users:,} members (Zipf authorship, s={world.S}), 25 % as many likes as posts; "
           f"{worlds[0].stack.db.kind} with index posts(author_id, id); one gunicorn gevent "
           f"process per world; wrk, 4 connections, {seconds} s × {rounds} rounds, sizes alternated; "
           f"server CPU = web + Redis + this DB's backends; shared machine: noisy")
    rows = []
    biggest, most = worlds[-1].posts, FOLLOWEES[-1]
    for w in worlds:
        for page, k in cells:
            rm = cost[(w.posts, page, k, "rm")]
            sql, form = _best_sql(cost, w.posts, page, k)
            gate = page == "feed" and w.posts == 1_000_000 and k == most
            what = f"{k:,} followees" if page == "feed" else "everyone's posts"
            forms = (f"; SQL OR form {cost[(w.posts, page, k, 'sql')]:.2f} ms, IN form "
                     f"{cost[(w.posts, page, k, 'sql_in')]:.2f} ms" if page == "feed" else "")
            rows.append(row(f"{page.capitalize()} CPU/request, {w.posts:,} posts, {what} "
                            f"(ratio = SQL ÷ read models)", rm, "ms", sql,
                            "≥ 10× cheaper" if gate else "report", sql >= 10 * rm if gate else None,
                            f"baseline = the cheaper SQL form ({form}){forms}; {how}; top 1 % of "
                            f"members wrote {w.top1:.0%} of the posts; world made in {w.make_s:.0f} s",
                            ratio=sql / rm, section="growth", page=page, posts=w.posts,
                            followees=k if page == "feed" else None, sql_form=form,
                            sides={side: cost[(w.posts, page, k, side)] for side in SIDES[page]},
                            runs={side: raw[(w.posts, page, k, side)] for side in SIDES[page]}))
    for page in ("feed", "timeline"):
        rms = {(p, k): v for (p, pg, k, side), v in cost.items() if pg == page and side == "rm"}
        hi, lo = max(rms, key=rms.get), min(rms, key=rms.get)
        flat = rms[hi] / rms[lo]
        rows.append(row(f"Read-model {page} cost, largest ÷ smallest over the grid", flat, "×",
                        None, "≤ 1.3", flat <= 1.3,
                        f"largest {rms[hi]:.2f} ms ({hi[0]:,} posts"
                        f"{f', {hi[1]:,} followees' if page == 'feed' else ''}), smallest "
                        f"{rms[lo]:.2f} ms ({lo[0]:,} posts"
                        f"{f', {lo[1]:,} followees' if page == 'feed' else ''}); {how}",
                        ratio=flat, section="growth-flat"))
    took = {f: re.search(r"Execution Time: ([\d.]+) ms", p) for f, p in plan.items()}
    took = {f: float(m.group(1)) if m else None for f, m in took.items()}
    rows.append(row(f"SQL feed query alone at {biggest:,} posts / {most:,} followees "
                    f"(EXPLAIN ANALYZE, OR form)", took["feed"], "ms", None, "information", None,
                    f"IN form {took['feed_in']} ms; OR plan: " + " | ".join(
                        line.strip() for line in plan["feed"].splitlines()[:5]) + "; IN plan: " +
                    " | ".join(line.strip() for line in plan["feed_in"].splitlines()[:5]),
                    section="growth-plan", plan=plan))
    return rows

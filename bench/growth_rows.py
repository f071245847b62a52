"""The table rows of bench/growth.py (reads as the world grows), from its per-cell medians."""
import re

from bench import world
from bench.common import row
from bench.stats import median

FOLLOWEES = (10, 200, 2000)
GATE = (1_000_000, 2000)  # posts, followees: where the feed must be >= 10x cheaper than SQL


def best_sql(cost, posts, page, k) -> tuple[float, str]:
    """The cheaper SQL form for this cell: the baseline gets its best query."""
    forms = {side: v for (p, pg, kk, side), v in cost.items()
             if (p, pg, kk) == (posts, page, k) and side.startswith("sql")}
    side = min(forms, key=forms.get)
    return forms[side], {"sql": "OR form", "sql_in": "IN form"}[side] if page == "feed" else "SQL"


def spread(values: dict) -> tuple[float, object, object]:
    """largest / smallest, and the keys of both."""
    hi, lo = max(values, key=values.get), min(values, key=values.get)
    return values[hi] / values[lo], hi, lo


def _where(key, page) -> str:
    posts, k = key
    return f"{posts:,} posts" + (f", {k:,} followees" if page == "feed" else "")


def rows_of(cost, worlds, cells, per_visit, rounds, plan, raw) -> list[dict]:
    how = (f"{worlds[0].users:,} members (Zipf authorship, s={world.S}), 25 % as many likes as posts; "
           f"{worlds[0].stack.db.kind} with index posts(author_id, id); one gunicorn gevent process "
           f"per world; wrk, 4 connections, closed loop, {per_visit['rm']:,} requests per visit "
           f"(SQL {per_visit['sql']:,}) after {50} unmeasured, {rounds} rounds, sizes and cells "
           f"alternated, medians; server CPU (web + Redis + this DB's backends) from schedstat, "
           "servers pinned to one core and wrk to the other")
    floors = {(p, pg, k): v for (p, pg, k, side), v in cost.items() if side == "floor"}
    floor = {w.posts: median([v for (p, _, _), v in floors.items() if p == w.posts]) for w in worlds}
    # the read model in floor units, visit by visit (rm and floor are measured back to back)
    units = {(p, pg, k): median([a / b for a, b in zip(raw[(p, pg, k, "rm")], raw[(p, pg, k, "floor")])])
             for (p, pg, k) in floors}
    rows = []
    for w in worlds:
        for page, k in cells:
            rm = cost[(w.posts, page, k, "rm")]
            sql, form = best_sql(cost, w.posts, page, k)
            gate = page == "feed" and (w.posts, k) == GATE
            what = f"{k:,} followees" if page == "feed" else "everyone's posts"
            forms = (f"; SQL OR form {cost[(w.posts, page, k, 'sql')]:.2f} ms, IN form "
                     f"{cost[(w.posts, page, k, 'sql_in')]:.2f} ms" if page == "feed" else "")
            f = floor[w.posts]
            above = (f"; the Flask floor in this world {f:.2f} ms (a constant page, same app and "
                     f"cookie): above it, SQL {sql - f:.2f} ms vs read models {rm - f:.2f} ms = "
                     f"{(sql - f) / (rm - f):.0f}×" if rm > f else f"; Flask floor {f:.2f} ms")
            sides = {side: v for (p, pg, kk, side), v in cost.items() if (p, pg, kk) == (w.posts, page, k)}
            rows.append(row(f"{page.capitalize()} CPU/request, {w.posts:,} posts, {what} "
                            f"(ratio = SQL ÷ read models)", rm, "ms", sql,
                            "≥ 10× cheaper" if gate else "report", sql >= 10 * rm if gate else None,
                            f"baseline = the cheaper SQL form ({form}){forms}{above}; {how}; top 1 % "
                            f"of members wrote {w.top1:.0%} of the posts; world made in "
                            f"{w.make_s:.0f} s", ratio=sql / rm, section="growth", page=page,
                            posts=w.posts, followees=k if page == "feed" else None, sql_form=form,
                            sides=sides, floor=f, in_floor_units=units[(w.posts, page, k)],
                            runs={side: raw[(w.posts, page, k, side)] for side in sides}))
    for page in ("feed", "timeline"):
        rms = {(p, k): v for (p, pg, k, side), v in cost.items() if pg == page and side == "rm"}
        flat, hi, lo = spread(rms)
        norm, nhi, nlo = spread({(p, k): v for (p, pg, k), v in units.items() if pg == page})
        rows.append(row(f"Read-model {page} cost, largest ÷ smallest over the grid", flat, "×",
                        None, "≤ 1.3", flat <= 1.3,
                        f"largest {rms[hi]:.2f} ms ({_where(hi, page)}), smallest {rms[lo]:.2f} ms "
                        f"({_where(lo, page)}); in units of the Flask floor measured right after "
                        f"each visit: {norm:.2f}× ({_where(nhi, page)} ÷ {_where(nlo, page)}); {how}",
                        ratio=flat, section="growth-flat", in_floor_units=norm))
    noise, hi, lo = spread(floors)
    rows.append(row("Control: Flask floor cost, largest ÷ smallest over the grid", noise, "×", None,
                    "information (noise yardstick)", None,
                    f"a constant 20-post page through the same app and cookie, no data source, "
                    f"measured in every cell right after the read model: {floors[lo]:.2f}–"
                    f"{floors[hi]:.2f} ms; it cannot grow with the world, so its spread is what "
                    f"noise alone makes of a flat cost; {how}", ratio=noise, section="growth-flat"))
    biggest, most = worlds[-1].posts, FOLLOWEES[-1]
    took = {f: re.search(r"Execution Time: ([\d.]+) ms", p) for f, p in plan.items()}
    took = {f: float(m.group(1)) if m else None for f, m in took.items()}
    rows.append(row(f"SQL feed query alone at {biggest:,} posts / {most:,} followees "
                    f"(EXPLAIN ANALYZE, OR form)", took["feed"], "ms", None, "information", None,
                    f"IN form {took['feed_in']} ms; OR plan: " + " | ".join(
                        line.strip() for line in plan["feed"].splitlines()[:5]) + "; IN plan: " +
                    " | ".join(line.strip() for line in plan["feed_in"].splitlines()[:5]),
                    section="growth-plan", plan=plan))
    return rows

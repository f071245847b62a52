"""The read benchmark's baselines, served by the same gunicorn processes as the app. Never part of
the app: `gunicorn bench.sql_app:app`.

- /bench/sql/{timeline,feed,home}: the SAME JSON as /api/timeline and /api/feed, and the same home
  page, computed with SQL from the write DB (joins and counts included), through Flask like the app.
- /bench/floor: a constant JSON body of a page's size through the same Flask app and hooks, no data
  source: the most any Flask-served endpoint can do on this server.
- /bench/bare/{rm,sql}/{timeline,feed} and /bench/bare/floor: framework-free twins (a plain WSGI
  callable in front of Flask: no request context, routing or hooks) of the read-model page, the SQL
  page and the floor. Both data sources get the same thin wrapper, so their ratio stays fair.
- Every answer carries `X-Bench-App-Us` (time inside the WSGI app, µs) and `X-Bench-GC-Us` (this
  process's garbage-collection pauses so far, µs): bench/loadgen.py splits a slow answer into
  "the server worked" and "it waited" (run queue, accept queue, the client), and sees GC.
"""
import gc
import json
import sys
import time
from urllib.parse import parse_qsl

from flask import Blueprint, current_app, jsonify, redirect, request, session
from sqlalchemy import text
from werkzeug.http import parse_cookie

from app import app
from backend import CSP
from backend.read import queries
from backend.web import pages
from backend.web.http import int_arg
from backend.write import sessions
from bench.sql_queries import _BEFORE, _COLUMNS, _FEED, _FEED_IN, _FROM, _LIKED, _ORDER, WHERE

bp = Blueprint("bench_sql", __name__, url_prefix="/bench")



def sql_page(engine, where: str, viewer_id: int | None, limit: int, before: int | None) -> dict:
    """One page of posts, newest first, as /api/timeline shapes it: one query for the rows (counts
    and `liked` as subqueries) and one for the version."""
    sql = "SELECT " + _COLUMNS + (_LIKED if viewer_id else "") + _FROM + where
    sql += (_BEFORE if before else "") + _ORDER
    with engine.connect() as conn:
        rows = conn.execute(text(sql), {"vid": viewer_id, "before": before,
                                        "lim": limit + 1}).mappings().all()
        version = conn.execute(text("SELECT seq FROM log_head WHERE id = 1")).scalar()
    posts = []
    for r in rows[:limit]:
        post = {"id": r["id"], "author": r["author"], "body": r["body"],
                "created_at": r["created_at"], "edited_at": r["edited_at"],
                "likes": r["likes"], "comments": r["comments"], "edited": r["edited_at"] is not None}
        if viewer_id:
            post["liked"] = bool(r["liked"])
        posts.append(post)
    return {"posts": posts, "version": version,
            "next": posts[-1]["id"] if len(rows) > limit else None}


def sql_viewer_id(engine, handle: str | None) -> int | None:
    if not handle:
        return None
    with engine.connect() as conn:
        return conn.execute(text("SELECT id FROM users WHERE handle = :h"), {"h": handle}).scalar()


def _flask_page(where: str, vid: int | None) -> dict:
    return sql_page(current_app.extensions["ripple"].engine, where, vid,
                    int_arg("limit", 20, 1, 100), int_arg("before", None, 1, 2**53))


def _vid() -> int | None:
    return sql_viewer_id(current_app.extensions["ripple"].engine, session.get("handle"))


@bp.get("/sql/timeline")
def timeline():
    return jsonify(_flask_page("", _vid()))


@bp.get("/sql/home")
def home():
    """The home feed page, its initial state computed by SQL (same template as pages.home)."""
    vid = _vid()
    if vid is None:
        return redirect("/explore")
    return pages._page("home", "Home", _flask_page(_FEED, vid))


@bp.get("/sql/feed")
def feed():
    vid = _vid()
    if vid is None:
        return jsonify({"error": {"code": "not_logged_in", "message": "Log in first.",
                                  "field": None}}), 401
    return jsonify(_flask_page(_FEED_IN if request.args.get("form") == "in" else _FEED, vid))


# ~ the size of a 20-post page (about 4 KB), so the floor pays the same encoding and bytes.
FLOOR_PAGE = {"posts": [{"id": i, "author": "u00001", "body": "x" * 100, "created_at": 1.7e9 + i,
                         "edited_at": None, "likes": 5, "comments": 1, "edited": False,
                         "liked": False} for i in range(20)], "version": 1, "next": None}


@bp.get("/floor")
def floor():
    return jsonify(FLOOR_PAGE)


class BareReads:
    """Framework-free twins of the page endpoints: parse the query string and the session cookie
    (one Redis lookup, as the app does), ask the data source, encode, answer. Identical for both
    data sources."""

    HEADERS = [("Content-Type", "application/json"), ("Content-Security-Policy", CSP),
               ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin"),
               ("X-Frame-Options", "DENY")]

    def __init__(self, flask_app, inner):
        self.inner, self.svc = inner, flask_app.extensions["ripple"]
        self.cookie_name = flask_app.config["SESSION_COOKIE_NAME"]

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/bench/bare/"):
            return self.inner(environ, start_response)
        try:
            status, page = "200 OK", self.page(path[len("/bench/bare/"):], environ)
        except (ValueError, LookupError) as exc:
            status, page = "400 Bad Request", {"error": {"code": "bad_request",
                                                         "message": str(exc), "field": None}}
        body = json.dumps(page, separators=(",", ":"), sort_keys=True).encode() + b"\n"
        start_response(status, self.HEADERS + [("Content-Length", str(len(body)))])
        return [body]

    def page(self, what: str, environ) -> dict:
        if what == "floor":
            return FLOOR_PAGE
        source, name = what.split("/")
        args = dict(parse_qsl(environ.get("QUERY_STRING", "")))
        limit, before = int(args.get("limit", 20)), int(args["before"]) if "before" in args else None
        if not 1 <= limit <= 100 or (before is not None and before < 1):
            raise ValueError("limit or before out of range")
        handle = self.viewer(environ)
        if name == "feed" and handle is None:
            raise LookupError("log in first")
        if source == "rm":
            self.svc.projector.ensure_store()
            if name == "feed":
                return queries.feed(self.svc.redis, handle, limit, before)
            return queries.timeline(self.svc.redis, limit, before, handle)
        engine = self.svc.engine
        return sql_page(engine, WHERE[name], sql_viewer_id(engine, handle), limit, before)

    def viewer(self, environ) -> str | None:
        raw = parse_cookie(environ).get(self.cookie_name)
        if not raw:
            return None
        found = sessions.lookup(self.svc.session_factory, self.svc.redis, raw)
        return found[1] if found else None  # a dead session is "not logged in" here


class Timing:
    """Outermost WSGI wrapper: the two X-Bench-* headers on every answer (both sides alike)."""

    def __init__(self, inner):
        self.inner, self.gc_ns, self._gc_t0 = inner, 0, 0
        gc.callbacks.append(self._gc)

    def _gc(self, phase, info):
        if phase == "start":
            self._gc_t0 = time.perf_counter_ns()
        else:
            took = time.perf_counter_ns() - self._gc_t0
            self.gc_ns += took
            if info.get("generation") == 2:  # a full collection: worth a line in the log
                print(f"[bench] full GC {took / 1e6:.1f} ms, {info.get('collected')} collected",
                      file=sys.stderr, flush=True)

    def __call__(self, environ, start_response):
        t0 = time.perf_counter_ns()

        def timed(status, headers, exc_info=None):
            headers = list(headers) + [
                ("X-Bench-App-Us", str((time.perf_counter_ns() - t0) // 1000)),
                ("X-Bench-GC-Us", str(self.gc_ns // 1000))]
            return start_response(status, headers, exc_info)
        return self.inner(environ, timed)


app.register_blueprint(bp)
app.wsgi_app = Timing(BareReads(app, app.wsgi_app))

"""The read benchmark's baseline, served by the same gunicorn process as the app: Ripple's app plus
two bench-only endpoints that compute the SAME JSON as /api/timeline and /api/feed with SQL from
the write DB (joins and counts included), and the home page rendered from it. Never part of the app: `gunicorn bench.sql_app:app`.
"""
from flask import Blueprint, current_app, jsonify, redirect, session
from sqlalchemy import text

from app import app
from backend import pages
from backend.http import int_arg

bp = Blueprint("bench_sql", __name__, url_prefix="/bench/sql")

_COLUMNS = """p.id, u.handle AS author, p.body, p.created_at, p.edited_at,
  (SELECT count(*) FROM likes l WHERE l.post_id = p.id) AS likes,
  (SELECT count(*) FROM comments c WHERE c.post_id = p.id) AS comments"""
_LIKED = ", EXISTS(SELECT 1 FROM likes lv WHERE lv.user_id = :vid AND lv.post_id = p.id) AS liked"
_FROM = " FROM posts p JOIN users u ON u.id = p.author_id WHERE p.deleted_at IS NULL"
_BEFORE = " AND p.id < :before"
_FEED = (" AND (p.author_id = :vid OR p.author_id IN "
         "(SELECT f.followee_id FROM follows f WHERE f.follower_id = :vid))")
_ORDER = " ORDER BY p.id DESC LIMIT :lim"


def _page(where: str, viewer_id: int | None) -> dict:
    limit, before = int_arg("limit", 20, 1, 100), int_arg("before", None, 1, 2**53)
    sql = "SELECT " + _COLUMNS + (_LIKED if viewer_id else "") + _FROM + where
    sql += (_BEFORE if before else "") + _ORDER
    engine = current_app.extensions["ripple"].engine
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


def _viewer_id(handle: str | None) -> int | None:
    if not handle:
        return None
    with current_app.extensions["ripple"].engine.connect() as conn:
        return conn.execute(text("SELECT id FROM users WHERE handle = :h"), {"h": handle}).scalar()


@bp.get("/timeline")
def timeline():
    return jsonify(_page("", _viewer_id(session.get("handle"))))


@bp.get("/home")
def home():
    """The home feed page, its initial state computed by SQL (same template as pages.home)."""
    vid = _viewer_id(session.get("handle"))
    if vid is None:
        return redirect("/explore")
    return pages._page("home", "Home", _page(_FEED, vid))


@bp.get("/feed")
def feed():
    vid = _viewer_id(session.get("handle"))
    if vid is None:
        return jsonify({"error": {"code": "not_logged_in", "message": "Log in first.",
                                  "field": None}}), 401
    return jsonify(_page(_FEED, vid))


app.register_blueprint(bp)

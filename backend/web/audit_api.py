"""Blueprint: the event log, the histories of posts and members (JSON and pages)."""
import threading

from flask import Blueprint, jsonify, request

from backend.read import event_log, history, rebuild
from backend.read.projections import PROJECTIONS
from backend.web import pages
from backend.web.http import ApiError, current_user, login_required, query_args, services
from backend.web.login import is_guest
from backend.web.schemas import EventsQuery, MemberHistoryQuery, PostHistoryQuery
from backend.write.commands import HANDLE_RE

bp = Blueprint("audit", __name__)


def _handle_arg() -> str | None:
    raw = request.args.get("handle", "")
    if raw == "":
        return None
    handle = raw.lower().lstrip("@")
    if not HANDLE_RE.match(handle):
        raise ApiError(400, "invalid_parameter", "handle is not a member's handle.", "handle")
    return handle


def _type_arg() -> str | None:
    kind = request.args.get("type", "")
    if kind and kind not in PROJECTIONS:
        raise ApiError(400, "invalid_parameter",
                       f"type must be one of: {', '.join(sorted(PROJECTIONS))}.", "type")
    return kind or None


def _context():
    svc = services()
    svc.projector.ensure_store()
    return svc.session_factory, svc.redis, svc.projector.store_id()


@bp.get("/api/events")
def events():
    q = query_args(EventsQuery)
    limit, before, after, post_id = q.limit, q.before, q.after, q.post_id
    kind, handle = _type_arg(), _handle_arg()
    sf, r, store = _context()
    return jsonify(event_log.list_events(sf, r, current_user(), limit, before, after, kind, handle,
                                         post_id, store))


@bp.get("/api/posts/<int:post_id>/history")
def post_history(post_id):
    q = query_args(PostHistoryQuery)
    limit, after = q.limit, q.after
    sf, r, store = _context()
    return jsonify(history.post_history(sf, r, post_id, current_user(), limit, after, store))


@bp.get("/api/users/<handle>/history")
def member_history(handle):
    q = query_args(MemberHistoryQuery)
    limit, before = q.limit, q.before
    sf, r, store = _context()
    return jsonify(history.member_history(sf, r, handle.lower(), current_user(), limit, before,
                                          store))


@bp.post("/api/demo/rebuild")
@login_required
def start_rebuild():
    """Demo mode: rebuild the read models live (blue/green), in the background; its progress is
    GET /api/rebuild and the `rebuild` field of the inspector's `system` report. Guests may watch
    but not start it (like every demo control)."""
    svc = services()
    if not svc.config.demo:
        raise ApiError(404, "demo_off", "Demo mode is off.")
    if is_guest():
        raise ApiError(403, "guest_forbidden", "Guests may watch the inspector but not use the "
                       "demo controls: sign up to use them.")
    if not svc.redis.set(rebuild.RUNNING, current_user(), nx=True, ex=600):
        raise ApiError(409, "rebuild_running", "A rebuild is already running.")
    svc.redis.hset(rebuild.PROGRESS, mapping={"state": "running", "done": 0})
    threading.Thread(target=rebuild.run_in_background, args=(svc.projector, svc.redis),
                     daemon=True).start()
    return jsonify(rebuild.status(svc.redis)), 202


@bp.get("/api/rebuild")
def rebuild_status():
    """The last rebuild's progress: state, done, total, rate (events/s), eta_s."""
    return jsonify(rebuild.status(services().redis))


@bp.get("/events")
def events_page():
    sf, r, store = _context()
    data = event_log.list_events(sf, r, current_user(), 50, None, None, _type_arg(), _handle_arg(),
                                 None, store)
    return pages._page("events", "Event log", data | {"filters": dict(request.args)})


@bp.get("/posts/<int:post_id>/history")
def post_history_page(post_id):
    sf, r, store = _context()
    data = history.post_history(sf, r, post_id, current_user(), 200, None, store)
    return pages._page("post_history", f"History of post #{post_id}", data)


@bp.get("/users/<handle>/history")
def member_history_page(handle):
    sf, r, store = _context()
    data = history.member_history(sf, r, handle.lower(), current_user(), 50, None, store)
    return pages._page("user_history", f"@{data['handle']} · history", data)

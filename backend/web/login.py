"""Who is asking: the current member, the login requirement, starting and ending sessions.

A cookie that names no live session (logged out, logged out everywhere, expired, forged) is refused
outright -- 401 on the JSON API, a redirect to /login on pages (the cookie is deleted in both cases):
it is never quietly treated as an anonymous visitor.
"""
from functools import wraps

from flask import current_app, redirect, request, session

from backend.web.errors import ApiError
from backend.web.session_sockets import disconnect_sessions
from backend.write import sessions

# Where a dead cookie is not in the way: logging in again, signing up, logging out (idempotent).
OPEN_WITH_DEAD_COOKIE = {"/api/login", "/api/signup", "/api/logout", "/login", "/signup"}


def current_user() -> str | None:
    return session.get("handle")


GUEST_PREFIX = "guest_"


def is_guest() -> bool:
    """Guest accounts are the ones POST /api/guest makes (demo mode): their handle starts with
    "guest_". A member who signs up with such a handle is only kept from the demo controls."""
    return (current_user() or "").startswith(GUEST_PREFIX)


def current_session_id() -> str | None:
    return getattr(session, "sid", None)


def session_invalid() -> bool:
    return bool(getattr(session, "invalid", False) or getattr(session, "unavailable", False))


def login_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user():
            raise ApiError(401, "not_logged_in", "Log in first.")
        return view(*args, **kwargs)
    return wrapper


def refuse_invalid_session():
    """before_request: a dead cookie gets 401 (API) or a redirect to the login page, nothing else;
    a cookie that cannot be checked (session store down) gets 503."""
    if not session_invalid() or request.path in OPEN_WITH_DEAD_COOKIE \
            or request.path.startswith(("/static/", "/vendor/", "/socket.io")):
        return None
    if getattr(session, "unavailable", False):
        raise ApiError(503, "service_unavailable", "Try again in a moment.",
                       headers={"Retry-After": "5"})
    if request.path.startswith("/api/") or request.path == "/healthz":
        raise ApiError(401, "session_ended", "This session has ended: log in again.")
    return redirect("/login")


def _svc():
    return current_app.extensions["ripple"]


def start_session(handle: str) -> None:
    """Log `handle` in: a new server session (a fresh id, so no fixation), its cookie on the response."""
    svc = _svc()
    if current_session_id():
        end_session()
    token, sid = sessions.create(svc.session_factory, svc.redis, handle)
    session.clear()
    session["handle"] = handle
    session.sid, session.new_token, session.ended = sid, token, False


def end_session() -> None:
    """Log out this session: revoked in the DB and the cache, its sockets disconnected."""
    sid = current_session_id()
    if sid:
        svc = _svc()
        sessions.revoke(svc.session_factory, svc.redis, sid)
        _disconnect([sid])
    session.clear()
    session.sid, session.ended, session.original_handle = None, True, None


def end_all_sessions(handle: str) -> int:
    """Log `handle` out everywhere; how many sessions ended."""
    svc = _svc()
    sids = sessions.revoke_all(svc.session_factory, svc.redis, handle)
    _disconnect(sids)
    session.clear()
    session.sid, session.ended, session.original_handle = None, True, None
    return len(sids)


def _disconnect(sids) -> None:
    disconnect_sessions(current_app.extensions["socketio"], _svc().redis, sids)

"""Socket.IO on the web side: who may connect, and which rooms a tab joins.

Emitting happens in the worker (through the Redis message queue); the web process only routes.
- A logged-in member's socket joins `user:<handle>`; a logged-out viewer's joins nothing private.
- Either may `watch` public rooms only: `timeline`, `profile:<handle>`, `post:<id>`, `log` (the
  /events page: it hears only the log head, `log_head`, and fetches what it may see over HTTP).
- A cookie naming no live session (logged out, revoked, forged) is refused, never made anonymous.
- Sockets are capped per session, per member and (logged out) per IP, per web process.
- Bad input gets an `error` event (and a failed ack); the log gets at most one line a second.
"""
import logging
import re
import time

from flask import current_app, request
from flask_socketio import ConnectionRefusedError, SocketIO, disconnect, emit, join_room, leave_room

from backend.web.login import current_session_id, current_user, session_invalid
from backend.web.origin import socket_origin_ok
from backend.write.sessions import LIFETIME_S, sockets_key

VIEW_ROOM = re.compile(r"inspector|log|timeline|profile:[a-z0-9_]{3,20}|post:[1-9]\d{0,14}")
MEMBER_ROOMS = {"inspector"}  # rooms a logged-out socket may not join
INSPECTOR_WATCHED = "ripple-inspector:watched"  # worker/inspector_feed.py reads it
LOG_WATCHED = "ripple-log:watched"  # the same for the `log` room (its `log_head` messages)
MAX_ROOMS = 5
log = logging.getLogger("ripple.realtime")


def make_socketio(app, config) -> SocketIO:
    socketio = SocketIO(
        app,
        message_queue=config.redis_url,
        channel=config.socketio_channel,
        async_mode=config.async_mode,
        # the HTTP rule exactly: this site (or its allowed hosts) plus RIPPLE_ALLOWED_ORIGINS
        cors_allowed_origins=lambda origin, environ: socket_origin_ok(origin, environ, config),
        manage_session=False,  # read the server-side session named by the cookie; never write it
        ping_interval=10,
        ping_timeout=10,
    )
    register_handlers(socketio, config)
    return socketio


class RateLimitedLog:
    """At most one log line per `interval` seconds; the lines skipped meanwhile are counted."""

    def __init__(self, logger, interval=1.0):
        self.logger, self.interval, self.last, self.skipped = logger, interval, 0.0, 0

    def warning(self, text: str) -> bool:
        now = time.monotonic()
        if now - self.last < self.interval:
            self.skipped += 1
            return False
        self.logger.warning("%s (%d similar lines skipped)", text, self.skipped)
        self.last, self.skipped = now, 0
        return True


class Counters:
    """Open sockets per key (member, session, ip) in this process."""

    def __init__(self):
        self.open: dict[str, int] = {}
        self.keys: dict[str, list[str]] = {}  # sid -> its keys

    def over(self, limits: dict[str, int]) -> str | None:
        return next((k for k, cap in limits.items() if self.open.get(k, 0) >= cap), None)

    def add(self, sid: str, keys) -> None:
        self.keys[sid] = list(keys)
        for k in keys:
            self.open[k] = self.open.get(k, 0) + 1

    def remove(self, sid: str) -> None:
        for k in self.keys.pop(sid, []):
            self.open[k] -= 1
            if not self.open[k]:
                del self.open[k]


def _refuse(code: str, message: str):
    raise ConnectionRefusedError(code, {"code": code, "message": message})  # err.message, err.data


def _bad(code: str, message: str, bad_log: RateLimitedLog) -> dict:
    bad_log.warning(f"socket {request.sid}: {code}")
    error = {"code": code, "message": message}
    emit("error", error)
    return {"ok": False, "error": error}


def register_handlers(socketio: SocketIO, config) -> None:
    views: dict[str, set[str]] = {}  # sid -> view rooms joined (per process, like the rooms)
    counters = Counters()
    bad_log = RateLimitedLog(log)

    @socketio.on("connect")
    def connect(auth=None):
        if session_invalid():
            _refuse("session_ended", "This session has ended: log in again.")
        handle, session_id = current_user(), current_session_id()
        limits = ({f"session:{session_id}": config.sockets_per_session,
                   f"member:{handle}": config.sockets_per_member} if handle
                  else {f"ip:{request.remote_addr}": config.sockets_per_ip})
        full = counters.over(limits)
        if full:
            bad_log.warning(f"socket refused: too many for {full.split(':')[0]}")
            _refuse("too_many_sockets",
                    f"Too many open connections for this {full.split(':')[0]}: close a tab.")
        counters.add(request.sid, limits)  # right after the check: no other greenlet in between
        try:
            if handle:
                r = current_app.extensions["ripple"].redis
                with r.pipeline(transaction=False) as p:
                    p.sadd(sockets_key(session_id), request.sid)
                    p.expire(sockets_key(session_id), LIFETIME_S)
                    p.execute()
                join_room(f"user:{handle}")
        except Exception:  # a refused connect gets no disconnect event: give the slot back
            counters.remove(request.sid)
            raise
        views[request.sid] = set()
        return True

    @socketio.on("watch")
    def watch(data=None):
        """A tab says what it shows, e.g. {"rooms": ["timeline"]}: it hears only about that."""
        if session_invalid():  # logged out meanwhile (the disconnect is on its way)
            disconnect()
            return {"ok": False, "error": {"code": "session_ended", "message": "Log in again."}}
        rooms = data.get("rooms") if isinstance(data, dict) else None
        if not isinstance(rooms, list) or len(rooms) > MAX_ROOMS or not all(
                isinstance(r, str) and VIEW_ROOM.fullmatch(r) for r in rooms):
            return _bad("invalid_rooms", f"Send {{\"rooms\": [...]}}: up to {MAX_ROOMS} of "
                        "timeline, profile:<handle>, post:<id>, log, inspector.", bad_log)
        if MEMBER_ROOMS & set(rooms) and not current_user():
            return _bad("not_logged_in", "Log in to watch the inspector.", bad_log)
        current = views.setdefault(request.sid, set())
        for room in current - set(rooms):
            leave_room(room)
        for room in set(rooms) - current:
            join_room(room)
        views[request.sid] = set(rooms)
        # the worker's feed works only while someone watches (a tab re-watches every 30 s)
        for room, key in (("inspector", INSPECTOR_WATCHED), ("log", LOG_WATCHED)):
            if room in rooms:
                current_app.extensions["ripple"].redis.set(key, "1", ex=60)
        return {"ok": True}

    @socketio.on("disconnect")
    def on_disconnect(reason=None):
        views.pop(request.sid, None)
        counters.remove(request.sid)
        session_id = current_session_id()
        if session_id:
            current_app.extensions["ripple"].redis.srem(sockets_key(session_id), request.sid)

    @socketio.on_error_default
    def on_error(exc):
        """Any handler's failure: one rate-limited log line, an `error` event, a failed ack."""
        bad_log.warning(f"socket {getattr(request, 'sid', '?')}: {type(exc).__name__}")
        error = {"code": "bad_request", "message": "That message could not be handled."}
        emit("error", error)
        return {"ok": False, "error": error}

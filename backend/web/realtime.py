"""Socket.IO on the web side: who may connect, and which rooms a tab joins.

Emitting happens in the worker (through the Redis message queue); the web process only routes.
"""
import re

from flask import current_app, request, session
from flask_socketio import SocketIO, join_room, leave_room

INSPECTOR_WATCHED = "ripple:inspector:watched"  # worker/inspector_feed.py reads it
VIEW_ROOM = re.compile(r"^(inspector|timeline|profile:[a-z0-9_]{3,20}|post:\d{1,15})$")


def make_socketio(app, config) -> SocketIO:
    socketio = SocketIO(
        app,
        message_queue=config.redis_url,
        channel=config.socketio_channel,
        async_mode=config.async_mode,
        # None = same origin only (python-socketio compares Origin with Host); never "*".
        cors_allowed_origins=config.allowed_origins or None,
        manage_session=False,  # read the Flask cookie session; never write it from a socket
        ping_interval=10,
        ping_timeout=10,
    )
    register_handlers(socketio)
    return socketio


def register_handlers(socketio: SocketIO) -> None:
    views: dict[str, set[str]] = {}  # sid -> view rooms joined (per process, like the rooms)

    @socketio.on("connect")
    def connect(auth=None):
        handle = session.get("handle")
        if not handle:
            return False  # refused: a connection needs a logged-in session
        join_room(f"user:{handle}")
        views[request.sid] = set()
        return True

    @socketio.on("watch")
    def watch(data):
        """A tab says what it shows, e.g. {"rooms": ["timeline"]}: it hears only about that."""
        rooms = data.get("rooms") if isinstance(data, dict) else None
        if not isinstance(rooms, list) or len(rooms) > 5 or not all(
                isinstance(r, str) and VIEW_ROOM.match(r) for r in rooms):
            return {"ok": False, "error": "invalid rooms"}
        current = views.setdefault(request.sid, set())
        for room in current - set(rooms):
            leave_room(room)
        for room in set(rooms) - current:
            join_room(room)
        views[request.sid] = set(rooms)
        if "inspector" in rooms:  # the worker's inspector feed works only while someone watches
            current_app.extensions["ripple"].redis.set(INSPECTOR_WATCHED, "1", ex=60)
        return {"ok": True}

    @socketio.on("disconnect")
    def disconnect(reason=None):
        views.pop(request.sid, None)

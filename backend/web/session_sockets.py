"""The sockets opened under a session: disconnected when the session ends (logout, log out
everywhere), in whichever web process holds them (a socket elsewhere is reached through the
message queue). Its own module so that login (which ends sessions) and realtime (which records
the sockets) need not import each other."""
from flask_socketio import SocketIO

from backend.write.sessions import sockets_key


def disconnect_sessions(socketio: SocketIO, r, session_ids) -> None:
    for session_id in session_ids:
        key = sockets_key(session_id)
        for sid in r.smembers(key):
            socketio.server.disconnect(sid, namespace="/")
        r.delete(key)

"""Bad input over Socket.IO, fuzzed: malformed `watch` payloads over a real connection to a real
server (the security tier's stack). None may crash the server or leave it unusable."""
import requests
import socketio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security.conftest import http_user
from tests.security.test_fuzz import JSONISH
from tests.support import new_command, wait_for

WATCH_PAYLOADS = st.one_of(
    JSONISH,
    st.dictionaries(st.just("rooms"), JSONISH | st.lists(st.text(max_size=30), max_size=8)),
    st.builds(lambda rooms: {"rooms": rooms}, st.lists(st.sampled_from(
        ["timeline", "post:1\n", "profile:", "post:" + "9" * 40, "user:alice", "timeline\x00",
         "profile:ALICE", "post:-1", "x" * 5000, ""]), max_size=7)),
    st.binary(max_size=64),
)


def _socket(base: str, http) -> socketio.Client:
    sio = socketio.Client(reconnection=False)
    sio.connect(base, headers={"Cookie": "; ".join(f"{k}={v}" for k, v in http.cookies.items())},
                transports=["websocket"], wait_timeout=10)
    return sio


def test_malformed_watch_payloads_over_a_real_socket(stack):
    """No argument, wrong types, bad rooms, binary, several arguments: the server survives and stays
    usable (a fresh tab connects, watches and hears a new post). How the handler answers a bad
    `watch` (ack or `error` event) is the handler's business, not asserted here."""
    http = http_user(stack.base)
    sio = _socket(stack.base, http)
    sent = {"n": 0}

    def emit(*args):
        if not sio.connected:  # a server may drop an abusive socket; a new one must still work
            sio.connect(stack.base, headers={"Cookie": "; ".join(
                f"{k}={v}" for k, v in http.cookies.items())}, transports=["websocket"],
                wait_timeout=10)
        sio.emit("watch", *args) if args else sio.emit("watch")
        sent["n"] += 1

    emit()  # no argument at all
    emit((1, 2, 3))  # several arguments
    for odd in (None, 0, "timeline", ["timeline"], {"rooms": None}, {"rooms": "timeline"},
                {"rooms": [["timeline"]]}, {"rooms": ["timeline"] * 1000}, b"\x00\xff"):
        emit(odd)

    @settings(max_examples=200, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(payload=WATCH_PAYLOADS)
    def run(payload):
        emit(payload)

    run()
    try:
        sio.disconnect()
    except Exception:  # noqa: BLE001 -- already dropped by the server: fine
        pass
    assert stack.web.alive()
    assert requests.get(f"{stack.base}/healthz", timeout=10).status_code == 200
    heard = []
    fresh = _socket(stack.base, http)
    try:
        fresh.on("post_created", heard.append)
        assert fresh.call("watch", {"rooms": ["timeline"]}, timeout=10) == {"ok": True}
        command = new_command(body="still here")
        assert http.post(f"{stack.base}/api/commands", json=command, timeout=10).status_code == 202
        wait_for(lambda: [m for m in heard if m["command_id"] == command["command_id"]],
                 timeout=30, what="post_created after the fuzz")
    finally:
        fresh.disconnect()
    log = open(stack.web.log_path, errors="replace").read()
    print(f"\nwatch fuzz: {sent['n']} malformed watch messages, server alive and usable "
          f"({log.count('Traceback')} tracebacks in the web log so far)")

"""Authorization against the running stack (web + worker processes): the author is the session's
user, other people's posts cannot be edited or deleted, Socket.IO refuses a dead cookie and other
origins (logged-out visitors may watch public rooms only),
and command outcomes reach their author only."""

import pytest
import requests
import socketio
import websocket

from tests.security.conftest import http_user
from tests.support import new_command as command
from tests.support import wait_for

FOREIGN = ["http://evil.example", "http://127.0.0.1:1", "null"]


def submit(user, base, cmd, extra=None) -> dict:
    r = user.post(f"{base}/api/commands", json=cmd | (extra or {}), timeout=10)
    assert r.status_code == 202, r.text
    return cmd


def outcome(user, base, cmd) -> dict:
    def done():
        status = user.get(f"{base}/api/commands/{cmd['command_id']}", timeout=10).json()
        return status if status.get("status") in ("succeeded", "failed") else None
    return wait_for(done, timeout=30, what=f"outcome of {cmd['type']}")


def connect(base, user=None, origin=None, transport="polling") -> socketio.Client:
    """A python-socketio client; `origin` is the Origin header of the handshake (websocket-client
    sets its own, so over websocket it goes through websocket_extra_options)."""
    headers, ws_options = {}, {}
    if user is not None:
        headers["Cookie"] = f"session={user.cookies['session']}"
    if origin is not None and transport == "websocket":
        ws_options["origin"] = origin
    elif origin is not None:
        headers["Origin"] = origin
    sio = socketio.Client(reconnection=False, websocket_extra_options=ws_options)
    sio.failed, sio.succeeded = [], []
    sio.on("command_failed", lambda m: sio.failed.append(m))
    sio.on("command_succeeded", lambda m: sio.succeeded.append(m))
    refusals = []
    sio.on("connect_error", lambda data=None: refusals.append(data))
    try:
        sio.connect(base, headers=headers, transports=[transport], wait_timeout=10)
    except socketio.exceptions.ConnectionError as exc:
        close(sio)  # a refused namespace leaves the engine.io link open
        raise socketio.exceptions.ConnectionError(f"{exc} {refusals}") from exc
    return sio


def close(sio) -> None:
    """Disconnect without websocket-client's 3 s wait for a close frame the dev server never sends."""
    if getattr(sio.eio, "ws", None) is not None:
        sio.eio.ws.close(timeout=0.2)
    sio.eio.disconnect(abort=True)


@pytest.fixture
def two_users(stack):
    return http_user(stack.base), http_user(stack.base)


def test_the_author_is_the_session_user_whatever_the_payload_says(stack, two_users):
    alice, bob = two_users
    cmd = command("create_post", body="who wrote this?", author=alice.handle)
    submit(bob, stack.base, cmd, {"author": alice.handle, "user": alice.handle})
    status = outcome(bob, stack.base, cmd)
    assert status["status"] == "succeeded"
    post = requests.get(f"{stack.base}/api/posts/{status['result']['post']['id']}", timeout=10).json()
    assert post["post"]["author"] == bob.handle
    assert requests.get(f"{stack.base}/api/users/{alice.handle}", timeout=10).json()["posts"] == []


def test_a_command_id_of_someone_else_can_be_neither_read_nor_reused(stack, two_users):
    alice, bob = two_users
    cmd = submit(alice, stack.base, command("create_post", body="alice's own words"))
    assert outcome(alice, stack.base, cmd)["status"] == "succeeded"
    r = bob.get(f"{stack.base}/api/commands/{cmd['command_id']}", timeout=10)
    assert r.status_code == 409 and "result" not in r.json()
    r = bob.post(f"{stack.base}/api/commands", json=cmd | {"payload": {"body": "hijack"}}, timeout=10)
    assert r.status_code == 409 and r.json()["error"]["code"] == "command_id_conflict"


def test_someone_elses_post_cannot_be_edited_or_deleted_and_outcomes_stay_private(stack, two_users):
    alice, bob = two_users
    sockets = {u.handle: connect(stack.base, u, origin=stack.base) for u in two_users}
    try:
        post = outcome(alice, stack.base, submit(alice, stack.base, command(
            "create_post", body="only alice may change this")))["result"]["post"]
        attempts = [submit(bob, stack.base, cmd) for cmd in (
            command("edit_post", post_id=post["id"], body="bob was here"),
            command("delete_post", post_id=post["id"]))]
        for cmd in attempts:
            status = outcome(bob, stack.base, cmd)
            assert status["status"] == "failed" and status["error"]["code"] == "not_author"
        shown = requests.get(f"{stack.base}/api/posts/{post['id']}", timeout=10).json()["post"]
        assert shown["body"] == "only alice may change this" and not shown["edited"]

        # Alice fails a command of her own: once its command_failed reaches her, anything of
        # Bob's would have reached her before it (one queue, one emitter, in order).
        own = submit(alice, stack.base, command("delete_post", post_id=post["id"] + 10**6))
        wait_for(lambda: sockets[alice.handle].failed, timeout=30, what="alice's command_failed")
        wait_for(lambda: len(sockets[bob.handle].failed) == 2, timeout=30, what="bob's two")
        assert [m["command_id"] for m in sockets[alice.handle].failed] == [own["command_id"]]
        assert [m["command_id"] for m in sockets[bob.handle].failed] == \
            [c["command_id"] for c in attempts]
        assert all(m["error"]["code"] == "not_author" for m in sockets[bob.handle].failed)
        assert sockets[bob.handle].succeeded == []  # not even alice's successes
    finally:
        for sio in sockets.values():
            close(sio)


FORGED = "eyJoYW5kbGUiOiJhZG1pbiJ9.forged.signature"  # {"handle":"admin"}, not signed by us


def test_socketio_refuses_a_dead_cookie_and_lets_a_visitor_in_without_one(stack):
    close(connect(stack.base, None, origin=stack.base))  # logged out: public rooms only (below)
    forged = requests.Session()
    forged.cookies.set("session", FORGED)
    with pytest.raises(socketio.exceptions.ConnectionError, match="session_ended"):
        connect(stack.base, forged, origin=stack.base)  # never downgraded to a visitor


def socketio_connect_over_websocket(base, cookie=None) -> str:
    """The Socket.IO CONNECT answer, spoken over a raw websocket (engine.io v4 framing)."""
    ws = websocket.create_connection(
        base.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket",
        origin=base, cookie=cookie, timeout=10)
    try:
        assert ws.recv().startswith("0{")  # engine.io OPEN
        ws.send("40")  # socket.io CONNECT to "/"
        answer = ws.recv()
        while answer == "2":  # a ping may come first
            ws.send("3")
            answer = ws.recv()
        return answer
    finally:
        ws.close(timeout=0.2)


def test_socketio_over_websocket_refuses_a_dead_cookie(stack):
    user = http_user(stack.base)
    assert socketio_connect_over_websocket(stack.base).startswith("40{")  # a visitor
    assert socketio_connect_over_websocket(stack.base, f"session={FORGED}").startswith("44")
    ok = socketio_connect_over_websocket(stack.base, f"session={user.cookies['session']}")
    assert ok.startswith("40{") and '"sid"' in ok  # the control: a session connects


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_socketio_refuses_a_foreign_origin_even_with_a_session(stack, transport):
    user = http_user(stack.base)
    for origin in FOREIGN:
        with pytest.raises(socketio.exceptions.ConnectionError):
            connect(stack.base, user, origin=origin, transport=transport)
    close(connect(stack.base, user, origin=stack.base, transport=transport))  # the control


def test_a_socket_cannot_join_another_users_room(stack):
    alice, bob = http_user(stack.base), http_user(stack.base)
    sio = connect(stack.base, bob, origin=stack.base)
    try:
        for rooms in ([f"user:{alice.handle}"], ["timeline", f"user:{alice.handle}"],
                      [f"profile:{alice.handle}:x"], "timeline", [["timeline"]]):
            assert sio.call("watch", {"rooms": rooms}, timeout=10)["ok"] is False
        assert sio.call("watch", {"rooms": ["timeline"]}, timeout=10) == {"ok": True}
        cmd = submit(alice, stack.base, command("delete_post", post_id=10**9))
        assert outcome(alice, stack.base, cmd)["status"] == "failed"
        own = submit(bob, stack.base, command("delete_post", post_id=10**9 + 1))
        wait_for(lambda: sio.failed, timeout=30, what="bob's own command_failed")
        assert [m["command_id"] for m in sio.failed] == [own["command_id"]]
    finally:
        close(sio)

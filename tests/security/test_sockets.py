"""Issue 11 items 5 and 6, issue 15 item 7 (realtime part), against the real processes:
- sockets are capped per session, per member and (logged out) per IP, refused with a clear reason;
- every socket handler validates its input, answers an `error` event and logs at most one line a
  second -- no traceback; room names must match in full (`post:1\\n` is refused);
- logged-out visitors may open a socket and watch public rooms only, never a `user:` room."""
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import socketio

from tests.e2e.conftest import Stack
from tests.security.conftest import http_user
from tests.security.test_authz import close, command, connect, submit
from tests.support import wait_for


@pytest.fixture(scope="module")
def capped(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("sockets"), RIPPLE_SOCKETS_PER_SESSION="3",
              RIPPLE_SOCKETS_PER_MEMBER="4", RIPPLE_SOCKETS_PER_IP="3")
    yield s
    s.close()


def _login_again(base, user):
    other = requests.Session()
    assert other.post(f"{base}/api/login", timeout=10,
                      json={"handle": user.handle, "password": "password123"}).status_code == 200
    return other


def _refusal(base, user):
    try:
        sio = connect(base, user, origin=base, transport="websocket")
    except socketio.exceptions.ConnectionError as exc:
        return str(exc)
    close(sio)
    return None


def test_sockets_are_capped_per_session_and_per_member(capped):
    base = capped.base
    user = http_user(base)
    opened = [connect(base, user, origin=base, transport="websocket") for _ in range(3)]
    try:
        assert "too_many_sockets" in _refusal(base, user)  # 4th of one session
        assert "session" in _refusal(base, user)
        other = _login_again(base, user)
        opened.append(connect(base, other, origin=base, transport="websocket"))  # member's 4th
        refusal = _refusal(base, other)
        assert "too_many_sockets" in refusal and "member" in refusal
        someone_else = http_user(base)
        close(connect(base, someone_else, origin=base, transport="websocket"))  # not global
        close(opened.pop())
        wait_for(lambda: _refusal(base, other) is None, timeout=10, what="a freed slot")
    finally:
        for sio in opened:
            close(sio)


def test_a_burst_of_sockets_from_one_member_is_cut_at_the_cap(capped):
    base = capped.base
    user = http_user(base)

    def attempt(_):
        try:
            return connect(base, user, origin=base, transport="websocket")
        except socketio.exceptions.ConnectionError:
            return None
    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(attempt, range(20)))
    opened = [s for s in results if s is not None]
    try:
        assert len(opened) == 3  # the session's cap, however fast they come
    finally:
        for sio in opened:
            close(sio)


def test_anonymous_sockets_are_capped_per_ip(capped):
    base = capped.base
    opened = [connect(base, None, origin=base, transport="websocket") for _ in range(3)]
    try:
        with pytest.raises(socketio.exceptions.ConnectionError, match="too_many_sockets"):
            connect(base, None, origin=base, transport="websocket")
    finally:
        for sio in opened:
            close(sio)


def test_bad_socket_input_gets_an_error_event_and_no_traceback(stack):
    user = http_user(stack.base)
    sio = connect(stack.base, user, origin=stack.base, transport="websocket")
    errors = []
    sio.on("error", lambda data=None: errors.append(data))
    log_before = stack.web.log_path.read_text(errors="replace")
    start = time.monotonic()
    try:
        bad = [None, {}, {"rooms": "timeline"}, {"rooms": ["post:1\n"]}, {"rooms": ["timeline\n"]},
               {"rooms": ["post:0"]}, {"rooms": [f"user:{user.handle}"]}, {"rooms": [1]},
               {"rooms": ["timeline"] * 6}, ["timeline"], "x" * 1000, 12]
        for payload in bad * 3:
            args = () if payload is None else (payload,)
            ack = sio.call("watch", *args, timeout=10)
            assert ack["ok"] is False and ack["error"]["code"], payload
        sio.emit("watch")  # no argument, no ack wanted: still an error event
        sio.emit("watch", {"rooms": ["post:1\n"]})
        wait_for(lambda: len(errors) >= len(bad) * 3 + 2, timeout=10, what="error events")
        assert all(set(e) == {"code", "message"} for e in errors)
        assert sio.call("watch", {"rooms": ["timeline", "post:1"]}, timeout=10) == {"ok": True}
        assert sio.connected
        elapsed = time.monotonic() - start
    finally:
        close(sio)
    time.sleep(0.2)
    new_log = stack.web.log_path.read_text(errors="replace")[len(log_before):]
    assert "Traceback" not in new_log, new_log[:2000]
    ours = [line for line in new_log.splitlines() if "similar lines skipped" in line]
    assert 1 <= len(ours) <= elapsed + 1, new_log[:2000]  # 38 bad messages, one line a second


def test_logged_out_visitors_watch_public_rooms_only_and_go_live(stack):
    author = http_user(stack.base)
    visitor = connect(stack.base, None, origin=stack.base, transport="websocket")
    created = []
    visitor.on("post_created", lambda m: created.append(m))
    try:
        for rooms in ([f"user:{author.handle}"], ["timeline", f"user:{author.handle}"]):
            assert visitor.call("watch", {"rooms": rooms}, timeout=10)["ok"] is False
        assert visitor.call("watch", {"rooms": ["timeline", f"profile:{author.handle}"]},
                            timeout=10) == {"ok": True}
        cmd = submit(author, stack.base, command("create_post", body=f"live for all {uuid.uuid4()}"))
        wait_for(lambda: [m for m in created if m["command_id"] == cmd["command_id"]], timeout=30,
                 what="the post reaching the visitor")
        failed = submit(author, stack.base, command("delete_post", post_id=10**9))
        barrier = submit(author, stack.base, command("create_post", body=f"barrier {uuid.uuid4()}"))
        wait_for(lambda: [m for m in created if m["command_id"] == barrier["command_id"]],
                 timeout=30, what="the barrier post")
        assert failed["command_id"] not in str(created)  # the author's own outcomes stay private
    finally:
        close(visitor)


def test_a_visitor_on_the_log_hears_only_where_it_ends_never_a_body(stack):
    """/events goes live for anyone through the `log` room: the message is the log head alone; the
    page fetches GET /api/events, whose privacy rules apply to its viewer."""
    author = http_user(stack.base)
    visitor = connect(stack.base, None, origin=stack.base, transport="websocket")
    heard = []
    visitor.on("*", lambda event, data=None: heard.append((event, data)))
    try:
        assert visitor.call("watch", {"rooms": ["log"]}, timeout=10) == {"ok": True}
        body = f"only over HTTP {uuid.uuid4()}"
        cmd = submit(author, stack.base, command("create_post", body=body))
        wait_for(lambda: author.get(f"{stack.base}/api/commands/{cmd['command_id']}",
                                    timeout=5).json().get("status") == "succeeded", timeout=30,
                 what="the post")
        head = author.get(f"{stack.base}/api/events?limit=1", timeout=5).json()["head"]
        wait_for(lambda: ("log_head", {"head": head}) in heard, timeout=15, what="the log head")
        assert {event for event, _ in heard} == {"log_head"}
        assert body not in str(heard)
    finally:
        close(visitor)

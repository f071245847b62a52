"""The real path, process to process: `python app.py` (Flask-SocketIO) + `python -m worker` + a
python-socketio client. Catches an emitter not wired to the message queue (it would reach nobody),
and pins the HTTP contract of the command and query endpoints on the real server."""
import uuid
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
import requests
import socketio

from tests.support import (RedisServer, init_db, new_command, process_env, signup, sqlite_url,
                           start_web, start_worker, wait_for)

DUPLICATE = {"code": "duplicate_post", "message": "You already posted that."}


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("realtime")
    server = RedisServer().start()
    env = process_env(server.url, sqlite_url(tmp))
    procs = []
    try:
        init_db(env)
        web, base = start_web(env, tmp)
        procs.append(web)
        procs.append(start_worker(env, tmp, name="realtime"))
        yield SimpleNamespace(base=base)
    finally:
        for proc in reversed(procs):
            proc.stop()
        server.stop()


def cookie_header(http: requests.Session) -> str:
    return "; ".join(f"{k}={v}" for k, v in http.cookies.items())


class Listener:
    """A Socket.IO client logged in as `http`'s user; records every message it receives."""

    def __init__(self, base, http, rooms=()):
        self.messages = []
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("*", lambda event, data=None: self.messages.append((event, data)))
        self.sio.connect(base, headers={"Cookie": cookie_header(http)}, transports=["websocket"],
                         wait_timeout=10)
        if rooms:
            assert self.sio.call("watch", {"rooms": list(rooms)}, timeout=10) == {"ok": True}

    def of(self, event, command_id=None):
        return [d for e, d in list(self.messages)
                if e == event and (command_id is None or d.get("command_id") == command_id)]

    def wait(self, event, command_id, timeout=20):
        return wait_for(lambda: self.of(event, command_id), timeout=timeout,
                        what=f"{event} for {command_id}")[0]


@pytest.fixture
def listeners():
    made = []

    def make(*args, **kwargs):
        made.append(Listener(*args, **kwargs))
        return made[-1]
    yield make
    # in parallel: python-socketio's websocket close can wait out websocket-client's 3 s timeout
    with ThreadPoolExecutor(len(made) or 1) as pool:
        list(pool.map(lambda listener: listener.sio.disconnect(), made))


def post(base, http, body, command_id=None):
    cmd = new_command(body=body, command_id=command_id)
    r = http.post(f"{base}/api/commands", timeout=10, json=cmd)
    assert r.status_code == 202, r.text
    return cmd["command_id"]


def outcome(base, http, cid):
    return wait_for(lambda: (lambda s: s if s["status"] != "queued" else None)(
        http.get(f"{base}/api/commands/{cid}", timeout=10).json()), timeout=20, what=f"outcome {cid}")


# ---- live updates ---------------------------------------------------------------------------------

def test_post_created_reaches_the_author_and_timeline_watchers_once(live, listeners):
    base = live.base
    alice, bob, carol = signup(base), signup(base), signup(base)
    la = listeners(base, alice, rooms=["timeline"])  # the author, also watching the timeline
    lb = listeners(base, bob, rooms=["timeline"])
    lc = listeners(base, carol)  # watches nothing, follows no one

    cid = post(base, alice, "hello, live world")
    msg = la.wait("post_created", cid)
    # emitted only once the read side holds it: a query right now must already see it
    pid = msg["post"]["id"]
    assert requests.get(f"{base}/api/posts/{pid}", timeout=10).status_code == 200
    assert requests.get(f"{base}/api/timeline", timeout=10).json()["version"] >= msg["version"]
    assert set(msg) == {"post", "command_id", "version"} and msg["version"] >= 1
    assert msg["post"] | {"id": 0, "created_at": 0} == {
        "id": 0, "created_at": 0, "author": alice.handle, "body": "hello, live world",
        "edited_at": None, "edited": False, "likes": 0, "comments": 0}
    assert lb.wait("post_created", cid) == msg
    assert la.wait("command_succeeded", cid)["version"] == msg["version"]
    assert len(la.of("post_created", cid)) == 1  # in two of its rooms, delivered once

    barrier = post(base, carol, "carol's own post")
    lc.wait("post_created", barrier)  # carol's own news arrives; alice's never did
    assert lc.of("post_created", cid) == [] and lc.of("command_succeeded", cid) == []


def test_command_failed_reaches_the_author_only(live, listeners):
    base = live.base
    alice, bob = signup(base), signup(base)
    la = listeners(base, alice)
    lb = listeners(base, bob, rooms=["timeline"])
    la.wait("post_created", post(base, alice, "said twice"))
    dup = post(base, alice, "said twice")
    assert la.wait("command_failed", dup) == {"command_id": dup, "type": "create_post",
                                              "error": DUPLICATE}
    assert outcome(base, alice, dup) == {"command_id": dup, "status": "failed", "error": DUPLICATE}

    barrier = post(base, alice, "said once")
    lb.wait("post_created", barrier)  # emitted after the failure: bob would have had it by now
    assert lb.of("command_failed") == [] and not [d for _, d in lb.messages
                                                  if d.get("command_id") == dup]
    assert la.of("post_created", dup) == []


def test_a_socket_refuses_dead_cookies_and_other_origins_but_lets_visitors_in(live):
    alice = signup(live.base)
    attempts = [(headers, transports) for transports in (["websocket"], ["polling"])
                for headers in ({"Cookie": "session=forged.value.here"},
                                {"Cookie": cookie_header(alice), "Origin": "http://evil.example"})]

    def refused(attempt):
        sio = socketio.Client(reconnection=False)
        try:
            sio.connect(live.base, headers=attempt[0], transports=attempt[1], wait_timeout=10)
        except socketio.exceptions.ConnectionError:
            return True
        sio.disconnect()
        return False
    with ThreadPoolExecutor(len(attempts)) as pool:
        assert list(pool.map(refused, attempts)) == [True] * len(attempts)
    visitor = socketio.Client(reconnection=False)  # no cookie: a logged-out visitor
    visitor.connect(live.base, transports=["websocket"], wait_timeout=10)
    try:
        assert visitor.call("watch", {"rooms": ["timeline"]}, timeout=10) == {"ok": True}
        assert visitor.call("watch", {"rooms": [f"user:{alice.handle}"]}, timeout=10)["ok"] is False
    finally:
        visitor.disconnect()


def test_another_users_command_is_not_theirs_to_read_or_reuse(live):
    base = live.base
    alice, mallory = signup(base), signup(base)
    cid = post(base, alice, "mine alone")
    done = outcome(base, alice, cid)
    r = mallory.get(f"{base}/api/commands/{cid}", timeout=10)
    assert r.status_code in (404, 409) and "result" not in r.text and "mine alone" not in r.text
    assert set(r.json()["error"]) == {"code", "message", "field"}
    r = mallory.post(f"{base}/api/commands", timeout=10, json={
        "command_id": cid, "type": "create_post", "payload": {"body": "hijack"}})
    assert r.status_code == 409 and r.json()["error"]["field"] == "command_id"
    assert outcome(base, alice, cid) == done
    assert requests.get(f"{base}/api/users/{mallory.handle}", timeout=10).json()["user"]["posts"] == 0


# ---- the HTTP contract ----------------------------------------------------------------------------

def assert_error(r, status, code, field=None):
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json()["error"] == {"code": code, "message": r.json()["error"]["message"], "field": field}
    assert r.json()["error"]["message"]


def test_command_endpoint_errors(live):
    base, url = live.base, f"{live.base}/api/commands"
    alice = signup(base)
    good = {"command_id": str(uuid.uuid4()), "type": "create_post", "payload": {"body": "x"}}
    assert_error(requests.post(url, json=good, timeout=10), 401, "not_logged_in")
    assert_error(requests.get(f"{url}/{good['command_id']}", timeout=10), 401, "not_logged_in")
    assert_error(requests.get(f"{base}/api/feed", timeout=10), 401, "not_logged_in")
    assert_error(alice.post(url, data="body=x", timeout=10,
                            headers={"Content-Type": "application/x-www-form-urlencoded"}),
                 415, "unsupported_media_type")
    assert_error(alice.post(url, data='{"a":1}', headers={"Content-Type": "text/plain"}, timeout=10),
                 415, "unsupported_media_type")
    assert_error(alice.post(url, json=good, headers={"Origin": "http://evil.example"}, timeout=10),
                 403, "forbidden_origin")
    assert_error(alice.post(url, data="{not json", timeout=10,
                            headers={"Content-Type": "application/json"}), 400, "malformed_json")
    for data, code, field in [
            ([good], "invalid_envelope", None),
            (good | {"command_id": "123"}, "invalid_command_id", "command_id"),
            (good | {"type": "drop_tables"}, "unknown_type", "type"),
            (good | {"type": ["create_post"]}, "unknown_type", "type"),
            (good | {"payload": "x"}, "invalid_payload", "payload"),
            (good | {"payload": {}}, "invalid_body", "payload.body"),
            (good | {"payload": {"body": "  "}}, "empty_body", "payload.body"),
            (good | {"payload": {"body": "x" * 501}}, "body_too_long", "payload.body"),
            (good | {"payload": {"body": "bad\x00byte"}}, "invalid_body", "payload.body")]:
        assert_error(alice.post(url, json=data, timeout=10), 400, code, field)
    assert_error(alice.get(f"{url}/not-a-uuid", timeout=10), 400, "invalid_command_id", "command_id")
    assert_error(alice.get(f"{url}/{uuid.uuid4()}", timeout=10), 404, "command_not_found")
    assert alice.get(f"{base}/api/users/{alice.handle}", timeout=10).json()["user"]["posts"] == 0


def test_a_command_is_accepted_with_202_once_and_again(live):
    base = live.base
    alice = signup(base)
    cid = str(uuid.uuid4())
    cmd = {"command_id": cid, "type": "create_post", "payload": {"body": "  accepted  "}}
    r = alice.post(f"{base}/api/commands", json=cmd, headers={"Origin": base}, timeout=10)
    assert r.status_code == 202 and r.json() == {"command_id": cid, "status": "queued"}
    done = outcome(base, alice, cid)
    assert done["status"] == "succeeded" and done["result"]["post"]["body"] == "accepted"
    r = alice.post(f"{base}/api/commands", json=cmd, timeout=10)  # a retry after it ran
    assert r.status_code == 202 and r.json() == done
    profile = requests.get(f"{base}/api/users/{alice.handle}", timeout=10).json()
    assert profile["user"]["posts"] == 1 and len(profile["posts"]) == 1


def test_timeline_pagination_and_404s(live):
    base = live.base
    alice = signup(base)
    for i in range(5):
        outcome(base, alice, post(base, alice, f"page me {i}"))
    full = requests.get(f"{base}/api/timeline?limit=100", timeout=10).json()
    assert full["next"] is None and len(full["posts"]) >= 5
    ids = [p["id"] for p in full["posts"]]
    assert ids == sorted(ids, reverse=True)

    seen, before = [], None
    while True:
        page = requests.get(f"{base}/api/timeline", timeout=10,
                            params={"limit": 2, **({"before": before} if before else {})}).json()
        assert len(page["posts"]) <= 2 and page["version"] == full["version"]
        seen += [p["id"] for p in page["posts"]]
        before = page["next"]
        if before is None:
            break
        assert before == seen[-1]
    assert seen == ids

    for query, field in (("limit=0", "limit"), ("limit=101", "limit"), ("limit=x", "limit"),
                         ("before=-1", "before"), ("before=abc", "before")):
        assert_error(requests.get(f"{base}/api/timeline?{query}", timeout=10), 400,
                     "invalid_parameter", field)
    assert_error(requests.get(f"{base}/api/users/nobody_here", timeout=10), 404, "user_not_found")
    assert_error(requests.get(f"{base}/api/posts/987654321", timeout=10), 404, "post_not_found")


# ---- staged confirmations (issue 13 §1) ------------------------------------------------------------

STAGES = ["accepted_at", "taken_at", "committed_at", "projected_at", "notified_at"]


def test_command_saved_then_succeeded_reach_the_author_alone_with_ordered_timings(live, listeners):
    base = live.base
    alice, bob = signup(base), signup(base)
    la = listeners(base, alice, rooms=["timeline"])
    lb = listeners(base, bob, rooms=["timeline", f"profile:{alice.handle}"])
    cid = post(base, alice, "staged")
    done = la.wait("command_succeeded", cid)
    saved = la.wait("command_saved", cid)
    names = [e for e, d in la.messages if (d or {}).get("command_id") == cid]
    assert names.index("command_saved") < names.index("post_created") < names.index(
        "command_succeeded")
    assert set(saved) == {"command_id", "type", "seq", "timings"}
    assert saved["type"] == "create_post" and saved["seq"] == done["version"]
    assert list(saved["timings"]) == STAGES[:3]
    assert list(done["timings"]) == STAGES
    assert {k: done["timings"][k] for k in STAGES[:3]} == saved["timings"]
    values = [done["timings"][k] for k in STAGES]
    assert values == sorted(values) and all(isinstance(v, float) for v in values)
    assert abs(values[0] / 1000 - __import__("time").time()) < 60  # epoch ms
    assert set(done) == {"command_id", "type", "result", "version", "timings"}
    status = outcome(base, alice, cid)
    assert status["status"] == "succeeded" and status["timings"] == done["timings"]
    lb.wait("post_created", cid)
    assert lb.of("command_saved") == [] and lb.of("command_succeeded") == []

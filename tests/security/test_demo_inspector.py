"""Security of the inspector's surfaces: GET /api/system, POST /api/demo, POST /api/guest, the
inspector room and the event summaries (authz, rate limits, hostile input, privacy)."""
import pytest
import socketio

from backend import create_app, demo
from backend.read.system import summarize
from tests.conftest import make_config
from tests.security.conftest import http_user
from tests.security.test_authz import close, command, connect, outcome, submit
from tests.support import wait_for


def _app(services, **overrides):
    config = make_config(services.config.redis_url, services.config.database_url, demo=True,
                         **overrides)
    services.config = config
    application = create_app(config)
    application.extensions["ripple"] = services
    return application


def _member(app, handle):
    c = app.test_client()
    assert c.post("/api/signup", json={"handle": handle, "password": "password123"}).status_code == 201
    return c


def test_system_and_demo_need_a_session_and_guests_cannot_change_controls(services):
    app = _app(services)
    anon = app.test_client()
    assert anon.get("/api/system").status_code == 401
    r = anon.post("/api/demo", json={"workers_paused": True})
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "not_logged_in"
    guest = app.test_client()
    assert guest.post("/api/guest", json={}).status_code == 201
    assert guest.post("/api/demo", json={"workers_paused": True}).status_code == 403
    # a guest cannot shed the flag by "logging in" to its own account: it has no known password
    assert not services.redis.exists(demo.KEY)


def test_demo_is_rate_limited_per_member(services):
    app = _app(services, ratelimit_enabled=True, ratelimit_demo="3 per minute")
    alice, bob = _member(app, "alice"), _member(app, "bob")
    codes = [alice.post("/api/demo", json={"crowd": True}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = alice.post("/api/demo", json={"crowd": False})
    assert r.status_code == 429 and r.headers.get("Retry-After")
    assert r.get_json()["error"]["code"]
    assert bob.post("/api/demo", json={"crowd": False}).status_code == 200  # per member


def test_guests_are_rate_limited_like_sign_ups(services):
    app = _app(services, ratelimit_enabled=True, ratelimit_signup="2 per 30 minutes")
    codes = [app.test_client().post("/api/guest", json={}).status_code for _ in range(3)]
    assert codes == [201, 201, 429]


@pytest.mark.parametrize("body", [
    '{"worker_delay_ms": NaN}', '{"worker_delay_ms": 1e309}', '{"worker_delay_ms": 99999999999999999999}',
    '{"worker_delay_ms": "100"}', '{"worker_delay_ms": null}', '{"workers_paused": null}',
    '{"projection_paused": [true]}', '{"crowd": {"$ne": 1}}', '{"__proto__": {"x": 1}}',
    '{"' + "k" * 5000 + '": true}', '"workers_paused"', 'null', '[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]',
    '{"workers_paused": true', '{"set_by": "mallory", "workers_paused": true}',
    '{"until": 99999999999, "workers_paused": true}'])
def test_hostile_demo_bodies_are_400_never_5xx_and_change_nothing(services, body):
    app = _app(services)
    c = _member(app, "alice")
    r = c.post("/api/demo", data=body, content_type="application/json")
    assert r.status_code == 400, r.get_data(as_text=True)
    err = r.get_json()["error"]
    assert set(err) == {"code", "message", "field"} and len(err["field"] or "") <= 40
    assert not services.redis.exists(demo.KEY)


def test_demo_refuses_forms_and_other_origins(services):
    app = _app(services)
    c = _member(app, "alice")
    assert c.post("/api/demo", data="workers_paused=true",
                  content_type="application/x-www-form-urlencoded").status_code == 415
    r = c.post("/api/demo", json={"workers_paused": True}, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    assert c.post("/api/guest", data="", content_type="text/plain").status_code == 415
    assert not services.redis.exists(demo.KEY)


def test_the_inspector_room_needs_a_session_and_only_its_members_hear_it(stack):
    anonymous = connect(stack.base, origin=stack.base)  # logged out: public rooms only
    try:
        answer = anonymous.call("watch", {"rooms": ["inspector"]}, timeout=10)
        assert answer["ok"] is False and answer["error"]["code"] == "not_logged_in"
    finally:
        close(anonymous)
    alice, bob = http_user(stack.base), http_user(stack.base)
    watcher, other = connect(stack.base, alice, origin=stack.base), connect(stack.base, bob, origin=stack.base)
    heard = {"watcher": [], "other": []}
    try:
        for name, sio in (("watcher", watcher), ("other", other)):
            for event in ("system", "events_appended"):
                sio.on(event, lambda m, n=name, e=event: heard[n].append((e, m)))
        assert watcher.call("watch", {"rooms": ["inspector"]}, timeout=10) == {"ok": True}
        assert other.call("watch", {"rooms": ["timeline"]}, timeout=10) == {"ok": True}
        for rooms in (["inspector:x"], ["Inspector"], ["inspector"] * 6):
            assert other.call("watch", {"rooms": rooms}, timeout=10)["ok"] is False
        cmd = submit(bob, stack.base, command("create_post", body="a secret in a body"))
        assert outcome(bob, stack.base, cmd)["status"] == "succeeded"
        wait_for(lambda: any(e == "events_appended" for e, _ in heard["watcher"]), timeout=30,
                 what="events_appended in the inspector room")
        assert "a secret in a body" not in repr(heard["watcher"])  # summaries carry no bodies
        assert heard["other"] == []
    finally:
        close(watcher)
        close(other)


def test_event_summaries_show_no_bodies_and_no_likers():
    events = [
        {"seq": 1, "type": "post_created", "author": "ann", "command_id": "c1", "created_at": 1.0,
         "data": {"post": {"id": 7, "author": "ann", "body": "SECRET BODY"}}},
        {"seq": 2, "type": "post_edited", "author": "ann", "command_id": "c2", "created_at": 2.0,
         "data": {"post_id": 7, "author": "ann", "body": "SECRET EDIT"}},
        {"seq": 3, "type": "comment_created", "author": "bob", "command_id": "c3", "created_at": 3.0,
         "data": {"comment": {"id": 1, "post_id": 7, "author": "bob", "body": "SECRET REPLY"}}},
        {"seq": 4, "type": "post_liked", "author": "carol", "command_id": "c4", "created_at": 4.0,
         "data": {"post_id": 7, "user": "carol"}},
        {"seq": 5, "type": "post_unliked", "author": "carol", "command_id": "c5", "created_at": 5.0,
         "data": {"post_id": 7, "user": "carol"}},
        {"seq": 6, "type": "post_deleted", "author": "ann", "command_id": "c6", "created_at": 6.0,
         "data": {"post_id": 7, "author": "ann"}},
    ]
    out = [summarize(e) for e in events]
    text = repr(out)
    assert "SECRET" not in text and "carol" not in text and "c4" not in text and "c5" not in text
    assert [o["summary"] for o in out] == [
        "@ann posted post 7", "@ann edited post 7", "@bob commented on post 7", "post 7 got a like",
        "post 7 lost a like", "@ann deleted post 7"]
    assert all(set(o) == {"seq", "type", "at", "author", "command_id", "summary"} for o in out)

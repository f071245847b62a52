"""Issue 11 item 1: sessions really end. The cookie is a random token naming a server-side session
(a row in the write DB, cached in Redis); logout ends it and its sockets; "log out everywhere" ends
them all; a dead cookie is refused (401, no socket), never treated as an anonymous visitor."""
import time

import redis
import requests
import socketio
from sqlalchemy import event

from tests.security.conftest import http_user
from tests.security.test_authz import close, command, connect
from tests.support import wait_for


def _signup(client, handle):
    r = client.post("/api/signup", json={"handle": handle, "password": "password123"})
    assert r.status_code == 201, r.get_json()
    return client.get_cookie("session").value


def _login(app, handle):
    c = app.test_client()
    r = c.post("/api/login", json={"handle": handle, "password": "password123"})
    assert r.status_code == 200, r.get_json()
    return c


def _replay(app, cookie):
    c = app.test_client()
    c.set_cookie("session", cookie)
    return c


def _refused(resp):
    assert resp.status_code == 401, (resp.status_code, resp.data[:200])
    assert resp.get_json()["error"]["code"] == "session_ended"


def test_the_old_cookie_after_logout_is_refused_everywhere(app, client):
    cookie = _signup(client, "gone_u")
    assert client.post("/api/logout", json={}).status_code == 204
    _refused(_replay(app, cookie).get("/api/me"))  # (each replay: the 401 also deletes the cookie)
    _refused(_replay(app, cookie).post("/api/commands",
                                       json=command("create_post", body="after logout")))
    _refused(_replay(app, cookie).get("/api/timeline"))  # not downgraded to an anonymous visitor
    replay = _replay(app, cookie)
    page = replay.get("/explore")
    assert page.status_code == 302 and page.headers["Location"].endswith("/login")
    assert "session=;" in page.headers["Set-Cookie"]  # and the browser is told to forget it
    assert replay.post("/api/login", json={"handle": "gone_u", "password": "password123"}
                       ).status_code == 200  # logging in again is always possible


def test_a_second_session_survives_a_plain_logout(app, client):
    _signup(client, "two_u")
    other = _login(app, "two_u")
    assert client.post("/api/logout", json={}).status_code == 204
    assert other.get("/api/me").status_code == 200


def test_log_out_everywhere_ends_every_session_of_that_member_only(app, client):
    first = _signup(client, "all_u")
    second = _login(app, "all_u")
    third = _login(app, "all_u")
    bystander = app.test_client()
    _signup(bystander, "bystander_u")
    cookies = [first, second.get_cookie("session").value, third.get_cookie("session").value]
    r = second.post("/api/logout-all", json={})
    assert r.status_code == 200 and r.get_json() == {"ended": 3}
    for cookie in cookies:
        _refused(_replay(app, cookie).get("/api/me"))
    assert bystander.get("/api/me").status_code == 200
    assert app.test_client().post("/api/logout-all", json={}).status_code == 401


def test_redis_restarted_empty_neither_revives_nor_ends_a_session(app, client, services):
    dead = _signup(client, "redis_u")
    assert client.post("/api/logout", json={}).status_code == 204
    live = _login(app, "redis_u")
    assert live.get("/api/me").status_code == 200
    redis.Redis.from_url(services.config.redis_url).flushall()  # Redis came back empty
    _refused(_replay(app, dead).get("/api/me"))
    assert live.get("/api/me").status_code == 200
    _refused(_replay(app, dead).get("/api/me"))  # and again, now from the rebuilt cache


def test_a_request_costs_one_redis_lookup_not_sql(app, client, services):
    _signup(client, "cheap_u")
    assert client.get("/api/me").status_code == 200  # cache warm
    statements = []
    event.listen(services.engine, "before_cursor_execute",
                 lambda *args: statements.append(args[2]))
    for _ in range(5):
        assert client.get("/api/me").status_code == 200
    assert statements == []


def test_a_forged_or_foreign_cookie_is_refused_not_anonymous(app):
    for value in ("eyJoYW5kbGUiOiJhZG1pbiJ9.forged.signature", "A" * 43, "x"):
        _refused(_replay(app, value).get("/api/timeline"))


# ---- sockets, against the real processes --------------------------------------------------------

def test_logout_closes_the_open_socket_within_a_second_and_refuses_new_ones(stack):
    user = http_user(stack.base)
    cookie = user.cookies["session"]
    sio = connect(stack.base, user, origin=stack.base, transport="websocket")
    other = requests.Session()  # a second session of the same member
    assert other.post(f"{stack.base}/api/login", timeout=10,
                      json={"handle": user.handle, "password": "password123"}).status_code == 200
    sio_other = connect(stack.base, other, origin=stack.base, transport="websocket")
    try:
        assert sio.connected
        assert user.post(f"{stack.base}/api/logout", json={}, timeout=10).status_code == 204
        start = time.monotonic()
        wait_for(lambda: not sio.connected, timeout=5, what="the socket closed by the logout")
        assert time.monotonic() - start < 1.0
        assert sio_other.connected  # the other session's socket stays
        stale = requests.Session()
        stale.cookies.set("session", cookie)
        assert stale.get(f"{stack.base}/api/me", timeout=10).status_code == 401
        for transport in ("websocket", "polling"):
            try:
                connect(stack.base, stale, origin=stack.base, transport=transport)
                raise AssertionError("a logged-out cookie opened a socket")
            except socketio.exceptions.ConnectionError as exc:
                assert "session_ended" in str(exc)
    finally:
        close(sio)
        close(sio_other)


def test_log_out_everywhere_closes_every_socket(stack):
    user = http_user(stack.base)
    other = requests.Session()
    assert other.post(f"{stack.base}/api/login", timeout=10,
                      json={"handle": user.handle, "password": "password123"}).status_code == 200
    sockets = [connect(stack.base, u, origin=stack.base, transport="websocket")
               for u in (user, other, other)]
    try:
        assert user.post(f"{stack.base}/api/logout-all", json={}, timeout=10).status_code == 200
        start = time.monotonic()
        wait_for(lambda: not any(s.connected for s in sockets), timeout=5, what="all closed")
        assert time.monotonic() - start < 1.0
    finally:
        for s in sockets:
            close(s)

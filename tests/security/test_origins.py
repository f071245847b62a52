"""Issue 11 item 8: RIPPLE_ALLOWED_ORIGINS *adds* to same-origin for HTTP and sockets alike, and a
configured host list (RIPPLE_ALLOWED_HOSTS / SERVER_NAME) is what "same-site" means, so a forged
Host header (DNS rebinding) cannot make a foreign Origin look same-site."""
import pytest
import requests
import socketio

from backend import create_app
from tests.conftest import make_config
from tests.security.test_authz import close, connect
from tests.support import RedisServer, free_port, init_db, process_env, signup, sqlite_url, start_web

FRIEND = "http://friend.example"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One web server that answers to 127.0.0.1:<port> only and also trusts FRIEND."""
    tmp = tmp_path_factory.mktemp("origins")
    redis_server, port = RedisServer().start(), free_port()
    env = process_env(redis_server.url, sqlite_url(tmp), RIPPLE_ALLOWED_ORIGINS=FRIEND,
                      RIPPLE_ALLOWED_HOSTS=f"127.0.0.1:{port}")
    init_db(env)
    web, base = start_web(env, tmp, port=port)
    yield base
    web.stop()
    redis_server.stop()


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_allowed_origins_add_to_same_origin_for_sockets(site, transport):
    user = signup(site)
    for origin in (site, FRIEND):  # both: the list adds, it does not replace
        close(connect(site, user, origin=origin, transport=transport))
    with pytest.raises(socketio.exceptions.ConnectionError):
        connect(site, user, origin="http://evil.example", transport=transport)


def test_allowed_origins_add_to_same_origin_for_http(site):
    user = signup(site)
    for origin, status in ((site, 204), (FRIEND, 204), ("http://evil.example", 403)):
        other = requests.Session()
        other.cookies.update(user.cookies)
        r = other.post(f"{site}/api/logout", json={}, headers={"Origin": origin}, timeout=10)
        assert r.status_code == status, origin


def test_a_forged_host_cannot_make_a_foreign_origin_same_site(site):
    evil = "evil.example:8080"
    r = requests.post(f"{site}/api/signup", json={"handle": "rebind_u", "password": "password123"},
                      headers={"Host": evil, "Origin": f"http://{evil}"}, timeout=10)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_host"
    assert requests.get(f"{site}/explore", headers={"Host": evil}, timeout=10).status_code == 400
    sio = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        sio.connect(site, headers={"Host": evil, "Origin": f"http://{evil}"},
                    transports=["polling"], wait_timeout=10)


def test_server_name_is_an_allowed_host(services, monkeypatch):
    monkeypatch.setenv("SERVER_NAME", "ripple.example")
    monkeypatch.setenv("RIPPLE_ALLOWED_HOSTS", "www.ripple.example")
    from backend.config import Config
    hosts = Config.from_env().allowed_hosts
    assert set(hosts) == {"ripple.example", "www.ripple.example"}
    config = make_config(services.config.redis_url, services.config.database_url,
                         allowed_hosts=hosts)
    app = create_app(config)
    app.extensions["ripple"] = services
    client = app.test_client()
    ok = client.post("/api/logout", json={}, base_url="http://ripple.example",
                     headers={"Origin": "http://ripple.example"})
    assert ok.status_code == 204
    forged = client.post("/api/logout", json={}, base_url="http://evil.example",
                         headers={"Origin": "http://evil.example"})
    assert forged.status_code == 400

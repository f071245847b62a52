"""Issue 11 item 3: failed logins back off per account (exponentially), next to the per-IP limit,
so a fresh X-Forwarded-For per request (RIPPLE_TRUSTED_PROXIES=1) buys nothing; and when Redis,
the limits' store, is down, logins and sign-ups fail closed with 503."""
import time

import pytest

from backend import create_app
from backend.services import build_services
from backend.write.models import init_db
from tests.conftest import make_config
from tests.support import RedisServer, new_handle, wait_for


@pytest.fixture
def proxied_app(services):
    """Rate limits on, one trusted proxy: X-Forwarded-For names the client."""
    config = make_config(services.config.redis_url, services.config.database_url,
                         ratelimit_enabled=True, trusted_proxies=1)
    application = create_app(config)
    application.extensions["ripple"] = services
    return application


def _login(client, handle, password, n):
    return client.post("/api/login", json={"handle": handle, "password": password},
                       headers={"X-Forwarded-For": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"})


def test_rotating_forwarded_ips_still_hit_the_per_account_backoff(proxied_app):
    client = proxied_app.test_client()
    handle = new_handle()
    assert client.post("/api/signup", json={"handle": handle, "password": "password123"},
                       headers={"X-Forwarded-For": "192.0.2.1"}).status_code == 201
    statuses = [_login(client, handle, f"wrong {i}", i).status_code for i in range(40)]
    assert statuses[:6] == [401] * 6  # five free failures, the sixth starts the backoff
    assert 429 in statuses and statuses.count(401) < 10, statuses
    locked = _login(client, handle, "password123", 1000)  # even the right password, meanwhile
    assert locked.status_code == 429 and locked.get_json()["error"]["code"] == "too_many_requests"
    assert int(locked.headers["Retry-After"]) >= 1
    other = new_handle()  # another account is not affected
    assert client.post("/api/signup", json={"handle": other, "password": "password123"},
                       headers={"X-Forwarded-For": "192.0.2.2"}).status_code == 201
    assert _login(client, other, "password123", 2000).status_code == 200


def test_the_backoff_doubles_and_a_success_clears_it(limited_app):
    client = limited_app.test_client()
    handle = new_handle()
    assert client.post("/api/signup", json={"handle": handle, "password": "password123"}
                       ).status_code == 201

    def login(password):
        return client.post("/api/login", json={"handle": handle, "password": password})

    assert [login("nope nope").status_code for _ in range(6)] == [401] * 6
    first = login("nope nope")
    assert first.status_code == 429 and first.headers["Retry-After"] == "2"
    time.sleep(2.05)
    assert login("nope nope").status_code == 401
    second = login("nope nope")
    assert second.status_code == 429 and second.headers["Retry-After"] == "4"
    wait_for(lambda: login("password123").status_code == 200, timeout=6, interval=0.5,
             what="the backoff to end")
    assert login("nope nope").status_code == 401  # cleared: free failures again
    assert login("nope nope").status_code == 401


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_limits_store_down_means_logins_and_signups_fail_closed_with_503(database_url):
    server = RedisServer().start()
    config = make_config(server.url, database_url, ratelimit_enabled=True)
    svc = build_services(config)
    init_db(svc.engine)
    app = create_app(config)
    app.extensions["ripple"] = svc
    client = app.test_client()
    handle = new_handle()
    assert client.post("/api/signup", json={"handle": handle, "password": "password123"}
                       ).status_code == 201
    server.stop()
    try:
        fresh = app.test_client()
        for path, body in (("/api/login", {"handle": handle, "password": "password123"}),
                           ("/api/login", {"handle": handle, "password": "wrong password"}),
                           ("/api/signup", {"handle": new_handle(), "password": "password123"})):
            r = fresh.post(path, json=body)
            assert r.status_code == 503, (path, r.status_code, r.data[:200])
            assert r.get_json()["error"]["code"] == "service_unavailable"
            assert "Set-Cookie" not in r.headers
    finally:
        svc.engine.dispose()

"""POST /api/demo, GET /api/system, POST /api/guest against real Redis and a real write DB."""
import dataclasses
import time

import pytest

from backend import create_app, demo
from tests.support import CommandClients


def _app(services, **overrides):
    config = dataclasses.replace(services.config, **overrides)
    services.config = config
    application = create_app(config)
    application.extensions["ripple"] = services
    return application


@pytest.fixture
def demo_app(services):
    return _app(services, demo=True)


def _member(app, handle="alice"):
    c = app.test_client()
    assert c.post("/api/signup", json={"handle": handle, "password": "password123"}).status_code == 201
    return c


def test_demo_refused_when_demo_mode_is_off(services):
    app = _app(services, demo=False)
    c = _member(app)
    r = c.post("/api/demo", json={"workers_paused": True})
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "demo_off"
    assert c.get("/api/system").get_json()["demo"] is None
    assert c.post("/api/guest", json={}).status_code == 404
    assert not services.redis.exists(demo.KEY)


def test_demo_sets_controls_and_returns_the_demo_object(demo_app, services):
    c = _member(demo_app)
    r = c.post("/api/demo", json={"worker_delay_ms": 1500, "projection_paused": True})
    assert r.status_code == 200
    body = r.get_json()
    assert body["worker_delay_ms"] == 1500 and body["projection_paused"] is True
    assert body["workers_paused"] is False and body["crowd"] is False
    assert body["set_by"] == "alice" and body["until"] > time.time() + 100
    system = c.get("/api/system").get_json()
    assert set(system) == {"queue_depth", "workers", "log_head", "checkpoint", "lag_events",
                           "lag_ms", "demo", "rebuild"}
    assert system["rebuild"] == {"state": "idle"}  # no rebuild ran
    assert system["demo"]["worker_delay_ms"] == 1500
    page = c.get("/explore").get_data(as_text=True)
    assert "demo-banner" in page and "@alice" in page  # every page says so, and who


@pytest.mark.parametrize("body,field", [
    ({"worker_delay_ms": 5001}, "worker_delay_ms"), ({"worker_delay_ms": -1}, "worker_delay_ms"),
    ({"worker_delay_ms": 1.5}, "worker_delay_ms"), ({"worker_delay_ms": True}, "worker_delay_ms"),
    ({"workers_paused": "yes"}, "workers_paused"), ({"crowd": 1}, "crowd"),
    ({"nope": True}, "nope"), ({}, None), ([], None)])
def test_demo_out_of_range_values_are_rejected(demo_app, services, body, field):
    c = _member(demo_app)
    r = c.post("/api/demo", json=body)
    assert r.status_code == 400
    assert r.get_json()["error"]["field"] == field
    assert not services.redis.exists(demo.KEY)


def test_demo_needs_login_and_refuses_guests(demo_app, services):
    anon = demo_app.test_client()
    assert anon.post("/api/demo", json={"crowd": True}).status_code == 401
    assert anon.get("/api/system").status_code == 401
    guest = demo_app.test_client()
    r = guest.post("/api/guest", json={})
    assert r.status_code == 201 and r.get_json()["user"]["handle"].startswith("guest_")
    assert guest.get("/api/me").status_code == 200
    assert guest.get("/api/system").status_code == 200  # guests may watch
    r = guest.post("/api/demo", json={"workers_paused": True})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "guest_forbidden"
    assert not services.redis.exists(demo.KEY)


def test_demo_controls_revert_by_themselves(demo_app, services, monkeypatch):
    monkeypatch.setattr(demo, "REVERT_S", 1)
    c = _member(demo_app)
    assert c.post("/api/demo", json={"workers_paused": True}).get_json()["workers_paused"] is True
    assert "demo-banner" in c.get("/explore").get_data(as_text=True)
    deadline = time.monotonic() + 5
    while c.get("/api/system").get_json()["demo"]["workers_paused"] and time.monotonic() < deadline:
        time.sleep(0.1)
    state = c.get("/api/system").get_json()["demo"]
    assert state["workers_paused"] is False and state["until"] is None
    assert "demo-banner" not in c.get("/explore").get_data(as_text=True)


def test_system_reports_queue_log_head_checkpoint_and_lag(app, services, run_worker):
    users = CommandClients(app, run_worker, "ann")
    c = users.clients["ann"]
    before = c.get("/api/system").get_json()
    assert before["lag_events"] == 0 and before["lag_ms"] == 0 and before["demo"] is None
    c.post("/api/commands", json={"command_id": "9b1de0a5-3f7c-4a57-9a4b-3c1f1e0c0001",
                                  "type": "create_post", "payload": {"body": "hi"}})
    assert c.get("/api/system").get_json()["queue_depth"] == 1
    run_worker()
    after = c.get("/api/system").get_json()
    assert after["queue_depth"] == 0
    assert after["log_head"] == before["log_head"] + 1 == after["checkpoint"]
    services.redis.set("ripple:checkpoint", after["checkpoint"] - 1)  # as if projection lagged
    lagging = c.get("/api/system").get_json()
    assert lagging["lag_events"] == 1 and lagging["lag_ms"] > 0

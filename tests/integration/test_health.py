"""GET /healthz against real Redis and real write DBs (SQLite and PostgreSQL)."""
import uuid

import pytest

from backend import create_app
from backend.write.commands import Command
from backend.services import build_services
from backend.write.models import init_db
from tests.conftest import make_config
from tests.support import RedisServer, new_command, sqlite_url
from worker import jobs


def test_healthy_stack_reports_depth_and_lag(client, services, run_worker):
    r = client.get("/healthz")
    assert r.status_code == 200
    report = r.get_json()
    assert report["status"] == "ok" and report["redis"]["ok"] and report["db"]["ok"]
    assert (report["queue_depth"], report["log_head"], report["read_model_lag"]) == (0, 0, 0)

    assert client.post("/api/signup", json={"handle": "hal", "password": "password123"}
                       ).status_code == 201
    for i in range(2):
        assert client.post("/api/commands", json=new_command(body=f"queued {i}")).status_code == 202
    report = client.get("/healthz").get_json()
    assert report["queue_depth"] == 2  # enqueued, no worker yet
    assert (report["log_head"], report["checkpoint"], report["read_model_lag"]) == (1, 1, 0)

    # Commit an event on the write side without projecting it: the read side is one behind.
    jobs.apply_command(Command(str(uuid.uuid4()), "create_post", {"body": "unprojected"}, "hal"),
                       services)
    report = client.get("/healthz").get_json()
    assert (report["log_head"], report["checkpoint"], report["read_model_lag"]) == (2, 1, 1)

    run_worker()  # drains the queue and projects everything
    report = client.get("/healthz").get_json()
    assert report["queue_depth"] == 0
    assert (report["log_head"], report["read_model_lag"]) == (4, 0)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_redis_down_is_503(database_url):
    redis_server = RedisServer().start()
    config = make_config(redis_server.url, database_url)
    init_db(build_services(config).engine)
    client = create_app(config).test_client()
    try:
        assert client.get("/healthz").status_code == 200
        redis_server.stop()
        r = client.get("/healthz")
        assert r.status_code == 503
        report = r.get_json()
        assert report["status"] == "unavailable"
        assert not report["redis"]["ok"] and report["redis"]["error"]
        assert report["db"]["ok"] and report["read_model_lag"] is None
    finally:
        redis_server.stop()


def test_write_db_unreachable_is_503(redis_server, tmp_path):
    missing = sqlite_url(tmp_path / "no-such-dir")  # SQLite cannot open a file in a missing folder
    client = create_app(make_config(redis_server.url, missing)).test_client()
    r = client.get("/healthz")
    assert r.status_code == 503
    report = r.get_json()
    assert report["redis"]["ok"] and not report["db"]["ok"] and report["db"]["error"]
    assert report["log_head"] is None and report["read_model_lag"] is None


def test_a_failing_recovery_makes_health_degraded_but_still_200(app, client, services, monkeypatch):
    """Recovery is never silent: break it on purpose (as a Redis or RQ release changing what it
    reads would) and /healthz says "degraded" once no pass succeeded for RECOVERY_STALE_S while a
    worker is alive -- still HTTP 200, this process can serve. A good pass makes it ok again."""
    import time as _time

    from backend.web import health
    from worker import recovery
    watchman = recovery.Watchman(services.queue, services.redis, "w-health", 30,
                                 engine=services.engine)
    state = ({}, {})
    assert watchman.one_pass(*state)
    report = client.get("/healthz").get_json()
    assert report["status"] == "ok" and report["recovery"]["ok"]
    assert report["recovery"]["error_code"] is None and report["recovery"]["last_pass_at"] > 0
    good_at = report["recovery"]["last_pass_at"]

    def broken(r, now):
        raise AttributeError("'NoneType' object has no attribute 'get'")
    monkeypatch.setattr(recovery, "unserved", broken)
    monkeypatch.setattr(health, "RECOVERY_STALE_S", 0.5)
    assert not watchman.one_pass(*state)
    _time.sleep(0.6)
    assert not watchman.one_pass(*state)  # still failing, and the worker is alive
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.get_json()["status"] == "degraded"
    assert r.get_json()["recovery"] == {"ok": False, "last_pass_at": good_at,
                                        "error_code": "AttributeError"}
    monkeypatch.undo()
    assert watchman.one_pass(*state)
    assert client.get("/healthz").get_json()["status"] == "ok"

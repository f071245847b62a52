"""The demo's "Rebuild read models" button: POST /api/demo/rebuild runs the live rebuild in the
background and GET /api/rebuild shows its progress; refused when demo mode is off or logged out."""
import dataclasses

from backend import create_app
from tests.support import CommandClients, read_models_snapshot, wait_for


def test_the_button_rebuilds_live_and_reports_progress(services, run_worker):
    services.config = dataclasses.replace(services.config, demo=True)
    app = create_app(services.config)
    app.extensions["ripple"] = services
    world = CommandClients(app, run_worker, "ann", "ben")
    world.do(*[("ann", "create_post", {"body": f"post {i}"}) for i in range(30)],
             ("ben", "follow_user", {"handle": "ann"}), ("ben", "like_post", {"post_id": 3}))
    live = read_models_snapshot(services.redis)
    head = int(services.redis.get("ripple:checkpoint"))
    assert app.test_client().get("/api/rebuild").get_json() == {"state": "idle"}

    ann = world.clients["ann"]
    resp = ann.post("/api/demo/rebuild")
    assert resp.status_code == 202 and resp.get_json()["state"] == "running"
    done = wait_for(lambda: (s := ann.get("/api/rebuild").get_json())["state"] == "done" and s,
                    what="the rebuild")
    assert done["done"] == done["total"] == done["seq"] == head and done["rate"] > 0
    assert read_models_snapshot(services.redis) == live
    assert ann.post("/api/demo/rebuild").status_code == 202  # the guard went with the rebuild
    wait_for(lambda: ann.get("/api/rebuild").get_json()["state"] == "done", what="second")


def test_refused_without_demo_mode_or_a_session(client, app, run_worker):
    assert client.post("/api/demo/rebuild").status_code == 401
    member = CommandClients(app, run_worker, "ann").clients["ann"]
    resp = member.post("/api/demo/rebuild")
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "demo_off"


def test_a_guest_may_watch_but_not_start_a_rebuild(services):
    """Guests may open the inspector but not use its demo controls (issue 13): the rebuild is one."""
    services.config = dataclasses.replace(services.config, demo=True)
    app = create_app(services.config)
    app.extensions["ripple"] = services
    guest = app.test_client()
    assert guest.post("/api/guest", json={}).status_code == 201
    resp = guest.post("/api/demo/rebuild")
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "guest_forbidden"
    assert guest.get("/api/rebuild").get_json() == {"state": "idle"}  # nothing was started

"""The whole posts path through the real parts: HTTP -> RQ -> write DB -> Redis -> outcome."""
from sqlalchemy import func, select

from backend.write.models import Event, Post
from tests.support import new_command, sign_up


def test_post_is_enqueued_then_applied_projected_and_recorded(client, services, run_worker):
    sign_up(client, "alice")
    cmd = new_command(body="hello ripple")
    r = client.post("/api/commands", json=cmd)
    assert r.status_code == 202
    assert r.get_json() == {"command_id": cmd["command_id"], "status": "queued"}
    with services.session_factory() as s:  # the endpoint wrote nothing
        assert s.scalar(select(func.count()).select_from(Post)) == 0
    assert client.get(f"/api/commands/{cmd['command_id']}").get_json()["status"] == "queued"

    run_worker()

    status = client.get(f"/api/commands/{cmd['command_id']}").get_json()
    assert status["status"] == "succeeded"
    post = status["result"]["post"]
    timeline = client.get("/api/timeline").get_json()
    assert [p["id"] for p in timeline["posts"]] == [post["id"]]
    assert timeline["version"] == 2  # user_registered + post_created
    assert client.get("/api/users/alice").get_json()["user"]["posts"] == 1
    assert client.get(f"/api/posts/{post['id']}").get_json()["post"]["body"] == "hello ripple"


def test_same_command_id_twice_is_one_post(client, services, run_worker):
    sign_up(client, "bob")
    cmd = new_command(body="only once")
    assert client.post("/api/commands", json=cmd).status_code == 202
    assert client.post("/api/commands", json=cmd).status_code == 202
    run_worker()
    assert client.post("/api/commands", json=cmd).status_code == 202  # after it ran: still one
    run_worker()
    with services.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Post)) == 1
        assert s.scalar(select(func.count()).select_from(Event).where(
            Event.type == "post_created")) == 1


def test_duplicate_body_within_window_fails_for_the_author(client, run_worker):
    sign_up(client, "carol")
    first, second = new_command(body="same words"), new_command(body="same words")
    client.post("/api/commands", json=first)
    run_worker()
    client.post("/api/commands", json=second)
    run_worker()
    status = client.get(f"/api/commands/{second['command_id']}").get_json()
    assert status["status"] == "failed"
    assert status["error"] == {"code": "duplicate_post", "message": "You already posted that."}
    assert len(client.get("/api/timeline").get_json()["posts"]) == 1

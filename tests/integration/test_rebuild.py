"""The read models are a pure function of the event log: a rebuild (API or CLI) gives exactly the live
projection, and an empty Redis is rebuilt on the next query without anyone running a command."""
import subprocess

import pytest

from tests.support import PYTHON, ROOT, CommandClients, process_env, read_models_snapshot


class World(CommandClients):
    """Three users doing a bit of everything through the real path (HTTP -> RQ -> worker)."""

    def __init__(self, app, run_worker):
        super().__init__(app, run_worker, "alice", "bob", "carol")

    def build(self):
        self.do(("bob", "follow_user", {"handle": "alice"}),
                ("carol", "follow_user", {"handle": "alice"}))
        posts = [o["result"]["post"]["id"] for o in self.do(
            *[("alice", "create_post", {"body": f"alice says {i}"}) for i in range(4)],
            ("bob", "create_post", {"body": "bob <i>here</i>"}))]
        a0, a1, a2, _, b0 = posts
        outcomes = self.do(
            ("alice", "create_post", {"body": "alice says 3"}),  # duplicate: rejected, no event
            ("bob", "like_post", {"post_id": a0}), ("carol", "like_post", {"post_id": a0}),
            ("carol", "like_post", {"post_id": b0}), ("bob", "unlike_post", {"post_id": a0}),
            ("bob", "create_comment", {"post_id": a1, "body": "nice"}),
            ("carol", "create_comment", {"post_id": a1, "body": "indeed\nsecond line"}),
            ("alice", "edit_post", {"post_id": a1, "body": "alice says 1 (edited)"}),
            ("alice", "delete_post", {"post_id": a2}),
            ("carol", "unfollow_user", {"handle": "alice"}),
            ("alice", "follow_user", {"handle": "bob"}))
        assert [o["status"] for o in outcomes] == ["failed"] + ["succeeded"] * 10
        self.posts = posts


@pytest.fixture
def world(app, run_worker):
    w = World(app, run_worker)
    w.build()
    return w


def test_the_mix_is_projected_as_expected(world, services):
    """Sanity of the live projection the rebuild is compared with (feeds run the real Lua)."""
    a0, a1, a2, a3, b0 = world.posts
    bob, carol = world.clients["bob"], world.clients["carol"]
    assert [p["id"] for p in bob.get("/api/feed").get_json()["posts"]] == [b0, a3, a1, a0]
    assert [p["id"] for p in carol.get("/api/feed").get_json()["posts"]] == []  # unfollowed
    timeline = bob.get("/api/timeline").get_json()
    assert [p["id"] for p in timeline["posts"]] == [b0, a3, a1, a0]
    shown = {p["id"]: p for p in timeline["posts"]}
    assert (shown[a0]["likes"], shown[b0]["likes"], shown[a1]["comments"]) == (1, 1, 2)
    assert shown[a1]["edited"] and shown[a1]["body"] == "alice says 1 (edited)"
    assert bob.get(f"/api/posts/{a2}").status_code == 404
    alice = bob.get("/api/users/alice").get_json()
    assert alice["user"] | {"joined": 0} == {"handle": "alice", "joined": 0, "posts": 3,
                                             "followers": 1, "following": 1, "followed_by_me": True}
    assert [p["id"] for p in alice["posts"]] == [a3, a1, a0]


def test_rebuild_equals_the_live_projection(world, services, database_url):
    live = read_models_snapshot(services.redis)
    assert {"ripple:timeline", "ripple:feed:bob", "ripple:users", "ripple:checkpoint",
            f"ripple:post:{world.posts[1]}:comments", f"ripple:post:{world.posts[0]}:likers"} <= set(live)
    head = int(live["ripple:checkpoint"][1])

    assert services.projector.rebuild() == head
    assert read_models_snapshot(services.redis) == live

    # the CLI, in its own process: first damage the read side so it has something to repair
    services.redis.delete(f"ripple:post:{world.posts[0]}", "ripple:feed:bob")
    services.redis.hset("ripple:post:999999", mapping={"id": 999999, "body": "stale"})
    services.redis.zadd("ripple:timeline", {"999999": 999999})
    env = process_env(services.config.redis_url, database_url)
    out = subprocess.run([PYTHON, "-m", "flask", "--app", "app", "rebuild-read-models"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert f"read models rebuilt up to event {head}" in out.stdout
    assert read_models_snapshot(services.redis) == live


def test_empty_redis_is_rebuilt_on_the_next_query(world, services):
    bob = world.clients["bob"]
    before = {url: bob.get(url).get_json() for url in
              ("/api/timeline", "/api/feed", "/api/users/alice", f"/api/posts/{world.posts[1]}")}
    live = read_models_snapshot(services.redis)

    services.redis.flushall()  # Redis came back empty (our private test server)

    assert bob.get("/api/timeline").get_json() == before["/api/timeline"]
    assert read_models_snapshot(services.redis) == live  # every read model, not only the timeline
    for url, body in before.items():
        assert bob.get(url).get_json() == body, url
    assert services.redis.dbsize() > 0
    services.redis.flushall()
    assert "alice says 0" in bob.get("/explore").get_data(as_text=True)  # the HTML pages too

"""Follows, fanned-out home feeds, comments, likes, profiles, edit and delete through the real path:
HTTP -> RQ -> worker (write DB + events) -> Redis read models -> queries and Socket.IO rooms."""
import random
import subprocess
import uuid

import pytest
import socketio
from sqlalchemy import func, select

from backend.read.projections import Caps
from backend.write.models import Comment, Event, Follow, Like, Post, ProcessedCommand, User
from tests.support import (PYTHON, ROOT, CommandClients, process_env, read_models_snapshot, signup, start_web,
                           start_worker, wait_for)


class Net(CommandClients):
    """The test users, plus the shortcuts the social tests use."""

    def posts(self, author, *bodies) -> list[int]:
        return [o["result"]["post"]["id"]
                for o in self.do(*[(author, "create_post", {"body": b}) for b in bodies])]

    def get(self, user, url):
        return self.clients[user].get(url).get_json()


def feed(net, user, url="/api/feed") -> list[int]:
    return [p["id"] for p in net.get(user, url)["posts"]]


def test_feed_fan_out_back_fill_pagination_unfollow_and_delete(app, run_worker):
    net = Net(app, run_worker, "alice", "bob", "carol")
    b1, b2 = net.posts("bob", "bob one", "bob two")
    follow = net.do(("alice", "follow_user", {"handle": "bob"}),
                    ("alice", "follow_user", {"handle": "bob"}),  # twice = one follow
                    ("alice", "follow_user", {"handle": "alice"}))
    assert [o["status"] for o in follow] == ["succeeded", "succeeded", "failed"]
    assert follow[2]["error"] == {"code": "cannot_follow_self", "message": "You cannot follow yourself."}
    assert feed(net, "alice") == [b2, b1]  # back-filled on follow
    [a1] = net.posts("alice", "alice one")
    [b3] = net.posts("bob", "bob three")  # fanned out to alice, not to carol
    assert feed(net, "alice") == [b3, a1, b2, b1] and feed(net, "carol") == []
    assert feed(net, "bob") == [b3, b2, b1]
    page1 = net.get("alice", "/api/feed?limit=3")
    assert ([p["id"] for p in page1["posts"]], page1["next"]) == ([b3, a1, b2], b2)
    page2 = net.get("alice", f"/api/feed?limit=3&before={page1['next']}")
    assert ([p["id"] for p in page2["posts"]], page2["next"]) == ([b1], None)

    profile = net.get("alice", "/api/users/bob")
    assert {k: profile["user"][k] for k in ("posts", "followers", "following", "followed_by_me")} \
        == {"posts": 3, "followers": 1, "following": 0, "followed_by_me": True}
    assert net.get("carol", "/api/users/bob")["user"]["followed_by_me"] is False
    assert net.get("carol", "/api/users/bob/followers") == {"handle": "bob", "followers": ["alice"],
                                                           "total": 1}
    assert net.get("carol", "/api/users/alice/following")["following"] == ["bob"]
    page = net.clients["carol"].get("/users/bob/followers")
    assert page.status_code == 200 and '"followers": ["alice"]' in page.get_data(as_text=True)
    assert net.clients["carol"].get("/users/nobody/following").status_code == 404

    assert net.do(("bob", "delete_post", {"post_id": b2}))[0]["status"] == "succeeded"
    assert feed(net, "alice") == [b3, a1, b1] and feed(net, "bob") == [b3, b1]
    assert feed(net, "alice", "/api/timeline") == [b3, a1, b1]
    assert feed(net, "alice", "/api/users/bob") == [b3, b1]
    assert net.get("alice", "/api/users/bob")["user"]["posts"] == 2
    assert net.clients["alice"].get(f"/api/posts/{b2}").status_code == 404
    assert net.clients["alice"].get(f"/posts/{b2}").status_code == 404

    unfollow = net.do(("alice", "unfollow_user", {"handle": "bob"}),
                      ("alice", "unfollow_user", {"handle": "bob"}))
    assert [o["status"] for o in unfollow] == ["succeeded", "succeeded"]
    assert feed(net, "alice") == [a1]  # bob's posts removed
    assert net.get("carol", "/api/users/bob")["user"]["followers"] == 0
    assert net.get("carol", "/api/users/alice")["user"]["following"] == 0


def test_feeds_are_capped_newest_kept(app, services, run_worker):
    services.projector.caps = Caps(timeline=1000, feed=3)
    net = Net(app, run_worker, "alice", "bob")
    net.do(("alice", "follow_user", {"handle": "bob"}))
    ids = net.posts("bob", *[f"post {i}" for i in range(5)])
    assert feed(net, "alice") == ids[::-1][:3]
    net.do(("alice", "unfollow_user", {"handle": "bob"}), ("alice", "follow_user", {"handle": "bob"}))
    assert feed(net, "alice") == ids[::-1][:3]  # back-fill respects the cap too


def test_post_page_comments_likes_and_the_rules(app, run_worker):
    net = Net(app, run_worker, "alice", "bob", "carol")
    [pid] = net.posts("bob", "talk to me")
    out = net.do(("alice", "create_comment", {"post_id": pid, "body": "first"}),
                 ("carol", "create_comment", {"post_id": pid, "body": "second"}),
                 ("alice", "like_post", {"post_id": pid}), ("alice", "like_post", {"post_id": pid}),
                 ("carol", "like_post", {"post_id": pid}), ("carol", "unlike_post", {"post_id": pid}),
                 ("carol", "unlike_post", {"post_id": pid}),
                 ("carol", "edit_post", {"post_id": pid, "body": "hijacked"}),
                 ("carol", "delete_post", {"post_id": pid}))
    assert [o["status"] for o in out] == ["succeeded"] * 7 + ["failed"] * 2
    assert out[7]["error"] == {"code": "not_author", "message": "Only the author can edit this post."}
    assert out[8]["error"] == {"code": "not_author",
                               "message": "Only the author can delete this post."}
    post = net.get("alice", f"/api/posts/{pid}")["post"]
    assert [(c["author"], c["body"]) for c in post["comment_list"]] == [("alice", "first"),
                                                                        ("carol", "second")]
    assert (post["likes"], post["liked"], post["comments"], post["edited"]) == (1, True, 2, False)
    assert net.get("carol", f"/api/posts/{pid}")["post"]["liked"] is False

    assert net.do(("bob", "edit_post", {"post_id": pid, "body": "talk to me, please"})
                  )[0]["status"] == "succeeded"
    for url in (f"/api/posts/{pid}", "/api/timeline", "/api/users/bob"):
        body = net.get("carol", url)
        shown = body["post"] if "post" in body else body["posts"][0]
        assert (shown["body"], shown["edited"]) == ("talk to me, please", True), url

    net.do(("bob", "delete_post", {"post_id": pid}))
    late = net.do(("alice", "create_comment", {"post_id": pid, "body": "too late"}),
                  ("carol", "like_post", {"post_id": pid}),
                  ("bob", "edit_post", {"post_id": pid, "body": "back?"}))
    assert [o["error"] for o in late] == [{"code": "post_deleted",
                                           "message": "That post was deleted."}] * 3


def test_random_mix_counters_match_the_write_db_and_a_rebuild(app, services, run_worker):
    """Any mix of every command type: each counter equals the write DB, and a rebuild from the
    event log gives back every ripple:* key exactly."""
    rng = random.Random(20261127)
    handles = ["ann", "ben", "cat", "dan", "eve"]
    net = Net(app, run_worker, *handles)
    authors = {}  # post id -> author
    for _ in range(5):
        batch = [_random_command(rng, handles, authors) for _ in range(40)]
        for o in net.do(*batch):
            if "post" in (o.get("result") or {}):
                authors[o["result"]["post"]["id"]] = o["result"]["post"]["author"]
    with services.session_factory() as s:  # the mix really exercised every projection
        kinds = dict(s.execute(select(Event.type, func.count()).group_by(Event.type)).all())
    assert len(kinds) == 9 and min(kinds.values()) >= 3, kinds
    _assert_counters_match_the_write_db(services)

    live = read_models_snapshot(services.redis, skip=("ripple:projector-lock",))
    assert services.projector.rebuild() == int(live["ripple:checkpoint"][1])
    assert read_models_snapshot(services.redis, skip=("ripple:projector-lock",)) == live


def _random_command(rng, handles, authors) -> tuple:
    who = rng.choice(handles)
    pid = rng.choice(list(authors)[-6:]) if authors else 1  # recent posts: toggles meet
    if authors and rng.random() < 0.6:
        owner = authors[pid]  # edits and deletes by the author, mostly
    else:
        owner = who
    kind = rng.choices(["post", "follow", "like", "comment", "edit", "delete"],
                       weights=[4, 4, 6, 3, 2, 1])[0]
    if kind == "post":
        return who, "create_post", {"body": f"{who} {rng.randint(0, 9)}"}
    if kind == "follow":
        return who, rng.choice(["follow_user", "unfollow_user"]), {"handle": rng.choice(handles[:3])}
    if kind == "like":
        return who, rng.choice(["like_post", "unlike_post"]), {"post_id": pid}
    if kind == "comment":
        return who, "create_comment", {"post_id": pid, "body": f"re {rng.random():.3f}"}
    if kind == "edit":
        return owner, "edit_post", {"post_id": pid, "body": f"edit {rng.randint(0, 3)}"}
    return owner, "delete_post", {"post_id": pid}


def _assert_counters_match_the_write_db(services):
    r = services.redis
    with services.session_factory() as s:
        for u in s.scalars(select(User)):
            followers = s.scalar(select(func.count()).where(Follow.followee_id == u.id))
            following = s.scalar(select(func.count()).where(Follow.follower_id == u.id))
            posts = s.scalar(select(func.count()).where(Post.author_id == u.id,
                                                        Post.deleted_at.is_(None)))
            got = r.hgetall(f"ripple:user:{u.handle}")
            assert (int(got["followers"]), int(got["following"]), int(got["posts"])) == \
                (followers, following, posts), u.handle
            assert r.zcard(f"ripple:user:{u.handle}:followers") == followers
        for p in s.scalars(select(Post).where(Post.deleted_at.is_(None))):
            likes = s.scalar(select(func.count()).where(Like.post_id == p.id))
            comments = s.scalar(select(func.count()).where(Comment.post_id == p.id))
            got = r.hgetall(f"ripple:post:{p.id}")
            assert (int(got["likes"]), int(got["comments"]), got["body"]) == (likes, comments, p.body)
            assert r.scard(f"ripple:post:{p.id}:likers") == likes


SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # not about the DB


@SQLITE_ONLY
def test_each_tab_hears_only_what_concerns_it(services, run_worker, database_url, tmp_path):
    """Real web process, real Socket.IO clients, the worker emitting through the Redis queue."""
    web, base = start_web(process_env(services.config.redis_url, database_url), tmp_path)
    clients = []
    try:
        users = {h: signup(base, h) for h in ("alice", "bob", "carol", "dave")}

        def send(user, ctype, **payload) -> str:
            cid = str(uuid.uuid4())
            r = users[user].post(f"{base}/api/commands", timeout=10, json={
                "command_id": cid, "type": ctype, "payload": payload})
            assert r.status_code == 202, r.text
            return cid

        send("alice", "follow_user", handle="bob")
        old = send("bob", "create_post", body="an old post")
        run_worker()
        pid = users["bob"].get(f"{base}/api/commands/{old}").json()["result"]["post"]["id"]
        heard = {"alice": listen(base, users["alice"], [], clients),  # at home
                 "carol": listen(base, users["carol"], [f"post:{pid}"], clients),
                 "dave": listen(base, users["dave"], ["profile:bob"], clients)}

        send("bob", "create_post", body="a new post")
        send("alice", "create_comment", post_id=pid, body="hi")
        send("alice", "like_post", post_id=pid)
        send("carol", "follow_user", handle="bob")
        send("dave", "follow_user", handle="dave")  # rejected: only dave hears about it
        # last, for each tab a command with no event: its own outcome comes after all the rest
        last = {h: send(h, "unfollow_user", handle=other)
                for h, other in (("alice", "dave"), ("carol", "dave"), ("dave", "alice"))}
        run_worker()  # one worker, in order
        for h, cid in last.items():
            wait_for(lambda h=h, cid=cid: any(d.get("command_id") == cid for _, d in heard[h]),
                     timeout=15, what=f"{h}'s last message")
        names = {h: [e for e, _ in got if e != "command_saved"] for h, got in heard.items()}
        # command_saved (issue 13): each author's own commands that committed, nobody else's
        assert {h: len([e for e, _ in got if e == "command_saved"]) for h, got in heard.items()} \
            == {"alice": 3, "carol": 2, "dave": 1}
        assert names["alice"] == ["post_created", "comment_created", "command_succeeded",
                                  "post_liked", "command_succeeded", "command_succeeded"]
        # All of these wait in the inbox and are applied as one batch, and the rooms of a message
        # are the read side's after the batch: carol follows bob in it (and the follow back-fills
        # bob's new post into her feed), so her tab hears of that post too.
        assert names["carol"] == ["post_created", "comment_created", "post_liked", "user_followed",
                                  "command_succeeded", "command_succeeded"]
        assert names["dave"] == ["post_created", "user_followed", "command_failed",
                                 "command_succeeded"]
        carol = dict([m for m in heard["carol"] if m[0] != "command_saved"][1:3])
        assert (carol["comment_created"]["comments"], carol["post_liked"]["likes"]) == (1, 1)
        assert dict(heard["dave"])["user_followed"]["followee_followers"] == 2
    finally:
        web.stop()  # first: a client's own disconnect waits seconds for its read loop
        for c in clients:
            c.disconnect()


def listen(base, session, rooms, clients) -> list:
    """A Socket.IO client with this session's cookie, watching `rooms`; returns what it hears."""
    heard = []
    sio = socketio.Client(reconnection=False)
    sio.on("*", lambda event, data: heard.append((event, data)))
    cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
    sio.connect(base, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=10)
    clients.append(sio)
    if rooms:
        assert sio.call("watch", {"rooms": rooms}, timeout=10) == {"ok": True}
    return heard


@SQLITE_ONLY
def test_seed_fills_a_world_through_the_command_path(services, database_url, tmp_path):
    """`flask seed` with a real worker process: every follow, post, like and comment is a command."""
    env = process_env(services.config.redis_url, database_url)
    worker = start_worker(env, tmp_path, name="seed")
    try:
        out = subprocess.run([PYTHON, "-m", "flask", "--app", "app", "seed", "--users", "4",
                              "--posts", "6"], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=120)
    finally:
        worker.stop()
    assert out.returncode == 0, out.stderr
    assert "Seeded: users 4," in out.stdout and "failed 0" in out.stdout
    r = services.redis
    assert r.zcard("ripple:timeline") == 6 and r.zcard("ripple:users") == 4
    assert r.zcard("ripple:user:ada:following") >= 3  # each seeded user follows 3 others or more
    _assert_counters_match_the_write_db(services)
    with services.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(ProcessedCommand)) > 6 + 4 * 3

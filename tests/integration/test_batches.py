"""The command inbox, drained in batches (backend/command_queue -> worker.jobs.drain_inbox): one write
transaction and few MULTI/EXECs per batch, and still every command's own outcome, exactly once."""
import threading
import uuid

import pytest

from backend.read import queries
from backend.write.command_queue import depth, put_commands, queued_by
from backend.write.handlers import HANDLERS
from tests.integration.test_social import Net, _assert_counters_match_the_write_db, _random_command
from tests import support
from tests.support import read_models_snapshot, wait_for
from worker import jobs


def envelope(author, ctype, payload):  # (author, type, payload) as _random_command makes them
    return support.envelope(author, ctype, **payload)


def run_batched(net, services, commands):
    """Put `commands` in the inbox at once (as under load), then run a real worker: one batch."""
    envs = [envelope(*c) for c in commands]
    put_commands(services.queue, services.redis, envs, 30)
    assert services.queue.count == 1  # one drain job for all of them
    net.run_worker()
    return [queries.command_status(services.redis, e["command_id"]) for e in envs]


def test_a_random_mix_in_batches_of_40_matches_the_write_db_and_a_rebuild(app, services, run_worker):
    """The projector applies a batch's events in few MULTI/EXECs; follows (whose projection reads
    Redis) must still see the posts queued before them in the same job."""
    rng = __import__("random").Random(7)
    handles = ["ann", "ben", "cat", "dan", "eve"]
    net = Net(app, run_worker, *handles)
    authors = {}
    for _ in range(5):
        cmds = [_random_command(rng, handles, authors) for _ in range(40)]
        for o in run_batched(net, services, cmds):
            assert o is not None and o["status"] in ("succeeded", "failed")
            if "post" in (o.get("result") or {}):
                authors[o["result"]["post"]["id"]] = o["result"]["post"]["author"]
    _assert_counters_match_the_write_db(services)
    live = read_models_snapshot(services.redis, skip=("ripple:projector-lock",))
    assert not [k for k in services.redis.scan_iter("ripple-queued:*")]  # all left the queue
    assert services.projector.rebuild() == int(live["ripple:checkpoint"][1])
    assert read_models_snapshot(services.redis, skip=("ripple:projector-lock",)) == live


def test_a_follow_after_a_post_in_the_same_job_backfills_that_post(app, services, run_worker):
    net = Net(app, run_worker, "ann", "ben")
    out = run_batched(net, services, [("ben", "create_post", {"body": "first"}),
                                      ("ann", "follow_user", {"handle": "ben"}),
                                      ("ben", "create_post", {"body": "second"})])
    ids = [o["result"]["post"]["id"] for o in (out[0], out[2])]
    feed = net.clients["ann"].get("/api/feed").get_json()
    assert [p["id"] for p in feed["posts"]] == ids[::-1]


def test_the_same_command_twice_in_one_job_is_one_effect(services, worker_context, app):
    Net(app, None, "ann")
    env = envelope("ann", "create_post", {"body": "sent twice"})
    assert jobs.handle_commands([env, dict(env), env], worker_context) == ["succeeded"]
    assert queries.profile(services.redis, "ann")["user"]["posts"] == 1


def test_a_crashing_command_does_not_take_its_batch_mates_down(services, worker_context, app,
                                                                monkeypatch):
    Net(app, None, "ann")
    working = HANDLERS["like_post"]

    def broken(cmd, session, rules):
        raise RuntimeError("a bug in a handler")
    target = envelope("ann", "create_post", {"body": "to like"})
    jobs.handle_commands([target], worker_context)
    target_id = queries.command_status(services.redis, target["command_id"])["result"]["post"]["id"]
    monkeypatch.setitem(HANDLERS, "like_post", broken)
    envs = [envelope("ann", "create_post", {"body": "before"}),
            envelope("ann", "like_post", {"post_id": target_id}),
            envelope("ann", "create_post", {"body": "after"})]
    with pytest.raises(RuntimeError, match="a bug in a handler"):  # so RQ retries the job
        jobs.handle_commands(envs, worker_context)
    statuses = [queries.command_status(services.redis, e["command_id"]) for e in envs]
    assert statuses[0]["status"] == statuses[2]["status"] == "succeeded"
    assert statuses[1] is None  # unrecorded: a retry runs it again
    assert queries.profile(services.redis, "ann")["user"]["posts"] == 3
    monkeypatch.setitem(HANDLERS, "like_post", working)  # fixed: the retry
    assert jobs.handle_commands(envs, worker_context) == ["succeeded"] * 3
    assert queries.profile(services.redis, "ann")["user"]["posts"] == 3
    assert queries.post_detail(services.redis, target_id)["post"]["likes"] == 1


def test_concurrent_posts_are_queued_with_markers_and_each_applied_once(app, services, run_worker):
    net = Net(app, run_worker, "ann")
    client = net.clients["ann"]
    ids = [str(uuid.uuid4()) for _ in range(30)]
    codes = {}

    def send(cid):
        r = client.post("/api/commands",
                        json=support.new_command(body=f"concurrent {cid}", command_id=cid))
        codes[cid] = (r.status_code, r.get_json())

    threads = [threading.Thread(target=send, args=(cid,)) for cid in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert all(codes[c] == (202, {"command_id": c, "status": "queued"}) for c in ids)
    assert [queued_by(services.redis, c) for c in ids] == ["ann"] * 30  # in the inbox
    assert depth(services.redis) == 30 and services.queue.count == 1  # one drain job
    assert client.get(f"/api/commands/{ids[0]}").get_json()["status"] == "queued"
    run_worker()
    assert all(client.get(f"/api/commands/{c}").get_json()["status"] == "succeeded" for c in ids)
    assert queries.profile(services.redis, "ann")["user"]["posts"] == 30
    assert all(queued_by(services.redis, c) is None for c in ids)


def test_a_batch_of_emits_is_published_in_one_go_and_in_order(services):
    import json as _json

    import redis

    from worker.emitter import batched, make_emitter
    emitter = make_emitter(services.config.redis_url, "batch-test")
    sub = redis.Redis.from_url(services.config.redis_url).pubsub(ignore_subscribe_messages=True)
    sub.subscribe("batch-test")
    assert sub.get_message(timeout=1) is None  # (consumes the subscribe confirmation)
    with batched(emitter):
        for i in range(5):
            emitter.emit("post_created", {"i": i}, to=["timeline"])
        assert sub.get_message(timeout=0.1) is None  # held until the batch ends
    got = [_json.loads(sub.get_message(timeout=2)["data"]) for _ in range(5)]
    assert [(m["event"], m["data"][0]["i"], m["room"]) for m in got] == \
        [("post_created", i, ["timeline"]) for i in range(5)]
    emitter.emit("post_created", {"i": 9}, to=["timeline"])  # outside a batch: at once
    assert _json.loads(sub.get_message(timeout=2)["data"])["data"][0]["i"] == 9
    sub.close()


def test_a_saved_command_is_reported_saved_until_it_is_projected(app, services, worker_context):
    """The `saved` stage is recorded at commit time, before projection: a poll sees it while the
    read side is held (here: another projector holds the lock), and command_saved has gone out."""
    import json as _json

    import redis

    from backend.read.projections import LOCK
    net = Net(app, None, "ann")
    sub = redis.Redis.from_url(services.config.redis_url).pubsub(ignore_subscribe_messages=True)
    sub.subscribe(services.config.socketio_channel)
    assert sub.get_message(timeout=1) is None
    env = envelope("ann", "create_post", {"body": "held"})
    services.redis.set(LOCK, "someone-else", ex=30)
    runner = threading.Thread(target=jobs.handle_commands, args=([env], worker_context))
    runner.start()
    client = net.clients["ann"]
    status = wait_for(lambda: (lambda s: s if s["status"] == "saved" else None)(
        client.get(f"/api/commands/{env['command_id']}").get_json()), what="saved")
    assert set(status["timings"]) == {"accepted_at", "taken_at", "committed_at"}
    msg = _json.loads(sub.get_message(timeout=5)["data"])
    assert (msg["event"], msg["room"]) == ("command_saved", ["user:ann"])
    assert msg["data"][0]["command_id"] == env["command_id"]
    assert queries.timeline(services.redis)["posts"] == []  # not projected yet
    services.redis.delete(LOCK)
    runner.join(30)
    status = client.get(f"/api/commands/{env['command_id']}").get_json()
    assert status["status"] == "succeeded" and len(status["timings"]) == 5
    heard = [_json.loads(sub.get_message(timeout=5)["data"])["event"] for _ in range(2)]
    assert heard == ["post_created", "command_succeeded"]
    sub.close()


# ---- issue 10 defects (each seen failing on the code before its fix) ------------------------------

def write_tables(services) -> dict:
    """Every row of the write side that a command may touch (not processed_commands)."""
    import sqlalchemy as sa
    with services.engine.connect() as conn:
        return {t: sorted(map(tuple, conn.execute(sa.text(f"SELECT * FROM {t}"))))
                for t in ("users", "posts", "comments", "likes", "follows", "events", "log_head")}


def test_a_handler_that_writes_then_rejects_leaves_no_ghost_row(services, worker_context, app,
                                                              monkeypatch):
    """Defect 1: each command runs in its own savepoint, so a rejection undoes its writes."""
    from backend.write.handlers import Rejected
    from backend.write.models import Post, User
    from sqlalchemy import select
    Net(app, None, "ann")

    def writes_then_rejects(cmd, session, rules):
        ann = session.scalar(select(User).where(User.handle == "ann"))
        session.add(Post(author_id=ann.id, body="ghost", created_at=0.0))
        session.flush()
        raise Rejected("not_allowed", "Rejected after writing.")
    monkeypatch.setitem(HANDLERS, "edit_post", writes_then_rejects)
    before = write_tables(services)
    alone = envelope("ann", "edit_post", {"post_id": 1, "body": "x"})
    assert jobs.handle_commands([alone], worker_context) == ["failed"]
    assert write_tables(services) == before
    envs = [envelope("ann", "create_post", {"body": "before"}),
            envelope("ann", "edit_post", {"post_id": 1, "body": "x"}),
            envelope("ann", "create_post", {"body": "after"})]
    assert jobs.handle_commands(envs, worker_context) == ["succeeded", "failed", "succeeded"]
    bodies = [row[2] for row in write_tables(services)["posts"]]
    assert bodies == ["before", "after"]
    assert services.projector.rebuild() and [p["body"] for p in queries.timeline(
        services.redis)["posts"]] == ["after", "before"]


def test_signup_answers_201_once_committed_even_when_projection_waits(client, services):
    """Defect 5: the account is committed; a read side that cannot project right now (another
    projector holds the lock) must not turn that into a 500 (and a retry into a 409)."""
    import time as _time

    from backend.read.projections import LOCK
    services.redis.set(LOCK, "someone-else", ex=60)
    started = _time.monotonic()
    r = client.post("/api/signup", json={"handle": "patient", "password": "password123"})
    assert r.status_code == 201, r.get_json()
    assert _time.monotonic() - started < 5
    assert r.get_json()["user"]["handle"] == "patient"
    assert client.get("/api/me").status_code == 200
    services.redis.delete(LOCK)
    assert services.projector.catch_up() >= 1
    assert queries.profile(services.redis, "patient")["user"]["handle"] == "patient"

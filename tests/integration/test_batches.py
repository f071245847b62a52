"""The command inbox, drained in batches (backend/command_queue -> worker.jobs.drain_inbox): one write
transaction and few MULTI/EXECs per batch, and still every command's own outcome, exactly once."""
import threading
import uuid

import pytest

from backend.read import queries
from backend.write.command_queue import (DOORBELL, INBOX, KEEP_S, RESCUE_LIMIT, RESCUES, depth, done,
                                   put_commands, queued_in, rescue, stranded, take, taken_key)
from backend.write.handlers import HANDLERS
from tests.integration.test_social import Net, _assert_counters_match_the_write_db, _random_command
from tests.support import read_models_snapshot, wait_for
from worker import jobs


def envelope(author, ctype, payload, command_id=None):
    return {"command_id": command_id or str(uuid.uuid4()), "type": ctype, "payload": payload,
            "author": author}


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
        r = client.post("/api/commands", json={"command_id": cid, "type": "create_post",
                                               "payload": {"body": f"concurrent {cid}"}})
        codes[cid] = (r.status_code, r.get_json())

    threads = [threading.Thread(target=send, args=(cid,)) for cid in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert all(codes[c] == (202, {"command_id": c, "status": "queued"}) for c in ids)
    assert [queued_in(services.redis, c) for c in ids] == [("ann", None)] * 30  # in the inbox
    assert depth(services.redis) == 30 and services.queue.count == 1  # one drain job
    assert client.get(f"/api/commands/{ids[0]}").get_json()["status"] == "queued"
    run_worker()
    assert all(client.get(f"/api/commands/{c}").get_json()["status"] == "succeeded" for c in ids)
    assert queries.profile(services.redis, "ann")["user"]["posts"] == 30
    assert all(queued_in(services.redis, c) is None for c in ids)


def test_a_killed_drain_job_finds_its_batch_again_and_markers_name_it(services):
    envs = [envelope("ann", "create_post", {"body": f"b{i}"}) for i in range(5)]
    put_commands(services.queue, services.redis, envs, 30)
    first = take(services.redis, "job-a", 3)
    assert [e["command_id"] for e in first] == [e["command_id"] for e in envs[:3]]
    assert queued_in(services.redis, envs[0]["command_id"]) == ("ann", "job-a")
    assert queued_in(services.redis, envs[4]["command_id"]) == ("ann", None)
    assert take(services.redis, "job-a", 3) == first  # re-run after a kill: the same batch
    assert [e["command_id"] for e in take(services.redis, "job-b", 3)] == \
        [e["command_id"] for e in envs[3:]]  # another job takes the rest, never the same
    assert services.redis.llen(INBOX) == 0 and services.redis.llen(taken_key("job-a")) == 3


def test_two_overlapping_runs_of_one_drain_job_never_drop_each_others_batch(services):
    """A worker starved of CPU looks dead, so its job is re-run while it still runs: both runs share
    one taken list. Finishing a batch removes just that batch, never one the other run took since
    (the other run could yet be killed, and its re-run must find it)."""
    r = services.redis
    envs = [envelope("ann", "create_post", {"body": f"overlap {i}"}) for i in range(6)]
    put_commands(services.queue, r, envs, 30)
    first = take(r, "job-x", 3)
    assert take(r, "job-x", 3) == first  # the second run finds the first run's batch
    done(r, "job-x", first)               # the first run finishes it ...
    second = take(r, "job-x", 3)          # ... and takes the next three
    done(r, "job-x", first)               # the second run finishes the first batch too
    assert take(r, "job-x", 3) == second  # the next three are still there for a re-run
    assert [e["command_id"] for e in second] == [e["command_id"] for e in envs[3:]]
    done(r, "job-x", second)
    assert not r.exists(taken_key("job-x")) and depth(r) == 0


def test_the_watchman_gives_an_unserved_inbox_a_drain_job(services):
    from worker.recovery import STUCK_S, serve_inbox
    put_commands(services.queue, services.redis, [envelope("ann", "create_post", {"body": "x"})], 30)
    services.queue.empty()  # as if the web process died between ringing and enqueuing
    state = {}
    assert not serve_inbox(services.queue, state, 30, now=100.0)  # noticed, not yet stuck
    assert not serve_inbox(services.queue, state, 30, now=100.0 + STUCK_S / 2)
    assert serve_inbox(services.queue, state, 30, now=100.0 + STUCK_S)
    assert services.queue.count == 1
    assert not serve_inbox(services.queue, {}, 30, now=200.0)  # a job is queued: nothing to do


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


def test_a_command_whose_drain_job_failed_for_good_is_queued_again_when_resent(app, services,
                                                                              run_worker):
    """E.g. a DB outage longer than RQ's retry budget: the job that took the command ends in the
    failed registry. The browser's watchdog then hears 404 and re-sends the same command_id."""
    net = Net(app, run_worker, "ann")
    client, cid = net.clients["ann"], str(uuid.uuid4())
    cmd = {"command_id": cid, "type": "create_post", "payload": {"body": "outlived its job"}}
    assert client.post("/api/commands", json=cmd).status_code == 202
    services.queue.empty()  # the drain job started (it clears the doorbell), took the command...
    services.redis.delete(DOORBELL)
    take(services.redis, "job-failed-for-good", 50)  # ... and is gone for good
    assert queued_in(services.redis, cid) == ("ann", "job-failed-for-good")
    assert client.get(f"/api/commands/{cid}").status_code == 404  # so the client learns it is lost
    assert client.post("/api/commands", json=cmd).get_json() == {"command_id": cid,
                                                                  "status": "queued"}
    assert queued_in(services.redis, cid) == ("ann", None) and services.queue.count == 1
    run_worker()
    assert client.get(f"/api/commands/{cid}").get_json()["status"] == "succeeded"
    assert queries.profile(services.redis, "ann")["user"]["posts"] == 1


def fail_for_good(services):
    """The queued drain job takes the inbox's commands and ends in RQ's failed registry, as after a
    write-DB outage longer than its retries: what a real worker leaves behind then."""
    from rq.job import JobStatus
    job = services.queue.jobs[0]
    services.queue.remove(job)
    services.redis.delete(DOORBELL)  # (the job cleared it when it started)
    take(services.redis, job.id, 50)
    job.set_status(JobStatus.FAILED)
    services.queue.failed_job_registry.add(job, ttl=KEEP_S, exc_string="OperationalError: DB away")
    return job


def test_a_failed_drain_jobs_batch_goes_back_to_the_inbox_once_the_db_answers(app, services,
                                                                               run_worker):
    """No tab needs to re-send: every worker's Watchman rescues the batch (worker/recovery.py)."""
    from worker.recovery import RESCUE_EVERY_S, rescue_stranded
    net = Net(app, run_worker, "ann")
    client = net.clients["ann"]
    cmds = [{"command_id": str(uuid.uuid4()), "type": "create_post",
             "payload": {"body": f"outlived its job {i}"}} for i in range(3)]
    for cmd in cmds:
        assert client.post("/api/commands", json=cmd).status_code == 202
    job = fail_for_good(services)
    assert stranded(services.queue) == [job.id]
    ids = [c["command_id"] for c in cmds]
    state, down = {}, lambda: False
    assert rescue_stranded(services.queue, state, down, 30, now=100.0) == 0  # DB still away
    assert [queued_in(services.redis, c) for c in ids] == [("ann", job.id)] * 3
    assert rescue_stranded(services.queue, state, lambda: True, 30, now=100.0 + RESCUE_EVERY_S / 2) \
        == 0  # not looked at again so soon
    assert rescue_stranded(services.queue, state, lambda: True, 30, now=100.0 + RESCUE_EVERY_S) == 3
    assert rescue(services.rq_redis, job.id) == 0  # moved once, whoever else finds it
    assert stranded(services.queue) == []
    inbox = [__import__("json").loads(x) for x in services.redis.lrange(INBOX, 0, -1)]
    assert [(e["command_id"], e[RESCUES]) for e in inbox] == [(c, 1) for c in ids]  # in order
    assert [queued_in(services.redis, c) for c in ids] == [("ann", None)] * 3
    assert client.get(f"/api/commands/{ids[0]}").get_json()["status"] == "queued"
    assert services.queue.count == 1  # a drain job was rung for
    run_worker()
    assert [client.get(f"/api/commands/{c}").get_json()["status"] for c in ids] == ["succeeded"] * 3
    assert queries.profile(services.redis, "ann")["user"]["posts"] == 3
    assert services.queue.failed_job_registry.count == 1  # kept for inspection, now empty-handed


def test_a_command_back_from_failed_batches_too_often_is_recorded_not_applied(app, services,
                                                                               run_worker):
    """A command that crashes whatever we do must not loop for ever: after RESCUE_LIMIT rescues it
    is recorded failed, and its author's tabs hear command_failed with the reason."""
    import json as _json

    import redis
    net = Net(app, run_worker, "ann")
    sub = redis.Redis.from_url(services.config.redis_url).pubsub(ignore_subscribe_messages=True)
    sub.subscribe(services.config.socketio_channel)
    assert sub.get_message(timeout=1) is None
    poison = envelope("ann", "create_post", {"body": "crashes"}) | {RESCUES: RESCUE_LIMIT + 1}
    fine = envelope("ann", "create_post", {"body": "fine"}) | {RESCUES: RESCUE_LIMIT}
    put_commands(services.queue, services.redis, [poison, fine], 30)
    run_worker()
    status = queries.command_status(services.redis, poison["command_id"])
    assert status["status"] == "failed" and status["error"] == jobs.NOT_APPLIED
    assert queries.command_status(services.redis, fine["command_id"])["status"] == "succeeded"
    assert [p["body"] for p in queries.profile(services.redis, "ann")["posts"]] == ["fine"]
    heard = []
    while (m := sub.get_message(timeout=1)) is not None:
        heard.append(_json.loads(m["data"]))
    sub.close()
    failed = [m for m in heard if m["event"] == "command_failed"]
    assert [(m["data"][0]["command_id"], m["data"][0]["error"]["code"], m["room"]) for m in failed] \
        == [(poison["command_id"], "not_applied", ["user:ann"])]
    cmd = {k: poison[k] for k in ("command_id", "type", "payload")}  # the tab re-sends it: answered
    assert net.clients["ann"].post("/api/commands", json=cmd).get_json()["status"] == "failed"


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


def test_a_job_timeout_passes_through_and_the_batch_is_kept(services, worker_context, app,
                                                           monkeypatch):
    """Defect 2: RQ's JobTimeoutException is not a handler bug: no one-by-one re-run, the job
    fails (to be retried) at its timeout, and its taken batch waits for the retry."""
    import time as _time

    from rq import SimpleWorker
    from rq.job import JobStatus
    from rq.serializers import JSONSerializer
    Net(app, None, "ann")
    calls, raised = [], []

    def slow(cmd, session, rules):
        calls.append(cmd.command_id)
        _time.sleep(3)
        raise AssertionError("the job timeout should have interrupted this")
    monkeypatch.setitem(HANDLERS, "create_post", slow)
    envs = [envelope("ann", "create_post", {"body": f"slow {i}"}) for i in range(2)]
    put_commands(services.queue, services.redis, envs, 1)
    job = services.queue.jobs[0]
    worker = SimpleWorker([services.queue], connection=services.rq_redis, serializer=JSONSerializer,
                          exception_handlers=[lambda job, typ, *_: raised.append(typ.__name__)])
    started = _time.monotonic()
    worker.work(burst=True, logging_level="WARNING")
    assert _time.monotonic() - started < 2.5  # stopped at its 1 s timeout, not run on
    assert calls == [envs[0]["command_id"]] and raised == ["JobTimeoutException"]
    assert job.get_status() == JobStatus.SCHEDULED  # RQ retries it, as for any failure
    assert [e["command_id"] for e in take(services.redis, job.id, 50)] == \
        [e["command_id"] for e in envs]  # still held: the retry (or the rescue) finds it
    assert all(queries.command_status(services.redis, e["command_id"]) is None for e in envs)


def test_done_removes_the_stored_envelope_whatever_its_key_order(services):
    """Defect 4: another producer (or serialiser) may write the keys in another order."""
    import json as _json
    r = services.redis
    env = envelope("ann", "create_post", {"body": "keys"})
    raw = _json.dumps(dict(reversed(list(env.items()))), separators=(",", ":"))
    r.rpush(INBOX, raw)
    batch = take(r, "job-k", 50)
    assert batch == [env]
    done(r, "job-k", batch)
    assert not r.exists(taken_key("job-k")) and take(r, "job-k", 50) == []


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

"""A command is applied exactly once, however often it is delivered and however many workers run:
duplicated RQ jobs, direct re-runs, concurrent re-runs, and two `python -m worker` processes."""
import threading
import uuid

from rq import Worker
from sqlalchemy import func, select

from backend.read import queries
from backend.write.command_queue import put_commands
from backend.write.models import Event, LogHead, Post, ProcessedCommand
from tests.support import (envelope, new_command, process_env, read_models_snapshot, sign_up,
                           start_worker, wait_for)
from worker import jobs


def counts(services):
    with services.session_factory() as s:
        return {"posts": s.scalar(select(func.count()).select_from(Post)),
                "post_events": s.scalar(select(func.count()).select_from(Event).where(
                    Event.type == "post_created")),
                "processed": s.scalar(select(func.count()).select_from(ProcessedCommand))}


def test_the_same_envelope_as_two_rq_jobs_is_one_post(app, services, run_worker):
    sign_up(app.test_client(), "alice")
    env = envelope("alice", body="delivered twice")
    for _ in range(2):  # queued twice, one command_id (e.g. a re-send after a crash)
        put_commands(services.queue, services.redis, [env], 30)
    run_worker()
    assert counts(services) == {"posts": 1, "post_events": 1, "processed": 1}
    assert services.queue.failed_job_registry.count == 0  # the second run was no error either
    assert services.queue.count == 0
    status = queries.command_status(services.redis, env["command_id"])
    assert status["status"] == "succeeded"
    timeline = queries.timeline(services.redis)
    assert [p["id"] for p in timeline["posts"]] == [status["result"]["post"]["id"]]
    assert queries.profile(services.redis, "alice")["user"]["posts"] == 1


def test_handle_command_twice_directly(app, services, worker_context):
    sign_up(app.test_client(), "bob")
    env = envelope("bob", body="run twice")
    assert jobs.handle_command(env, worker_context) == {"status": "succeeded"}
    first = queries.command_status(services.redis, env["command_id"])
    assert jobs.handle_command(env, worker_context) == {"status": "succeeded"}
    assert queries.command_status(services.redis, env["command_id"]) == first
    assert counts(services) == {"posts": 1, "post_events": 1, "processed": 1}
    assert len(queries.timeline(services.redis)["posts"]) == 1

    failed = envelope("bob", body="run twice")  # the duplicate rule: a failed outcome, recorded once
    for _ in range(2):
        assert jobs.handle_command(failed, worker_context) == {"status": "failed"}
    assert queries.command_status(services.redis, failed["command_id"])["error"]["code"] == (
        "duplicate_post")
    assert counts(services) == {"posts": 1, "post_events": 1, "processed": 2}


def test_the_same_command_run_concurrently_is_applied_once(app, services, worker_context):
    sign_up(app.test_client(), "carol")
    envs = [envelope("carol", body=f"race {i}") for i in range(4)]
    results, errors = [], []

    def run(env):
        try:
            results.append(jobs.handle_command(env, worker_context))
        except Exception as exc:  # noqa: BLE001 -- reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(env,)) for env in envs for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and results == [{"status": "succeeded"}] * 8
    assert counts(services) == {"posts": 4, "post_events": 4, "processed": 4}


def test_two_worker_processes_apply_every_command_exactly_once(app, services, database_url,
                                                               tmp_path):
    users = [f"user{i}" for i in range(5)]
    clients = {u: sign_up(app.test_client(), u) for u in users}
    env = process_env(services.config.redis_url, database_url)
    workers = [start_worker(env, tmp_path, name=f"w{i}") for i in range(2)]
    try:
        wait_for(lambda: len(Worker.all(queue=services.queue)) == 2, timeout=60,
                 what="two workers registered")
        sent = []
        for i in range(200):
            user = users[i % len(users)]
            cmd = new_command(body=f"{user} #{i}")
            r = clients[user].post("/api/commands", json=cmd)
            assert r.status_code == 202, r.get_json()
            sent.append(cmd["command_id"])
        statuses = wait_for(lambda: _all_outcomes(services.redis, sent), timeout=120,
                            interval=0.2, what="an outcome for all 200 commands")
        done = {w.name: w.successful_job_count for w in Worker.all(queue=services.queue)}
    finally:
        for w in workers:
            w.stop()
    assert all(s["status"] == "succeeded" for s in statuses), statuses
    # Drain jobs, not commands: each takes what waits in the inbox, so which worker drains how much
    # is up to timing (tests/faults/test_fault_racing_workers.py forces the race with 3 workers).
    assert len(done) == 2 and all(n >= 1 for n in done.values()), done  # each worker did work

    with services.session_factory() as s:
        seqs = list(s.scalars(select(Event.seq).order_by(Event.seq)))
        head = s.get(LogHead, 1).seq
        post_cids = list(s.scalars(select(Event.command_id).where(Event.type == "post_created")))
    assert seqs == list(range(1, head + 1)) and head == len(users) + 200  # gap-free
    assert sorted(post_cids) == sorted(sent)  # every command once, none twice
    assert counts(services) == {"posts": 200, "post_events": 200, "processed": 200}
    assert services.projector.checkpoint() == head

    live = read_models_snapshot(services.redis)
    services.projector.rebuild()
    assert read_models_snapshot(services.redis) == live
    assert len(queries.timeline(services.redis, limit=100)["posts"]) == 100


def _all_outcomes(r, command_ids):
    statuses = [queries.command_status(r, cid) for cid in command_ids]
    return statuses if all(s and s["status"] in ("succeeded", "failed") for s in statuses) else None


# ---- defect 3: a command_id reused by another member ---------------------------------------------

class Heard:
    """Every Socket.IO message the worker publishes (the message queue channel), with its rooms."""

    def __init__(self, services):
        import redis
        self.sub = redis.Redis.from_url(services.config.redis_url).pubsub(
            ignore_subscribe_messages=True)
        self.sub.subscribe(services.config.socketio_channel)
        assert self.sub.get_message(timeout=1) is None

    def drain(self) -> list[tuple[str, dict, list]]:
        import json
        got = []
        while (m := self.sub.get_message(timeout=0.5)) is not None:
            msg = json.loads(m["data"])
            got.append((msg["event"], msg["data"][0], msg["room"]))
        return got


def forget_outcome(services, cid):
    """As after the outcome's 7-day expiry, or Redis restarted empty and rebuilt."""
    from backend.read.projections import command_key
    from backend.write.command_queue import queued_key
    services.redis.delete(command_key(cid), queued_key(cid))


def send(client, cid, ctype, **payload):
    return client.post("/api/commands", json={"command_id": cid, "type": ctype, "payload": payload})


def test_another_member_reusing_a_queued_id_is_refused_at_the_endpoint(app, services, run_worker):
    """Interleaving: alice's drain job failed for good holding her command; mallory's POST of the
    same id is a conflict the endpoint can see (the marker names alice)."""
    from backend.write import command_queue
    from backend.write.command_queue import DOORBELL, ring, take
    alice, mallory = sign_up(app.test_client(), "alice"), sign_up(app.test_client(), "mallory")
    cid = str(uuid.uuid4())
    assert send(alice, cid, "create_post", body="alice's words").status_code == 202
    services.queue.empty()
    services.redis.delete(DOORBELL)
    take(services.redis, "run-gone", 50)
    r = send(mallory, cid, "create_post", body="mallory's words")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "command_id_conflict"
    command_queue.CLAIM_IDLE_MS, idle = 0, command_queue.CLAIM_IDLE_MS  # the next run claims it
    try:
        ring(services.queue, services.redis, 30)
        run_worker()
    finally:
        command_queue.CLAIM_IDLE_MS = idle
    status = alice.get(f"/api/commands/{cid}").get_json()
    assert status["status"] == "succeeded"
    assert status["result"]["post"] | {"id": 0, "created_at": 0} == {
        "id": 0, "created_at": 0, "author": "alice", "body": "alice's words"}
    assert queries.profile(services.redis, "mallory")["user"]["posts"] == 0


def test_a_replayed_id_by_another_member_is_a_conflict_told_to_the_sender_only(app, services,
                                                                              run_worker):
    alice, mallory = sign_up(app.test_client(), "alice"), sign_up(app.test_client(), "mallory")
    cid = str(uuid.uuid4())
    assert send(alice, cid, "create_post", body="alice's post").status_code == 202
    run_worker()
    done = alice.get(f"/api/commands/{cid}").get_json()
    forget_outcome(services, cid)
    heard = Heard(services)
    assert send(mallory, cid, "create_post", body="hijack").status_code == 202  # cannot know yet
    run_worker()
    got = heard.drain()
    assert [(e, d["command_id"], d["error"]["code"], rooms) for e, d, rooms in got] == [
        ("command_failed", cid, "command_id_conflict", ["user:mallory"])]
    assert counts(services) == {"posts": 1, "post_events": 1, "processed": 1}
    assert mallory.get(f"/api/commands/{cid}").status_code in (404, 409)
    send(alice, cid, "create_post", body="alice's post")  # her own re-send: her own outcome
    run_worker()
    assert alice.get(f"/api/commands/{cid}").get_json() | {"timings": None} == \
        done | {"timings": None}


def test_a_deleted_post_never_reappears_after_a_replayed_id(app, services, run_worker):
    alice, mallory = sign_up(app.test_client(), "alice"), sign_up(app.test_client(), "mallory")
    cid, gone = str(uuid.uuid4()), str(uuid.uuid4())
    send(alice, cid, "create_post", body="regretted")
    run_worker()
    pid = alice.get(f"/api/commands/{cid}").get_json()["result"]["post"]["id"]
    send(alice, gone, "delete_post", post_id=pid)
    run_worker()
    forget_outcome(services, cid)
    heard = Heard(services)
    send(mallory, cid, "create_post", body="regretted")  # ids are public: post_created carries it
    run_worker()
    send(alice, cid, "create_post", body="regretted")  # a stale tab of alice's re-sends it too
    run_worker()
    got = heard.drain()
    assert [(e, rooms) for e, _, rooms in got] == [("command_failed", ["user:mallory"]),
                                                   ("command_succeeded", ["user:alice"])]
    assert "regretted" not in __import__("json").dumps(got[0][1])
    assert queries.timeline(services.redis)["posts"] == []
    assert queries.profile(services.redis, "alice")["user"]["posts"] == 0
    assert app.test_client().get(f"/api/posts/{pid}").status_code == 404

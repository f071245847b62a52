"""Projection as a subscriber of the log (worker/projector_loop.py, worker/announce.py) and the demo
controls the worker honours (backend/demo.py): real Redis, real write DB, real RQ workers."""
import json
import random
import threading
import uuid

import redis
import requests
from sqlalchemy import func, select

from backend import demo
from backend.read import queries
from backend.write.models import Event, Post, ProcessedCommand
from tests.integration.test_social import Net
from tests.support import (RedisServer, init_db, process_env, read_models_snapshot, signup,
                           sqlite_url, start_web, start_worker, wait_for)
from worker import jobs
from worker.outcomes import PENDING
from worker.projector_loop import STALL_S, ProjectorLoop

SKIP = ("ripple:command:", "ripple:projector-lock", "ripple:demo")


class Heard:
    def __init__(self, url, channel):
        self.sub = redis.Redis.from_url(url).pubsub(ignore_subscribe_messages=True)
        self.sub.subscribe(channel)
        assert self.sub.get_message(timeout=1) is None

    def drain(self):
        got = []
        while (m := self.sub.get_message(timeout=0.3)) is not None:
            msg = json.loads(m["data"])
            data = dict(msg["data"][0])
            data.pop("timings", None)  # times differ between runs, by nature
            got.append((msg["event"], data, msg["room"]))
        return got


def envelope(author, ctype, payload):
    return {"command_id": str(uuid.uuid4()), "type": ctype, "payload": payload, "author": author}


def stream(rng, handles, n, first_post):
    out = []
    for i in range(n):
        who, other = rng.sample(handles, 2)
        kind = rng.random()
        if kind < 0.5:
            out.append(envelope(who, "create_post", {"body": f"{who} says {i}"}))
        elif kind < 0.75:
            out.append(envelope(who, "like_post", {"post_id": rng.randint(first_post, first_post + 3)}))
        elif kind < 0.9:
            out.append(envelope(who, "follow_user", {"handle": other}))
        else:
            out.append(envelope(who, "create_comment", {"post_id": first_post, "body": f"c{i}"}))
    return out


def dump(r):
    return {k: r.dump(k) for k in r.scan_iter("*")}


def restore(r, dumped):
    r.flushdb()
    for k, v in dumped.items():
        r.restore(k, 0, v)


def test_the_inline_path_and_the_projector_loop_give_the_same_read_models_and_messages(
        app, services, worker_context):
    """One stream, committed with projection paused; then projected both ways from the same Redis
    state: a drain job's inline fast path, and the projector loop. Same keys, same messages."""
    r, svc = services.redis, services
    handles = ["ann", "ben", "cat", "dan"]
    Net(app, None, *handles)
    seed = [envelope("ann", "create_post", {"body": f"seed {i}"}) for i in range(4)]
    jobs.handle_commands(seed, worker_context)
    svc.config.demo = True
    demo.write_controls(r, {"projection_paused": True}, "test")
    envs = stream(random.Random(3), handles, 60, first_post=1)
    heard = Heard(svc.config.redis_url, svc.config.socketio_channel)
    jobs.handle_commands(envs, worker_context)
    saved = heard.drain()
    assert saved and {e for e, _, _ in saved} <= {"command_saved", "command_failed"}
    with svc.session_factory() as s:
        events = [e.as_dict() for e in s.scalars(select(Event).where(
            Event.seq > svc.projector.checkpoint()).order_by(Event.seq))]
    assert len(events) > 30 and r.zcard(PENDING) == len(envs)
    before = dump(r)

    demo.clear_controls(r)  # way 1: the inline fast path, as a drain job after the commit
    svc.projector.project_until(events[-1]["seq"], events=events)
    worker_context.announcer.flush(svc.projector.checkpoint())
    inline = (read_models_snapshot(r, skip=SKIP), heard.drain())

    restore(r, before)  # way 2: the projector loop, from the same state
    demo.clear_controls(r)
    loop = ProjectorLoop(svc, worker_context.announcer)
    for _ in range(int(STALL_S / loop.tick_s) + 3):  # it steps in once the log stood still
        loop.tick()
    looped = (read_models_snapshot(r, skip=SKIP), heard.drain())

    assert inline[0] == looped[0]
    assert len(inline[1]) > len(envs) and inline[1] == looped[1]
    assert [e for e, _, _ in inline[1]].count("command_succeeded") + \
        [e for e, _, _ in inline[1]].count("command_failed") == len(envs)
    assert r.zcard(PENDING) == 0
    assert svc.projector.rebuild() and read_models_snapshot(r, skip=SKIP) == looped[0]


def test_a_signup_on_an_idle_instance_is_projected_by_the_loop(app, services, worker_context):
    """Sign-up answers once committed; when its web process could not project (here: projection
    held by another projector's lock), the workers' loop does, with no command to trigger it."""
    from backend.read.projections import LOCK
    r = services.redis
    Net(app, None, "first")  # the read side exists
    r.set(LOCK, "someone", ex=30)
    client = app.test_client()
    assert client.post("/api/signup", json={"handle": "later", "password": "password123"}
                       ).status_code == 201
    assert r.hgetall("ripple:user:later") == {}
    r.delete(LOCK)  # the other projector is gone; no command follows to trigger a drain job
    loop = ProjectorLoop(services, worker_context.announcer, tick_s=0.05)
    loop.start()
    try:
        wait_for(lambda: r.hgetall("ripple:user:later"), timeout=10, what="the loop projected it")
    finally:
        loop.stop()
    assert queries.profile(r, "later")["user"]["handle"] == "later"


def _send(session, base, ctype, **payload):
    cid = str(uuid.uuid4())
    resp = session.post(f"{base}/api/commands", timeout=10,
                        json={"command_id": cid, "type": ctype, "payload": payload})
    assert resp.status_code == 202, resp.text
    return cid


def test_pause_and_resume_under_a_stream_of_500_commands(tmp_path):
    """Demo controls on a live instance (web + 2 workers, RIPPLE_DEMO=1): workers paused, projection
    paused, a worker delay, each while commands flow. Lost 0, doubled 0, rebuild equal."""
    server = RedisServer().start()
    db = sqlite_url(tmp_path)
    env = process_env(server.url, db, RIPPLE_DEMO="1")
    procs = []
    r = redis.Redis.from_url(server.url, decode_responses=True)
    try:
        init_db(env)
        web, base = start_web(env, tmp_path)
        procs += [web, start_worker(env, tmp_path, "p0"), start_worker(env, tmp_path, "p1")]
        users = [signup(base) for _ in range(5)]
        sent: list[tuple[requests.Session, str]] = []
        lock = threading.Lock()

        def burst(n, tag):
            def one(i):
                u = users[i % len(users)]
                cid = _send(u, base, "create_post", body=f"{tag} {i} {uuid.uuid4().hex[:6]}")
                with lock:
                    sent.append((u, cid))
            threads = [threading.Thread(target=lambda k=k: [one(k * 1000 + j) for j in range(n // 5)])
                       for k in range(5)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)

        def status(u, cid):
            return u.get(f"{base}/api/commands/{cid}", timeout=10).json()["status"]

        burst(100, "normal")
        demo.write_controls(r, {"workers_paused": True}, "test")
        burst(100, "workers paused")
        paused = sent[-100:]
        assert {status(u, c) for u, c in paused[-10:]} == {"queued"}  # nothing taken
        assert r.xlen("ripple-inbox") > 0
        demo.write_controls(r, {"workers_paused": False, "projection_paused": True}, "test")
        wait_for(lambda: all(status(u, c) != "queued" for u, c in paused), timeout=60,
                 what="resumed workers drained the queue")
        burst(150, "projection paused")
        held = sent[-150:]
        wait_for(lambda: all(status(u, c) in ("saved", "failed") for u, c in held[-20:]),
                 timeout=60, what="saved while projection is paused")
        assert {status(u, c) for u, c in held[-20:]} == {"saved"}
        cp = int(r.get("ripple:checkpoint"))
        demo.write_controls(r, {"projection_paused": False, "worker_delay_ms": 100}, "test")
        burst(150, "delayed")
        demo.clear_controls(r)
        wait_for(lambda: all(status(u, c) in ("succeeded", "failed") for u, c in sent),
                 timeout=180, interval=0.5, what="every command final")
        assert int(r.get("ripple:checkpoint")) > cp
        assert len(sent) == 500
        from backend.services import build_services
        from tests.conftest import make_config
        svc = build_services(make_config(server.url, db))
        with svc.session_factory() as s:
            processed = {c: st for c, st in s.execute(
                select(ProcessedCommand.command_id, ProcessedCommand.status)).all()}
            per_cmd = {c: n for c, n in s.execute(select(Event.command_id, func.count()).where(
                Event.command_id.is_not(None)).group_by(Event.command_id)).all()}
            posts = s.scalar(select(func.count()).select_from(Post))
        lost = [c for _, c in sent if processed.get(c) != "succeeded"]
        doubled = [c for c, n in per_cmd.items() if n != 1]
        assert (len(lost), len(doubled), posts) == (0, 0, 500)
        wait_for(lambda: int(r.get("ripple:checkpoint")) == len(users) + 500, timeout=30,
                 what="read side caught up")
        assert r.zcard(PENDING) == 0
        for p in procs[1:]:
            p.stop()
        live = read_models_snapshot(r, skip=SKIP)
        svc.projector.rebuild()
        assert read_models_snapshot(r, skip=SKIP) == live
        svc.engine.dispose()
    finally:
        for p in reversed(procs):
            p.stop()
        server.stop()

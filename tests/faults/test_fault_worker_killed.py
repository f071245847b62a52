"""Scenario 1: workers SIGKILLed at random, again and again, under a stream of commands.

Six HTTP users send 2,100+ commands (posts with unique bodies, plus comments, likes and follows)
through the real web server while two `python -m worker` processes take them; every 1.5-3.5 s one of
the workers is SIGKILLed and a new one started, at least 20 times. The clients never re-send here:
every accepted command must be applied exactly once by the server side alone (a killed worker's
batch stays pending in the inbox stream and the next drain job claims it; worker/recovery.py rings
for one), and the read models must equal a rebuild.
"""
import json
import random
import threading
import time

from backend.write.command_queue import FIELD, GROUP, INBOX
from backend.read.projections import command_key
from tests.faults.checks import Figures, exactly_once, rebuild_differences, report
from tests.faults.clients import Client, accepted_by_author, command
from tests.faults.harness import settle
from tests.support import wait_for

CLIENTS = 6
PER_CLIENT = 352          # 6 x 352 = 2,112 commands in the stream (plus 18 seed posts)
SEND_INTERVAL_S = 0.16    # per client: ~37 commands/s in all, so the stream lasts ~60 s
MIN_KILLS = 20


def plan(client: Client, others: list[str], seed_posts: list[int], rnd: random.Random) -> list:
    """Mostly posts with unique bodies; each like is a new (user, post) pair; each follow new."""
    likes = rnd.sample(seed_posts, len(seed_posts))
    cmds = []
    for i in range(PER_CLIENT):
        if i % 11 == 5 and likes:
            cmds.append(command("like_post", post_id=likes.pop()))
        elif i % 11 == 8:
            cmds.append(command("create_comment", post_id=rnd.choice(seed_posts),
                                body=f"comment {client.handle} {i} {rnd.random()}"))
        elif i % 50 == 20 and others:
            cmds.append(command("follow_user", handle=others.pop()))
        else:
            cmds.append(command("create_post", body=f"post {client.handle} #{i} {rnd.random()}"))
    return cmds


def stream(client: Client, cmds: list, done: threading.Event):
    try:
        for cmd in cmds:
            client.submit(cmd)
            time.sleep(SEND_INTERVAL_S)
    finally:
        done.set()


class KillLog:
    """Kills, and how long the batch each killed worker held took to be finished by others."""

    def __init__(self, stack):
        self.stack, self.kills, self.abandoned, self.recovered = stack, 0, {}, {}

    def holding(self) -> dict[str, int]:
        """inbox consumer (worker process) -> entries it has read and not yet acknowledged."""
        r = self.stack.r
        if not r.exists(INBOX):
            return {}
        return {c["name"]: c["pending"] for c in r.xinfo_consumers(INBOX, GROUP) if c["pending"]}

    def consumer_of(self, proc) -> str | None:
        return next((c for c in self.holding() if f"-{proc.pid}-" in c), None)

    def kill_one(self, rnd: random.Random) -> None:
        """SIGKILL a worker -- one that holds a batch, when one does (the interesting case)."""
        stack = self.stack
        end = time.monotonic() + 1.0
        busy = [w for w in stack.workers if self.consumer_of(w)]
        while not busy and time.monotonic() < end:  # catch a worker mid-batch when there is one
            time.sleep(0.002)
            busy = [w for w in stack.workers if self.consumer_of(w)]
        victim = rnd.choice(busy or stack.workers)
        consumer = self.consumer_of(victim)
        stack.kill_worker(victim)
        at = time.monotonic()
        self.kills += 1
        if consumer is not None:
            self.abandoned[consumer] = (at, self.commands_of(consumer))
        stack.start_worker()

    def commands_of(self, consumer: str) -> list[str]:
        """The command ids a dead consumer still holds (read, not acknowledged)."""
        r = self.stack.r
        ids = [p["message_id"] for p in r.xpending_range(INBOX, GROUP, "-", "+", 1000, consumer)]
        return [json.loads(fields[FIELD])["command_id"]
                for i in ids for _, fields in r.xrange(INBOX, i, i)]

    def poll(self) -> None:
        for consumer, (at, cids) in list(self.abandoned.items()):
            if consumer not in self.recovered and all(
                    self.stack.r.exists(command_key(c)) for c in cids):
                self.recovered[consumer] = time.monotonic() - at


def converge(stack, accepted, kills, timeout) -> bool:
    """Wait until every accepted command has an outcome and the read side holds every event."""
    def done():
        kills.poll()
        return stack.queue_idle() and stack.projected() and all(
            stack.r.exists(command_key(cid)) for cid in accepted)
    return settle(done, timeout, "convergence")


def test_worker_sigkilled_20_times_loses_and_doubles_nothing(fault_stack):
    rnd = random.Random(4)
    stack = fault_stack(workers=2)
    stack.wait_workers_ready()
    clients = [Client(stack.base) for _ in range(CLIENTS)]
    seed_posts = [c.wait_for_result(command("create_post", body=f"seed {c.handle} {i}"))
                  ["result"]["post"]["id"] for c in clients for i in range(3)]
    handles = [c.handle for c in clients]
    plans = [plan(c, [h for h in handles if h != c.handle], seed_posts, rnd) for c in clients]
    finished = [threading.Event() for _ in clients]
    threads = [threading.Thread(target=stream, args=(c, p, e), daemon=True)
               for c, p, e in zip(clients, plans, finished, strict=True)]
    for t in threads:
        t.start()

    kills = KillLog(stack)
    while not all(e.is_set() for e in finished) or kills.kills < MIN_KILLS:
        pause = time.monotonic() + rnd.uniform(1.5, 3.5)
        while time.monotonic() < pause:
            kills.poll()
            time.sleep(0.05)
        kills.kill_one(rnd)
    for t in threads:
        t.join(60)
    faults_over = time.monotonic()

    accepted = accepted_by_author(clients)
    converged = converge(stack, accepted, kills, timeout=120)
    converge_s = time.monotonic() - faults_over
    kills.poll()
    failed_jobs = stack.svc.queue.failed_job_registry.count
    stack.stop_workers()
    diff = rebuild_differences(stack.svc)
    effects = exactly_once(stack.svc.session_factory, accepted)

    bounds = sorted(kills.recovered.values())
    fig = Figures("worker SIGKILLed", "sqlite", sent=sum(c.sent for c in clients),
                  accepted=len(accepted), applied=effects.get("applied", 0),
                  lost=effects.get("lost", 0), duplicated=effects.get("duplicated", 0),
                  converge_s=converge_s,
                  extra={"kills": kills.kills, "abandoned_jobs": len(kills.abandoned),
                         "recovery_max_s": round(bounds[-1], 2) if bounds else None,
                         "recovery_median_s": round(bounds[len(bounds) // 2], 2) if bounds else None,
                         "send_errors": sum(c.errors for c in clients),
                         "rebuild_diff_keys": len(diff)})
    report(fig)
    assert converged, "some accepted commands were never applied (see the figures)"
    assert kills.kills >= MIN_KILLS
    assert fig.sent >= 2000 and fig.accepted == fig.sent
    assert fig.lost == 0 and fig.duplicated == 0 and fig.applied == fig.accepted, effects
    assert effects.get("stray_rows", 0) == 0 and effects.get("unrecorded", 0) == 0, effects
    assert failed_jobs == 0
    assert len(kills.recovered) == len(kills.abandoned)
    assert not diff, f"read models differ from a rebuild: {diff[:10]}"


def test_sigkilled_worker_leaves_no_process_behind(fault_stack):
    """RQ's scheduler runs in a forked child; a SIGKILLed worker must not leave it running (it would
    hold the scheduler lock, so retries of failed commands would wait on a process nobody owns)."""
    stack = fault_stack(workers=1, web=False)
    stack.wait_workers_ready()
    conn = stack.svc.rq_redis
    wait_for(lambda: conn.keys("rq:scheduler-lock:*") and conn.keys("rq:scheduler:*"), timeout=30,
             what="the worker's scheduler process running and holding its lock")
    stack.kill_worker(stack.workers[0])
    wait_for(lambda: not stack.leftover_pids(), timeout=10, what="the scheduler child gone too")
    wait_for(lambda: not conn.keys("rq:scheduler-lock:*"), timeout=5,
             what="the lock released, so the next worker's scheduler can take over")


def test_dequeued_but_unstarted_job_and_held_projector_lock_recover_in_seconds(fault_stack):
    """The two other places a SIGKILL can leave things: a drain job already dequeued by RQ but not
    yet started (RQ would wait over a minute, and only at maintenance time; the Watchman sees the
    command unread for STUCK_S and rings for a new one), and the projector lock held by the dead
    process (others wait for it to expire, LOCK_TTL_S)."""
    from backend.read.projections import LOCK
    from backend.read.projector import LOCK_TTL_S

    stack = fault_stack(workers=0)
    author = Client(stack.base)
    conn, q = stack.svc.rq_redis, stack.svc.queue
    stuck = command("create_post", body="dequeued by a worker that then died")
    assert author.post(stuck)
    assert conn.lmove(q.key, q.intermediate_queue_key) is not None  # the drain job `stuck` rang for
    stack.start_worker()
    stack.wait_workers_ready()
    ready = time.monotonic()
    wait_for(lambda: stack.r.exists(command_key(stuck["command_id"])), timeout=30,
             what="the stuck job requeued and applied")
    stuck_s = time.monotonic() - ready

    stack.r.set(LOCK, "held-by-a-dead-projector", ex=LOCK_TTL_S)  # what a killed holder leaves
    locked = command("create_post", body="sent while a dead projector holds the lock")
    sent = time.monotonic()
    assert author.post(locked)
    wait_for(lambda: stack.r.exists(command_key(locked["command_id"])), timeout=30,
             what="applied once the dead holder's lock expired")
    lock_s = time.monotonic() - sent
    effects = exactly_once(stack.svc.session_factory, accepted_by_author([author]))
    report(Figures("dequeued-not-started / lock held", "sqlite", sent=2, accepted=2,
                   applied=effects.get("applied", 0), lost=effects.get("lost", 0),
                   duplicated=effects.get("duplicated", 0), converge_s=max(stuck_s, lock_s),
                   extra={"stuck_job_recovered_s": round(stuck_s, 2),
                          "lock_stall_s": round(lock_s, 2)}))
    assert effects == {"applied": 2, "stray_rows": 0}, effects
    # Generous bounds (a loaded machine), still far from before: RQ requeues a stuck job after
    # 60 s at its next maintenance pass (every 10 min), and the lock used to live 30 s.
    assert stuck_s < 30 and lock_s < 20

"""The command inbox as a Redis stream with a consumer group (backend/write/command_queue.py) and its
recovery on public APIs (worker/recovery.py): an entry leaves the stream only once its outcome is
recorded; a dead, failed or timed-out run's entries are claimed after CLAIM_IDLE_MS; the poison rule
counts a handler's crashes, never re-deliveries."""
import json
import time

import pytest
from rq import SimpleWorker
from rq.job import JobStatus
from rq.serializers import JSONSerializer

from backend.read import queries
from backend.write import command_queue
from backend.write.command_queue import (CRASH_LIMIT, CRASHES, DOORBELL, FIELD, GROUP, INBOX, depth,
                                         done, put_commands, queued_by, take)
from backend.write.handlers import HANDLERS
from tests import support
from tests.integration.test_social import Net
from worker import drain, jobs
from worker.recovery import STUCK_S, serve_inbox, tidy_consumers, mark_alive

IDLE_MS = 200  # the claim idle time in these tests (CLAIM_IDLE_MS is 3 s in production)


@pytest.fixture
def short_idle(monkeypatch):
    monkeypatch.setattr(command_queue, "CLAIM_IDLE_MS", IDLE_MS)


def envelope(author, body):
    return support.envelope(author, "create_post", body=body)


def ids(envs):
    return [e["command_id"] for e in envs]


def pending(r):
    return r.xpending(INBOX, GROUP)["pending"]


def test_a_dead_runs_entries_are_claimed_after_the_idle_time_never_sooner(services, short_idle):
    r = services.redis
    envs = [envelope("ann", f"b{i}") for i in range(5)]
    put_commands(services.queue, r, envs, 30)
    first = take(r, "worker-a", 3)
    assert ids(first) == ids(envs[:3]) and queued_by(r, envs[0]["command_id"]) == "ann"
    assert ids(take(r, "worker-b", 3)) == ids(envs[3:])  # the rest; never a batch someone holds
    assert take(r, "worker-c", 3) == [] and pending(r) == 5
    time.sleep(IDLE_MS / 1000 + 0.05)  # worker-a died holding its batch
    again = take(r, "worker-c", 3)
    assert ids(again) == ids(first) and [e.entry_id for e in again] == [e.entry_id for e in first]
    done(r, again)
    assert pending(r) == 2 and depth(r) == 2  # gone from the stream, exactly those


def test_a_starved_run_and_its_claimer_both_finishing_remove_the_batch_once(services, short_idle):
    """A worker starved of CPU looks dead, so its batch is claimed and applied again (harmless:
    processed_commands); both acknowledge it, and nothing else leaves the stream."""
    r = services.redis
    envs = [envelope("ann", f"overlap {i}") for i in range(6)]
    put_commands(services.queue, r, envs, 30)
    slow = take(r, "slow", 3)
    time.sleep(IDLE_MS / 1000 + 0.05)
    claimed = take(r, "fast", 3)
    assert ids(claimed) == ids(slow)
    done(r, claimed)
    rest = take(r, "fast", 3)
    done(r, slow)  # the starved run finishes too: its entries are gone already, the rest stays
    assert ids(rest) == ids(envs[3:]) and depth(r) == 3 and pending(r) == 3
    done(r, rest)
    assert depth(r) == 0 and pending(r) == 0


def test_done_removes_an_entry_by_id_whatever_its_key_order(services):
    """Defect 4, by design now: an entry is acknowledged by its id, not found by its JSON text."""
    r = services.redis
    env = envelope("ann", "keys")
    command_queue.ensure_group(r)
    r.xadd(INBOX, {FIELD: json.dumps(dict(reversed(list(env.items()))), separators=(",", ":"))})
    batch = take(r, "w", 50)
    assert batch == [env]
    done(r, batch)
    assert depth(r) == 0 and take(r, "w", 50) == []


def test_the_watchman_rings_only_for_an_unserved_inbox_and_only_while_the_db_answers(services):
    r, queue = services.redis, services.queue
    put_commands(queue, r, [envelope("ann", "x")], 30)
    queue.empty()  # as if the web process died between ringing and enqueuing: doorbell left set
    added = int(r.xrange(INBOX)[0][0].split("-")[0]) / 1000
    up, down = (lambda: True), (lambda: False)
    assert serve_inbox(queue, r, {}, up, 30, now=added + STUCK_S / 2) is None  # not stuck yet
    assert serve_inbox(queue, r, {}, down, 30, now=added + STUCK_S) is None  # DB away: wait
    state = {}
    assert serve_inbox(queue, r, state, up, 30, now=added + STUCK_S) == "unread"
    assert queue.count == 1 and r.get(DOORBELL) == "1"
    assert serve_inbox(queue, r, state, up, 30, now=added + STUCK_S + 0.1) is None  # rate-limited
    assert serve_inbox(queue, r, {}, up, 30, now=added + 2 * STUCK_S) is None  # a job is queued


def test_a_batch_whose_drain_job_failed_for_good_is_applied_without_a_resend(app, services,
                                                                           run_worker, short_idle):
    """E.g. the write DB away beyond RQ's retries: the job ended failed, its batch pending. The
    command still reads "queued" (its author's tab does not re-send) and the next drain job,
    rung by the Watchman once the DB answers, claims and applies it."""
    net = Net(app, run_worker, "ann")
    client, r, queue = net.clients["ann"], services.redis, services.queue
    cmds = [support.new_command(body=f"outlived its job {i}") for i in range(3)]
    for cmd in cmds:
        assert client.post("/api/commands", json=cmd).status_code == 202
    queue.empty()
    r.delete(DOORBELL)
    take(r, "gone-for-good", 50)  # read by a run that then failed for good
    assert [client.get(f"/api/commands/{c['command_id']}").get_json()["status"] for c in cmds] \
        == ["queued"] * 3
    time.sleep(IDLE_MS / 1000 + 0.05)
    assert serve_inbox(queue, r, {}, lambda: True, 30) == "idle" and queue.count == 1
    run_worker()
    assert [client.get(f"/api/commands/{c['command_id']}").get_json()["status"] for c in cmds] \
        == ["succeeded"] * 3
    assert queries.profile(r, "ann")["user"]["posts"] == 3 and depth(r) == 0


def test_a_job_timeout_passes_through_and_its_batch_is_claimed_later(services, worker_context, app,
                                                                    monkeypatch, short_idle):
    """Defect 2: RQ's JobTimeoutException is not a handler bug: no one-by-one re-run, the job
    fails at its timeout (RQ retries it), and its batch stays pending for the next claim."""
    Net(app, None, "ann")
    calls, raised = [], []

    def slow(cmd, session, rules):
        calls.append(cmd.command_id)
        time.sleep(3)
        raise AssertionError("the job timeout should have interrupted this")
    monkeypatch.setitem(HANDLERS, "create_post", slow)
    envs = [envelope("ann", f"slow {i}") for i in range(2)]
    put_commands(services.queue, services.redis, envs, 1)
    job = services.queue.jobs[0]
    worker = SimpleWorker([services.queue], connection=services.rq_redis, serializer=JSONSerializer,
                          exception_handlers=[lambda job, typ, *_: raised.append(typ.__name__)])
    started = time.monotonic()
    worker.work(burst=True, logging_level="WARNING")
    assert time.monotonic() - started < 2.5  # stopped at its 1 s timeout, not run on
    assert calls == [envs[0]["command_id"]] and raised == ["JobTimeoutException"]
    assert job.get_status() == JobStatus.SCHEDULED  # RQ retries it, as for any failure
    assert pending(services.redis) == 2  # not acknowledged: still in the stream
    time.sleep(IDLE_MS / 1000 + 0.05)
    assert ids(take(services.redis, "next-run", 50)) == ids(envs)
    assert all(queries.command_status(services.redis, e["command_id"]) is None for e in envs)


def _drain(ctx):
    try:
        return drain.drain_inbox(ctx)
    except RuntimeError as crash:
        return crash


def test_a_handler_that_crashes_every_time_is_recorded_not_applied_after_the_limit(
        app, services, worker_context, monkeypatch):
    """The poison rule counts the command's own crashes: each crash puts it back with `crashes`
    one higher; past CRASH_LIMIT it is recorded failed ("not_applied"), its batch-mates applied."""
    Net(app, None, "ann")
    r = services.redis
    monkeypatch.setitem(HANDLERS, "like_post", lambda *a: (_ for _ in ()).throw(RuntimeError("bug")))
    poison = support.envelope("ann", "like_post", post_id=1)
    fine = envelope("ann", "fine")
    put_commands(services.queue, r, [poison, fine], 30)
    for crash in range(1, CRASH_LIMIT + 2):
        assert isinstance(_drain(worker_context), RuntimeError)
        [(_, fields)] = r.xrange(INBOX)
        assert json.loads(fields[FIELD])[CRASHES] == crash and pending(r) == 0
    assert _drain(worker_context)["commands"] == 1
    status = queries.command_status(r, poison["command_id"])
    assert status["status"] == "failed" and status["error"] == jobs.NOT_APPLIED
    assert queries.command_status(r, fine["command_id"])["status"] == "succeeded"
    assert depth(r) == 0 and queued_by(r, poison["command_id"]) is None


def test_re_deliveries_after_outages_never_count_as_crashes(app, services, worker_context,
                                                            short_idle):
    """A batch claimed again and again (its runs died, or the DB was away) is applied in the end,
    however often it was delivered."""
    Net(app, None, "ann")
    r = services.redis
    env = envelope("ann", "survives five dead runs")
    put_commands(services.queue, r, [env], 30)
    for run in range(5):
        assert ids(take(r, f"dead-{run}", 50)) == [env["command_id"]]  # read, then the run died
        time.sleep(IDLE_MS / 1000 + 0.05)
    assert r.xpending_range(INBOX, GROUP, "-", "+", 1)[0]["times_delivered"] == 5
    assert drain.drain_inbox(worker_context)["commands"] == 1
    assert queries.command_status(r, env["command_id"])["status"] == "succeeded"


def test_consumers_of_dead_processes_are_removed_only_when_they_hold_nothing(services, monkeypatch):
    from worker import recovery
    monkeypatch.setattr(recovery, "CONSUMER_IDLE_MS", 0)
    r = services.redis
    put_commands(services.queue, r, [envelope("ann", f"e{i}") for i in range(3)], 30)
    take(r, "dead-holding", 1)
    done(r, take(r, "dead-empty", 1))
    done(r, take(r, "alive-empty", 1))
    mark_alive(r, "alive-empty")
    assert tidy_consumers(r, {}, now=time.time()) == ["dead-empty"]
    assert {c["name"] for c in r.xinfo_consumers(INBOX, GROUP)} == {"dead-holding", "alive-empty"}
    assert pending(r) == 1

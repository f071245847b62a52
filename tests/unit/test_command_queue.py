"""Group commit at the queue (backend/command_queue.CommandQueue): who enqueues what, with no I/O --
the enqueue function is a recorder that can be held, as a slow Redis round trip would be."""
import threading
import time

import pytest

from backend.command_queue import CommandQueue


class Recorder:
    """enqueue(envelopes) -> job id; records every batch; `hold` blocks the next call until set."""

    def __init__(self, fail_on=()):
        self.batches, self.fail_on = [], set(fail_on)
        self.hold, self.entered = threading.Event(), threading.Event()
        self.hold.set()

    def __call__(self, envelopes):
        self.entered.set()
        self.hold.wait(5)
        self.batches.append([e["command_id"] for e in envelopes])
        if len(self.batches) in self.fail_on:
            raise ConnectionError("redis went away")
        return f"job{len(self.batches)}"


def env(i):
    return {"command_id": f"c{i}", "author": "ann"}


def submit_all(cq, ids, results):
    def run(i):
        try:
            results[i] = cq.submit(env(i))
        except Exception as exc:  # noqa: BLE001 -- asserted by the tests
            results[i] = exc
    threads = [threading.Thread(target=run, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    return threads


def wait_waiting(cq, n):
    end = time.monotonic() + 5
    while len(cq._waiting) < n and time.monotonic() < end:
        time.sleep(0.001)
    assert len(cq._waiting) == n


def test_a_lone_command_is_enqueued_at_once_as_its_own_job():
    rec = Recorder()
    cq = CommandQueue(rec)
    assert cq.submit(env(1)) == "job1"
    assert cq.submit(env(2)) == "job2"
    assert rec.batches == [["c1"], ["c2"]]


def test_commands_arriving_during_an_enqueue_leave_together_in_the_next_job():
    rec, results = Recorder(), {}
    cq = CommandQueue(rec)
    rec.hold.clear()
    first = submit_all(cq, [0], results)
    assert rec.entered.wait(5)  # the leader is inside its (slow) enqueue
    others = submit_all(cq, range(1, 11), results)
    wait_waiting(cq, 10)
    rec.hold.set()
    for t in first + others:
        t.join(5)
    assert rec.batches[0] == ["c0"]
    assert sorted(rec.batches[1]) == sorted(f"c{i}" for i in range(1, 11)) and len(rec.batches) == 2
    assert results[0] == "job1" and {results[i] for i in range(1, 11)} == {"job2"}
    assert not cq._leading and not cq._waiting


def test_a_batch_is_at_most_max_batch_commands_and_the_lead_passes_on():
    rec, results = Recorder(), {}
    cq = CommandQueue(rec, max_batch=3)
    rec.hold.clear()
    threads = submit_all(cq, [0], results)
    assert rec.entered.wait(5)
    threads += submit_all(cq, range(1, 8), results)
    wait_waiting(cq, 7)
    rec.hold.set()
    for t in threads:
        t.join(5)
    assert [len(b) for b in rec.batches] == [1, 3, 3, 1]
    assert sorted(sum(rec.batches, [])) == sorted(f"c{i}" for i in range(8))
    assert all(isinstance(v, str) for v in results.values()) and len(results) == 8


def test_a_failed_enqueue_fails_exactly_its_own_batch():
    rec, results = Recorder(fail_on={2}), {}
    cq = CommandQueue(rec, max_batch=3)
    rec.hold.clear()
    threads = submit_all(cq, [0], results)
    assert rec.entered.wait(5)
    threads += submit_all(cq, range(1, 6), results)
    wait_waiting(cq, 5)
    rec.hold.set()
    for t in threads:
        t.join(5)
    failed = {f"c{i}" for i, v in results.items() if isinstance(v, ConnectionError)}
    assert failed == set(rec.batches[1]) and len(failed) == 3
    assert cq.submit(env(99)) == "job4"  # the queue keeps working


@pytest.mark.parametrize("n", [50, 200])
def test_many_concurrent_submitters_each_get_exactly_one_job(n):
    rec, results = Recorder(), {}
    cq = CommandQueue(rec)
    for t in submit_all(cq, range(n), results):
        t.join(10)
    flat = sum(rec.batches, [])
    assert sorted(flat) == sorted(f"c{i}" for i in range(n))  # each command once, none lost
    jobs = {f"job{k}": batch for k, batch in enumerate(rec.batches, start=1)}
    assert all(f"c{i}" in jobs[results[i]] for i in range(n))
    assert max(len(b) for b in rec.batches) <= 50

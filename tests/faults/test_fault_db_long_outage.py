"""Scenario 3b: the write DB away for longer than RQ's whole retry budget (~61 s), and nobody re-sends.

The drain jobs that read commands early in the outage exhaust their retries and end in RQ's failed
registry, their batches still pending in the inbox stream. The clients here never re-send (no
browser watchdog, e.g. every tab was closed), so only the server can save those commands: once
PostgreSQL answers again, a worker's Watchman rings for a drain job (worker/recovery.serve_inbox),
which claims the idle batches, and every accepted command ends applied exactly once. However often
a batch was delivered meanwhile, it never counts toward the poison rule (only a handler's crashes
do).
"""
import time

import pytest

from backend.write.command_queue import RETRY
from tests.faults.checks import Figures, exactly_once, rebuild_differences, report
from tests.faults.clients import Client, accepted_by_author, command, start_streams
from tests.faults.test_fault_db_unavailable import PgOutage
from tests.support import wait_for

CLIENTS = 2
PER_CLIENT = 30
SEND_INTERVAL_S = 0.3
RETRY_BUDGET_S = sum(RETRY.intervals)
OUTAGE_S = RETRY_BUDGET_S + 8  # the earliest jobs' last retry fails while the DB is still away


def run_client(client: Client):
    for i in range(PER_CLIENT):
        client.submit(command("create_post", body=f"long outage {client.handle} #{i} {time.time()}"))
        time.sleep(SEND_INTERVAL_S)


@pytest.mark.postgres
def test_db_away_longer_than_the_retries_commands_are_claimed_without_resends(fault_stack,
                                                                             pg_database_url):
    stack = fault_stack(workers=1, database_url=pg_database_url)
    stack.wait_workers_ready()
    outage = PgOutage(stack.database_url)
    clients = [Client(stack.base) for _ in range(CLIENTS)]
    threads = start_streams(clients, run_client)
    time.sleep(1.0)
    outage.begin()
    began = time.monotonic()
    try:
        for t in threads:
            t.join(60)
        time.sleep(max(0.0, began + OUTAGE_S - time.monotonic()))
        failed_for_good = stack.svc.queue.failed_job_registry.count  # their batches: pending
        not_found = sum(c.status(cid)[0] == 404 for c in clients for cid in c.accepted)
    finally:
        outage.end()
    ended = time.monotonic()

    accepted = accepted_by_author(clients)
    wait_for(lambda: all(c.status(cid)[1] and c.status(cid)[1]["status"] == "succeeded"
                         for c in clients for cid in c.accepted),
             timeout=RETRY_BUDGET_S, interval=0.5, what="every command applied after the outage")
    converge_s = time.monotonic() - ended
    wait_for(lambda: stack.queue_idle() and stack.projected(), timeout=60, what="queue idle")
    stack.stop_workers()
    diff = rebuild_differences(stack.svc)
    effects = exactly_once(stack.svc.session_factory, accepted)
    fig = Figures("write DB away > retry budget", "postgres",
                  sent=sum(c.sent for c in clients), accepted=len(accepted),
                  applied=effects.get("applied", 0), lost=effects.get("lost", 0),
                  duplicated=effects.get("duplicated", 0), converge_s=converge_s,
                  extra={"outage_s": OUTAGE_S, "jobs_failed_for_good": failed_for_good,
                         "answered_404_meanwhile": not_found,
                         "resends": sum(c.resends for c in clients),
                         "rebuild_diff_keys": len(diff)})
    report(fig)
    assert failed_for_good > 0  # the scenario happened: drain jobs failed for good holding batches
    assert not_found == 0  # a command held by a failed job still reads "queued", never lost
    assert sum(c.resends for c in clients) == 0  # nobody re-sent: the server claimed them
    assert fig.lost == 0 and fig.duplicated == 0 and fig.applied == fig.accepted == fig.sent, effects
    assert effects.get("stray_rows", 0) == 0
    assert not diff, f"read models differ from a rebuild: {diff[:10]}"

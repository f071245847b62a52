"""Scenario 3: the write DB unavailable for a few seconds in the middle of a stream.

PostgreSQL: the test's database refuses connections (ALLOW_CONNECTIONS false) and its open sessions
are terminated -- the machine's server keeps running for everyone else. Jobs fail on the DB error and
RQ retries them with backoff (backend/web/api.py RETRY). SQLite: another connection holds BEGIN EXCLUSIVE;
the worker's transaction waits on SQLite's busy timeout (30 s) -- no job fails there, so that row is
labelled "write DB locked", not "unavailable": the DB is only slow, and the test asserts exactly that
(no job failed or retried). Either way the commands stay accepted and
pending meanwhile (GET /api/commands/<id> says "queued"), and each ends applied exactly once.
"""
import sqlite3
import time

import pytest
import sqlalchemy as sa

from tests.faults.checks import Figures, exactly_once, rebuild_differences, report
from tests.faults.clients import Client, accepted_by_author, command, start_streams
from tests.support import logged_in_page, wait_for

CLIENTS = 3
PER_CLIENT = 50
SEND_INTERVAL_S = 0.12
OUTAGE_S = 5.0


def run_client(client: Client):
    for i in range(PER_CLIENT):
        client.submit(command("create_post", body=f"post {client.handle} #{i} {time.time()}"))
        time.sleep(SEND_INTERVAL_S)


class PgOutage:
    """Make one database unreachable: no new connections, every open one terminated."""

    def __init__(self, url: str):
        self.name = sa.engine.make_url(url).database
        self.admin = sa.create_engine(sa.engine.make_url(url).set(database="postgres"),
                                      isolation_level="AUTOCOMMIT")

    def begin(self):
        with self.admin.connect() as c:
            c.execute(sa.text(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false'))
            c.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": self.name})

    def end(self):
        with self.admin.connect() as c:
            c.execute(sa.text(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true'))
        self.admin.dispose()


class SqliteOutage:
    """Hold SQLite's write lock from another connection (as a long migration or backup would)."""

    def __init__(self, url: str):
        self.path = sa.engine.make_url(url).database
        self.conn = None

    def begin(self):
        self.conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self.conn.execute("BEGIN EXCLUSIVE")

    def end(self):
        self.conn.execute("ROLLBACK")
        self.conn.close()


@pytest.mark.parametrize("db", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_db_unavailable_commands_wait_and_apply_once(fault_stack, request, db):
    url = request.getfixturevalue("pg_database_url") if db == "postgres" else None
    stack = fault_stack(workers=1, database_url=url)
    stack.wait_workers_ready()
    outage = PgOutage(stack.database_url) if db == "postgres" else SqliteOutage(stack.database_url)
    clients = [Client(stack.base) for _ in range(CLIENTS)]
    probe = Client(stack.base)  # sends one command while the DB is away: accepted, shown pending
    threads = start_streams(clients, run_client)

    time.sleep(1.5)
    outage.begin()
    began = time.monotonic()
    probe.submit(command("create_post", body="sent while the write DB is away"))
    seen_pending, retrying = set(), 0
    while time.monotonic() - began < OUTAGE_S:
        retrying = max(retrying, stack.svc.queue.scheduled_job_registry.count)  # backing off
        for c in clients + [probe]:
            for cid in list(c.accepted)[-3:]:
                code, body = c.status(cid)
                if code == 200 and body["status"] == "queued":
                    seen_pending.add(cid)
        time.sleep(0.5)
    probe_id = next(iter(probe.accepted))
    probe_status = probe.status(probe_id)
    outage.end()
    ended = time.monotonic()
    for t in threads:
        t.join(60)

    accepted = accepted_by_author(clients + [probe])
    wait_for(lambda: stack.queue_idle() and stack.projected() and all(
        c.status(cid)[1]["status"] == "succeeded" for c in clients + [probe] for cid in c.accepted),
        timeout=120, interval=0.5, what="every command applied after the outage")
    converge_s = time.monotonic() - ended
    failed_jobs = stack.svc.queue.failed_job_registry.count
    stack.stop_workers()
    diff = rebuild_differences(stack.svc)
    effects = exactly_once(stack.svc.session_factory, accepted)
    label = "write DB unavailable 5 s" if db == "postgres" else "write DB locked 5 s (busy wait)"
    fig = Figures(label, db, sent=sum(c.sent for c in clients + [probe]),
                  accepted=len(accepted), applied=effects.get("applied", 0),
                  lost=effects.get("lost", 0), duplicated=effects.get("duplicated", 0),
                  converge_s=converge_s,
                  extra={"outage_s": OUTAGE_S, "seen_pending_in_outage": len(seen_pending),
                         "max_jobs_in_retry_backoff": retrying,
                         "rebuild_diff_keys": len(diff)})
    report(fig)
    assert probe_status == (200, {"command_id": probe_id, "status": "queued"})
    assert len(seen_pending) >= 3
    if db == "postgres":  # connections refused: the jobs failed and waited in RQ's retry backoff
        assert retrying > 0
    else:  # locked, not gone: the transaction waited on the busy timeout; nothing failed
        assert retrying == 0
    assert fig.lost == 0 and fig.duplicated == 0 and fig.applied == fig.accepted == fig.sent, effects
    assert effects.get("stray_rows", 0) == 0 and failed_jobs == 0
    assert not diff, f"read models differ from a rebuild: {diff[:10]}"


def test_browser_shows_post_pending_while_db_is_locked(fault_stack, browser):
    """Chromium: while SQLite is locked the post stays "accepted" -- the page's watchdog asks the
    server and hears "queued", not a failure -- and is confirmed once the lock goes."""
    from playwright.sync_api import expect

    stack = fault_stack(workers=1)
    context = browser.new_context(base_url=stack.base)
    outage = SqliteOutage(stack.database_url)
    try:
        page = logged_in_page(context)
        page.goto("/explore")
        expect(page.locator("#connection")).to_have_text("live")
        outage.begin()
        began = time.monotonic()
        page.fill("#composer-body", "posted while the write DB is locked")
        with page.expect_response(lambda r: "/api/commands/" in r.url
                                  and r.request.method == "GET", timeout=15000) as polled:
            page.click("#post-button")
        item = page.locator("li.post", has_text="posted while the write DB is locked")
        assert polled.value.json()["status"] == "queued"  # the watchdog asked: still waiting
        expect(item).to_have_class("post pending")
        expect(item.locator(".status")).to_have_text("accepted · waiting in the queue")
        outage.end()
        outage = None
        ended = time.monotonic()
        expect(item.locator(".status")).to_contain_text("visible to everyone", timeout=30000)
        expect(page.locator("li.post", has_text="posted while the write DB is locked")).to_have_count(1)
        with stack.svc.engine.connect() as conn:
            n = conn.exec_driver_sql("SELECT count(*) FROM posts WHERE body = ?",
                                     ("posted while the write DB is locked",)).scalar()
        report(Figures("write DB locked (browser)", "sqlite", sent=1, accepted=1, applied=int(n == 1),
                       lost=int(n == 0), duplicated=max(0, n - 1),
                       converge_s=time.monotonic() - ended,
                       extra={"pending_shown_s": round(ended - began, 2)}))
        assert n == 1 and not page.errors
    finally:
        if outage is not None and outage.conn is not None:
            outage.end()
        context.close()

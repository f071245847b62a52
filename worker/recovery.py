"""The Watchman: every worker process's safety net for the command inbox, on public APIs only.

Commands are never lost by a dying worker: they stay in the inbox stream's pending entries until
acknowledged (backend/write/command_queue.py), and every take of a drain job claims entries
idle for CLAIM_IDLE_MS (XAUTOCLAIM). What can go missing is a *drain job* to do that: the worker
died, the job failed for good (the write DB away beyond RQ's retries), or a web process died between
ringing the doorbell and enqueuing. So, twice a second, each worker's Watchman
- refreshes its alive key (GET /healthz counts live workers by these keys);
- looks at the inbox (XINFO GROUPS, XRANGE, XPENDING): when an entry has waited unread for STUCK_S,
  or a read entry sits idle for CLAIM_IDLE_MS, and no drain job is queued (Queue.count), it enqueues
  one -- once the write DB answers, so a long outage does not pile up failing jobs;
- now and then removes the inbox consumers of dead processes that hold nothing (XGROUP
  DELCONSUMER, atomically checked), so the group does not grow with every restart.
Each pass records its success or failure (backend/recovery_status.py): a recovery that keeps failing
makes /healthz say "degraded"; it is never silent. RQ's own abandoned-job handling keeps its
registries tidy; nothing here reads RQ's internals.
"""
import logging
import threading
import time

from sqlalchemy import text

from backend.recovery_status import ALIVE_PREFIX, record_pass
from backend.write import command_queue
from backend.write.command_queue import GROUP, INBOX, ring

log = logging.getLogger("ripple.recovery")
ALIVE_TTL_S = 3       # a worker whose key is this old is dead
INTERVAL_S = 0.5      # how often each worker refreshes its key and looks at the inbox
STUCK_S = 2.0         # an entry unread this long has no drain job coming
TIDY_EVERY_S = 60.0   # how often dead consumers are removed
CONSUMER_IDLE_MS = 60_000  # a consumer of a dead process is removed only after this much idleness

# KEYS: inbox; ARGV: group, consumer. Deletes the consumer only if it holds no pending entry (checked
# and done in one step: a consumer deleted with entries would orphan them).
_DELCONSUMER = """
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) > 0 then return 0 end
redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
return 1
"""


def alive_key(identity: str) -> str:
    return ALIVE_PREFIX + identity  # not "ripple:": read-model dumps and rebuilds skip it


def mark_alive(conn, identity: str) -> None:
    conn.set(alive_key(identity), time.time(), ex=ALIVE_TTL_S)


def _entry_ms(entry_id: str) -> int:
    return int(entry_id.split("-")[0])


def unserved(r, now: float) -> str | None:
    """Why the inbox needs a drain job it may not get: "unread" (an entry unread for STUCK_S),
    "idle" (a read entry idle for CLAIM_IDLE_MS: its run died or failed) or None."""
    if not r.exists(INBOX):
        return None
    group = next((g for g in r.xinfo_groups(INBOX) if g["name"] == GROUP), None)
    after = group["last-delivered-id"] if group else "0-0"  # no group yet: the first job makes it
    oldest = r.xrange(INBOX, min=f"({after}", count=1)
    if oldest and now * 1000 - _entry_ms(oldest[0][0]) >= STUCK_S * 1000:
        return "unread"
    if group and group["pending"] and r.xpending_range(INBOX, GROUP, "-", "+", 1,
                                                   idle=command_queue.CLAIM_IDLE_MS):
        return "idle"
    return None


def serve_inbox(queue, r, state: dict, db_answers, job_timeout: int,
                now: float | None = None) -> str | None:
    """One pass: ring for a drain job (at most every STUCK_S) when entries wait that no drain job
    will take and the write DB answers. Returns why it rang, else None."""
    now = time.time() if now is None else now
    if now - state.get("last", 0.0) < STUCK_S:
        return None
    why = unserved(r, now)
    if why is None or queue.count or not db_answers():
        return None
    state["last"] = now
    ring(queue, r, job_timeout, force=True)  # a doorbell may be left by a job that never started
    return why


def tidy_consumers(r, state: dict, now: float | None = None) -> list[str]:
    """Every TIDY_EVERY_S: remove the inbox consumers of dead processes that hold no entry."""
    now = time.time() if now is None else now
    if now - state.get("last", 0.0) < TIDY_EVERY_S or not r.exists(INBOX):
        return []
    state["last"] = now
    gone = []
    for c in r.xinfo_consumers(INBOX, GROUP):
        if c["pending"] == 0 and c["idle"] >= CONSUMER_IDLE_MS and not r.exists(
                alive_key(c["name"])) and r.eval(_DELCONSUMER, 1, INBOX, GROUP, c["name"]):
            gone.append(c["name"])
    return gone


def db_answers(engine) -> bool:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 -- any failure means "not yet"
        return False


class Watchman:
    """The thread each worker process runs: its alive key, and recovery passes over the inbox.
    `identity`: the process's name (its inbox consumer, worker/jobs.process_identity)."""

    def __init__(self, queue, r, identity: str, job_timeout: int = 30, engine=None):
        self.queue, self.r, self.identity, self.job_timeout = queue, r, identity, job_timeout
        self.engine = engine  # the write DB: ring for a job only once it answers

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._loop, name="ripple-recovery", daemon=True)
        thread.start()
        return thread

    def _loop(self) -> None:
        served, tidied = {}, {}
        while True:
            self.one_pass(served, tidied)
            time.sleep(INTERVAL_S)

    def _db_answers(self) -> bool:
        return self.engine is None or db_answers(self.engine)

    def one_pass(self, served: dict, tidied: dict) -> bool:
        """One recovery pass; its success or failure is recorded (GET /healthz shows it)."""
        try:
            mark_alive(self.r, self.identity)
            if why := serve_inbox(self.queue, self.r, served, self._db_answers, self.job_timeout):
                log.warning("commands in the inbox had no drain job coming (%s): enqueued one", why)
            for name in tidy_consumers(self.r, tidied):
                log.info("removed the inbox consumer of a dead worker: %s", name)
        except Exception as exc:  # noqa: BLE001 -- Redis briefly gone: try again next tick
            log.warning("recovery pass failed: %s", exc)
            record_pass(self.r, type(exc).__name__)
            return False
        record_pass(self.r, None)
        return True

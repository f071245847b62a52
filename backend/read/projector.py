"""Moves events from the write DB's log into the Redis read models, in order, exactly once.

Correctness does not rest on the lock: each event is applied in its own MULTI/EXEC that WATCHes the
checkpoint and moves it to the event's seq, so two projectors racing apply every event once. The lock
only keeps them from doing the same work twice, and keeps a rebuild from being interleaved.

`on_applied(events, checkpoint)`, when set (the worker's announcer), is called by whoever applied
events, with exactly the events it applied: never for a replay into an empty or foreign Redis (a
rebuild re-creates history, it announces nothing).
"""
import time

from redis.exceptions import LockError, WatchError
from sqlalchemy import select

from backend.read import fast_path
from backend.read.projections import CHECKPOINT, LOCK, PREFIX, PROJECTIONS, STORE, Caps
from backend.read.rebuild import rebuild_live
from backend.write.models import Event, StoreIdentity

BATCH = 500
KEEP_ON_REBUILD = (PREFIX + "command:", LOCK, PREFIX + "demo")  # demo: backend/demo.py
# A projector killed while holding the lock stalls the others until it expires: keep it short and
# renew it after every batch (a catch-up of a long log takes many batches).
LOCK_TTL_S = 5
RECENT_S = 30  # a replay from scratch announces only the events committed this recently


class ProjectionLagging(RuntimeError):
    """The read side could not reach a seq in time (another projector holds the lock)."""


class Projector:
    def __init__(self, r, session_factory, caps: Caps = Caps()):
        self.r, self.session_factory, self.caps = r, session_factory, caps
        self._store_id: str | None = None  # this write DB's identity, read once
        self._store_ok = False             # the read models were seen to mirror this DB
        self.on_applied = None             # callback(events, checkpoint) for newly applied events

    def store_id(self) -> str | None:
        if self._store_id is None:
            with self.session_factory() as session:
                self._store_id = session.scalar(select(StoreIdentity.store_id)) or ""
        return self._store_id or None  # None: a DB set up before init-db made one; no check

    def ensure_read_side(self) -> None:
        """Before serving queries: the read models exist (rebuilt if Redis came back empty) and
        mirror this write DB's log."""
        self.ensure_store()
        if self.checkpoint() is None:
            self.catch_up()

    def ensure_store(self) -> None:
        """Once per process, before serving queries: if Redis holds another write DB's read models
        (or ones older than this check), replace them by a replay of our log."""
        if self._store_ok:
            return
        sid = self.store_id()
        if sid is not None and self.r.get(STORE) != sid:
            self.catch_up()
        self._store_ok = sid is None or self.r.get(STORE) == sid

    def checkpoint(self) -> int | None:
        value = self.r.get(CHECKPOINT)
        return None if value is None else int(value)

    def catch_up(self, wait_s: float = 10.0) -> int:
        """Project every event after the checkpoint; return the new checkpoint."""
        # sleep: how often a waiting projector retries; redis-py's default 0.1 s cost a waiting
        # worker up to 100 ms per command under load (bench/commands.py).
        lock = self.r.lock(LOCK, timeout=LOCK_TTL_S, blocking_timeout=wait_s, sleep=0.002)
        try:
            if not lock.acquire():
                return self.checkpoint() or 0
        except LockError:
            return self.checkpoint() or 0
        try:
            return self._project_all(lock)
        finally:
            try:
                lock.release()
            except LockError:  # expired: someone else may hold it now; our work is still correct
                pass

    def project_until(self, seq: int, deadline_s: float = 20.0, events: list | None = None) -> int:
        """Make sure the read side holds `seq` (used before notifying); raise if it cannot.

        `events`: the events ending at `seq` that the caller just committed, in seq order, if it has
        them; they are applied straight away when the read side is right before them (_apply_fresh).
        """
        if events and events[-1]["seq"] == seq:
            cp = self._apply_fresh(events)
            if cp is not None and cp >= seq:
                return cp
        end = time.monotonic() + deadline_s
        while True:
            cp = self.catch_up(wait_s=max(0.1, end - time.monotonic()))
            if cp >= seq:
                return cp
            if time.monotonic() > end:
                raise ProjectionLagging(f"read side at {cp}, needs {seq}")

    def project_fresh(self, events: list[dict]) -> int | None:
        """Apply just-committed `events` if the read side is right before them (no waiting, no
        lock): the checkpoint reached, or None when they are left to a projector."""
        return self._apply_fresh(events)

    def rebuild(self, progress=None) -> int:
        """Replay the whole log into a new set of read models while the current set keeps serving,
        then switch atomically (blue/green: backend/read/rebuild.py)."""
        return rebuild_live(self, progress)

    def _drop_read_models(self) -> None:
        doomed = [k for k in self.r.scan_iter(PREFIX + "*", count=1000)
                  if not k.startswith(KEEP_ON_REBUILD)]
        for i in range(0, len(doomed), 1000):
            self.r.delete(*doomed[i:i + 1000])

    def _claim_store(self) -> bool:
        """Under the lock: make the read models this DB's (a foreign or unlabelled set is dropped
        and replayed from our log; an empty Redis is simply labelled). True if they were ours."""
        sid = self.store_id()
        if sid is None:
            return True
        current = self.r.get(STORE)
        if current == sid:
            return True
        if current is not None or self.r.exists(CHECKPOINT):
            self._drop_read_models()
        self.r.set(STORE, sid)
        return False

    def _project_all(self, lock=None, announce: bool = True) -> int:
        """`announce`: pass what we apply to on_applied -- in a replay into an empty or foreign
        Redis only the events of the last RECENT_S seconds (a tab may wait for them; the rest
        is history)."""
        ours = self._claim_store()
        since = 0.0 if self.r.exists(CHECKPOINT) and ours else time.time() - RECENT_S
        self.r.setnx(CHECKPOINT, 0)
        while True:
            if lock is not None:
                _renew(lock)
            cp = int(self.r.get(CHECKPOINT) or 0)
            with self.session_factory() as session:
                events = [e.as_dict() for e in session.scalars(
                    select(Event).where(Event.seq > cp).order_by(Event.seq).limit(BATCH))]
            mine, applied_all = [], True
            for ev in events:
                done = self._apply(ev)
                if done is None:  # the checkpoint is elsewhere: read again from it
                    applied_all = False
                    break
                if done:
                    mine.append(ev)
            news = [ev for ev in mine if (ev.get("created_at") or 0) >= since]
            if news and announce and self.on_applied is not None:
                self.on_applied(news, mine[-1]["seq"])
            if applied_all and len(events) < BATCH:
                return int(self.r.get(CHECKPOINT) or 0)

    def _apply(self, ev: dict) -> bool | None:
        """Apply one event atomically with the checkpoint: True if this call applied it, False if
        the checkpoint is already past it, None if the checkpoint is before it."""
        with self.r.pipeline(transaction=True) as p:
            while True:
                try:
                    p.watch(CHECKPOINT)
                    cp = int(p.get(CHECKPOINT) or 0)
                    if cp != ev["seq"] - 1:
                        return False if cp >= ev["seq"] else None
                    p.multi()
                    PROJECTIONS[ev["type"]](ev["data"], ev, self.r, p, self.caps)
                    p.set(CHECKPOINT, ev["seq"])
                    p.execute()
                    return True
                except WatchError:
                    continue

    def _apply_fresh(self, events: list[dict]) -> int | None:
        return fast_path.apply_fresh(self, events)


def _renew(lock) -> None:
    """Push the lock's expiry back to its full timeout; if it expired meanwhile, carry on unlocked
    (correctness never rested on it)."""
    try:
        lock.reacquire()
    except LockError:
        pass


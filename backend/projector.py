"""Moves events from the write DB's log into the Redis read models, in order, exactly once.

Correctness does not rest on the lock: each event is applied in its own MULTI/EXEC that WATCHes the
checkpoint and moves it to the event's seq, so two projectors racing apply every event once. The lock
only keeps them from doing the same work twice, and keeps a rebuild from being interleaved.
"""
import time

from redis.exceptions import LockError, WatchError
from sqlalchemy import select

from .projections import CHECKPOINT, LOCK, PREFIX, PROJECTIONS, Caps
from .write_models import Event

BATCH = 500
KEEP_ON_REBUILD = (PREFIX + "command:", LOCK)


class ProjectionLagging(RuntimeError):
    """The read side could not reach a seq in time (another projector holds the lock)."""


class Projector:
    def __init__(self, r, session_factory, caps: Caps = Caps()):
        self.r, self.session_factory, self.caps = r, session_factory, caps

    def checkpoint(self) -> int | None:
        value = self.r.get(CHECKPOINT)
        return None if value is None else int(value)

    def catch_up(self, wait_s: float = 10.0) -> int:
        """Project every event after the checkpoint; return the new checkpoint."""
        lock = self.r.lock(LOCK, timeout=30, blocking_timeout=wait_s)
        try:
            if not lock.acquire():
                return self.checkpoint() or 0
        except LockError:
            return self.checkpoint() or 0
        try:
            return self._project_all()
        finally:
            try:
                lock.release()
            except LockError:  # expired: someone else may hold it now; our work is still correct
                pass

    def project_until(self, seq: int, deadline_s: float = 20.0) -> int:
        """Make sure the read side holds `seq` (used before notifying); raise if it cannot."""
        end = time.monotonic() + deadline_s
        while True:
            cp = self.catch_up(wait_s=max(0.1, end - time.monotonic()))
            if cp >= seq:
                return cp
            if time.monotonic() > end:
                raise ProjectionLagging(f"read side at {cp}, needs {seq}")

    def rebuild(self) -> int:
        """Drop every read model (not command outcomes) and replay the whole log."""
        lock = self.r.lock(LOCK, timeout=600, blocking_timeout=60)
        if not lock.acquire():
            raise ProjectionLagging("could not take the projector lock to rebuild")
        try:
            doomed = [k for k in self.r.scan_iter(PREFIX + "*", count=1000)
                      if not k.startswith(KEEP_ON_REBUILD)]
            for i in range(0, len(doomed), 1000):
                self.r.delete(*doomed[i:i + 1000])
            return self._project_all()
        finally:
            lock.release()

    def _project_all(self) -> int:
        self.r.setnx(CHECKPOINT, 0)
        while True:
            cp = int(self.r.get(CHECKPOINT) or 0)
            with self.session_factory() as session:
                events = [e.as_dict() for e in session.scalars(
                    select(Event).where(Event.seq > cp).order_by(Event.seq).limit(BATCH))]
            applied_all = all(self._apply(ev) for ev in events)  # stops at the first miss
            if applied_all and len(events) < BATCH:
                return int(self.r.get(CHECKPOINT) or 0)

    def _apply(self, ev: dict) -> bool:
        """Apply one event atomically with the checkpoint. False if the checkpoint is elsewhere."""
        with self.r.pipeline(transaction=True) as p:
            while True:
                try:
                    p.watch(CHECKPOINT)
                    cp = int(p.get(CHECKPOINT) or 0)
                    if cp != ev["seq"] - 1:
                        return cp >= ev["seq"]
                    p.multi()
                    PROJECTIONS[ev["type"]](ev["data"], ev, self.r, p, self.caps)
                    p.set(CHECKPOINT, ev["seq"])
                    p.execute()
                    return True
                except WatchError:
                    continue

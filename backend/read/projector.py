"""Moves events from the write DB's log into the Redis read models, in order, exactly once.

Correctness does not rest on the lock: each event is applied in its own MULTI/EXEC that WATCHes the
checkpoint and moves it to the event's seq, so two projectors racing apply every event once. The lock
only keeps them from doing the same work twice, and keeps a rebuild from being interleaved.
"""
import time

from redis.exceptions import LockError, WatchError
from sqlalchemy import select

from backend.read.rebuild import rebuild_live
from backend.read.projections import CHECKPOINT, LOCK, PREFIX, PROJECTIONS, READS_REDIS, STORE, Caps
from backend.write.models import Event, StoreIdentity

BATCH = 500
KEEP_ON_REBUILD = (PREFIX + "command:", LOCK)
# A projector killed while holding the lock stalls the others until it expires: keep it short and
# renew it after every batch (a catch-up of a long log takes many batches).
LOCK_TTL_S = 5


class ProjectionLagging(RuntimeError):
    """The read side could not reach a seq in time (another projector holds the lock)."""


class Projector:
    def __init__(self, r, session_factory, caps: Caps = Caps()):
        self.r, self.session_factory, self.caps = r, session_factory, caps
        self._store_id: str | None = None  # this write DB's identity, read once
        self._store_ok = False             # the read models were seen to mirror this DB

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

    def rebuild(self, progress=None) -> int:
        """Replay the whole log into a new set of read models while the current set keeps serving,
        then switch atomically (blue/green: backend/read/rebuild.py)."""
        return rebuild_live(self, progress)

    def _drop_read_models(self) -> None:
        doomed = [k for k in self.r.scan_iter(PREFIX + "*", count=1000)
                  if not k.startswith(KEEP_ON_REBUILD)]
        for i in range(0, len(doomed), 1000):
            self.r.delete(*doomed[i:i + 1000])

    def _claim_store(self) -> None:
        """Under the lock: make the read models this DB's (a foreign or unlabelled set is dropped
        and replayed from our log; an empty Redis is simply labelled)."""
        sid = self.store_id()
        if sid is None:
            return
        current = self.r.get(STORE)
        if current == sid:
            return
        if current is not None or self.r.exists(CHECKPOINT):
            self._drop_read_models()
        self.r.set(STORE, sid)

    def _project_all(self, lock=None) -> int:
        self._claim_store()
        self.r.setnx(CHECKPOINT, 0)
        while True:
            if lock is not None:
                _renew(lock)
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

    def _apply_fresh(self, events: list[dict]) -> int | None:
        """The worker's fast path: no lock round trips, no SQL read of events it already holds.

        Applies `events` (contiguous seqs) in as few MULTI/EXECs as their projections allow (see
        _chunks), each WATCHing the checkpoint (exactly once, as _apply) and the lock (a catch-up or
        rebuild in progress wins: we step aside). Returns the checkpoint reached, or None when the
        caller must catch up the slow way (earlier events pending, lock held, race).
        """
        cp = None
        for chunk in _chunks(events):
            cp = self._apply_chunk(chunk)
            if cp is None or cp < chunk[-1]["seq"]:
                return cp
        return cp

    def _apply_chunk(self, events: list[dict]) -> int | None:
        first, last = events[0]["seq"], events[-1]["seq"]
        with self.r.pipeline(transaction=True) as p:
            try:
                sid = self.store_id()
                p.watch(CHECKPOINT, LOCK, STORE)
                cp, locked, store = p.mget(CHECKPOINT, LOCK, STORE)
                if sid is not None and store != sid:
                    return None  # not our read models (yet): the slow path claims them
                if cp is not None and int(cp) >= last:
                    return int(cp)
                if locked or cp is None or int(cp) != first - 1:
                    return None
                p.multi()
                for ev in events:
                    PROJECTIONS[ev["type"]](ev["data"], ev, self.r, p, self.caps)
                p.set(CHECKPOINT, last)
                p.execute()
                return last
            except WatchError:
                return None


def _chunks(events: list[dict]) -> list[list[dict]]:
    """Split a run of events where a projection reads Redis while it is being queued (READS_REDIS):
    such an event starts a new MULTI/EXEC, so that what it reads already includes the events before
    it. The others queue only writes (a Lua script reads inside the transaction), so they share one."""
    chunks: list[list[dict]] = []
    for ev in events:
        if not chunks or ev["type"] in READS_REDIS:
            chunks.append([])
        chunks[-1].append(ev)
    return chunks


def _renew(lock) -> None:
    """Push the lock's expiry back to its full timeout; if it expired meanwhile, carry on unlocked
    (correctness never rested on it)."""
    try:
        lock.reacquire()
    except LockError:
        pass


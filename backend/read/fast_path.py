"""The worker's fast path into the read models: the events a drain job has just committed, applied
straight away (no lock round trips, no SQL read of events it already holds), still exactly once.
"""
from redis.exceptions import WatchError

from backend.read.projections import CHECKPOINT, LOCK, PROJECTIONS, READS_REDIS, STORE


def apply_fresh(projector, events: list[dict]) -> int | None:
    """The worker's fast path: no lock round trips, no SQL read of events it already holds.

    Applies `events` (contiguous seqs) in as few MULTI/EXECs as their projections allow (see
    _chunks), each WATCHing the checkpoint (exactly once, as _apply) and the lock (a catch-up or
    rebuild in progress wins: we step aside). Returns the checkpoint reached, or None when the
    caller must catch up the slow way (earlier events pending, lock held, race).
    """
    cp, mine = None, []
    for chunk in _chunks(events):
        cp, applied = _apply_chunk(projector, chunk)
        mine += chunk if applied else []
        if cp is None or cp < chunk[-1]["seq"]:
            break
    if mine and projector.on_applied is not None:
        projector.on_applied(mine, mine[-1]["seq"])
    return cp


def _apply_chunk(projector, events: list[dict]) -> tuple[int | None, bool]:
    """(checkpoint reached or None, whether this call applied `events`)."""
    first, last = events[0]["seq"], events[-1]["seq"]
    with projector.r.pipeline(transaction=True) as p:
        try:
            sid = projector.store_id()
            p.watch(CHECKPOINT, LOCK, STORE)
            cp, locked, store = p.mget(CHECKPOINT, LOCK, STORE)
            if sid is not None and store != sid:
                return None, False  # not our read models (yet): the slow path claims them
            if cp is not None and int(cp) >= last:
                return int(cp), False
            if locked or cp is None or int(cp) != first - 1:
                return None, False
            p.multi()
            for ev in events:
                PROJECTIONS[ev["type"]](ev["data"], ev, projector.r, p, projector.caps)
            p.set(CHECKPOINT, last)
            p.execute()
            return last, True
        except WatchError:
            return None, False


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

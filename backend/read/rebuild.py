"""Blue/green rebuild of the read models, live (Marten's approach).

1. Replay the whole log into a new key space ("ripple-next:") while the current read models keep
   serving and the live projector keeps projecting (no lock held).
2. Catch the new set up with the events that arrived meanwhile, until it is close to the head.
3. Take the projector lock (live projection pauses for a moment: commands still commit), apply the
   last few events, and switch in ONE MULTI/EXEC: delete the live keys the new set lacks, RENAME
   every new key over its live name. A reader sees the old set or the new one, never a mix, never
   an empty page. The checkpoint moves with the set, so the live projector carries on after it.
"""
import time

from backend.read.projections import CHECKPOINT, LOCK, PREFIX, STORE
from backend.read.keyspace import drop_prefix, keys_of
from backend.read.replay import log_head, replay, scratch_caps

NEXT = "ripple-next:"
# Live keys that are not read models of the log: never deleted by a switch.
KEEP = (PREFIX + "command:", LOCK, STORE, PREFIX + "demo")
CLOSE_ENOUGH = 200  # events behind the head at which the final, locked catch-up starts
PROGRESS = "ripple-rebuild"          # hash: the last rebuild's progress (the inspector shows it)
RUNNING = "ripple-rebuild:running"   # one rebuild started from the web at a time


class RebuildFailed(RuntimeError):
    pass


def rebuild_live(projector, progress=None, lock_timeout_s: float = 60.0) -> int:
    """Rebuild the read models without taking them away from readers; return the new checkpoint.
    `progress(done, total)` is called as events are replayed."""
    r, sf = projector.r, projector.session_factory
    caps = scratch_caps(projector.caps, NEXT)
    drop_prefix(r, NEXT)
    total, done, started = log_head(sf), 0, time.time()
    _publish(r, state="running", done=0, total=total, rate=0, eta_s=0, started_at=started)

    def tick(n):
        now, seen = done + n, max(total, done + n)
        rate = now / max(time.time() - started, 1e-6)
        _publish(r, done=now, total=seen, rate=round(rate), eta_s=round((seen - now) / rate, 1))
        progress and progress(now, seen)

    cp = replay(r, sf, caps, 0, None, tick)
    done = cp
    while log_head(sf) - cp > CLOSE_ENOUGH:  # commands kept flowing: catch up without the lock
        total = log_head(sf)
        cp = replay(r, sf, caps, cp, None, tick)
        done = cp
    lock = r.lock(LOCK, timeout=lock_timeout_s, blocking_timeout=lock_timeout_s, sleep=0.002)
    if not lock.acquire():
        drop_prefix(r, NEXT)
        raise RebuildFailed("could not take the projector lock to switch")
    try:
        cp = replay(r, sf, caps, cp, None, tick)  # the last few, while live projection waits
        r.set(NEXT + "checkpoint", cp)
        _switch(r, projector.store_id())
    finally:
        try:
            lock.release()
        except Exception:  # noqa: BLE001 -- expired: the switch is done either way
            pass
    progress and progress(cp, max(total, cp))
    _publish(r, state="done", done=cp, total=cp, eta_s=0, finished_at=time.time(), seq=cp)
    return cp


def _publish(r, **fields) -> None:
    r.hset(PROGRESS, mapping=fields)
    r.expire(PROGRESS, 3600)


def status(r) -> dict:
    """The last rebuild's progress: {"state": "idle"} if none ran lately."""
    raw = r.hgetall(PROGRESS)
    if not raw:
        return {"state": "idle"}
    out = {"state": raw.pop("state")}
    for key, value in raw.items():
        out[key] = float(value) if "." in value else int(value)
    return out


def run_in_background(projector, r) -> None:
    """The demo's "Rebuild read models" button: the rebuild in this thread, then the guard goes."""
    try:
        rebuild_live(projector)
    except Exception:  # noqa: BLE001 -- shown as failed; the current read models keep serving
        _publish(r, state="failed", finished_at=time.time())
        raise
    finally:
        r.delete(RUNNING)


def _switch(r, store_id: str | None) -> None:
    new = keys_of(r, NEXT)
    live_names = {PREFIX + k[len(NEXT):]: k for k in new}
    old = [k for k in keys_of(r, PREFIX) if not k.startswith(KEEP) and k not in live_names]
    with r.pipeline(transaction=True) as p:
        for i in range(0, len(old), 2000):
            p.delete(*old[i:i + 2000])
        for live, nxt in live_names.items():
            p.rename(nxt, live)
        if store_id is not None:
            p.set(STORE, store_id)
        p.execute()
    if CHECKPOINT not in live_names:  # an empty log: nothing was replayed
        r.set(CHECKPOINT, 0)

"""Pipelined replay: the event log -> a key space, with the live projection functions.

A key space is a prefix: the live read models ("ripple:"), a time-travel snapshot ("ripple-tt:<id>:")
or the next generation of a blue/green rebuild ("ripple-next:"). The projections are the very ones
the live projector runs (backend/read/projections.py, parameterised by `Caps.prefix`); only the
transport differs: no MULTI/EXEC per event, but one pipeline round trip per run of events, flushed
before a projection that reads Redis (READS_REDIS) so it sees the events before it. That is safe
because nobody reads a scratch key space until it is complete.
"""
import time
from dataclasses import replace

from sqlalchemy import func, select

from backend.read.projections import PREFIX, PROJECTIONS, READS_REDIS, Caps
from backend.write.models import Event, LogHead

READ_BATCH = 5000   # events per SQL read
FLUSH_AT = 4000     # queued Redis commands per round trip, at most


def log_head(session_factory) -> int:
    """The last committed event's seq (the event store's own head row)."""
    with session_factory() as session:
        head = session.scalar(select(LogHead.seq).where(LogHead.id == 1))
        if head is None:
            head = session.scalar(select(func.max(Event.seq)))
    return int(head or 0)


def read_events(session_factory, after: int, until: int | None = None, batch: int = READ_BATCH):
    """Yield lists of events (dicts, seq order) with after < seq <= until, a batch at a time."""
    cols = (Event.seq, Event.type, Event.data, Event.command_id, Event.author, Event.created_at)
    while until is None or after < until:
        query = select(*cols).where(Event.seq > after)
        if until is not None:
            query = query.where(Event.seq <= until)
        with session_factory() as session:
            rows = session.execute(query.order_by(Event.seq).limit(batch)).all()
        if not rows:
            return
        yield [{"seq": s, "type": t, "data": d, "command_id": c, "author": a, "created_at": at}
               for s, t, d, c, a, at in rows]
        after = rows[-1][0]
        if len(rows) < batch:
            return


class Confined:
    """A Redis client or pipeline that refuses keys of the live read models: a projection written
    with a hard-coded live key (not `caps.prefix`) fails loudly in a scratch replay instead of
    silently changing what everyone sees."""

    def __init__(self, inner, live: str = PREFIX):
        self._inner, self._live = inner, live

    def __len__(self):
        return len(self._inner)

    def __getattr__(self, name):
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            for a in args:
                if isinstance(a, str) and a.startswith(self._live):
                    raise RuntimeError(f"scratch replay touched live key {a!r} ({name})")
            return attr(*args, **kwargs)
        return call


def apply_events(r, events: list[dict], caps: Caps, checkpoint_key: str | None = None) -> None:
    """Project `events` (contiguous, seq order) into `caps.prefix`, pipelined."""
    scratch = caps.prefix != PREFIX
    reader = Confined(r) if scratch else r
    with r.pipeline(transaction=False) as raw:
        p = Confined(raw) if scratch else raw
        for ev in events:
            if ev["type"] in READS_REDIS and len(raw):
                raw.execute()  # it reads Redis: the events before it must be there
            PROJECTIONS[ev["type"]](ev["data"], ev, reader, p, caps)
            if len(raw) >= FLUSH_AT:
                raw.execute()
        if checkpoint_key and events:
            raw.set(checkpoint_key, events[-1]["seq"])
        raw.execute()


def replay(r, session_factory, caps: Caps, after: int = 0, until: int | None = None,
           progress=None) -> int:
    """Replay events after `after` (up to `until`, else the head) into `caps.prefix`; its
    checkpoint key follows. Returns the last seq applied (or `after`). `progress(done)` is called
    per batch with the number of events applied so far."""
    done, last = 0, after
    for events in read_events(session_factory, after, until):
        apply_events(r, events, caps, caps.prefix + "checkpoint")
        done, last = done + len(events), events[-1]["seq"]
        if progress:
            progress(done)
    return last


def scratch_caps(caps: Caps, prefix: str) -> Caps:
    return replace(caps, prefix=prefix)


def keys_of(r, prefix: str) -> list[str]:
    return list(r.scan_iter(prefix + "*", count=5000))


def drop_prefix(r, prefix: str) -> int:
    keys = keys_of(r, prefix)
    for i in range(0, len(keys), 2000):
        r.unlink(*keys[i:i + 2000])
    return len(keys)


def copy_prefix(r, source: str, target: str) -> int:
    """COPY every key of one key space into another (Redis >= 6.2), pipelined."""
    keys = keys_of(r, source)
    with r.pipeline(transaction=False) as p:
        for i, key in enumerate(keys, start=1):
            p.copy(key, target + key[len(source):], replace=True)
            if i % FLUSH_AT == 0:
                p.execute()
        p.execute()
    return len(keys)


class Rate:
    """events/s and ETA for a progress display."""

    def __init__(self, total: int):
        self.total, self.start = max(total, 1), time.monotonic()

    def line(self, done: int) -> str:
        elapsed = max(time.monotonic() - self.start, 1e-6)
        rate = done / elapsed
        eta = (self.total - done) / rate if rate else 0.0
        width, filled = 30, int(30 * min(done, self.total) / self.total)
        return (f"[{'#' * filled}{'.' * (width - filled)}] {done:,}/{self.total:,} events · "
                f"{rate:,.0f} events/s · ETA {max(eta, 0):.1f} s")

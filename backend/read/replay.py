"""Replay: the event log -> a key space, with the live projection functions.

A key space is a prefix: the live read models ("ripple:"), a time-travel snapshot ("ripple-tt:<id>:")
or the next generation of a blue/green rebuild ("ripple-next:"). The projections are the very ones
the live projector runs (backend/read/projections.py, parameterised by `Caps.prefix`); only the
transport differs. From scratch (an empty key space), the events are folded in memory and the final
keys written in bulk (backend/read/bulk_replay.py). After a checkpoint: one pipeline of thousands
of commands, flushed before a projection reads a key with writes still queued (so it sees the
events before it). Both are safe because nobody reads a scratch key space until it is complete.
"""
import time
from dataclasses import replace

from sqlalchemy import func, select

from backend.read.bulk_replay import fold_replay
from backend.read.log_stream import stream_events
from backend.read.prefetch import prefetched
from backend.read.projections import PREFIX, PROJECTIONS, Caps
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


def _refuse(keys, live: str, name: str) -> None:
    """A projection written with a hard-coded live key (not `caps.prefix`) fails loudly in a
    scratch replay instead of silently changing what everyone sees."""
    for key in keys:
        if isinstance(key, str) and key.startswith(live):
            raise RuntimeError(f"scratch replay touched live key {key!r} ({name})")


class _Batch:
    """The pipeline of a replay (after a checkpoint: a replay from scratch is folded in memory,
    backend/read/bulk_replay.py), plus which keys have writes queued: a read of one flushes first.
    An EVAL's writes are not known by key: while one is queued every read flushes."""

    def __init__(self, r, forbid: str | None = None):
        self.r, self.raw = r, r.pipeline(transaction=False)
        self.forbid = forbid  # a scratch replay: keys of the live read models are refused
        self._shas = {}
        self.pending, self.eval_pending = set(), False

    def queue(self, name, args):
        if name == "eval":
            self.eval_pending = True
            keys = args[2:2 + int(args[1])]
        else:
            keys = args[:1] if name != "delete" else args
        if self.forbid is not None:
            _refuse(keys, self.forbid, name)
        self.pending.update(keys)

    def flush(self):
        if len(self.raw):
            stack, self.raw.command_stack = self.raw.command_stack, []
            ship(self.r, stack, self._shas)
        self.pending.clear()
        self.eval_pending = False

    def read(self, name, args, kwargs):
        key = args[0]
        if self.forbid is not None:
            _refuse(args[:1], self.forbid, name)
        if self.eval_pending or key in self.pending:
            self.flush()
        return getattr(self.r, name)(*args, **kwargs)


# The commands a projection queued, run by Redis itself in one script call per few thousand: redis-py
# still builds every command (the projection's own calls), only the transport changes, so the client
# neither sends nor parses a reply per command. An EVAL the projection queued (the fan-out) runs
# between two such calls, as EVALSHA, in order.
_RUN = """
local i, n = 1, #ARGV
while i <= n do
  local c = tonumber(ARGV[i])
  redis.call(unpack(ARGV, i + 1, i + c))
  i = i + c + 1
end
return 0
"""
_RUN_ARGS = 20000  # ARGV entries per script call


def ship(r, stack, shas: dict) -> None:
    encode = r.get_encoder().encode
    if _RUN not in shas:
        shas[_RUN] = r.script_load(_RUN)
    with r.pipeline(transaction=False) as out:
        run: list = []

        def send():
            if run:
                out.evalsha(shas[_RUN], 0, *run)
                run.clear()
        for args, _options in stack:
            if args[0].upper() == "EVAL":
                send()
                script = args[1]
                if script not in shas:
                    shas[script] = r.script_load(script)
                out.evalsha(shas[script], *args[2:])
                continue
            run.append(len(args))
            run.extend(a if isinstance(a, (str, bytes)) else encode(a) for a in args)
            if len(run) >= _RUN_ARGS:
                send()
        send()
        out.execute()


class _Writer:
    def __init__(self, batch):
        self._b = batch

    def __getattr__(self, name):
        def call(*args, **kwargs):
            self._b.queue(name, args)
            return getattr(self._b.raw, name)(*args, **kwargs)
        return call


class _Reader:
    def __init__(self, batch):
        self._b = batch

    def __getattr__(self, name):
        return lambda *args, **kwargs: self._b.read(name, args, kwargs)


def apply_events(r, events: list[dict], caps: Caps, checkpoint_key: str | None = None,
                 batch: "_Batch | None" = None) -> None:
    """Project `events` (contiguous, seq order) into `caps.prefix`, pipelined: round trips only
    when a projection reads a key with writes still queued (see _Batch), or every FLUSH_AT."""
    batch = batch or _Batch(r, forbid=None if caps.prefix == PREFIX else PREFIX)
    reader, p = _Reader(batch), _Writer(batch)
    for ev in events:
        PROJECTIONS[ev["type"]](ev["data"], ev, reader, p, caps)
        if len(batch.raw) >= FLUSH_AT:
            batch.flush()
    if checkpoint_key and events:
        batch.raw.set(checkpoint_key, events[-1]["seq"])
    batch.flush()


def replay(r, session_factory, caps: Caps, after: int = 0, until: int | None = None,
           progress=None) -> int:
    """Replay events after `after` (up to `until`, else the head) into `caps.prefix`; its
    checkpoint key follows. Returns the last seq applied (or `after`). `progress(done)` is called
    per batch with the number of events applied so far."""
    forbid = None if caps.prefix == PREFIX else PREFIX
    if after == 0 and not r.exists(caps.prefix + "checkpoint"):  # from scratch: folded in memory
        return fold_replay(r, prefetched(stream_events(session_factory, 0, until)), caps,
                           caps.prefix + "checkpoint", progress, forbid)
    done, last, batch = 0, after, _Batch(r, forbid=forbid)
    for events in read_events(session_factory, after, until):
        apply_events(r, events, caps, caps.prefix + "checkpoint", batch)
        done, last = done + len(events), events[-1]["seq"]
        if progress:
            progress(done)
    return last


def scratch_caps(caps: Caps, prefix: str) -> Caps:
    return replace(caps, prefix=prefix)


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

"""Scoped replay: some events of the log, through the live projection functions, into a scratch key
space, keeping only the writes to a given set of keys (the scope).

A projection is run as it is (backend/read/projections.py); only its transport changes:
- a write to a key outside the scope is dropped; so is the fan-out EVAL unless `fan_out` is on
  (it writes feeds, which only a feed scope keeps);
- a read of a key outside the scope, or not written yet, answers "empty" without a round trip:
  the scratch key space starts empty and nothing outside the scope is ever written there, so that
  is exactly what Redis would answer;
- a read of a key inside the scope flushes the queued writes to it first (it sees the events
  before it, as in the live projector).
So a key of the scope ends up as the live read models held it after the same events, as long as
the events given are every event that writes it, and every key its writes depend on (through a
projection's read) is in the scope too. Choosing such events and keys is backend/read/time_travel.py's
job; this module only applies them. Nothing here writes outside `caps.prefix`.
"""
from dataclasses import replace

from sqlalchemy import select

from backend.read.projections import PROJECTIONS, Caps
from backend.read.replay import ship
from backend.write.models import Event

SQL_IN = 2000  # seqs per IN (...) list, at most
COLUMNS = (Event.seq, Event.type, Event.data, Event.command_id, Event.author, Event.created_at)
_EMPTY = {"zrange": list, "zrevrange": list, "get": lambda: None, "hgetall": dict,
          "smembers": set, "zscore": lambda: None, "exists": int, "lrange": list}


def _event(row) -> dict:
    seq, kind, data, command_id, author, at = row
    return {"seq": seq, "type": kind, "data": data, "command_id": command_id, "author": author,
            "created_at": at}


def events_at(session_factory, seqs) -> list[dict]:
    """The events with these seqs (an event-store read by primary key), in seq order."""
    seqs, out = sorted(set(seqs)), []
    with session_factory() as session:
        for i in range(0, len(seqs), SQL_IN):
            rows = session.execute(select(*COLUMNS).where(Event.seq.in_(seqs[i:i + SQL_IN]))
                                   .order_by(Event.seq)).all()
            out += [_event(row) for row in rows]
    return out


class _Transport:
    def __init__(self, r, keys: set, fan_out: bool, p=None, written: set | None = None):
        self.r, self.keys, self.fan_out = r, keys, fan_out
        self.p = p if p is not None else r.pipeline(transaction=False)
        self.shas: dict = {}
        self.pending, self.eval_seen = set(), False  # an EVAL's writes are not known by key
        self.written = written if written is not None else set()

    def write(self, name, args, kwargs):
        if name == "eval":
            if self.fan_out:
                self.p.eval(*args, **kwargs)
                self.eval_seen = True
                self.pending.add(None)  # a read flushes it first
            return
        if name == "delete":
            args = tuple(k for k in args if k in self.keys)
            if not args:
                return
        elif args[0] not in self.keys:
            return
        getattr(self.p, name)(*args, **kwargs)
        keys = args if name == "delete" else args[:1]
        self.pending.update(keys)
        self.written.update(keys)

    def read(self, name, args, kwargs):
        key = args[0]
        if key not in self.keys or (key not in self.written and not self.eval_seen):
            return _EMPTY[name]()  # never written in the scratch key space: empty in Redis too
        if key in self.pending or None in self.pending:
            self.flush()
        return getattr(self.r, name)(*args, **kwargs)

    def flush(self):
        """The queued commands run by Redis in one script call per few thousand (replay.ship):
        no reply per command to parse, which was most of a page's client time."""
        if len(self.p):
            stack, self.p.command_stack = self.p.command_stack, []
            ship(self.r, stack, self.shas)
        self.pending.clear()


class _Writer:
    def __init__(self, t):
        self._t = t

    def __getattr__(self, name):
        return lambda *args, **kwargs: self._t.write(name, args, kwargs)


class _Reader:
    def __init__(self, t):
        self._t = t

    def __getattr__(self, name):
        return lambda *args, **kwargs: self._t.read(name, args, kwargs)


def scoped_replay(r, events: list[dict], caps: Caps, keys: set, fan_out: bool = False,
                  written: set | None = None) -> set:
    """Apply `events` (seq order) into `caps.prefix` (a fresh key space), keeping only the writes
    to `keys` (full key names) and, with `fan_out`, the feed fan-out. `written`: the keys written
    there before (by an earlier call or a RESTORE), updated; a read of any other key answers empty
    without a round trip. Returns the keys written (not the fan-out's feeds)."""
    if not all(k.startswith(caps.prefix) for k in keys):
        raise ValueError("a scoped replay writes only inside its own key space")
    t = _Transport(r, set(keys), fan_out, written=written)
    reader, writer = _Reader(t), _Writer(t)
    for ev in events:
        PROJECTIONS[ev["type"]](ev["data"], ev, reader, writer, caps)
    t.flush()
    return t.written


def keep_only(p, keys: set, caps: Caps, events: list[dict]) -> None:
    """Queue on pipeline `p` the writes to `keys` of `events`, for projections that never read
    (post_created, post_deleted): the audit index keeps its own timeline this way."""
    writer = _Writer(_Transport(None, set(keys), False, p))
    for ev in events:
        PROJECTIONS[ev["type"]](ev["data"], ev, _NoReads(), writer, caps)


class _NoReads:
    def __getattr__(self, name):
        raise RuntimeError(f"this projection reads Redis ({name}); keep_only cannot run it")


def with_prefix(caps: Caps, prefix: str) -> Caps:
    return replace(caps, prefix=prefix)

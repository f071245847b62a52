"""A replay from scratch, folded: the whole log into an empty key space in a few bulk commands per key.

The live projections run unchanged against an in-memory key space (backend/read/fold.py), so every
event costs Python work only, no round trip and no command on the wire; what reaches Redis is the
final contents of each key (one HSET per hash, ZADD / SADD / RPUSH with thousands of members), a
few hundred thousand arguments per round trip, then the checkpoint, last. Nobody reads a scratch
key space before its checkpoint is there (the blue/green switch, a time-travel snapshot), so being
written key by key is fine.
"""
from redis.exceptions import ResponseError

from backend.read.fold import ZSet, Fold
from backend.read.projections import PROJECTIONS

SEND_BYTES = 1 << 20  # bytes of commands per send
CHUNK = 10_000        # members per ZADD / SADD / RPUSH
DEL_EVERY = 1_000     # keys per DEL: a leftover key is replaced, never merged into


def fold_events(fold: Fold, batches, caps, progress=None) -> int:
    """Apply every batch of events (seq order) to `fold`; return the last seq (0 if none)."""
    done, last = 0, 0
    for events in batches:
        for ev in events:
            PROJECTIONS[ev["type"]](ev["data"], ev, fold, fold, caps)
        done, last = done + len(events), events[-1]["seq"]
        if progress:
            progress(done)
    return last


def _commands(key: str, value):
    """The commands that make `key` hold `value` (a Fold value), in chunks."""
    kind = type(value)
    if kind is str:
        yield ("SET", key, value)
    elif kind is dict:
        yield ("HSET", key, *[x for pair in value.items() for x in pair])
    elif kind is ZSet:
        pairs = list(value.d.items())
        for i in range(0, len(pairs), CHUNK):
            yield ("ZADD", key, *[x for m, s in pairs[i:i + CHUNK] for x in (s, m)])
    else:
        items, verb = list(value), "RPUSH" if kind is list else "SADD"
        for i in range(0, len(items), CHUNK):
            yield (verb, key, *items[i:i + CHUNK])


def _pack(conn):
    try:
        from hiredis import pack_command
        return pack_command
    except ImportError:  # redis-py's own packer: slower, same bytes
        return lambda args: b"".join(conn.pack_command(*args))


def send_all(r, commands) -> int:
    """Send `commands` (tuples) on one connection, a chunk of about SEND_BYTES at a time, reading
    the replies to one chunk while Redis works through the next; raise the first error reply after
    reading them all. Returns how many were sent."""
    pool = r.connection_pool
    conn = pool.get_connection()
    pack, error, sent, unread = _pack(conn), None, 0, 0
    try:
        buf, size = [], 0
        for command in commands:
            packed = pack(command)
            buf.append(packed)
            size += len(packed)
            if size >= SEND_BYTES:
                conn.send_packed_command([b"".join(buf)], check_health=False)
                error = _read(conn, unread, error)
                sent, unread, buf, size = sent + len(buf), len(buf), [], 0
        if buf:
            conn.send_packed_command([b"".join(buf)], check_health=False)
        error = _read(conn, unread + len(buf), error)
        sent += len(buf)
    except BaseException:
        conn.disconnect()  # replies may still be on the way: never hand this socket back
        raise
    finally:
        pool.release(conn)
    if error is not None:
        raise error
    return sent


def _read(conn, n: int, error):
    for _ in range(n):
        try:
            conn.read_response()
        except ResponseError as e:
            error = error or e
    return error


def write_out(r, data: dict, checkpoint_key: str | None, seq: int) -> int:
    """Write every key of `data` (a Fold's), replacing what was there; the checkpoint last.
    Returns the number of keys written."""
    keys = [k for k, v in data.items() if type(v) is str or (v.d if type(v) is ZSet else v)]

    def commands():
        for i in range(0, len(keys), DEL_EVERY):
            chunk = keys[i:i + DEL_EVERY]
            yield ("DEL", *chunk)
            for key in chunk:
                yield from _commands(key, data[key])
        if checkpoint_key is not None:
            yield ("SET", checkpoint_key, seq)
    send_all(r, commands())
    return len(keys)


def fold_replay(r, batches, caps, checkpoint_key: str | None, progress=None,
                forbid: str | None = None) -> int:
    """Replay `batches` of events (the log from its first event) into the empty key space
    `caps.prefix`; return the last seq applied (0 for an empty log, no checkpoint written)."""
    fold = Fold(forbid)
    last = fold_events(fold, batches, caps, progress)
    fold.refuse_forbidden()
    if last:
        write_out(r, fold.data, checkpoint_key, last)
    return last

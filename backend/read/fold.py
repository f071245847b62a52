"""An in-memory key space for a replay from scratch: the live projections run against it, unchanged.

`Fold` answers the Redis commands the projections call (backend/read/projections.py) with Redis's
own semantics, on Python dicts, sets, lists and sorted sets, so a replay into an empty key space
costs no round trip per event: the events are folded into the final contents of every key, which
backend/read/bulk_replay.py then writes out with a few bulk commands per key. A projection calling
a command not emulated here fails loudly (AttributeError) rather than being skipped, and an EVAL
runs only a script that has a Python twin (backend/read/fold_scripts.py), itself written against the same
commands. Values are stored as Redis stores them: strings (the encoding redis-py applies), float
scores, and a key whose collection becomes empty is gone.
"""
from heapq import heappush

from backend.read.fold_scripts import SCRIPTS
from backend.read.fold_values import ZSet, WrongType, enc, ranks as _ranks


class Fold:
    """The key space. `forbid`: a prefix no key may have (the live read models, in a scratch
    replay)."""

    def __init__(self, forbid: str | None = None):
        self.data: dict = {}
        self.forbid = forbid

    def _guard(self, key: str) -> None:
        if self.forbid is not None and key.startswith(self.forbid):
            raise RuntimeError(f"scratch replay touched live key {key!r}")

    def _w(self, key: str, kind):
        """The value of `key` for a write, created empty if missing. (Written keys are checked
        against `forbid` once, by `refuse_forbidden`, before anything reaches Redis.)"""
        value = self.data.get(key)
        if value is None:
            value = self.data[key] = kind()
        elif type(value) is not kind:
            raise WrongType(f"{key!r} holds a {type(value).__name__}, not a {kind.__name__}")
        return value

    def refuse_forbidden(self) -> None:
        if self.forbid is not None:
            for key in self.data:
                self._guard(key)

    def _r(self, key: str, kind):
        """The value of `key` for a read (None when missing)."""
        self._guard(key)
        value = self.data.get(key)
        if value is not None and type(value) is not kind:
            raise WrongType(f"{key!r} holds a {type(value).__name__}, not a {kind.__name__}")
        return value

    def _prune(self, key: str, value) -> None:
        if not (value.d if type(value) is ZSet else value):
            del self.data[key]

    # strings and keys
    def set(self, key, value):
        self.data[key] = enc(value)

    def get(self, key):
        return self._r(key, str)

    def delete(self, *keys):
        for key in keys:  # (a deleted key leaves nothing for refuse_forbidden to see)
            self._guard(key)
        return sum(self.data.pop(k, None) is not None for k in keys)

    def exists(self, *keys):
        return sum(1 for k in keys if self.data.get(k) is not None)

    # hashes
    def hset(self, key, field=None, value=None, mapping=None):
        h = self._w(key, dict)
        if field is not None:
            h[enc(field)] = enc(value)
        for f, v in (mapping or {}).items():
            h[enc(f)] = enc(v)

    def hincrby(self, key, field, amount=1):
        h, field = self._w(key, dict), enc(field)
        value = h[field] = str(int(h.get(field, "0")) + int(amount))
        return int(value)

    def hget(self, key, field):
        return (self._r(key, dict) or {}).get(enc(field))

    def hgetall(self, key):
        return dict(self._r(key, dict) or {})

    # sets
    def sadd(self, key, *members):
        s = self._w(key, set)
        before = len(s)
        s.update(enc(m) for m in members)
        return len(s) - before

    def srem(self, key, *members):
        s = self._w(key, set)
        before = len(s)
        s.difference_update(enc(m) for m in members)
        self._prune(key, s)
        return before - len(s)

    def smembers(self, key):
        return set(self._r(key, set) or ())

    # lists
    def rpush(self, key, *values):
        items = self._w(key, list)
        items.extend(enc(v) for v in values)
        return len(items)

    def lrange(self, key, start, stop):
        items = self._r(key, list) or []
        lo, hi = _ranks(len(items), start, stop)
        return items[lo:hi]

    # sorted sets
    def zadd(self, key, mapping):
        z = self.data.get(key)
        if type(z) is not ZSet:
            z = self._w(key, ZSet)
        d, heap = z.d, z.heap
        before = len(d)
        for member, score in mapping.items():
            member, score = member if type(member) is str else enc(member), float(score)
            d[member] = score
            if heap is not None:
                heappush(heap, (score, member))
        return len(d) - before

    def zincrby(self, key, amount, member):
        z, member = self._w(key, ZSet), enc(member)
        score = z.d.get(member, 0.0) + float(amount)
        z.add(member, score)
        return score

    def zrem(self, key, *members):
        z = self._w(key, ZSet)
        gone = sum(z.d.pop(enc(m), None) is not None for m in members)
        self._prune(key, z)
        return gone

    def zremrangebyrank(self, key, start, stop):
        z = self.data.get(key)
        if z is None:
            return 0
        if type(z) is not ZSet:
            z = self._w(key, ZSet)  # raises WrongType
        if start == 0 and len(z.d) + stop < 0:  # a cap not reached: the common case, quickly
            return 0
        lo, hi = _ranks(len(z.d), start, stop)
        if hi <= lo:
            return 0
        if lo == 0:
            gone = z.pop_lowest(hi)
        else:
            doomed = z.ordered()[lo:hi]
            for member, _ in doomed:
                del z.d[member]
            gone = len(doomed)
        self._prune(key, z)
        return gone

    def zscore(self, key, member):
        return (self._r(key, ZSet) or ZSet()).d.get(enc(member))

    def zcard(self, key):
        z = self._r(key, ZSet)
        return len(z.d) if z else 0

    def zrange(self, key, start, end, desc=False, withscores=False):
        z = self._r(key, ZSet)
        if z is None:
            return []
        pairs = z.ordered()
        if desc:
            pairs.reverse()
        lo, hi = _ranks(len(pairs), start, end)
        return pairs[lo:hi] if withscores else [m for m, _ in pairs[lo:hi]]

    def zrevrange(self, key, start, end, withscores=False):
        return self.zrange(key, start, end, desc=True, withscores=withscores)

    # scripts: only those with a Python twin (fold_scripts.SCRIPTS)
    def eval(self, script, numkeys, *keys_and_args):
        twin = SCRIPTS.get(script)
        if twin is None:
            raise NotImplementedError("a script without a Python twin (fold_scripts.SCRIPTS)")
        numkeys = int(numkeys)
        return twin(self, [enc(k) for k in keys_and_args[:numkeys]],
                    [enc(a) for a in keys_and_args[numkeys:]])


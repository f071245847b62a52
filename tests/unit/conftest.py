"""Unit tier: pure functions and the write models on in-memory SQLite. No network, no processes.

MemoryRedis is a test double for the dozen Redis commands the projections and notifications call.
It is used only here; the integration tier runs the same functions against a real redis-server.
"""
import pytest
from sqlalchemy.orm import Session

from backend.write.models import User, init_db, make_engine, make_session_factory

WRITES = {"set", "hset", "hincrby", "zadd", "zincrby", "zrem", "zremrangebyrank", "sadd", "srem", "rpush",
          "delete", "eval"}


def _enc(value) -> str:
    """What Redis stores (and redis-py with decode_responses returns): strings."""
    return repr(value) if isinstance(value, float) else str(value)


def _ranks(n: int, start: int, stop: int) -> slice:
    """Redis rank range (inclusive, negative from the end) as a Python slice."""
    start, stop = (start + n if start < 0 else start), (stop + n if stop < 0 else stop)
    return slice(max(start, 0), max(stop + 1, 0))


class MemoryRedis:
    def __init__(self):
        self.data: dict[str, object] = {}

    def _get(self, key, kind):
        return self.data.setdefault(key, kind())

    def _prune(self, key):
        if key in self.data and not self.data[key]:
            del self.data[key]

    def set(self, key, value):
        self.data[key] = _enc(value)

    def get(self, key):
        return self.data.get(key)

    def exists(self, *keys):
        return sum(k in self.data for k in keys)

    def delete(self, *keys):
        return sum(self.data.pop(k, None) is not None for k in keys)

    def hset(self, key, field=None, value=None, mapping=None):
        fields = dict(mapping or {}) | ({field: value} if field is not None else {})
        self._get(key, dict).update({f: _enc(v) for f, v in fields.items()})

    def hget(self, key, field):
        return self.data.get(key, {}).get(field)

    def hgetall(self, key):
        return dict(self.data.get(key, {}))

    def hincrby(self, key, field, amount=1):
        h = self._get(key, dict)
        h[field] = str(int(h.get(field, 0)) + amount)
        return int(h[field])

    def zadd(self, key, mapping):
        self._get(key, dict).update({_enc(m): float(s) for m, s in mapping.items()})

    def zincrby(self, key, amount, member):
        z = self._get(key, dict)
        z[_enc(member)] = z.get(_enc(member), 0.0) + amount
        return z[_enc(member)]

    def zrem(self, key, *members):
        z = self.data.get(key, {})
        for m in members:
            z.pop(_enc(m), None)
        self._prune(key)

    def _sorted(self, key, reverse=False):
        return sorted(self.data.get(key, {}).items(), key=lambda kv: (kv[1], kv[0]), reverse=reverse)

    def zrange(self, key, start, stop, withscores=False, _reverse=False):
        items = self._sorted(key, _reverse)[_ranks(len(self.data.get(key, {})), start, stop)]
        return items if withscores else [m for m, _ in items]

    def zrevrange(self, key, start, stop, withscores=False):
        return self.zrange(key, start, stop, withscores, _reverse=True)

    def zremrangebyrank(self, key, start, stop):
        for m in self.zrange(key, start, stop):
            self.data[key].pop(m)
        self._prune(key)

    def zscore(self, key, member):
        return self.data.get(key, {}).get(_enc(member))

    def sadd(self, key, *members):
        self._get(key, set).update(_enc(m) for m in members)

    def srem(self, key, *members):
        self.data.get(key, set()).difference_update(_enc(m) for m in members)
        self._prune(key)

    def smembers(self, key):
        return set(self.data.get(key, set()))

    def rpush(self, key, *values):
        self._get(key, list).extend(_enc(v) for v in values)

    def lrange(self, key, start, stop):
        items = self.data.get(key, [])
        return items[_ranks(len(items), start, stop)]


class ReadOnly:
    """What a projection gets as `r`: reads only (writes must be queued on the pipeline)."""

    def __init__(self, r):
        self._r = r

    def __getattr__(self, name):
        if name in WRITES:
            raise AssertionError(f"{name}() through r: writes belong on the MULTI pipeline")
        return getattr(self._r, name)


class Recorder:
    """What a projection gets as `p`: records each queued write; execute() applies them in order.

    EVAL (server-side scripts) is recorded but not run: no Lua here. Tests check its arguments; the
    integration tier runs the real script against a real redis-server.
    """

    def __init__(self, target: MemoryRedis):
        self.target, self.calls = target, []

    def __getattr__(self, name):
        if name not in WRITES:
            raise AssertionError(f"{name}() on the pipeline: inside MULTI a read returns nothing")

        def queue(*args, **kwargs):
            self.calls.append((name, args, kwargs))
            return self
        return queue

    def execute(self):
        for name, args, kwargs in self.calls:
            if name != "eval":
                getattr(self.target, name)(*args, **kwargs)

    def evals(self) -> list[tuple]:
        return [args[1:] for name, args, _ in self.calls if name == "eval"]


@pytest.fixture
def mem():
    return MemoryRedis()


@pytest.fixture
def session_factory():
    """A fresh in-memory write DB with two users, alice and bob."""
    engine = make_engine("sqlite://")
    init_db(engine)
    with Session(engine) as s, s.begin():
        s.add_all([User(handle="alice", password_hash="x"), User(handle="bob", password_hash="x")])
    yield make_session_factory(engine)
    engine.dispose()

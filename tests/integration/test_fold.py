"""The in-memory key space a replay from scratch folds the log into (backend/read/fold.py) answers
like Redis: random command sequences run on a real redis-server and on a Fold give the same replies,
and the Fold written out (backend/read/bulk_replay.py) gives the same keys. The fan-out script runs
as the real Lua on Redis and as its Python twin (fold.fan_out) on the Fold, in the same sequences."""
import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.read.bulk_replay import write_out
from backend.read.fold import Fold
from backend.read.projections import _FAN_OUT
from tests.support import read_models_snapshot

REAL, WRITTEN = "t-real:", "t-out:"
members = st.sampled_from(["a", "b", "B", "ab", "é", "z", "10", "9", "😀", ""])
scores = st.one_of(st.integers(-2, 4), st.sampled_from([0.5, 2.25, -1.5, 1e15]))  # ties: often
caps = st.integers(0, 5)



@pytest.fixture
def r(redis_server):
    return redis.Redis.from_url(redis_server.url, decode_responses=True)


ops = st.one_of(
    st.tuples(st.just("zadd"), st.sampled_from("zZ"), st.dictionaries(members, scores, min_size=1,
                                                                      max_size=4)),
    st.tuples(st.just("zrem"), st.sampled_from("zZ"), st.lists(members, min_size=1, max_size=3)),
    st.tuples(st.just("cap"), st.sampled_from("zZ"), caps),
    st.tuples(st.just("zremrangebyrank"), st.sampled_from("zZ"), st.integers(-4, 3),
              st.integers(-4, 3)),
    st.tuples(st.just("zincrby"), st.sampled_from("zZ"), st.integers(-2, 3), members),
    st.tuples(st.just("zrange"), st.sampled_from("zZ"), st.integers(-4, 3), st.integers(-4, 3),
              st.booleans(), st.booleans()),
    st.tuples(st.just("hset"), st.just("h"), st.dictionaries(members, st.one_of(
        st.integers(-5, 5), st.text(max_size=3), st.floats(-10, 10, allow_nan=False)),
        min_size=1, max_size=3)),
    st.tuples(st.just("hincrby"), st.just("n"), members, st.integers(-3, 3)),
    st.tuples(st.just("sadd"), st.just("s"), st.lists(members, min_size=1, max_size=3)),
    st.tuples(st.just("srem"), st.just("s"), st.lists(members, min_size=1, max_size=3)),
    st.tuples(st.just("rpush"), st.just("l"), st.lists(members, min_size=1, max_size=3)),
    st.tuples(st.just("lrange"), st.just("l"), st.integers(-4, 3), st.integers(-4, 3)),
    st.tuples(st.just("set"), st.just("v"), st.one_of(st.integers(), st.text(max_size=4))),
    st.tuples(st.just("delete"), st.lists(st.sampled_from("zZhnslv"), min_size=1, max_size=3)),
    st.tuples(st.just("fan_out"), members, st.integers(1, 20), caps),
)


def run(client, prefix: str, op):
    """One command on `client` (Redis or Fold) under `prefix`; the reply, as a comparable value."""
    name, *args = op
    k = lambda x: prefix + x  # noqa: E731
    if name == "zadd":
        return client.zadd(k(args[0]), args[1])
    if name == "zrem":
        return client.zrem(k(args[0]), *args[1])
    if name == "cap":
        return client.zremrangebyrank(k(args[0]), 0, -args[1] - 1)
    if name == "zremrangebyrank":
        return client.zremrangebyrank(k(args[0]), args[1], args[2])
    if name == "zincrby":
        return float(client.zincrby(k(args[0]), args[1], args[2]))
    if name == "zrange":
        key, start, stop, desc, withscores = args
        if desc:
            return client.zrevrange(k(key), start, stop, withscores=withscores)
        return client.zrange(k(key), start, stop, withscores=withscores)
    if name == "hset":
        client.hset(k(args[0]), mapping=args[1])
        return client.hgetall(k(args[0]))
    if name == "hincrby":
        return client.hincrby(k(args[0]), args[1], args[2])
    if name in ("sadd", "srem", "rpush"):
        return getattr(client, name)(k(args[0]), *args[1])
    if name == "lrange":
        return client.lrange(k(args[0]), args[1], args[2])
    if name == "set":
        client.set(k(args[0]), args[1])
        return client.get(k(args[0]))
    if name == "delete":
        return client.delete(*[k(x) for x in args[0]])
    if name == "fan_out":  # the projections' script: real Lua on Redis, its Python twin on a Fold
        author, pid, cap = args
        return client.eval(_FAN_OUT, 1, k("z"), k("feed:"), author, pid, cap)
    raise AssertionError(name)


def seen_by_its_reads(fold: Fold) -> dict:
    """read_models_snapshot's view of a Fold, through the Fold's own read commands."""
    kinds = {"str": "string", "dict": "hash", "list": "list", "set": "set", "ZSet": "zset"}
    readers = {"string": fold.get, "hash": fold.hgetall, "list": lambda k: fold.lrange(k, 0, -1),
               "set": lambda k: sorted(fold.smembers(k)),
               "zset": lambda k: fold.zrange(k, 0, -1, withscores=True)}
    return {key: (kinds[type(v).__name__], readers[kinds[type(v).__name__]](key))
            for key, v in fold.data.items()}


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(ops, max_size=40))
def test_a_fold_answers_and_ends_like_redis(r, program):
    fold = Fold()
    for prefix in (REAL, WRITTEN):
        for key in r.scan_iter(prefix + "*"):
            r.delete(key)
    for op in program:
        assert run(fold, REAL, op) == run(r, REAL, op), op
    real = read_models_snapshot(r, prefix=REAL, skip=())
    assert seen_by_its_reads(fold) == real
    write_out(r, {WRITTEN + key[len(REAL):]: value for key, value in fold.data.items()},
              WRITTEN + "checkpoint", 7)
    written = read_models_snapshot(r, prefix=WRITTEN, skip=())
    assert written.pop(WRITTEN + "checkpoint") == ("string", "7")
    assert {REAL + key[len(WRITTEN):]: v for key, v in written.items()} == real


def test_write_out_replaces_a_leftover_key(r):
    fold = Fold()
    r.hset("t-out:h", mapping={"stale": "1", "a": "0"})
    r.rpush("t-out:l", "stale")
    fold.hset("t-out:h", mapping={"a": 1})
    fold.rpush("t-out:l", "x")
    write_out(r, fold.data, None, 1)
    assert r.hgetall("t-out:h") == {"a": "1"} and r.lrange("t-out:l", 0, -1) == ["x"]

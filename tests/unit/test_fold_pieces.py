"""The pieces of a replay from scratch that need no Redis: the Fold's refusals and read-ahead."""
import pytest

from backend.read.fold import Fold
from backend.read.prefetch import prefetched


def test_a_command_or_script_the_fold_does_not_emulate_fails_loudly():
    fold = Fold()
    with pytest.raises(AttributeError):
        fold.lpush("k", "x")  # not emulated: never silently skipped
    with pytest.raises(NotImplementedError, match="twin"):
        fold.eval("return 1", 0)


def test_the_fold_refuses_live_keys():
    fold = Fold(forbid="ripple:")
    fold.zadd("x:feed:ann", {"1": 1})
    assert fold.zrange("x:feed:ann", 0, -1) == ["1"]
    with pytest.raises(RuntimeError, match="live key"):
        fold.delete("x:post:1", "ripple:post:1")  # at once: a deleted key leaves no trace
    fold.hset("ripple:user:ann", mapping={"posts": 1})
    with pytest.raises(RuntimeError, match="live key"):
        fold.refuse_forbidden()


def test_prefetched_yields_in_order_and_raises_the_producers_error():
    assert list(prefetched(iter(range(10)))) == list(range(10))

    def broken():
        yield 1
        raise ValueError("db gone")
    with pytest.raises(ValueError, match="db gone"):
        list(prefetched(broken()))


def test_closing_a_prefetch_stops_its_producer():
    made = []

    def endless():
        while True:
            made.append(1)
            yield len(made)
    reader = prefetched(endless(), depth=2)
    assert next(reader) == 1
    reader.close()
    count = len(made)
    assert count <= 5 and len(made) == count  # the producer stopped (at most depth ahead)

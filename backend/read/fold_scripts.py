"""The Python twins of the Lua scripts the projections run, for a Fold (backend/read/fold.py).

A test runs each twin on a Fold and the real script on a redis-server, on the same random input
(tests/integration/test_fold.py): change them together."""
import heapq

from backend.read.fold_values import ZSet
from backend.read.projections import _FAN_OUT


def fan_out(fold, keys: list, args: list) -> int:
    """projections._FAN_OUT on a Fold: ZADD the post (score: the id read as a double) to the feed of
    each follower and of the author, each capped (ZREMRANGEBYRANK 0 -cap-1); or ZREM it (cap 0).
    The order of the feeds does not matter (each is its own key); written on the Fold's dicts
    directly, as this is most of a replay's work (a post reaches every follower's feed)."""
    prefix, author, pid, cap = args[0], args[1], args[2], int(args[3])
    followers = fold._r(keys[0], ZSet)
    handles = (list(followers.d) if followers is not None else []) + [author]
    if cap <= 0:
        for h in handles:
            fold.zrem(prefix + h, pid)
        return len(handles)
    data, score = fold.data, float(pid)
    for h in handles:
        key = prefix + h
        z = data.get(key)
        if z is None:
            z = data[key] = ZSet()
        elif type(z) is not ZSet:
            z = fold._w(key, ZSet)  # raises WrongType
        d = z.d
        d[pid] = score
        if z.heap is not None:
            heapq.heappush(z.heap, (score, pid))
        if len(d) > cap:
            z.pop_lowest(len(d) - cap)
    return len(handles)


SCRIPTS = {_FAN_OUT: fan_out}  # every script a projection runs -> its twin on a Fold

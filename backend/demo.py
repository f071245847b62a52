"""Demo controls: instance-wide switches kept in Redis, so every worker obeys and a restart keeps them.

Only meaningful when demo mode is on (`Config.demo`, `RIPPLE_DEMO=1`). The whole state lives in one
Redis hash, `ripple:demo`, that expires by itself `REVERT_S` seconds after the last change: every
control reverts on its own, and a missing key means "all off". Nothing here waits or blocks.
"""
import time

KEY = "ripple:demo"
REVERT_S = 120
DELAY_MAX_MS = 5000
OFF = {"worker_delay_ms": 0, "workers_paused": False, "projection_paused": False, "crowd": False}
FLAGS = ("workers_paused", "projection_paused", "crowd")


def read_controls(redis) -> dict:
    """The demo object of `GET /api/system`: the controls, `until` (epoch s or None) and `set_by`."""
    raw = {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
           for k, v in (redis.hgetall(KEY) or {}).items()}
    state = dict(OFF, until=None, set_by=None)
    if not raw:
        return state
    state["worker_delay_ms"] = int(raw.get("worker_delay_ms", 0) or 0)
    for flag in FLAGS:
        state[flag] = raw.get(flag) == "1"
    state["until"] = float(raw["until"]) if raw.get("until") else None
    state["set_by"] = raw.get("set_by") or None
    return state


def is_active(state: dict) -> bool:
    """True when any control differs from "off" (every page then shows a banner)."""
    return any(state[k] != v for k, v in OFF.items())


def write_controls(redis, changes: dict, set_by: str, now: float | None = None) -> dict:
    """Apply validated `changes` (a subset of OFF's keys), restart the revert clock, return the state."""
    now = time.time() if now is None else now
    until = now + REVERT_S
    mapping = {k: ("1" if v else "0") if k in FLAGS else str(int(v)) for k, v in changes.items()}
    mapping.update(until=repr(until), set_by=set_by)
    pipe = redis.pipeline(transaction=True)
    pipe.hset(KEY, mapping=mapping)
    pipe.pexpireat(KEY, int(until * 1000))
    pipe.execute()
    return read_controls(redis)


def clear_controls(redis) -> None:
    redis.delete(KEY)

"""Is the workers' recovery working? Each worker's recovery pass (worker/recovery.py) records its
outcome here; GET /healthz reads it. A recovery that keeps failing (e.g. an RQ release changed what
it reads) must show, never go quiet.
"""
import time

PASS_KEY = "ripple-recovery:pass"       # hash: last_ok_at, error_code, last_at (any worker's pass)
ALIVE_PREFIX = "ripple-worker:alive:"   # + worker name: a live worker's short-lived key


def _text(value):
    return value.decode() if isinstance(value, bytes) else value


def record_pass(conn, error_code: str | None) -> None:
    """Record one pass: None = it succeeded, else the exception's class name."""
    now = time.time()
    fields = {"last_at": now, "error_code": error_code or ""}
    if error_code is None:
        fields["last_ok_at"] = now
    try:
        conn.hset(PASS_KEY, mapping=fields)
    except Exception:  # noqa: BLE001 -- Redis itself away: /healthz says so on its own
        pass


def recovery_state(conn, stale_s: float, now: float | None = None) -> dict:
    """{"ok", "last_pass_at", "error_code"}: not ok when no pass succeeded for `stale_s` seconds
    while some worker is alive. `last_pass_at`: the last successful pass (epoch s) or None."""
    now = time.time() if now is None else now
    raw = {_text(k): _text(v) for k, v in (conn.hgetall(PASS_KEY) or {}).items()}
    last_ok = float(raw["last_ok_at"]) if raw.get("last_ok_at") else None
    alive = next(iter(conn.scan_iter(match=ALIVE_PREFIX + "*", count=1000)), None) is not None
    ok = not alive or (last_ok is not None and now - last_ok <= stale_s)
    return {"ok": ok, "last_pass_at": last_ok, "error_code": raw.get("error_code") or None}

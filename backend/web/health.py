"""GET /healthz: is this web process able to serve, and how far behind is the read side?

Answers JSON for a load balancer or a monitor: 200 when Redis and the write DB both answer, else 503.
Queue depth (commands waiting in the inbox for a worker) and read-model lag (log head seq - projector
checkpoint) are reported as figures, not as failures: a burst makes both grow for a moment, and the
workers catch up; a monitor alerts on them staying high.

The endpoint is public, so a failure is reported as an error *code* (`redis_unavailable`,
`db_unavailable`); the exception itself (which may name hosts and ports) goes to the server log.
"""
import logging
import time

from flask import Blueprint, jsonify
from sqlalchemy import select

from backend.web.http import services
from backend.write import command_queue
from backend.write.models import LogHead

bp = Blueprint("health", __name__)
log = logging.getLogger("ripple.health")


def _check(fn, code: str):
    """(value, None) or (None, error code): a health check reports failures, it never raises."""
    try:
        return fn(), None
    except Exception as exc:  # noqa: BLE001 -- any failure of a dependency is "down"
        log.warning("healthz: %s: %s: %s", code, type(exc).__name__, str(exc)[:300])
        return None, code


def _log_head(session_factory) -> int:
    with session_factory() as session:
        return int(session.scalar(select(LogHead.seq).where(LogHead.id == 1)) or 0)


def health_report(svc) -> dict:
    start = time.perf_counter()
    redis_ok, redis_err = _check(svc.redis.ping, "redis_unavailable")
    head, db_err = _check(lambda: _log_head(svc.session_factory), "db_unavailable")
    depth = checkpoint = None
    if redis_ok:
        depth, _ = _check(lambda: command_queue.depth(svc.redis), "queue_unavailable")
        checkpoint, _ = _check(svc.projector.checkpoint, "read_side_unavailable")
    lag = None
    if head is not None and redis_ok:
        lag = max(0, head - (checkpoint or 0))
    healthy = bool(redis_ok) and db_err is None
    return {
        "status": "ok" if healthy else "unavailable",
        "redis": {"ok": bool(redis_ok), "error": redis_err},
        "db": {"ok": db_err is None, "error": db_err},
        "queue_depth": depth,
        "log_head": head,
        "checkpoint": checkpoint,
        "read_model_lag": lag,
        "took_ms": round((time.perf_counter() - start) * 1000, 2),
    }


@bp.get("/healthz")
def healthz():
    report = health_report(services())
    resp = jsonify(report)
    resp.status_code = 200 if report["status"] == "ok" else 503
    resp.headers["Cache-Control"] = "no-store"
    return resp

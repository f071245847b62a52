"""`as_of=<seq>` / `at=<epoch seconds>` on the four read APIs and pages: the answer as of an event."""
import math

from flask import request
from sqlalchemy import func, select

from backend.read.replay import log_head
from backend.read import audit_index
from backend.read.time_travel import page_as_of
from backend.web.http import ApiError, int_arg, services
from backend.write.models import Event


def as_of_arg() -> int | None:
    """The seq asked for, or None (live). 400 for as_of < 0 or above the head, or both given."""
    raw_as_of, raw_at = request.args.get("as_of", ""), request.args.get("at", "")
    if raw_as_of == "" and raw_at == "":
        return None
    if raw_as_of != "" and raw_at != "":
        raise ApiError(400, "invalid_parameter", "Give as_of or at, not both.", "at")
    sf = services().session_factory
    if raw_as_of != "":
        return int_arg("as_of", None, 0, log_head(sf))
    try:
        at = float(raw_at)
    except ValueError:
        at = math.nan
    if not math.isfinite(at) or at < 0:
        raise ApiError(400, "invalid_parameter", "at must be epoch seconds (a number >= 0).", "at")
    with sf() as session:  # the event store: the last event at or before that time
        return int(session.scalar(select(func.max(Event.seq)).where(Event.created_at <= at)) or 0)


def past(kind: str, seq: int, subject=None, limit: int = 20, before: int | None = None, *,
         viewer: str | None) -> dict:
    """A live query's answer as of `seq` (kind: timeline | feed | profile | post), by scoped replay
    (backend/read/time_travel.py); tombstones on top."""
    svc = services()
    svc.projector.ensure_read_side()
    if (svc.projector.checkpoint() or 0) < seq:  # "deleted since" is judged on a live side >= seq
        svc.projector.project_until(seq)
    caps = svc.projector.caps
    audit_index.catch_up(svc.redis, svc.session_factory, svc.projector.store_id(), caps.timeline)
    return page_as_of(svc.redis, svc.session_factory, caps, seq, kind, subject, limit, before,
                      viewer)

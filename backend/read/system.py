"""What the inspector shows: the pipeline's live figures (`GET /api/system`, the `system` event)
and the one-line summaries of appended events (`events_appended`).

The figures come from where each one lives: queue depth from the inbox (Redis), live workers from
RQ's registry, the log head and the age of the oldest unprojected event from the write DB (two
indexed single-row lookups), the checkpoint from the read side. Summaries follow the event log's
privacy rules: no bodies (a post may be deleted later, and nothing shows a deleted body), and
never who liked what.
"""
import time

from rq import Worker
from sqlalchemy import select

from backend import demo
from backend.read import rebuild
from backend.write import command_queue
from backend.write.models import Event, LogHead


def log_head(session_factory) -> int:
    with session_factory() as session:
        return int(session.scalar(select(LogHead.seq).where(LogHead.id == 1)) or 0)


def _event_time(session_factory, seq: int) -> float | None:
    with session_factory() as session:
        return session.scalar(select(Event.created_at).where(Event.seq == seq))


def demo_state(redis, config) -> dict | None:
    """The `demo` object: None when demo mode is off; the crowd falls back to the instance's
    default (RIPPLE_CROWD) until someone switches it."""
    if not config.demo:
        return None
    state = demo.read_controls(redis)
    if not redis.hexists(demo.KEY, "crowd"):
        state["crowd"] = bool(config.crowd)
    return state


def banner_of(state: dict | None, config) -> dict | None:
    """{"set_by", "until", "what"} while any control differs from the instance's defaults."""
    if not state:
        return None
    what = []
    if state["worker_delay_ms"]:
        what.append(f"worker delay {state['worker_delay_ms']} ms")
    if state["workers_paused"]:
        what.append("workers paused")
    if state["projection_paused"]:
        what.append("projection paused")
    if state["crowd"] != bool(config.crowd):
        what.append("crowd " + ("on" if state["crowd"] else "off"))
    if not what:
        return None
    return {"set_by": state["set_by"], "until": state["until"], "what": what}


def system_report(svc, workers_count=None, now: float | None = None) -> dict:
    """The object of GET /api/system and of the inspector's `system` event."""
    r, config = svc.redis, svc.config
    head = log_head(svc.session_factory)
    checkpoint = svc.projector.checkpoint() or 0
    lag = max(0, head - checkpoint)
    lag_ms = 0.0
    if lag:
        oldest = _event_time(svc.session_factory, checkpoint + 1)
        now = time.time() if now is None else now
        lag_ms = round(max(0.0, now - oldest) * 1000, 1) if oldest else 0.0
    if workers_count is None:
        workers_count = Worker.count(connection=svc.rq_redis, queue=svc.queue)
    return {"queue_depth": command_queue.depth(r), "workers": workers_count, "log_head": head,
            "checkpoint": checkpoint, "lag_events": lag, "lag_ms": lag_ms,
            "demo": demo_state(r, config), "rebuild": rebuild.status(r)}


def _post_ref(data: dict) -> str:
    pid = data.get("post_id") or (data.get("post") or {}).get("id") \
        or (data.get("comment") or {}).get("post_id")
    return f"post {pid}" if pid else "a post"


def summarize(ev: dict) -> dict:
    """One event as the inspector's tail shows it: {"seq","type","at","author","command_id",
    "summary"}. Likes name neither the liker nor the command (no likers); no event shows a body."""
    kind, data, author = ev["type"], ev.get("data") or {}, ev.get("author")
    out = {"seq": ev["seq"], "type": kind, "at": ev.get("created_at"), "author": author,
           "command_id": ev.get("command_id")}
    if kind in ("post_liked", "post_unliked"):
        out.update(author=None, command_id=None,
                   summary=f"{_post_ref(data)} {'got a like' if kind == 'post_liked' else 'lost a like'}")
        return out
    who = f"@{author}" if author else "someone"
    texts = {
        "user_registered": f"@{data.get('handle', author)} joined",
        "post_created": f"{who} posted {_post_ref(data)}",
        "post_edited": f"{who} edited {_post_ref(data)}",
        "post_deleted": f"{who} deleted {_post_ref(data)}",
        "comment_created": f"{who} commented on {_post_ref(data)}",
        "user_followed": f"{who} followed @{data.get('followee')}",
        "user_unfollowed": f"{who} unfollowed @{data.get('followee')}",
    }
    out["summary"] = texts.get(kind, f"{who}: {kind}")
    if kind == "user_registered" and not author:
        out["author"] = data.get("handle")
    return out


def events_after(session_factory, seq: int, limit: int = 100) -> list[dict]:
    """Summaries of the events after `seq`, oldest first, at most `limit`."""
    with session_factory() as session:
        rows = session.scalars(select(Event).where(Event.seq > seq).order_by(Event.seq).limit(limit))
        return [summarize(e.as_dict()) for e in rows]

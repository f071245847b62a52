"""The event log, readable: an event-store read (the append-only `events` table), never the mutable
write tables, with the privacy rules applied to every event shown:
- a since-deleted post's body (its creation, edits, comments) is shown to its author alone;
- a like or unlike shows the post's new like count, not who, except to the member who liked;
- follows are public, as on profiles.
"""
from sqlalchemy import select

from backend.read import audit_index
from backend.read.audit_index import LIKE_TYPES, post_of
from backend.write.models import Event

COLUMNS = (Event.seq, Event.type, Event.data, Event.command_id, Event.author, Event.created_at)


def row_event(row) -> dict:
    seq, kind, data, command_id, author, at = row
    return {"seq": seq, "type": kind, "data": data, "command_id": command_id, "author": author,
            "created_at": at}


def public_event(ev: dict, viewer: str | None, deleted: dict, likes: dict) -> dict:
    """The event as `viewer` may see it: {"seq", "type", "at", "author", "command_id", "data"}."""
    kind, data, pid = ev["type"], dict(ev["data"]), post_of(ev)
    out = {"seq": ev["seq"], "type": kind, "at": ev["created_at"], "author": ev["author"],
           "command_id": ev["command_id"], "data": data}
    if kind in LIKE_TYPES:
        out["data"] = {"post_id": pid, "likes": likes.get(ev["seq"])}
        if ev["author"] != viewer or viewer is None:
            out["author"] = out["command_id"] = None
        else:
            out["data"]["user"] = viewer
    if pid is not None and pid in deleted:
        out["data"]["post_deleted"] = True
        if deleted[pid] != viewer:
            out["data"] = _without_bodies(kind, out["data"])
    return out


def _without_bodies(kind: str, data: dict) -> dict:
    if kind == "post_created":
        return data | {"post": {k: v for k, v in data["post"].items() if k != "body"}}
    if kind == "comment_created":
        return data | {"comment": {k: v for k, v in data["comment"].items() if k != "body"}}
    return {k: v for k, v in data.items() if k != "body"}


def summary(ev: dict) -> str:
    """One line about a public event (no bodies, no likers)."""
    d, who = ev["data"], f"@{ev['author']}" if ev["author"] else "someone"
    kind = ev["type"]
    if kind == "user_registered":
        return f"@{d['handle']} joined"
    if kind == "post_created":
        return f"{who} posted #{d['post']['id']}"
    if kind == "post_edited":
        return f"{who} edited #{d['post_id']}"
    if kind == "post_deleted":
        return f"{who} deleted #{d['post_id']}"
    if kind == "comment_created":
        return f"{who} commented on #{d['comment']['post_id']}"
    if kind in LIKE_TYPES:
        verb = "liked" if kind == "post_liked" and ev["author"] else ("unliked" if ev["author"]
                                                                       else None)
        count = f"#{d['post_id']} now has {d.get('likes')} like{'s' if d.get('likes') != 1 else ''}"
        return f"{who} {verb} #{d['post_id']} · {count}" if verb else count
    if kind == "user_followed":
        return f"@{d['follower']} followed @{d['followee']}"
    if kind == "user_unfollowed":
        return f"@{d['follower']} unfollowed @{d['followee']}"
    return kind


def publish(r, events: list[dict], viewer: str | None) -> list[dict]:
    """Apply the privacy rules to a page of raw events (two Redis round trips)."""
    deleted = audit_index.deleted_authors(r, [p for e in events if (p := post_of(e)) is not None])
    likes = audit_index.like_counts(r, [e["seq"] for e in events if e["type"] in LIKE_TYPES])
    return [public_event(e, viewer, deleted, likes) for e in events]


def list_events(session_factory, r, viewer: str | None, limit: int = 50, before: int | None = None,
                after: int | None = None, kind: str | None = None, handle: str | None = None,
                post_id: int | None = None, store_id: str | None = None) -> dict:
    """A page of the log: newest first (oldest first with `after`; both `after` and `before`: the
    events between them, oldest first), `next` = the cursor.

    One answer is one cut of the log: the events up to where the privacy index has caught up
    (`head`), no further. So the index knows every deletion among them (a deletion committed a
    moment later is not shown beside the body it hides), and `head` is a safe cursor for `after=`
    (events commit in seq order: every event up to it is in the answer or filtered out, none is
    skipped by a live page that follows the log)."""
    head = audit_index.catch_up(r, session_factory, store_id)
    query = select(*COLUMNS).where(Event.seq <= head)
    if post_id is not None:
        query = query.where(Event.seq.in_(audit_index.post_seqs(r, post_id) or [-1]))
    if kind:
        query = query.where(Event.type == kind)
    if handle:
        query = query.where(Event.author == handle)
        if handle != viewer:  # who liked what is not public: a member's likes are theirs alone
            query = query.where(Event.type.not_in(sorted(LIKE_TYPES)))
    if before is not None:  # with `after` too: the window between them
        query = query.where(Event.seq < before)
    if after is not None:
        query = query.where(Event.seq > after).order_by(Event.seq)
    else:
        query = query.order_by(Event.seq.desc())
    with session_factory() as session:
        rows = session.execute(query.limit(limit + 1)).all()
    events = [row_event(r_) for r_ in rows[:limit]]
    shown = publish(r, events, viewer)
    for ev in shown:
        ev["summary"] = summary(ev)
    nxt = events[-1]["seq"] if len(rows) > limit and events else None
    return {"events": shown, "next": nxt, "head": head}

"""The audit trail of a post (oldest first, word diffs of its edits) and of a member (newest first).

Both read the event store (the `events` table, by primary key or author) through the audit index,
and apply the event log's privacy rules (backend/read/event_log.py).
"""
from sqlalchemy import select

from backend.read import audit_index
from backend.write.commands import HANDLE_RE
from backend.read.event_log import COLUMNS, list_events, publish, row_event, summary
from backend.read.projections import user_key
from backend.read.queries import NotFound
from backend.read.word_diff import word_diff
from backend.write.models import Event


def post_history(session_factory, r, post_id: int, viewer: str | None, limit: int = 50,
                 after: int | None = None, store_id: str | None = None) -> dict:
    audit_index.catch_up(r, session_factory, store_id)
    seqs = audit_index.post_seqs(r, post_id)
    if not seqs:
        raise NotFound("post")
    with session_factory() as session:
        rows = session.execute(select(*COLUMNS).where(Event.seq.in_(seqs))
                               .order_by(Event.seq)).all()
    raw = [row_event(row) for row in rows]
    author = raw[0]["data"]["post"]["author"] if raw[0]["type"] == "post_created" else None
    deleted = post_id in audit_index.deleted_authors(r, [post_id])
    hidden = deleted and viewer != author
    start = 0 if after is None else next((i for i, e in enumerate(raw) if e["seq"] > after),
                                         len(raw))
    body = None  # the body just before the page starts (edits are diffed against it)
    for ev in raw[:start]:
        body = _body_after(ev, body)
    page_raw = raw[start:start + limit]
    entries = []
    for ev, pub in zip(page_raw, publish(r, page_raw, viewer)):
        entry = {k: pub[k] for k in ("seq", "type", "at", "author", "command_id")}
        entry["summary"] = summary(pub)
        if ev["type"] == "post_created" and not hidden:
            entry["body"] = ev["data"]["post"]["body"]
        elif ev["type"] == "post_edited" and not hidden:
            entry["diff"] = word_diff(body or "", ev["data"]["body"])
        elif ev["type"] in audit_index.LIKE_TYPES:
            entry["likes"] = pub["data"]["likes"]
        elif ev["type"] == "comment_created" and not hidden:
            entry["comment"] = ev["data"]["comment"]["body"]
        body = _body_after(ev, body)
        entries.append(entry)
    more = start + limit < len(raw)
    return {"post_id": post_id, "author": author, "deleted": deleted, "events": entries,
            "next": entries[-1]["seq"] if more and entries else None}


def _body_after(ev: dict, body: str | None) -> str | None:
    if ev["type"] == "post_created":
        return ev["data"]["post"]["body"]
    if ev["type"] == "post_edited":
        return ev["data"]["body"]
    return body


def member_history(session_factory, r, handle: str, viewer: str | None, limit: int = 50,
                   before: int | None = None, store_id: str | None = None) -> dict:
    """The member's own activity, newest first; their likes shown to them alone."""
    if not HANDLE_RE.match(handle) or not r.exists(user_key(handle)):
        raise NotFound("user")
    page = list_events(session_factory, r, viewer, limit, before=before, handle=handle,
                       store_id=store_id)
    return {"handle": handle, **page}

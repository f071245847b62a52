"""The audit trail of a post (oldest first, word diffs of its edits) and of a member (newest first).

Both read the event store (the `events` table, by primary key or author) through the audit index,
and apply the event log's privacy rules (backend/read/event_log.py).
"""
import bisect

from sqlalchemy import select

from backend.read import audit_index
from backend.write.commands import HANDLE_RE
from backend.read.event_log import COLUMNS, list_events, publish, row_event, summary
from backend.read.projections import user_key
from backend.read.queries import NotFound
from backend.read.word_diff import word_diff
from backend.write.models import Event

BODY_TYPES = ("post_created", "post_edited")
SQL_IN = 2000  # seqs per IN (...) list, at most


def post_history(session_factory, r, post_id: int, viewer: str | None, limit: int = 50,
                 after: int | None = None, store_id: str | None = None) -> dict:
    """Reads only the rows it shows: the page's events, the post's creation (its author) and the
    last body before the page (what the page's first edit is diffed against), never the whole
    history (a post with 1,000 events read them all per page: 37-92 ms, now a page's worth)."""
    audit_index.catch_up(r, session_factory, store_id)
    seqs = audit_index.post_seqs(r, post_id)
    if not seqs:
        raise NotFound("post")
    start = 0 if after is None else bisect.bisect_right(seqs, after)
    page_seqs = seqs[start:start + limit]
    with session_factory() as session:
        rows = session.execute(select(*COLUMNS).where(Event.seq.in_({seqs[0], *page_seqs}))
                               .order_by(Event.seq)).all()
        before = _body_before(session, seqs[:start]) if start and page_seqs else None
    by_seq = {row[0]: row_event(row) for row in rows}
    first = by_seq[seqs[0]]
    author = first["data"]["post"]["author"] if first["type"] == "post_created" else None
    deleted = post_id in audit_index.deleted_authors(r, [post_id])
    hidden = deleted and viewer != author
    body = before  # the body just before the page starts (edits are diffed against it)
    page_raw = [by_seq[s] for s in page_seqs]
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
    more = start + limit < len(seqs)
    return {"post_id": post_id, "author": author, "deleted": deleted, "events": entries,
            "next": entries[-1]["seq"] if more and entries else None}


def _body_before(session, seqs: list[int]) -> str | None:
    """The post's body after the last creation or edit among `seqs` (the events before a page)."""
    row = None
    for i in range(len(seqs), 0, -SQL_IN):  # newest chunk first; one query in all but rare cases
        row = session.execute(select(Event.type, Event.data)
                              .where(Event.seq.in_(seqs[max(0, i - SQL_IN):i]),
                                     Event.type.in_(BODY_TYPES))
                              .order_by(Event.seq.desc()).limit(1)).first()
        if row is not None:
            break
    return None if row is None else _body_after({"type": row[0], "data": row[1]}, None)


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

"""The audit index: a small projection of the event log, kept beside the read models, own checkpoint.

The history of a post and the privacy rules of the public log need three things the read models do
not keep (a deleted post's keys are gone from them, by design):
- `ripple-audit:post:<id>`  list of the seqs of every event that touched the post (created, edited,
  liked, unliked, commented, deleted), in order;
- `ripple-audit:deleted`    hash post id -> author, for every deleted post;
- `ripple-audit:likes`      hash seq -> the post's like count right after that like/unlike event
  (the public log shows a like as a count, never as who), with `ripple-audit:count` as working state.
- the scope index of time travel (backend/read/scope_index.py): per-member lists of seqs and the
  timeline every few hundred posts, written in the same MULTI/EXEC as the rest.
It is derived data: caught up from the log on demand, dropped and replayed if Redis lost it, it
mirrors another write DB, it has an older layout (FORMAT) or another timeline cap. Each batch lands in one MULTI/EXEC that WATCHes its checkpoint: exactly once.
"""
from redis.exceptions import WatchError

from backend.read import scope_index
from backend.read.keyspace import drop_prefix
from backend.read.projections import Caps
from backend.read.replay import log_head, read_events

AUDIT = "ripple-audit:"
CHECKPOINT = AUDIT + "checkpoint"
STORE = AUDIT + "store"
DELETED = AUDIT + "deleted"
LIKES = AUDIT + "likes"
COUNT = AUDIT + "count"
FORMAT = AUDIT + "format"
LAYOUT = "3"  # 2: with the scope index (member lists, timeline snapshots); 3: + timeline seqs
LIKE_TYPES = frozenset({"post_liked", "post_unliked"})


def post_log_key(post_id) -> str:
    return f"{AUDIT}post:{post_id}"


def post_of(ev: dict) -> int | None:
    """The post an event touches, if any."""
    data, kind = ev["data"], ev["type"]
    if kind == "post_created":
        return int(data["post"]["id"])
    if kind == "comment_created":
        return int(data["comment"]["post_id"])
    if "post_id" in data:
        return int(data["post_id"])
    return None


def catch_up(r, session_factory, store_id: str | None = None,
             timeline_cap: int | None = None) -> int:
    """Bring the index up to the log head; return its checkpoint. `timeline_cap`: the live
    timeline's cap (the scope index's timeline must be projected with it); None: any."""
    fmt, store, cp = r.mget(FORMAT, STORE, CHECKPOINT)  # one round trip when nothing is to do
    cap = fmt.split(":")[1] if fmt and fmt.startswith(LAYOUT + ":") else None
    stale = cap is None or (timeline_cap is not None and cap != str(timeline_cap))
    if stale or (store_id is not None and store != store_id):
        drop_prefix(r, AUDIT)
        cap = str(timeline_cap or Caps().timeline)
        with r.pipeline(transaction=True) as p:
            p.set(FORMAT, f"{LAYOUT}:{cap}")
            if store_id is not None:
                p.set(STORE, store_id)
            p.execute()
        cp = None
    cp = int(cp or 0)
    if cp >= log_head(session_factory):
        return cp
    for events in read_events(session_factory, cp):
        if not _apply(r, events, int(cap)):
            return int(r.get(CHECKPOINT) or 0)  # someone else got there first; they carry on
    return int(r.get(CHECKPOINT) or 0)


def _apply(r, events: list[dict], timeline_cap: int) -> bool:
    touched = sorted({post_of(ev) for ev in events if ev["type"] in LIKE_TYPES})
    with r.pipeline(transaction=True) as p:
        try:
            p.watch(CHECKPOINT)
            if int(p.get(CHECKPOINT) or 0) != events[0]["seq"] - 1:
                return False
            counts = dict(zip(touched, p.hmget(COUNT, touched))) if touched else {}
            counts = {k: int(v or 0) for k, v in counts.items()}
            timeline_events = scope_index.prepare(p)
            p.multi()
            for ev in events:
                pid = post_of(ev)
                if pid is None:
                    continue
                p.rpush(post_log_key(pid), ev["seq"])
                if ev["type"] == "post_deleted":
                    p.hset(DELETED, pid, ev["data"]["author"])
                elif ev["type"] in LIKE_TYPES:
                    counts[pid] += 1 if ev["type"] == "post_liked" else -1
                    p.hset(LIKES, ev["seq"], counts[pid])
            if counts:
                p.hset(COUNT, mapping=counts)
            scope_index.queue(p, events, timeline_events, timeline_cap)
            p.set(CHECKPOINT, events[-1]["seq"])
            p.execute()
            return True
        except WatchError:
            return False


def post_seqs(r, post_id: int) -> list[int]:
    return [int(s) for s in r.lrange(post_log_key(post_id), 0, -1)]


def deleted_authors(r, post_ids) -> dict[int, str]:
    """{post id: author} for those of these posts that were deleted."""
    ids = sorted(set(post_ids))
    if not ids:
        return {}
    return {pid: a for pid, a in zip(ids, r.hmget(DELETED, ids)) if a is not None}


def like_counts(r, seqs) -> dict[int, int]:
    seqs = sorted(set(seqs))
    if not seqs:
        return {}
    return {s: int(c) for s, c in zip(seqs, r.hmget(LIKES, seqs)) if c is not None}

"""The scope index: what time travel needs to find the events a page depends on, kept in the audit
index (backend/read/audit_index.py: same pass over the log, same MULTI/EXEC, same checkpoint).

- `ripple-audit:m:<handle>:posts`  seqs of the member's post_created / post_deleted events;
- `ripple-audit:m:<handle>:out`    seqs of the follows and unfollows they made;
- `ripple-audit:m:<handle>:in`     seqs of their registration and of the follows and unfollows of them;
- `ripple-audit:tl:timeline`       the timeline read model, projected by the live post_created /
  post_deleted functions (keeping only the timeline key, backend/read/scoped_replay.keep_only);
- `ripple-audit:tl:snap:<seq>`     a copy of it (Redis DUMP, ~12 bytes a post) every SNAP_EVERY
  timeline events, listed in `ripple-audit:tl:snaps` (score: the seq it holds the timeline as of);
- `ripple-audit:tl:seqs`           the seqs of every timeline event (sorted set, score = seq): the
  events after a snapshot are found here and read by primary key. (Asking the log for its events
  of those types in a seq range made PostgreSQL walk every event since the snapshot: its planner
  takes the primary key and filters, 290,000 rows after the bench world's last post.)
The timeline is the one read model every event of its kind touches (the global one); the snapshots
bound a past timeline's catch-up to SNAP_EVERY events. Everything else a page reads is per post or
per member, and found through these lists and the audit index's per-post lists.
"""
import bisect

from backend.read.projections import Caps
from backend.read.scoped_replay import keep_only

AUDIT = "ripple-audit:"
TL = AUDIT + "tl:"
TL_KEY = TL + "timeline"
TL_COUNT = TL + "n"
TL_SNAPS = TL + "snaps"
TL_SEQS = TL + "seqs"
TL_CAP = TL + "cap"
SNAP_EVERY = 64  # ~14 KB each (a 1,000-post timeline): ~22 MB for 100,000 posts
TIMELINE_TYPES = frozenset({"post_created", "post_deleted"})
FOLLOW_TYPES = frozenset({"user_followed", "user_unfollowed"})

# Copy a key into a string (DUMP: compact), inside Redis.
_SNAP = "redis.call('SET', KEYS[2], redis.call('DUMP', KEYS[1])) return 1"
# The newest snapshot at or below ARGV[1] restored into KEYS[1]; returns its seq (0: none).
_RESTORE = """
local found = redis.call('ZREVRANGEBYSCORE', KEYS[2], ARGV[1], '-inf', 'LIMIT', 0, 1)
if #found == 0 then return 0 end
local dump = redis.call('GET', ARGV[2] .. found[1])
if not dump then return 0 end
redis.call('RESTORE', KEYS[1], 0, dump, 'REPLACE')
return tonumber(found[1])
"""


def member_key(handle: str, which: str) -> str:
    return f"{AUDIT}m:{handle}:{which}"


def snap_key(seq) -> str:
    return f"{TL}snap:{seq}"


def lists_of(ev: dict) -> list[str]:
    """The member lists an event belongs to."""
    data, kind = ev["data"], ev["type"]
    if kind == "user_registered":
        return [member_key(data["handle"], "in")]
    if kind == "post_created":
        return [member_key(data["post"]["author"], "posts")]
    if kind == "post_deleted":
        return [member_key(data["author"], "posts")]
    if kind in FOLLOW_TYPES:
        return [member_key(data["follower"], "out"), member_key(data["followee"], "in")]
    return []


def prepare(p) -> int:
    """Working state, read under the audit index's WATCH: timeline events so far."""
    return int(p.get(TL_COUNT) or 0)


def queue(p, events: list[dict], count: int, timeline_cap: int) -> None:
    """Queue (in the audit index's MULTI) the member lists and timeline writes of `events`."""
    caps = Caps(timeline=timeline_cap, prefix=TL)
    for ev in events:
        for key in lists_of(ev):
            p.rpush(key, ev["seq"])
        if ev["type"] in TIMELINE_TYPES:
            keep_only(p, {TL_KEY}, caps, [ev])
            p.zadd(TL_SEQS, {str(ev["seq"]): ev["seq"]})
            count += 1
            if count % SNAP_EVERY == 0:
                p.eval(_SNAP, 2, TL_KEY, snap_key(ev["seq"]))
                p.zadd(TL_SNAPS, {str(ev["seq"]): ev["seq"]})
    p.set(TL_COUNT, count)


def seqs_until(r, keys: list[str], until: int) -> list[list[int]]:
    """For each list key, its seqs up to `until` (lists are in seq order)."""
    with r.pipeline(transaction=False) as p:
        for key in keys:
            p.lrange(key, 0, -1)
        lists = p.execute()
    out = []
    for raw in lists:
        seqs = [int(s) for s in raw]
        out.append(seqs[:bisect.bisect_right(seqs, until)])
    return out


def timeline_seqs(r, after: int, until: int) -> list[int]:
    """The seqs of the timeline events with after < seq <= until."""
    return [int(s) for s in r.zrangebyscore(TL_SEQS, f"({after}", until)]


def restore_timeline(r, target: str, seq: int) -> int:
    """Put into `target` the newest timeline snapshot at or below `seq`; return the seq it holds
    the timeline as of (0: no snapshot, `target` left empty)."""
    return int(r.eval(_RESTORE, 2, target, TL_SNAPS, seq, TL + "snap:"))

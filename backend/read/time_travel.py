"""Time travel: the read models as of event N, built by the live projections, plus tombstones.

A snapshot is a complete key space "ripple-tt:<id>:" holding the read models as of one seq, made by
replaying the log with the live projection functions (backend/read/replay.py). To answer as of N:
- a snapshot at exactly N is used as it is (stepping back and forth re-uses them);
- else a complete snapshot is left at the multiple of `every` below N if missing (copied from the
  nearest one below, the events in between replayed into it), and it is copied *lean* to a new
  key space, and the events up to N replayed into it. Lean: without the feeds (the bulk of the
  read models) but the one the query reads; no projection reads a feed, so every other key is
  exact (the replay refuses to read a left-out key). A lean snapshot is a base only for a later
  lean one keeping the same feed (stepping forward costs a copy and the events in between).
The live query functions then read the snapshot (same code, other prefix): the answer is what the
live read models answered at N. At most `keep` snapshots are kept, least recently used go first.
"""
import time
import uuid

from backend.read.projections import PREFIX, post_key
from backend.read.keyspace import copy_prefix, drop_prefix
from backend.read.replay import replay, scratch_caps

TT = "ripple-tt:"
INDEX = TT + "index"   # zset: full snapshot id -> its seq
LEAN = TT + "lean"     # zset: lean snapshot id -> its seq (no feeds but one: answers, not bases)
LEAN_FEED = TT + "lean-feed"  # hash: lean snapshot id -> the member whose feed it holds, or ""
FEEDS = "feed:"        # the key family a lean snapshot leaves out: no projection ever reads it
USED = TT + "used"     # zset: snapshot id -> last use (epoch s)
STORE = TT + "store"   # the write DB whose log the snapshots come from
SNAPSHOT_EVERY = 2000
KEEP = 32
BUSY_S = 30.0          # a snapshot used this recently is never evicted (a query may be reading it)


def _prefix(sid: str) -> str:
    return f"{TT}{sid}:"


class TimeMachine:
    def __init__(self, r, session_factory, caps, every: int = SNAPSHOT_EVERY, keep: int = KEEP,
                 store_id: str | None = None):
        self.r, self.sf, self.caps, self.every, self.keep = r, session_factory, caps, every, keep
        self.store_id = store_id

    def prefix_at(self, seq: int, feed: str | None = None) -> str:
        """The key-space prefix of a snapshot as of `seq`: complete, or lean (every key but the
        feeds other than `feed`'s, which no projection reads and the query will not read)."""
        if self.store_id is not None and self.r.get(STORE) != self.store_id:
            self.clear()  # snapshots of another write DB's log
            self.r.set(STORE, self.store_id)
        exact = self.r.zrangebyscore(INDEX, seq, seq, start=0, num=1)
        if exact:
            self._touch(exact[0])
            return _prefix(exact[0])
        for sid in self.r.zrangebyscore(LEAN, seq, seq):
            if self.r.hget(LEAN_FEED, sid) == (feed or ""):
                self._touch(sid)
                return _prefix(sid)
        lean = self._lean_base(seq, feed or "")
        sid, at = lean if lean and lean[1] > seq // self.every * self.every else self._base(seq)
        if at == seq and sid is not None:
            self._touch(sid)
        else:
            sid = self._build((sid, at), seq, lean=feed or "")
        self._evict()
        return _prefix(sid)

    def _lean_base(self, seq: int, feed: str) -> tuple[str, int] | None:
        """The nearest lean snapshot below `seq` that kept the same feed: a valid base for another
        lean one (everything it holds is exact), e.g. the page one event before, when scrubbing."""
        for sid, at in self.r.zrevrangebyscore(LEAN, seq, "-inf", start=0, num=16, withscores=True):
            if self.r.hget(LEAN_FEED, sid) == feed:
                return sid, int(at)
        return None

    def _base(self, seq: int) -> tuple[str | None, int]:
        """The nearest complete snapshot at or below `seq` (None, 0: an empty key space), after
        leaving one at the multiple of `every` below `seq` if it was missing."""
        below = self.r.zrevrangebyscore(INDEX, seq, "-inf", start=0, num=1, withscores=True)
        sid, at = (below[0][0], int(below[0][1])) if below else (None, 0)
        mark = seq // self.every * self.every
        if at < mark:  # one complete snapshot per request at most: a cold answer costs about what
            sid, at = self._build((sid, at), mark), mark  # a naive replay does, plus two copies
        return sid, at

    def _build(self, base: tuple[str | None, int], seq: int, lean: str | None = None) -> str:
        """A snapshot at `seq` from `base`: complete, or lean (`lean` = whose feed it keeps)."""
        base_sid, base_seq = base
        sid = uuid.uuid4().hex[:12]
        target = _prefix(sid)
        keep = FEEDS + lean if lean else ""
        if base_sid is not None:  # (a lean base has no other feeds to leave out)
            self._touch(base_sid)
            copy_prefix(self.r, _prefix(base_sid), target, FEEDS if lean is not None else "", keep)
        caps = scratch_caps(self.caps, target)
        replay(self.r, self.sf, caps, base_seq, seq,
               unread=(target + FEEDS, target + keep) if lean is not None else ())
        self.r.set(target + "checkpoint", seq)
        with self.r.pipeline(transaction=True) as p:
            if lean is None:
                p.zadd(INDEX, {sid: seq})
            else:
                p.zadd(LEAN, {sid: seq})
                p.hset(LEAN_FEED, sid, lean)
            p.zadd(USED, {sid: time.time()})
            p.execute()
        return sid

    def _touch(self, sid: str) -> None:
        self.r.zadd(USED, {sid: time.time()})

    def _evict(self) -> None:
        extra = self.r.zcard(USED) - self.keep
        if extra <= 0:
            return
        idle = self.r.zrangebyscore(USED, "-inf", time.time() - BUSY_S)  # least recently used first
        lean = set(self.r.zrange(LEAN, 0, -1))
        # answers (lean) go first; the complete snapshots at multiples of K are the expensive ones
        for sid in sorted(idle, key=lambda x: x not in lean)[:extra]:
            self._forget(sid)

    def _forget(self, sid: str) -> None:
        with self.r.pipeline(transaction=True) as p:
            p.zrem(INDEX, sid)
            p.zrem(LEAN, sid)
            p.hdel(LEAN_FEED, sid)
            p.zrem(USED, sid)
            p.execute()
        drop_prefix(self.r, _prefix(sid))

    def clear(self) -> None:
        for sid in self.r.zrange(USED, 0, -1) + self.r.zrange(INDEX, 0, -1):
            drop_prefix(self.r, _prefix(sid))
        self.r.delete(INDEX, LEAN, LEAN_FEED, USED)


def tombstone(post: dict) -> dict:
    return {"id": post["id"], "author": post["author"], "deleted": True}


def with_tombstones(posts: list[dict], gone: set[int], viewer: str | None) -> list[dict]:
    """Posts deleted since (`gone`) become tombstones, except to their author."""
    return [tombstone(p) if p["id"] in gone and p["author"] != viewer else p for p in posts]


def deleted_now(r, post_ids: list[int]) -> set[int]:
    """Which of these posts (all existing at some version) the live read models no longer hold."""
    with r.pipeline(transaction=False) as p:
        for pid in post_ids:
            p.exists(post_key(pid, PREFIX))
        alive = p.execute()
    return {pid for pid, there in zip(post_ids, alive) if not there}


def past_answer(r, answer: dict, seq: int, viewer: str | None) -> dict:
    """A query's answer from a snapshot -> the time-travel answer: tombstones, as_of, version."""
    out = dict(answer)
    if "posts" in out:
        ids = [p["id"] for p in out["posts"]]
        out["posts"] = with_tombstones(out["posts"], deleted_now(r, ids), viewer)
    if "post" in out:
        post = out["post"]
        if deleted_now(r, [post["id"]]) and post["author"] != viewer:
            out["post"] = tombstone(post)
    out["as_of"] = out["version"] = seq
    return out

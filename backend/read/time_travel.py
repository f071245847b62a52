"""Time travel: a page as of event N, by scoped replay, plus tombstones.

The cost of an answer is bounded by the page, not by the world. For one page as of N:
1. find the events its list depends on, from the event store and the scope index
   (backend/read/scope_index.py, kept in the audit index), never the mutable write tables:
   - timeline: the newest timeline snapshot at or below N (one every 64 posts created or
     deleted), then the post_created / post_deleted events after it, up to N (their seqs from
     the scope index, the events by primary key);
   - profile of h: h's posts created/deleted, h's follows and unfollows, h's registration and the
     follows and unfollows of h (what user:h, user:h:posts and user:h:followers are made of);
   - feed of h: h's follows and unfollows, h's own posts, and the posts created/deleted by every
     member h followed up to N (the fan-out and the back-fill are what write feed:h; in the scratch
     followers(X) holds just h when h follows X, which is all the fan-out needs for feed:h);
2. replay them into a scratch key space "ripple-tts:<id>:" with the SAME live projection functions,
   keeping only the list's keys (backend/read/scoped_replay.py);
3. read the page's post ids from the scratch list (the same range the query reads), then replay
   every event of those posts up to N (the audit index's per-post lists), keeping only their keys;
4. set the scratch checkpoint to N and run the SAME live query function on the scratch prefix: the
   answer is what the live read models answered at N, field for field;
5. drop the scratch keys, and turn posts deleted since N into tombstones for all but their author.
Costs: a page replays ~its posts' events plus its list's inputs (at most 64 timeline events; a
member's own activity; for a feed, the posts of those they followed). The limit: a member with a
very large activity (say 100,000 followers) makes their profile replay all of it; per-member
snapshots, as the timeline has, would bound that too.
"""
import uuid

from backend.read import audit_index, queries, scope_index
from backend.read.projections import (PREFIX, comments_key, feed_key, followers_key, likers_key,
                                      post_key, user_key, user_posts_key)
from backend.read.scope_index import member_key, seqs_until
from backend.read.scoped_replay import events_at, scoped_replay, with_prefix

SCRATCH = "ripple-tts:"


class Scratch:
    """One answer's key space: built, queried once, dropped."""

    def __init__(self, r, session_factory, caps, seq: int):
        self.r, self.sf, self.seq = r, session_factory, seq
        self.prefix = f"{SCRATCH}{uuid.uuid4().hex[:12]}:"
        self.caps = with_prefix(caps, self.prefix)
        self.keys = {self.prefix + "checkpoint"}
        self.written = set()  # keys holding data in the scratch (the rest: empty)

    def _replay(self, events, keys: set, fan_out: bool = False, extra: set = frozenset()):
        self.keys |= set(keys) | set(extra)
        scoped_replay(self.r, events, self.caps, keys, fan_out, self.written)

    def timeline(self) -> str:
        key = self.prefix + "timeline"
        self.keys.add(key)
        self.written.add(key)
        since = scope_index.restore_timeline(self.r, key, self.seq)
        self._replay(events_at(self.sf, scope_index.timeline_seqs(self.r, since, self.seq)), {key})
        return key

    def profile(self, handle: str) -> str:
        lists = seqs_until(self.r, [member_key(handle, w) for w in ("posts", "out", "in")],
                           self.seq)
        p = self.prefix
        self._replay(events_at(self.sf, [s for seqs in lists for s in seqs]),
                     {user_key(handle, p), user_posts_key(handle, p), followers_key(handle, p)})
        return user_posts_key(handle, p)

    def feed(self, handle: str) -> str:
        own, out = seqs_until(self.r, [member_key(handle, "posts"), member_key(handle, "out")],
                              self.seq)
        follows = events_at(self.sf, out)
        members = sorted({ev["data"]["followee"] for ev in follows} | {handle})
        theirs = seqs_until(self.r, [member_key(m, "posts") for m in members], self.seq)
        posts = events_at(self.sf, {s for seqs in theirs for s in seqs} | set(own))
        p = self.prefix
        keys = {feed_key(handle, p)} | {k for m in members
                                        for k in (user_posts_key(m, p), followers_key(m, p))}
        self._replay(sorted(follows + posts, key=lambda ev: ev["seq"]), keys, fan_out=True,
                     extra={feed_key(m, p) for m in members})  # the fan-out writes these
        return feed_key(handle, p)

    def posts(self, ids: list[int]) -> None:
        logs = seqs_until(self.r, [audit_index.post_log_key(pid) for pid in ids], self.seq)
        p = self.prefix
        keys = {k for pid in ids
                for k in (post_key(pid, p), likers_key(pid, p), comments_key(pid, p))}
        self._replay(events_at(self.sf, [s for seqs in logs for s in seqs]), keys)

    def page_ids(self, list_key: str, limit: int, before: int | None) -> list[int]:
        """The ids the query will read the posts of (its own range: newest first, before)."""
        if limit <= 0:
            return []
        return [int(i) for i in self.r.zrevrangebyscore(
            list_key, f"({before}" if before else "+inf", "-inf", start=0, num=limit)]

    def drop(self) -> None:
        keys = sorted(self.keys)
        for i in range(0, len(keys), 1000):
            self.r.unlink(*keys[i:i + 1000])


def page_as_of(r, session_factory, caps, seq: int, kind: str, subject=None, limit: int = 20,
               before: int | None = None, viewer: str | None = None) -> dict:
    """The answer of a live query as of `seq` (kind: timeline | feed | profile | post), with the
    tombstones. The audit index and the live read models must be caught up to `seq` already."""
    s = Scratch(r, session_factory, caps, seq)
    try:
        if kind == "post":
            s.posts([subject])
        else:
            list_key = {"timeline": s.timeline, "feed": s.feed, "profile": s.profile}[kind](
                *(() if kind == "timeline" else (subject,)))
            s.posts(s.page_ids(list_key, limit, before))
        r.set(s.prefix + "checkpoint", seq)
        p = s.prefix
        if kind == "timeline":
            answer = queries.timeline(r, limit, before, viewer, prefix=p)
        elif kind == "feed":
            answer = queries.feed(r, subject, limit, before, prefix=p)
        elif kind == "profile":
            answer = queries.profile(r, subject, viewer, limit, before, prefix=p)
        else:
            answer = queries.post_detail(r, subject, viewer, prefix=p)
    finally:
        s.drop()
    return past_answer(r, answer, seq, viewer)


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
    """A query's answer from a scratch key space -> the time-travel answer: tombstones, as_of."""
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

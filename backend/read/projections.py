"""The read side's write path: Redis key names and one projection per event type.

Every projection is a function (data, event, r, p, caps): it may read through `r` (a plain client) and
queues its writes on `p` (a MULTI pipeline). The projector applies events in MULTI/EXECs together
with the checkpoint, so an event is applied exactly once and the read models are a pure function of
the event log: replaying from seq 0 into an empty Redis gives the same keys as the live projection.
A projection that reads through `r` is listed in READS_REDIS, so it never shares a MULTI/EXEC with
the events before it (it would read the state before them).
"""
import json
from dataclasses import dataclass

PREFIX = "ripple:"
CHECKPOINT = PREFIX + "checkpoint"
STORE = PREFIX + "store"  # the write DB (StoreIdentity) whose event log these read models mirror
TIMELINE = PREFIX + "timeline"
USERS = PREFIX + "users"
POPULAR = PREFIX + "popular"  # handle -> follower count: whom the empty home feed suggests
LOCK = PREFIX + "projector-lock"
BACKFILL = 50  # how many of a user's latest posts a new follower gets in their feed


def post_key(post_id, prefix: str = PREFIX) -> str:
    return f"{prefix}post:{post_id}"


def likers_key(post_id, prefix: str = PREFIX) -> str:
    return f"{prefix}post:{post_id}:likers"


def comments_key(post_id, prefix: str = PREFIX) -> str:
    return f"{prefix}post:{post_id}:comments"


def user_key(handle, prefix: str = PREFIX) -> str:
    return f"{prefix}user:{handle}"


def user_posts_key(handle, prefix: str = PREFIX) -> str:
    return f"{prefix}user:{handle}:posts"


def followers_key(handle, prefix: str = PREFIX) -> str:
    return f"{prefix}user:{handle}:followers"


def following_key(handle, prefix: str = PREFIX) -> str:
    return f"{prefix}user:{handle}:following"


def feed_key(handle, prefix: str = PREFIX) -> str:
    return f"{prefix}feed:{handle}"


def command_key(command_id) -> str:
    """Command outcomes: a read model too, but of processed_commands, so rebuild keeps them."""
    return f"{PREFIX}command:{command_id}"


@dataclass(frozen=True)
class Caps:
    timeline: int = 1000
    feed: int = 800
    # The key space the projections write: the live read models, or a scratch set (a time-travel
    # snapshot, a blue/green rebuild) built by the very same functions (backend/read/replay.py).
    prefix: str = PREFIX


def _add_capped(p, key, member, score, cap):
    p.zadd(key, {member: score})
    p.zremrangebyrank(key, 0, -cap - 1)


# Fan-out on write, run inside Redis: one EVAL queued in the event's MULTI (so still atomic with the
# checkpoint) reads the author's followers there and touches every feed. Queuing two commands per
# follower from Python instead cost ~130 ms for 10,000 followers; this costs ~15 ms (bench/fanout.py).
_FAN_OUT = """
local prefix, author, pid, cap = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local handles = redis.call('ZRANGE', KEYS[1], 0, -1)
table.insert(handles, author)
for _, h in ipairs(handles) do
  local key = prefix .. h
  if cap > 0 then
    redis.call('ZADD', key, pid, pid)
    redis.call('ZREMRANGEBYRANK', key, 0, -cap - 1)
  else
    redis.call('ZREM', key, pid)
  end
end
return #handles
"""
# Its Python twin, for a replay folded in memory, is backend/read/fold.py's `fan_out` (a test runs
# both on random input: tests/integration/test_fold.py). Change them together.


def _fan_out(p, author, pid, cap, prefix=PREFIX):
    """Add post `pid` to the feeds of `author` and their followers (capped), or remove it (cap 0)."""
    p.eval(_FAN_OUT, 1, followers_key(author, prefix), feed_key("", prefix), author, pid, cap)


def user_registered(data, ev, r, p, caps):
    h = data["handle"]
    p.hset(user_key(h, caps.prefix), mapping={"handle": h, "joined": data["joined"], "posts": 0,
                                              "followers": 0, "following": 0})
    p.zadd(caps.prefix + "users", {h: ev["seq"]})
    p.zadd(caps.prefix + "popular", {h: 0})


def post_created(data, ev, r, p, caps):
    post, author = data["post"], data["post"]["author"]
    pid = post["id"]
    p.hset(post_key(pid, caps.prefix), mapping={"id": pid, "author": author, "body": post["body"],
                                                "created_at": post["created_at"], "edited_at": "",
                                                "likes": 0, "comments": 0})
    _add_capped(p, caps.prefix + "timeline", pid, pid, caps.timeline)
    p.zadd(user_posts_key(author, caps.prefix), {pid: pid})
    p.hincrby(user_key(author, caps.prefix), "posts", 1)
    _fan_out(p, author, pid, caps.feed, caps.prefix)


def post_edited(data, ev, r, p, caps):
    p.hset(post_key(data["post_id"], caps.prefix),
           mapping={"body": data["body"], "edited_at": data["edited_at"]})


def post_deleted(data, ev, r, p, caps):
    pid, author = data["post_id"], data["author"]
    p.delete(post_key(pid, caps.prefix), likers_key(pid, caps.prefix),
             comments_key(pid, caps.prefix))
    p.zrem(caps.prefix + "timeline", pid)
    p.zrem(user_posts_key(author, caps.prefix), pid)
    p.hincrby(user_key(author, caps.prefix), "posts", -1)
    _fan_out(p, author, pid, 0, caps.prefix)


def comment_created(data, ev, r, p, caps):
    c = data["comment"]
    p.rpush(comments_key(c["post_id"], caps.prefix), json.dumps(c, sort_keys=True))
    p.hincrby(post_key(c["post_id"], caps.prefix), "comments", 1)


def post_liked(data, ev, r, p, caps):
    p.sadd(likers_key(data["post_id"], caps.prefix), data["user"])
    p.hincrby(post_key(data["post_id"], caps.prefix), "likes", 1)


def post_unliked(data, ev, r, p, caps):
    p.srem(likers_key(data["post_id"], caps.prefix), data["user"])
    p.hincrby(post_key(data["post_id"], caps.prefix), "likes", -1)


def user_followed(data, ev, r, p, caps):
    me, them = data["follower"], data["followee"]
    p.zadd(followers_key(them, caps.prefix), {me: ev["seq"]})
    p.zadd(following_key(me, caps.prefix), {them: ev["seq"]})
    p.hincrby(user_key(them, caps.prefix), "followers", 1)
    p.zincrby(caps.prefix + "popular", 1, them)
    p.hincrby(user_key(me, caps.prefix), "following", 1)
    recent = r.zrevrange(user_posts_key(them, caps.prefix), 0, BACKFILL - 1, withscores=True)
    if recent:  # back-fill their latest posts into my feed
        p.zadd(feed_key(me, caps.prefix), {pid: score for pid, score in recent})
        p.zremrangebyrank(feed_key(me, caps.prefix), 0, -caps.feed - 1)


def user_unfollowed(data, ev, r, p, caps):
    me, them = data["follower"], data["followee"]
    p.zrem(followers_key(them, caps.prefix), me)
    p.zrem(following_key(me, caps.prefix), them)
    p.hincrby(user_key(them, caps.prefix), "followers", -1)
    p.zincrby(caps.prefix + "popular", -1, them)
    p.hincrby(user_key(me, caps.prefix), "following", -1)
    theirs = r.zrange(user_posts_key(them, caps.prefix), 0, -1)
    if theirs:
        p.zrem(feed_key(me, caps.prefix), *theirs)


# Projections that read Redis through `r` while queuing their writes: the projector gives each its own
# MULTI/EXEC, after the events before it have been applied (fast_path._chunks).
READS_REDIS = frozenset({"user_followed", "user_unfollowed"})

PROJECTIONS = {f.__name__: f for f in (user_registered, post_created, post_edited, post_deleted,
                                       comment_created, post_liked, post_unliked, user_followed,
                                       user_unfollowed)}

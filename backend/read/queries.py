"""The query side: read-only functions over the Redis read models. No SQL here, ever."""
import json

from backend.write.commands import HANDLE_RE
from backend.read.projections import (CHECKPOINT, POPULAR, PREFIX, USERS, command_key,
                                      comments_key, feed_key, followers_key, following_key,
                                      likers_key, post_key, user_key, user_posts_key)

MAX_LIMIT = 100
COMMENT_PAGE = 50              # comments per page, at most
COMMENT_PAGE_BYTES = 20 * 1024  # ... and about this many bytes as served (a page stays small)


class NotFound(LookupError):
    def __init__(self, what: str):
        super().__init__(f"{what} not found")
        self.what = what


def version(r) -> int:
    return int(r.get(CHECKPOINT) or 0)


def _post_view(raw: dict, liked: bool | None) -> dict:
    post = {"id": int(raw["id"]), "author": raw["author"], "body": raw["body"],
            "created_at": float(raw["created_at"]),
            "edited_at": float(raw["edited_at"]) if raw.get("edited_at") else None,
            "likes": int(raw.get("likes", 0)), "comments": int(raw.get("comments", 0))}
    post["edited"] = post["edited_at"] is not None
    if liked is not None:
        post["liked"] = liked
    return post


def posts_by_ids(r, ids, viewer: str | None = None) -> list[dict]:
    with r.pipeline(transaction=False) as p:
        for pid in ids:
            p.hgetall(post_key(pid))
            if viewer:
                p.sismember(likers_key(pid), viewer)
        replies = p.execute()
    step = 2 if viewer else 1
    posts = []
    for i in range(0, len(replies), step):
        raw = replies[i]
        if raw:  # a post deleted between the two reads is simply skipped
            posts.append(_post_view(raw, bool(replies[i + 1]) if viewer else None))
    return posts


# A page in ONE round trip and one snapshot: ids, checkpoint, each post's hash (and whether the
# viewer likes it). As a pipeline of 2 commands per post it cost ~3x the client CPU (bench/reads.py).
_PAGE_LUA = """
local ids = redis.call('ZREVRANGEBYSCORE', KEYS[1], ARGV[1], '-inf', 'LIMIT', 0, ARGV[2] + 1)
local out = {redis.call('GET', KEYS[2]) or '0', ids}
for i = 1, math.min(#ids, tonumber(ARGV[2])) do
  local post = ARGV[4] .. ids[i]
  out[#out + 1] = redis.call('HGETALL', post)
  if ARGV[3] ~= '' then out[#out + 1] = redis.call('SISMEMBER', post .. ARGV[5], ARGV[3]) end
end
return out
"""
_LIKERS_SUFFIX = likers_key("0")[len(post_key("0")):]


def _page(r, key: str, limit: int, before: int | None, viewer: str | None,
          prefix: str = PREFIX) -> dict:
    reply = r.register_script(_PAGE_LUA)(
        keys=[key, prefix + "checkpoint"],
        args=[f"({before}" if before else "+inf", limit, viewer or "", post_key("", prefix),
              _LIKERS_SUFFIX])
    return _page_of(reply, limit, viewer)


def _page_of(reply, limit: int, viewer: str | None) -> dict:
    ver, ids, rest = reply[0], reply[1], reply[2:]
    more = len(ids) > limit
    ids = ids[:limit]
    step, posts = (2 if viewer else 1), []
    for i in range(0, len(rest), step):
        if rest[i]:  # a post deleted meanwhile is simply skipped
            raw = dict(zip(rest[i][::2], rest[i][1::2]))
            posts.append(_post_view(raw, bool(rest[i + 1]) if viewer else None))
    return {"posts": posts, "version": int(ver or 0),
            "next": int(ids[-1]) if more and ids else None}  # limit=0: no page


def timeline(r, limit: int = 20, before: int | None = None, viewer: str | None = None,
             prefix: str = PREFIX) -> dict:
    return _page(r, prefix + "timeline", limit, before, viewer, prefix)


def feed(r, handle: str, limit: int = 20, before: int | None = None, prefix: str = PREFIX) -> dict:
    return _page(r, feed_key(handle, prefix), limit, before, handle, prefix)


# The profile in one snapshot too: the member's hash, whether the viewer follows them, and the page.
_PROFILE_LUA = """
local user = redis.call('HGETALL', KEYS[3])
local follows = false
if ARGV[3] ~= '' then follows = redis.call('ZSCORE', KEYS[4], ARGV[3]) end
""" + _PAGE_LUA.replace("return out", "return {user, follows and 1 or 0, out}")


def profile(r, handle: str, viewer: str | None = None, limit: int = 20,
            before: int | None = None, prefix: str = PREFIX) -> dict:
    if not HANDLE_RE.match(handle):  # "alice:posts" would name another key (WRONGTYPE -> 500)
        raise NotFound("user")
    raw, follows, reply = r.register_script(_PROFILE_LUA)(
        keys=[user_posts_key(handle, prefix), prefix + "checkpoint", user_key(handle, prefix),
              followers_key(handle, prefix)],
        args=[f"({before}" if before else "+inf", limit, viewer or "", post_key("", prefix),
              _LIKERS_SUFFIX])
    if not raw:
        raise NotFound("user")
    raw = dict(zip(raw[::2], raw[1::2]))
    user = {"handle": raw["handle"], "joined": float(raw["joined"]), "posts": int(raw["posts"]),
            "followers": int(raw["followers"]), "following": int(raw["following"])}
    if viewer:
        user["followed_by_me"] = bool(follows)
    return {"user": user, **_page_of(reply, limit, viewer)}


def follow_list(r, handle: str, which: str, limit: int = 100, offset: int = 0) -> dict:
    if not HANDLE_RE.match(handle) or not r.exists(user_key(handle)):
        raise NotFound("user")
    key = followers_key(handle) if which == "followers" else following_key(handle)
    handles = r.zrevrange(key, offset, offset + limit - 1)
    return {"handle": handle, which: handles, "total": r.zcard(key)}


# A post page in one snapshot: checkpoint, the post, whether the viewer likes it, its comments.
_POST_LUA = """
local post = redis.call('HGETALL', KEYS[1])
local liked = 0
if ARGV[1] ~= '' then liked = redis.call('SISMEMBER', KEYS[2], ARGV[1]) end
return {redis.call('GET', KEYS[4]) or '0', post, liked,
        redis.call('LRANGE', KEYS[3], 0, tonumber(ARGV[2]))}
"""


def post_detail(r, post_id: int, viewer: str | None = None, prefix: str = PREFIX) -> dict:
    ver, raw, liked, comments = r.register_script(_POST_LUA)(
        keys=[post_key(post_id, prefix), likers_key(post_id, prefix),
              comments_key(post_id, prefix), prefix + "checkpoint"], args=[viewer or "", COMMENT_PAGE])
    if not raw:
        raise NotFound("post")
    post = _post_view(dict(zip(raw[::2], raw[1::2])), bool(liked) if viewer else None)
    page = _comment_page_of(comments, 0, COMMENT_PAGE)  # the first page, same snapshot
    return {"post": post | {"comment_list": page["comments"], "comments_next": page["next"]},
            "version": int(ver or 0)}


def _served_size(stored: str) -> int:
    """Bytes of a stored comment (ASCII JSON) served in a page, where <>&' become 6-byte escapes."""
    return len(stored) + 5 * sum(stored.count(ch) for ch in "<>&'")


def _comments(r, post_id: int, after: int, limit: int) -> dict:
    """Comments oldest first from position `after`; `next` is the position to ask for next (comments
    are only ever appended, so a position is a stable cursor), None at the end."""
    raw = r.lrange(comments_key(post_id), after, after + limit)  # one more: is there a next page?
    return _comment_page_of(raw, after, limit)


def _comment_page_of(raw: list[str], after: int, limit: int) -> dict:
    """Up to `limit` stored comments of `raw` (read from position `after`, one more than a page)
    that fit in COMMENT_PAGE_BYTES, and the cursor of the next page (None at the end)."""
    comments, size = [], 0
    for stored in raw[:limit]:
        size += _served_size(stored)
        if comments and size > COMMENT_PAGE_BYTES:
            break
        comments.append(json.loads(stored))
    return {"comments": comments, "next": after + len(comments) if len(comments) < len(raw) else None}


def comment_page(r, post_id: int, after: int = 0, limit: int = COMMENT_PAGE) -> dict:
    if not posts_by_ids(r, [post_id]):
        raise NotFound("post")
    return _comments(r, post_id, after, limit) | {"version": version(r)}


def suggestions(r, viewer: str, limit: int = 5) -> list[dict]:
    """The members with the most followers that the viewer does not follow yet (the empty feed).
    From the `popular` read model; a Redis projected before it existed falls back to the newest."""
    following = set(r.zrange(following_key(viewer), 0, -1))
    if r.exists(POPULAR):
        ranked = r.zrevrange(POPULAR, 0, limit + len(following), withscores=True)
    else:
        ranked = [(h, 0) for h in r.zrevrange(USERS, 0, limit + len(following))]
    return [{"handle": h, "followers": int(n)} for h, n in ranked
            if h != viewer and h not in following][:limit]


def followed_among(r, viewer: str | None, handles: list[str]) -> list[str]:
    """Which of `handles` the viewer follows (the Follow buttons of a followers/following list)."""
    if not viewer or not handles:
        return []
    with r.pipeline(transaction=False) as p:
        for h in handles:
            p.zscore(following_key(viewer), h)
        return [h for h, score in zip(handles, p.execute()) if score is not None]


def command_status(r, command_id: str) -> dict | None:
    return parse_command_status(command_id, r.hgetall(command_key(command_id)))


def parse_command_status(command_id: str, raw: dict) -> dict | None:
    """A command's recorded outcome (the hash ripple:command:<id>), or None."""
    if not raw:
        return None
    status = {"command_id": command_id, "status": raw["status"], "author": raw.get("author")}
    for key in ("result", "error", "timings"):
        if raw.get(key):
            status[key] = json.loads(raw[key])
    return status

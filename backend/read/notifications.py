"""Which Socket.IO message goes to which rooms, for an applied event or a command outcome.

Pure functions (the worker does the emitting), so the routing is unit-tested without a server.
Rooms: "timeline" (Explore viewers), "user:<h>" (every tab of user h: their feed and their own
command outcomes), "profile:<h>" (viewers of h's profile), "post:<id>" (viewers of a post page).
"""
from backend.read.projections import followers_key, post_key, user_key


def _audience(r, author: str) -> list[str]:
    """The author's own tabs and the tabs of everyone whose feed holds the author's posts."""
    return [f"user:{author}"] + [f"user:{h}" for h in r.zrange(followers_key(author), 0, -1)]


def messages_for_event(ev: dict, r) -> list[tuple[str, dict, list[str]]]:
    """Each message carries the event's seq as `version` and the originating command_id."""
    data, meta = ev["data"], {"command_id": ev["command_id"], "version": ev["seq"]}
    kind = ev["type"]
    if kind == "post_created":
        author = data["post"]["author"]
        post = data["post"] | {"edited_at": None, "edited": False, "likes": 0, "comments": 0}
        rooms = ["timeline", f"profile:{author}", *_audience(r, author)]
        return [("post_created", {"post": post, **meta}, rooms)]
    if kind in ("post_edited", "post_deleted"):
        author, pid = data["author"], data["post_id"]
        rooms = ["timeline", f"profile:{author}", f"post:{pid}", *_audience(r, author)]
        return [(kind, data | meta, rooms)]
    if kind == "comment_created":
        c = data["comment"]
        counts = {"post_id": c["post_id"], "comments": int(r.hget(post_key(c["post_id"]), "comments") or 0)}
        return [("comment_created", {"comment": c, **counts, **meta},
                 [f"post:{c['post_id']}", f"user:{c['author']}"])]
    if kind in ("post_liked", "post_unliked"):
        likes = int(r.hget(post_key(data["post_id"]), "likes") or 0)
        return [(kind, data | {"likes": likes} | meta,
                 [f"post:{data['post_id']}", f"user:{data['user']}", "timeline"])]
    if kind in ("user_followed", "user_unfollowed"):
        me, them = data["follower"], data["followee"]
        counts = {"followee_followers": int(r.hget(user_key(them), "followers") or 0),
                  "follower_following": int(r.hget(user_key(me), "following") or 0)}
        rooms = [f"user:{me}", f"user:{them}", f"profile:{them}", f"profile:{me}"]
        return [(kind, data | counts | meta, rooms)]
    return []


def saved_message(command: dict, seq: int, timings: dict) -> tuple[str, dict, list[str]]:
    """The author-only "committed to the write DB, not yet visible to others" (command_saved)."""
    return ("command_saved", {"command_id": command["command_id"], "type": command["type"],
                              "seq": seq, "timings": timings}, [f"user:{command['author']}"])


def outcome_message(command: dict, status: dict, version: int,
                    timings: dict | None = None) -> tuple[str, dict, list[str]]:
    """The author-only confirmation (command_succeeded, with the stages' `timings`) or rejection
    (command_failed)."""
    room = [f"user:{command['author']}"]
    if status["status"] == "failed":
        return ("command_failed", {"command_id": command["command_id"], "type": command["type"],
                                   "error": status["error"]}, room)
    return ("command_succeeded", {"command_id": command["command_id"], "type": command["type"],
                                  "result": status.get("result"), "version": version,
                                  "timings": timings}, room)

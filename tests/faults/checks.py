"""What every fault test proves at the end, and how it reports its figures.

- exactly_once(): each accepted command has exactly one effect in the write DB, counted two ways that
  do not depend on each other: its events (events.command_id) and the rows it made (posts, comments,
  likes, follows, found by their unique body or key). Nothing else was written.
- read models == rebuild: dump every read-model key, rebuild from the event log, dump again, compare.
- report(): one figures line on stdout, one JSON line in tests/faults/results/faults.jsonl, and a
  row of the table pytest prints at the end of the run.
"""
import json
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import select

from backend.write.models import Comment, Event, Follow, Like, Post, ProcessedCommand, User
from tests.support import read_models_snapshot

RESULTS = Path(__file__).resolve().parent / "results"
COLLECTED: list["Figures"] = []
EFFECT_EVENTS = {"create_post": "post_created", "create_comment": "comment_created",
                 "like_post": "post_liked", "follow_user": "user_followed",
                 "edit_post": "post_edited", "delete_post": "post_deleted"}
EDITED = " (edited)"  # tests edit a post by appending this, so its creation is still recognisable


@dataclass
class Figures:
    scenario: str
    db: str
    sent: int = 0          # distinct commands the clients sent
    accepted: int = 0      # ... of which the server answered 202
    applied: int = 0       # ... with exactly one effect
    lost: int = 0
    duplicated: int = 0
    converge_s: float = 0.0
    extra: dict = field(default_factory=dict)

    def line(self) -> str:
        more = " ".join(f"{k}={v}" for k, v in self.extra.items())
        return (f"[faults] {self.scenario} ({self.db}): sent={self.sent} accepted={self.accepted} "
                f"applied={self.applied} lost={self.lost} duplicated={self.duplicated} "
                f"converge={self.converge_s:.2f}s {more}").rstrip()


def report(fig: Figures) -> None:
    print(fig.line(), flush=True)
    RESULTS.mkdir(exist_ok=True)
    with open(RESULTS / "faults.jsonl", "a") as f:
        f.write(json.dumps(asdict(fig) | {"at": time.strftime("%Y-%m-%dT%H:%M:%S")}) + "\n")
    COLLECTED.append(fig)


def rebuild_differences(svc) -> list[str]:
    """Keys whose live value differs from a rebuild from the event log (empty list = equal)."""
    live = read_models_snapshot(svc.redis)
    svc.projector.rebuild()
    rebuilt = read_models_snapshot(svc.redis)
    return sorted(k for k in live.keys() | rebuilt.keys() if live.get(k) != rebuilt.get(k))


def _rows(session):
    by_id = {p.id: (p.body, p.deleted_at) for p in session.scalars(select(Post))}
    posts = Counter(body.split(EDITED)[0] for body, _ in by_id.values())  # by original body
    comments = Counter(session.scalars(select(Comment.body)))
    likes = {(h, p) for h, p in session.execute(
        select(User.handle, Like.post_id).join(User, User.id == Like.user_id))}
    users = {u.id: u.handle for u in session.scalars(select(User))}
    follows = {(users[a], users[b]) for a, b in session.execute(
        select(Follow.follower_id, Follow.followee_id))}
    return posts, comments, likes, follows, by_id


def _effects(cmd: dict, author: str, events: Counter, rows) -> int | None:
    """How many times this command took effect: its events, cross-checked against its rows."""
    posts, comments, likes, follows, by_id = rows
    n_events = events[(cmd["command_id"], EFFECT_EVENTS[cmd["type"]])]
    p = cmd["payload"]
    post = by_id.get(p.get("post_id"), (None, None))
    n_rows = {"create_post": lambda: posts[p.get("body")],
              "create_comment": lambda: comments[p.get("body")],
              "like_post": lambda: int((author, p.get("post_id")) in likes),
              "follow_user": lambda: int((author, p.get("handle")) in follows),
              "edit_post": lambda: int(post[0] == p.get("body")),
              "delete_post": lambda: int(post[1] is not None)}[cmd["type"]]()
    return n_events if n_events == n_rows else None  # events and rows disagree: a fault too


def exactly_once(session_factory, accepted: dict[str, tuple[dict, str]]) -> dict:
    """accepted: command_id -> (envelope, author). Returns applied/lost/duplicated/extra counts."""
    with session_factory() as s:
        events = Counter((cid, t) for cid, t in s.execute(select(Event.command_id, Event.type)))
        processed = {row.command_id: row.status for row in s.scalars(select(ProcessedCommand))}
        rows = _rows(s)
    out = Counter()
    for cid, (cmd, author) in accepted.items():
        n = _effects(cmd, author, events, rows)
        ok = processed.get(cid) == "succeeded"
        if n is None:
            out["inconsistent"] += 1
            continue
        out["lost" if n == 0 else "duplicated" if n > 1 else "applied" if ok else "unrecorded"] += 1
    bodies = {c["payload"].get("body") for c, _ in accepted.values()}
    posts, comments = rows[0], rows[1]  # rows no accepted command explains:
    out["stray_rows"] = sum(1 for b in list(posts) + list(comments) if b not in bodies)
    return dict(out)

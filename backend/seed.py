"""`flask --app app seed --users N --posts M`: a living demo world, made through the real command path.

Users are created with accounts.signup (what the sign-up form does). Everything else -- follows,
posts, likes, comments -- is enqueued as commands on the same RQ queue, with the same job and
options as POST /api/commands, so a running worker handles, projects and broadcasts them exactly as
it would for a person (open browsers see the world fill up live). A progress bar follows the outcomes.
"""
import random
import time
import uuid

import click
from rq import Worker

from backend.write.accounts import HandleTaken, signup
from backend.write.command_queue import put_commands
from backend.write.commands import parse_command
from backend.read.projections import command_key
from backend.read.queries import parse_command_status

NAMES = ("ada grace alan linus margaret barbara ken dennis edsger donald frances katherine tim "
         "radia guido brendan anders bjarne john hedy sophie joan shafi leslie niklaus").split()
OPENERS = ["Just shipped", "Thinking about", "Reading up on", "Can't stop debugging", "Sketching",
           "Finally understood", "Writing notes on", "Arguing with a friend about", "Teaching"]
TOPICS = ["event sourcing", "CQRS", "Redis sorted sets", "optimistic UIs", "fan-out on write",
          "idempotent workers", "SQLite in WAL mode", "websockets", "read models", "cursor pagination",
          "backpressure", "the event log", "rebuilding projections", "home timelines"]
ENDINGS = ["and it is lovely.", "— more soon.", "Who else?", "What a rabbit hole.", "10/10.",
           "Send help.", "Notes on my profile.", "It finally clicked.", "Ask me anything."]
REPLIES = ["Nice!", "Totally agree.", "Tell me more?", "Same here.", "This is the way.",
           "Bookmarked.", "Hmm, not sure about that.", "Great point.", "Love it.", "Ha, yes."]
STALL_S = 60  # no outcome for this long: stop waiting and say why


def seed(services, users: int, posts: int, password: str, rng: random.Random | None = None) -> dict:
    """Create `users` users and about `posts` posts plus follows, likes and comments between them."""
    rng = rng or random.Random()
    handles = _users(services, users, password)
    if len(handles) < 2:
        raise click.ClickException("A demo world needs at least 2 users.")
    first = [_follow(a, b) for a in handles
             for b in rng.sample([h for h in handles if h != a], min(len(handles) - 1, rng.randint(3, 8)))]
    first += _posts(rng, handles, posts)
    done = _run(services, first, "follows and posts")
    post_ids = [s["result"]["post"]["id"] for s in done if s.get("result", {}).get("post")]
    second = []
    for pid in post_ids:
        for who in rng.sample(handles, rng.randint(0, min(len(handles), 6))):
            second.append((who, "like_post", {"post_id": pid}))
    for _ in range(posts // 2 if post_ids else 0):
        second.append((rng.choice(handles), "create_comment",
                       {"post_id": rng.choice(post_ids), "body": rng.choice(REPLIES)}))
    done += _run(services, second, "likes and comments")
    summary = {"users": len(handles), "commands": len(done),
               "failed": sum(s["status"] == "failed" for s in done)}
    for ctype in ("follow_user", "create_post", "like_post", "create_comment"):
        summary[ctype] = sum(1 for s in done if s["type"] == ctype)
    click.echo("Seeded: " + ", ".join(f"{k} {v}" for k, v in summary.items()))
    click.echo(f"Log in as @{handles[0]} (or any of them) with password {password!r}.")
    return summary


def _users(services, n: int, password: str) -> list[str]:
    handles = [NAMES[i % len(NAMES)] + (str(i // len(NAMES)) if i >= len(NAMES) else "")
               for i in range(n)]
    with click.progressbar(handles, label="users") as bar:
        for handle in bar:
            try:
                signup(services.session_factory, services.projector, handle, password)
            except HandleTaken:
                pass  # seeded before: reuse it
    return handles


def _follow(a: str, b: str) -> tuple:
    return a, "follow_user", {"handle": b}


def _posts(rng: random.Random, handles: list[str], n: int) -> list[tuple]:
    seen, out = set(), []
    while len(out) < n:
        author = rng.choice(handles)
        body = f"{rng.choice(OPENERS)} {rng.choice(TOPICS)} {rng.choice(ENDINGS)}"
        if (author, body) not in seen or len(seen) > 5000:  # "You already posted that" otherwise
            seen.add((author, body))
            out.append((author, "create_post", {"body": body}))
    return out


def enqueue(services, commands: list[tuple]) -> dict[str, str]:
    """Validate `commands` (author, type, payload) and put them in the command inbox as
    POST /api/commands does; return {command_id: type}."""
    envelopes = [parse_command({"command_id": str(uuid.uuid4()), "type": t, "payload": p}, a)
                 .envelope() for a, t, p in commands]
    for i in range(0, len(envelopes), 500):
        put_commands(services.queue, services.redis, envelopes[i:i + 500],
                     services.config.job_timeout_s)
    return {e["command_id"]: e["type"] for e in envelopes}


def _run(services, commands: list[tuple], label: str) -> list[dict]:
    """Enqueue `commands` (author, type, payload) and wait, with a progress bar, for their outcomes."""
    types = enqueue(services, commands)
    waiting, outcomes = set(types), []
    if waiting and not Worker.count(connection=services.rq_redis, queue=services.queue):
        click.echo("No worker is running yet: start one with `python -m worker` (waiting for it).")
    last_progress = time.monotonic()
    with click.progressbar(length=len(types), label=label) as bar:
        while waiting:
            done = _outcomes(services.redis, waiting)
            for cid, status in done.items():
                waiting.discard(cid)
                outcomes.append(status | {"type": types[cid]})
            bar.update(len(done))
            if done:
                last_progress = time.monotonic()
            elif time.monotonic() - last_progress > STALL_S:
                raise click.ClickException(f"No command was handled for {STALL_S} s: is "
                                           "`python -m worker` running against this Redis?")
            else:
                time.sleep(0.1)
    return outcomes


def _outcomes(r, ids) -> dict:
    """The recorded outcomes (ripple:command:<id>) among `ids`."""
    ids = list(ids)
    with r.pipeline(transaction=False) as p:
        for cid in ids:
            p.hgetall(command_key(cid))
        raws = p.execute()
    statuses = {cid: parse_command_status(cid, raw) for cid, raw in zip(ids, raws)}
    return {cid: status for cid, status in statuses.items() if status is not None}

"""Scenario 5: three workers racing on the same commands and the same projections.

Every command is queued twice, alone and again among up to 4 others (as a re-send racing its
original would), three `python -m worker` processes take them, and a fourth projector (this test)
runs catch-up in a loop at the same time. The commands are built so that their serial result does not depend on order:
unique bodies, each like and follow a new pair, edits and deletes on disjoint posts. So the state
one worker would produce is known in advance, and the test compares the DB and the read models
(through the API) with it, checks each command took effect once, and compares with a rebuild.
"""
import random
import threading
import time
from collections import Counter

import pytest

from backend.read.projections import command_key
from tests.faults.checks import EDITED, Figures, exactly_once, rebuild_differences, report
from tests.faults.clients import Client, command
from tests.support import wait_for

USERS = 4
POSTS_PER_USER = 40


def enqueue_twice(stack, cmds: list[tuple[dict, str]]) -> None:
    """Each command in two jobs: alone, then again in a job with up to 4 others."""
    envelopes = [cmd | {"author": author} for cmd, author in cmds]
    for i, envelope in enumerate(envelopes):
        stack.enqueue(envelope)
        if i % 5 == 4 or i == len(envelopes) - 1:
            stack.enqueue(*envelopes[i - i % 5:i + 1])


def applied(stack, cmds) -> bool:
    return stack.queue_idle() and stack.projected() and all(
        stack.r.exists(command_key(c["command_id"])) for c, _ in cmds)


def second_wave(users, post_ids: dict, rnd: random.Random) -> list[tuple[dict, str]]:
    """Likes (new pairs), comments, follows, edits and deletes on the first wave's posts."""
    handles = [u.handle for u in users]
    by_id = {pid: body for body, pid in post_ids.items()}
    mine = {h: rnd.sample(sorted(pid for pid, b in by_id.items() if b.startswith(f"post {h} ")), 8)
            for h in handles}
    doomed = {pid for h in handles for pid in mine[h][5:]}
    ids = sorted(set(by_id) - doomed)  # likes and comments go to posts that stay
    cmds = []
    for h in handles:
        cmds += [(command("like_post", post_id=pid), h) for pid in rnd.sample(ids, 15)]
        cmds += [(command("create_comment", post_id=rnd.choice(ids), body=f"comment {h} {i}"), h)
                 for i in range(10)]
        cmds += [(command("follow_user", handle=o), h) for o in handles if o != h]
        cmds += [(command("edit_post", post_id=pid, body=by_id[pid] + EDITED), h)
                 for pid in mine[h][:5]]
        cmds += [(command("delete_post", post_id=pid), h) for pid in mine[h][5:]]
    rnd.shuffle(cmds)
    return cmds


def expected_state(first, second) -> dict:
    """What a single worker applying every command once gives, as the API shows it."""
    deleted = {c["payload"]["post_id"] for c, _ in second if c["type"] == "delete_post"}
    likes = Counter(c["payload"]["post_id"] for c, _ in second if c["type"] == "like_post")
    comments = Counter(c["payload"]["post_id"] for c, _ in second if c["type"] == "create_comment")
    edits = {c["payload"]["post_id"]: c["payload"]["body"] for c, _ in second
             if c["type"] == "edit_post"}
    return {"deleted": deleted, "likes": likes, "comments": comments, "edits": edits,
            "posts_per_user": POSTS_PER_USER - len(deleted) // USERS}


def racing_projector(svc, stop: threading.Event) -> None:
    while not stop.is_set():
        svc.projector.catch_up(wait_s=0.5)
        time.sleep(0.01)


@pytest.mark.parametrize("db", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_three_racing_workers_reach_the_single_worker_state(fault_stack, request, db):
    url = request.getfixturevalue("pg_database_url") if db == "postgres" else None
    rnd = random.Random(5)
    stack = fault_stack(workers=3, database_url=url)
    stack.wait_workers_ready()
    users = [Client(stack.base) for _ in range(USERS)]
    stop = threading.Event()
    racer = threading.Thread(target=racing_projector, args=(stack.svc, stop), daemon=True)
    racer.start()
    started = time.monotonic()
    try:
        first = [(command("create_post", body=f"post {u.handle} {i}"), u.handle)
                 for i in range(POSTS_PER_USER) for u in users]
        enqueue_twice(stack, first)
        wait_for(lambda: applied(stack, first), timeout=90, interval=0.2, what="first wave")
        with stack.svc.engine.connect() as conn:
            post_ids = dict(conn.exec_driver_sql("SELECT body, id FROM posts").all())
        second = second_wave(users, post_ids, rnd)
        enqueue_twice(stack, second)
        wait_for(lambda: applied(stack, second), timeout=90, interval=0.2, what="second wave")
        converge_s = time.monotonic() - started
    finally:
        stop.set()
        racer.join(10)

    want, api = expected_state(first, second), users[0].session
    base = stack.base
    mismatches = [h for h in (u.handle for u in users)
                  if api.get(f"{base}/api/users/{h}").json()["user"]["posts"] != want["posts_per_user"]]
    for pid in post_ids.values():
        r = api.get(f"{base}/api/posts/{pid}")
        if pid in want["deleted"]:
            mismatches += [] if r.status_code == 404 else [f"post {pid} not deleted"]
            continue
        post = r.json()["post"]
        if (post["likes"], post["comments"]) != (want["likes"][pid], want["comments"][pid]) or \
                post["body"] != want["edits"].get(pid, post["body"].split(EDITED)[0]):
            mismatches.append(f"post {pid}: {post['likes']}/{post['comments']} {post['body']!r}")
    stack.stop_workers()
    diff = rebuild_differences(stack.svc)
    accepted = {c["command_id"]: (c, a) for c, a in first + second}
    effects = exactly_once(stack.svc.session_factory, accepted)
    fig = Figures("3 workers racing, every command twice", db, sent=len(accepted),
                  accepted=len(accepted), applied=effects.get("applied", 0),
                  lost=effects.get("lost", 0), duplicated=effects.get("duplicated", 0),
                  converge_s=converge_s,
                  extra={"deliveries": 2 * len(accepted), "state_mismatches": len(mismatches),
                         "rebuild_diff_keys": len(diff)})
    report(fig)
    assert not mismatches, mismatches[:10]
    assert fig.lost == 0 and fig.duplicated == 0 and fig.applied == fig.accepted, effects
    assert effects.get("stray_rows", 0) == 0
    assert not diff, f"read models differ from a rebuild: {diff[:10]}"

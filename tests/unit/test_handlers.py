"""Business rules (backend/write/handlers.py) and the worker's transaction (worker/transaction.apply_command)
on a real SQLAlchemy write DB: in-memory SQLite. Time is controlled through Rules and created_at rows.
"""
import time
import uuid
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, update

from backend.write.commands import Command
from backend.write.handlers import HANDLERS, Rejected, Rules
from backend.read.notifications import messages_for_event
from backend.read.projections import PROJECTIONS
from backend.write.models import Event, LogHead, Post, ProcessedCommand
from worker.transaction import apply_command


def cmd(body="hello", author="alice", ctype="create_post", payload=None):
    return Command(str(uuid.uuid4()), ctype, payload or {"body": body}, author)


def run(session_factory, command, rules=Rules()):
    """Run one handler in its own transaction; a Rejected rolls it back and propagates."""
    with session_factory() as s, s.begin():
        return HANDLERS[command.type](command, s, rules)


def count(session_factory, model, *where):
    with session_factory() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def age_posts(session_factory, seconds):
    with session_factory() as s, s.begin():
        s.execute(update(Post).values(created_at=Post.created_at - seconds))


def test_create_post_returns_its_event_and_result(session_factory):
    before = time.time()
    out = run(session_factory, cmd("first words"))
    post = out.result["post"]
    assert post["author"] == "alice" and post["body"] == "first words" and post["id"] >= 1
    assert before <= post["created_at"] <= time.time()
    assert out.events == [{"type": "post_created", "data": {"post": post}}]
    with session_factory() as s:
        row = s.get(Post, post["id"])
        assert (row.body, row.created_at, row.deleted_at) == ("first words", post["created_at"], None)


def test_duplicate_within_the_window_is_rejected_and_leaves_nothing(session_factory):
    run(session_factory, cmd("same words"))
    age_posts(session_factory, 59)
    with pytest.raises(Rejected) as info:
        run(session_factory, cmd("same words"))
    assert info.value.as_dict() == {"code": "duplicate_post", "message": "You already posted that."}
    assert count(session_factory, Post) == 1


def test_duplicate_after_the_window_is_accepted(session_factory):
    run(session_factory, cmd("same words"))
    age_posts(session_factory, 61)
    run(session_factory, cmd("same words"))
    assert count(session_factory, Post) == 2


def test_the_window_comes_from_the_rules(session_factory):
    run(session_factory, cmd("again"))
    run(session_factory, cmd("again"), Rules(duplicate_window_s=0))
    age_posts(session_factory, 5)
    with pytest.raises(Rejected):
        run(session_factory, cmd("again"), Rules(duplicate_window_s=3600))
    assert count(session_factory, Post) == 2


def test_the_rule_compares_with_the_authors_own_previous_post_only(session_factory):
    run(session_factory, cmd("a"))
    run(session_factory, cmd("a", author="bob"))  # someone else's post is no duplicate
    run(session_factory, cmd("b"))
    run(session_factory, cmd("a"))  # not the same as the previous post ("b")
    assert count(session_factory, Post) == 4


def test_unknown_author_is_rejected(session_factory):
    with pytest.raises(Rejected) as info:
        run(session_factory, cmd("hi", author="ghost"))
    assert info.value.code == "user_not_found"


def test_only_the_author_may_edit_or_delete(session_factory):
    pid = run(session_factory, cmd("mine")).result["post"]["id"]
    for ctype, payload in (("edit_post", {"post_id": pid, "body": "x"}),
                           ("delete_post", {"post_id": pid})):
        with pytest.raises(Rejected) as info:
            run(session_factory, cmd(author="bob", ctype=ctype, payload=payload))
        assert info.value.code == "not_author"


def test_every_event_a_handler_emits_has_a_projection_and_a_message(session_factory, mem):
    """A handler whose event type nothing projects would break the projector at that seq."""
    pid = run(session_factory, cmd("p")).result["post"]["id"]
    scenario = [("follow_user", {"handle": "alice"}), ("like_post", {"post_id": pid}),
                ("create_comment", {"post_id": pid, "body": "c"}), ("unlike_post", {"post_id": pid}),
                ("unfollow_user", {"handle": "alice"})]
    types = {"post_created"}
    for ctype, payload in scenario:
        types |= {e["type"] for e in run(session_factory, cmd(author="bob", ctype=ctype,
                                                              payload=payload)).events}
    for ctype, payload in (("edit_post", {"post_id": pid, "body": "p2"}),
                           ("delete_post", {"post_id": pid})):
        types |= {e["type"] for e in run(session_factory, cmd(ctype=ctype, payload=payload)).events}
    assert len(types) == 8 and types <= set(PROJECTIONS)
    data = {"post": {"id": 1, "author": "a", "body": "b", "created_at": 1.0},
            "comment": {"id": 1, "post_id": 1, "author": "a", "body": "b", "created_at": 1.0},
            "post_id": 1, "author": "a", "body": "b", "edited_at": 2.0, "user": "a",
            "follower": "a", "followee": "b"}
    for kind in types:
        assert messages_for_event({"seq": 1, "type": kind, "data": data, "command_id": "c"}, mem)


# ---- the worker's transaction: idempotency and recorded outcomes ------------------------------

def svc(session_factory, rules=Rules()):
    return SimpleNamespace(session_factory=session_factory, rules=rules)


def test_same_command_twice_applies_once_and_returns_the_recorded_outcome(session_factory):
    c = cmd("only once")
    first, events = apply_command(c, svc(session_factory))
    again, replayed = apply_command(c, svc(session_factory))
    assert first["status"] == again["status"] == "succeeded"
    assert first == again and first["last_seq"] == 1
    assert [e["seq"] for e in events] == [1] and events[0]["command_id"] == c.command_id
    assert replayed == []  # a re-delivery re-announces nothing from memory (worker/announce.py)
    assert count(session_factory, Post) == 1
    assert count(session_factory, Event) == 1
    with session_factory() as s:
        assert s.get(LogHead, 1).seq == 1


def test_a_rejection_is_recorded_as_a_failed_outcome_with_no_event(session_factory):
    apply_command(cmd("dup"), svc(session_factory))
    c = cmd("dup")
    status, events = apply_command(c, svc(session_factory))
    assert (status["status"], status["error"], status["last_seq"], events) == (
        "failed", {"code": "duplicate_post", "message": "You already posted that."}, 0, [])
    assert apply_command(c, svc(session_factory))[0] == status  # re-run: same outcome, no re-check
    with session_factory() as s:
        assert s.get(ProcessedCommand, c.command_id).status == "failed"
    assert count(session_factory, Event) == 1


def test_event_sequence_numbers_are_gap_free_across_commands(session_factory):
    for i in range(5):
        apply_command(cmd(f"post {i}"), svc(session_factory))
    apply_command(cmd("post 4"), svc(session_factory))  # rejected: takes no seq
    apply_command(cmd("post 5", author="bob"), svc(session_factory))
    with session_factory() as s:
        assert list(s.scalars(select(Event.seq).order_by(Event.seq))) == [1, 2, 3, 4, 5, 6]
        assert s.get(LogHead, 1).seq == 6

"""The fault checks themselves can fail: a doubled effect, a lost command and a read model that
drifted from the log are each caught (so a green fault test means something)."""
from backend.write.commands import Command
from backend.write.models import Post, User, append_events, init_db, lock_log
from tests.faults.checks import exactly_once, rebuild_differences
from tests.faults.clients import command
from worker.jobs import apply_command


def test_checks_catch_a_double_a_loss_and_a_drift(services):
    init_db(services.engine)
    with services.session_factory() as s, s.begin():
        s.add(User(handle="alice", password_hash="x"))
    once, twice, lost = (command("create_post", body=b) for b in ("once", "twice", "lost"))
    for cmd in (once, twice):
        apply_command(Command(**cmd, author="alice"), services)
    with services.session_factory() as s, s.begin():  # the double: a second effect of `twice`
        head = lock_log(s)
        post = Post(author_id=1, body="twice")
        s.add(post)
        s.flush()
        append_events(s, head, [{"type": "post_created", "data": {"post": {
            "id": post.id, "author": "alice", "body": "twice", "created_at": 0}}}],
            twice["command_id"], "alice")
    accepted = {c["command_id"]: (c, "alice") for c in (once, twice, lost)}
    assert exactly_once(services.session_factory, accepted) == {
        "applied": 1, "duplicated": 1, "lost": 1, "stray_rows": 0}

    services.projector.catch_up()
    assert rebuild_differences(services) == []
    services.redis.hset("ripple:user:alice", "posts", 99)  # a read model drifted from the log
    assert rebuild_differences(services) == ["ripple:user:alice"]

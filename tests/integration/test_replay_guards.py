"""The replay's guards: a scratch replay never touches the live read models (it fails loudly
instead), and a scoped one writes nothing outside its own key space and its scope."""
import pytest

from backend.read import projections, replay
from backend.read.scoped_replay import events_at, scoped_replay
from backend.write.accounts import signup
from tests.support import read_models_snapshot


@pytest.fixture
def two_members(services):
    for handle in ("ann", "ben"):
        signup(services.session_factory, services.projector, handle, "password123")
    return read_models_snapshot(services.redis)


def test_a_scratch_replay_refuses_a_hard_coded_live_key(services, two_members, monkeypatch):
    def careless(data, ev, r, p, caps):  # ignores caps.prefix
        p.hset(f"ripple:user:{data['handle']}", mapping={"posts": 99})
    monkeypatch.setitem(projections.PROJECTIONS, "user_registered", careless)
    caps = replay.scratch_caps(services.projector.caps, "ripple-x:")
    with pytest.raises(RuntimeError, match="live key"):
        replay.replay(services.redis, services.session_factory, caps, 0)
    assert read_models_snapshot(services.redis) == two_members  # nothing live was changed


def test_a_scoped_replay_writes_only_its_scope_inside_its_own_key_space(services, two_members):
    r, caps = services.redis, replay.scratch_caps(services.projector.caps, "ripple-x:")
    events = events_at(services.session_factory, [1, 2])
    with pytest.raises(ValueError, match="own key space"):
        scoped_replay(r, events, caps, {"ripple:user:ann"})
    written = scoped_replay(r, events, caps, {"ripple-x:user:ben", "ripple-x:nothing"})
    assert written == {"ripple-x:user:ben"}
    assert sorted(r.scan_iter("ripple-x:*")) == ["ripple-x:user:ben"]  # not users, popular, ann
    assert r.hgetall("ripple-x:user:ben") == r.hgetall("ripple:user:ben")
    assert read_models_snapshot(r) == two_members

"""The replay's guards: a scratch replay never touches the live read models, and a lean one (time
travel without the feeds) never reads a key it left out -- both fail loudly instead."""
import pytest

from backend.read import projections, replay
from backend.read.time_travel import TimeMachine
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


def test_a_lean_snapshot_refuses_to_read_a_feed_it_left_out(services, two_members, monkeypatch):
    def reads_a_feed(data, ev, r, p, caps):
        r.zrange(f"{caps.prefix}feed:ann", 0, -1)
    monkeypatch.setitem(projections.PROJECTIONS, "user_registered", reads_a_feed)
    tm = TimeMachine(services.redis, services.session_factory, services.projector.caps, every=100)
    with pytest.raises(RuntimeError, match="left out"):
        tm.prefix_at(2)  # lean, no feed kept
    assert tm.prefix_at(2, feed="ann")  # the feed it kept may be read... but no other:
    with pytest.raises(RuntimeError, match="left out"):
        tm.prefix_at(2, feed="zed")

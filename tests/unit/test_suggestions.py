"""The `popular` read model (followers per member, kept by the follow projections) and the
suggestions query the empty home feed shows from it."""
from backend.read import queries
from backend.read.projections import POPULAR, following_key
from tests.unit.test_projections import apply, register


def follow(mem, follower, followee, on=True):
    apply(mem, "user_followed" if on else "user_unfollowed", follower=follower, followee=followee)


def test_popular_counts_followers_and_follows_unfollows(mem):
    register(mem, "alice", "bob", "carol", "dave")
    follow(mem, "bob", "alice")
    follow(mem, "carol", "alice")
    follow(mem, "alice", "carol")
    follow(mem, "carol", "alice", on=False)
    assert mem.zscore(POPULAR, "alice") == 1 and mem.zscore(POPULAR, "carol") == 1
    assert mem.zscore(POPULAR, "dave") == 0  # a new member is there with no followers


def test_suggestions_are_the_most_followed_the_viewer_does_not_follow(mem):
    register(mem, "alice", "bob", "carol", "dave", "erin")
    for fan in ("bob", "carol", "dave"):
        follow(mem, fan, "erin")
    for fan in ("bob", "carol"):
        follow(mem, fan, "alice")
    follow(mem, "erin", "dave")
    got = queries.suggestions(mem, "carol", limit=3)
    assert got == [{"handle": "dave", "followers": 1}, {"handle": "bob", "followers": 0}]
    assert [s["handle"] for s in queries.suggestions(mem, "bob", limit=2)] == ["dave", "carol"]
    assert [s["handle"] for s in queries.suggestions(mem, "zoe", limit=2)] == ["erin", "alice"]


def test_suggestions_before_the_popular_model_existed_fall_back_to_the_newest(mem):
    register(mem, "alice", "bob", "carol")
    mem.delete(POPULAR)
    mem.zadd(following_key("carol"), {"bob": 1})
    assert queries.suggestions(mem, "carol") == [{"handle": "alice", "followers": 0}]

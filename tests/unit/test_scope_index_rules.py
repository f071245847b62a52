"""Which member lists of time travel's scope index an event belongs to (backend/read/scope_index.py):
a page's scope is read from these lists, so an event missing from one would be missing from the past."""
from backend.read.scope_index import lists_of, member_key


def ev(kind, **data):
    return {"seq": 7, "type": kind, "data": data}


def test_each_event_lands_in_the_lists_of_the_members_whose_keys_it_writes():
    assert lists_of(ev("user_registered", handle="ann", joined=1.0)) == [member_key("ann", "in")]
    assert lists_of(ev("post_created", post={"id": 3, "author": "ben", "body": "x",
                                             "created_at": 1.0})) == [member_key("ben", "posts")]
    assert lists_of(ev("post_deleted", post_id=3, author="ben")) == [member_key("ben", "posts")]
    for kind in ("user_followed", "user_unfollowed"):
        assert lists_of(ev(kind, follower="ann", followee="ben")) == [
            member_key("ann", "out"), member_key("ben", "in")]


def test_post_level_events_are_in_no_member_list():
    """(they are in the audit index's per-post lists; a profile's count of posts does not move)"""
    assert lists_of(ev("post_edited", post_id=3, body="y", edited_at=2.0)) == []
    assert lists_of(ev("post_liked", post_id=3, user="ann")) == []
    assert lists_of(ev("post_unliked", post_id=3, user="ann")) == []
    assert lists_of(ev("comment_created", comment={"id": 1, "post_id": 3, "author": "ann",
                                                   "body": "z", "created_at": 1.0})) == []

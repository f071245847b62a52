"""The scope index (time travel) lives in the audit index: built from the log, rebuilt when the
timeline cap it was projected with is not the live one (its snapshots would be of another timeline)."""
from backend.read import audit_index, scope_index
from backend.write.accounts import signup


def test_member_lists_and_a_rebuild_when_the_timeline_cap_changes(services):
    r, sf = services.redis, services.session_factory
    for handle in ("ann", "ben"):
        signup(sf, services.projector, handle, "password123")
    assert audit_index.catch_up(r, sf, None, 5) == 2
    assert r.get(audit_index.FORMAT) == f"{audit_index.LAYOUT}:5"
    assert r.lrange(scope_index.member_key("ben", "in"), 0, -1) == ["2"]
    r.delete(scope_index.member_key("ben", "in"))  # a mark: only a rebuild brings it back
    audit_index.catch_up(r, sf, None, None)  # no cap asked: the index is kept as it is
    assert r.get(audit_index.FORMAT) == f"{audit_index.LAYOUT}:5"
    assert not r.exists(scope_index.member_key("ben", "in"))
    audit_index.catch_up(r, sf, None, 7)  # another cap: dropped and rebuilt from the log
    assert r.get(audit_index.FORMAT) == f"{audit_index.LAYOUT}:7"
    assert r.lrange(scope_index.member_key("ann", "in"), 0, -1) == ["1"]
    assert r.lrange(scope_index.member_key("ben", "in"), 0, -1) == ["2"]
    r.delete(scope_index.member_key("ben", "in"))
    r.set(audit_index.FORMAT, "2:7")  # an older layout (no timeline seqs): dropped and rebuilt
    audit_index.catch_up(r, sf, None, 7)
    assert r.get(audit_index.FORMAT) == f"{audit_index.LAYOUT}:7" != "2:7"
    assert r.lrange(scope_index.member_key("ben", "in"), 0, -1) == ["2"]

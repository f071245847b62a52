"""Scoped replay at its edges: tiny caps (the timeline and the feeds trimmed all the time) and a
timeline snapshot every 3 posts, so every as_of answer starts from a snapshot and catches up.
Same proof as test_time_travel.py: each recorded live answer comes back exactly as of its version."""
import pytest
import redis

from backend.read import scope_index
from tests.conftest import make_config
from tests.integration.test_time_travel import Stream, expected

TIMELINE_CAP, FEED_CAP = 6, 4


@pytest.fixture
def config(redis_server, database_url):
    redis.Redis.from_url(redis_server.url).flushall()
    return make_config(redis_server.url, database_url, timeline_cap=TIMELINE_CAP,
                       feed_cap=FEED_CAP)


def test_trimmed_lists_and_snapshots_come_back_exactly(app, run_worker, services, monkeypatch):
    monkeypatch.setattr(scope_index, "SNAP_EVERY", 3)
    stream = Stream(app, run_worker, seed=41)
    records = stream.run(260, 5)
    full_feeds = 0
    for who, url, answer in records:
        resp = stream.as_of(who, url, answer["version"])
        assert resp.status_code == 200, (url, resp.get_json())
        assert resp.get_json() == expected(answer, stream.deleted, stream.ever, who), (
            who, url, answer["version"])
        full_feeds += url == "/api/feed" and len(answer["posts"]) == FEED_CAP
    r = services.redis
    assert r.zcard(scope_index.TL_SNAPS) > 20  # answers started from snapshots
    assert r.zcard("ripple:timeline") <= TIMELINE_CAP < len(stream.ever) / 10  # trimmed all along
    assert full_feeds > 20
    assert not list(r.scan_iter("ripple-tts:*"))  # every scratch key space was dropped


def test_a_past_timeline_reads_the_log_by_primary_key_only(app, run_worker, services,
                                                          monkeypatch):
    """The timeline events after a snapshot come from the scope index, then by seq. Filtering the
    log by type over a seq range made PostgreSQL walk every event since the snapshot (the planner
    prefers the primary key: 290,000 rows filtered, 60-130 ms, on the 1.1M-event bench world)."""
    import sqlalchemy as sa
    monkeypatch.setattr(scope_index, "SNAP_EVERY", 3)
    stream = Stream(app, run_worker, seed=5)
    records = stream.run(60, 5)
    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)
    sa.event.listen(services.engine, "before_cursor_execute", seen)
    try:
        for who, url, answer in records:
            if url == "/api/timeline":
                resp = stream.as_of(who, url, answer["version"])
                assert resp.get_json() == expected(answer, stream.deleted, stream.ever, who)
    finally:
        sa.event.remove(services.engine, "before_cursor_execute", seen)
    wheres = [s.split("WHERE", 1)[1] for s in statements if "FROM events" in s and "WHERE" in s]
    assert wheres and not [w for w in wheres if "events.type" in w], wheres

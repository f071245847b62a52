"""The inspector feed and the crowd: one of each per instance (Redis lock), real Redis, DB, worker."""
import dataclasses
import json
import time

import pytest

from backend import demo
from backend.read.projections import command_key
from backend.write.command_queue import depth
from tests.support import CommandClients, wait_for
from worker import crowd as crowd_mod
from worker.emitter import make_emitter
from worker.inspector_feed import LOG_WATCHED, WATCHED, InspectorFeed
from worker.singleton import Singleton


class Published:
    """The messages the real emitter publishes on the Socket.IO channel in Redis (what every web
    process receives and hands to the rooms' members)."""

    def __init__(self, services):
        self.pubsub = services.redis.pubsub()
        self.pubsub.subscribe(services.config.socketio_channel)
        self.pubsub.get_message(timeout=2)  # the subscribe confirmation

    def drain(self) -> list[tuple]:
        out = []
        while (msg := self.pubsub.get_message(timeout=0.3)) is not None:
            if msg["type"] == "message":
                data = json.loads(msg["data"])
                args = data["data"]  # a list of the emit's arguments in python-socketio 5
                out.append((data["event"], args[0] if isinstance(args, list) else args, data["room"]))
        return out


def test_feed_emits_system_on_change_and_events_in_batches_to_the_inspector_room(app, services,
                                                                                  run_worker):
    users = CommandClients(app, run_worker, "ann", "bob")
    bus = Published(services)
    feed = InspectorFeed(services, make_emitter(services.config.redis_url,
                                                services.config.socketio_channel))
    feed.start_from_head()
    feed.step()
    assert bus.drain() == []  # nobody has the inspector open: no work, nothing sent
    services.redis.set(WATCHED, "1", ex=60)  # what the web side does when a tab joins the room
    feed.step()  # opened: the figures, and the tail starts with the last events (the sign-ups)
    opened = bus.drain()
    assert [(n, to) for n, _, to in opened] == [("system", "inspector"), ("events_appended", "inspector")]
    assert [e["type"] for e in opened[-1][1]["events"]] == ["user_registered", "user_registered"]
    feed.step()  # nothing changed: nothing sent
    assert bus.drain() == []
    users.do(("ann", "create_post", {"body": "hello"}), ("bob", "follow_user", {"handle": "ann"}))
    bus.drain()  # the commands' own messages
    feed.step()
    sent = bus.drain()
    assert [(n, to) for n, _, to in sent] == [("system", "inspector"), ("events_appended", "inspector")]
    events = sent[-1][1]["events"]
    assert [e["type"] for e in events] == ["post_created", "user_followed"]
    assert all(set(e) == {"seq", "type", "at", "author", "command_id", "summary"} for e in events)
    assert "hello" not in repr(events)


def test_the_log_room_hears_only_where_the_log_ends_when_it_grew(app, services, run_worker):
    """The /events pages: `log_head {"head"}` to the `log` room, only while someone watches it,
    once per change (never a body: the page fetches what it may see through GET /api/events)."""
    users = CommandClients(app, run_worker, "ann", "bob")
    bus = Published(services)
    feed = InspectorFeed(services, make_emitter(services.config.redis_url,
                                                services.config.socketio_channel))
    feed.start_from_head()
    feed.step()
    assert bus.drain() == []  # nobody on /events: nothing
    services.redis.set(LOG_WATCHED, "1", ex=60)  # what the web side does when a tab watches `log`
    feed.step()
    assert bus.drain() == [("log_head", {"head": 2}, "log")]  # the two sign-ups
    feed.step()
    assert bus.drain() == []  # the log did not grow
    users.do(("ann", "create_post", {"body": "secret soon deleted"}),
             ("bob", "follow_user", {"handle": "ann"}))
    bus.drain()  # the commands' own messages
    feed.step()
    feed.step()
    assert bus.drain() == [("log_head", {"head": 4}, "log")]  # once, and no inspector traffic
    services.redis.delete(LOG_WATCHED)
    users.do(("ann", "create_post", {"body": "unwatched"}))
    bus.drain()
    feed.step()
    assert bus.drain() == []


def test_one_holder_per_instance_and_a_takeover_when_it_dies(services):
    calls = {"a": 0, "b": 0}
    a = Singleton(services.redis, "ripple:test-lock", lambda: calls.__setitem__("a", calls["a"] + 1),
                  0.05, ttl_s=0.5)
    b = Singleton(services.redis, "ripple:test-lock", lambda: calls.__setitem__("b", calls["b"] + 1),
                  0.05, ttl_s=0.5)
    a.start()
    wait_for(lambda: calls["a"] > 0, what="a holds the lock")
    b.start()
    time.sleep(0.5)
    assert calls["b"] == 0  # one emitter, however many workers
    a.stop()
    a.join(2)
    wait_for(lambda: calls["b"] > 0, timeout=5, what="b takes over once a's lock expired")
    b.stop()


def test_the_crowd_acts_through_the_command_path_only_when_on(app, services, run_worker):
    CommandClients(app, run_worker, "ada", "grace", "alan")
    services.config = dataclasses.replace(services.config, demo=True, crowd=False)
    crowd = crowd_mod.Crowd(services)
    crowd.step()
    assert depth(services.redis) == 0  # crowd off (the test default)
    demo.write_controls(services.redis, {"crowd": True}, "ada")
    for _ in range(6):
        crowd.step()
    assert depth(services.redis) == 6  # in the same inbox as POST /api/commands
    run_worker()
    statuses = [services.redis.hget(k, "status") for k in services.redis.scan_iter(command_key("*"))]
    assert len(statuses) == 6 and set(statuses) <= {"succeeded", "failed"}
    services.config = dataclasses.replace(services.config, demo=False, crowd=True)
    crowd.step()
    assert depth(services.redis) == 0  # never outside demo mode


@pytest.fixture(autouse=True)
def _no_controls(services):
    yield
    services.redis.delete(demo.KEY)

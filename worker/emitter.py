"""The worker's Socket.IO emitter: messages go to the web processes through Redis pub/sub.

A batch of commands sends a few messages per command; BatchedRedisManager publishes all the messages
of a batch in one round trip (a pipeline) instead of one PUBLISH each. The web processes receive the
same messages, in the same order, one by one.
"""
import threading
from contextlib import contextmanager

import socketio
from flask_socketio import SocketIO


class BatchedRedisManager(socketio.RedisManager):
    """Per thread: a worker's drain job and its projector loop (worker/projector_loop.py) batch
    their own messages independently."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._local = threading.local()

    @contextmanager
    def batch(self):
        """Hold every message published inside the block; publish them together at its end."""
        outer = getattr(self._local, "held", None)
        if outer is not None:  # nested: the outer block publishes
            yield
            return
        self._local.held = []
        try:
            yield
        finally:
            held, self._local.held = self._local.held, None
            if held:
                self._publish_all(held)

    def _publish(self, data):
        held = getattr(self._local, "held", None)
        if held is not None:
            held.append(self.json.dumps(data))
            return None
        return super()._publish(data)

    def _publish_all(self, payloads: list[str]) -> None:
        for retries_left in (1, 0):  # as RedisManager._publish: reconnect once, then give up (logged)
            try:
                if not self.connected:
                    self._redis_connect()
                with self.redis.pipeline(transaction=False) as p:
                    for payload in payloads:
                        p.publish(self.channel, payload)
                    p.execute()
                return
            except Exception as exc:  # noqa: BLE001 -- browsers resync when they reconnect
                self.connected = False
                self._get_logger().error("Cannot publish %d messages to redis%s: %s", len(payloads),
                                         "... retrying" if retries_left else "", exc)


def make_emitter(redis_url: str, channel: str) -> SocketIO:
    """A write-only Socket.IO server whose emits reach every web process (and so every browser)."""
    # message_queue makes Flask-SocketIO build its server now (no app); it uses our client_manager.
    return SocketIO(message_queue=redis_url, channel=channel,
                    client_manager=BatchedRedisManager(redis_url, channel=channel, write_only=True))


def batched(emitter: SocketIO):
    """Context manager: the emits inside it leave in one round trip."""
    return emitter.server.manager.batch()

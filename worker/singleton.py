"""One of a kind per instance: a background duty (the inspector feed, the crowd) that every worker
process offers to run, but only the holder of a Redis lock runs. The lock expires when its holder
dies, so another worker takes over within `ttl_s`."""
import logging
import threading
import uuid

log = logging.getLogger("ripple.worker")

# KEYS: lock; ARGV: token, ttl ms. Renew the lock if we hold it; else take it if it is free.
_HOLD = """
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0
"""


class Singleton(threading.Thread):
    """Calls `step()` every `interval_s` (step may return its own next interval) while this process
    holds `lock_key`; a daemon thread, so it never keeps a stopping worker alive."""

    def __init__(self, r, lock_key: str, step, interval_s: float, ttl_s: float = 5.0,
                 on_acquire=None):
        super().__init__(daemon=True, name=f"singleton:{lock_key}")
        self.r, self.lock_key, self.step, self.interval_s = r, lock_key, step, interval_s
        self.ttl_ms, self.on_acquire = int(ttl_s * 1000), on_acquire
        self.token, self.stopped = uuid.uuid4().hex, threading.Event()
        self._hold = r.register_script(_HOLD)
        self.holding = self.failing = False

    def run(self) -> None:
        while not self.stopped.is_set():
            wait = self.interval_s
            try:
                held = bool(self._hold(keys=[self.lock_key], args=[self.token, self.ttl_ms]))
                if held and not self.holding and self.on_acquire:
                    self.on_acquire()
                self.holding = held
                if held:
                    wait = self.step() or self.interval_s
                else:
                    wait = max(self.interval_s, 1.0)
            except Exception as exc:  # noqa: BLE001 -- Redis or DB away: try again later
                if not self.failing:  # once per outage, not once a second
                    log.warning("%s: step failed (%s); retrying every second", self.lock_key, exc)
                self.failing, self.holding, wait = True, False, 1.0
            else:
                self.failing = False
            self.stopped.wait(wait)

    def stop(self) -> None:
        self.stopped.set()

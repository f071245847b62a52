"""A steady flow of commands for bench/reads_load.py: one author's create_post commands, open loop
at a fixed rate until stopped, each timed from submit to the author's command_succeeded."""
import collections
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from bench.clients import Listener, Poster
from bench.loadgen import STALE
from tests.support import new_command


class Commands:
    """An open-loop create_post sender (one author) that runs until stopped, each command timed
    submit -> the author's command_succeeded over Socket.IO."""

    def __init__(self, stack, author):
        self.stack, self.author = stack, author
        self.listener = Listener(stack.base, author, events=("command_succeeded",), rooms=())
        self.local, self.thread = threading.local(), None

    def start(self, rate: float) -> None:
        self.submitted, self.rate, self.stopping = {}, rate, threading.Event()
        self.errors = collections.Counter()  # sends that were not answered 202, by kind
        self.unconfirmed = set()  # accepted, but no command_succeeded came within 120 s

        def send():
            cmd = new_command(body=f"load {time.perf_counter_ns()}")
            sent = time.perf_counter()
            for attempt in (1, 2):
                if not hasattr(self.local, "poster"):
                    self.local.poster = Poster(self.stack.base, self.author)
                try:
                    self.local.poster.post_command(cmd)
                    break
                except Exception as e:  # noqa: BLE001 -- counted and reported, never waited for
                    vars(self.local).pop("poster").close()  # maybe broken: a new one next
                    # a kept-alive connection the server closed while idle: once more on a new
                    # one, the same command (its command_id makes a re-send harmless)
                    if attempt == 1 and isinstance(e, STALE):
                        continue
                    self.errors[f"{type(e).__name__}: {str(e)[:60]}"] += 1
                    return
            self.submitted[cmd["command_id"]] = sent

        def go():
            with ThreadPoolExecutor(32) as pool:
                t0, i = time.perf_counter(), 0
                while not self.stopping.is_set():
                    delay = t0 + i / rate - time.perf_counter()
                    if delay > 0 and self.stopping.wait(delay):
                        break
                    pool.submit(send)
                    i += 1
        self.thread = threading.Thread(target=go)
        self.thread.start()

    def stop(self) -> None:
        if self.thread:
            self.stopping.set()
            self.thread.join()
            self.thread = None

    def latencies(self, spans=None) -> list[float]:
        """Every command's latency, or those submitted within the (start, end) spans."""
        with self.listener.cond:
            if not self.listener.cond.wait_for(
                    lambda: all(c in self.listener.seen for c in self.submitted), timeout=120):
                self.unconfirmed = {c for c in self.submitted if c not in self.listener.seen}
        return [(self.listener.seen[c] - t) * 1000 for c, t in self.submitted.items()
                if c in self.listener.seen and (spans is None or any(a <= t < b for a, b in spans))]

    def close(self):
        self.stop()
        self.listener.close()

"""The inspector's cost: end-to-end commands/s with 20 protocol clients in the inspector room
(receiving `system` and `events_appended`) vs none, in one run, alternating rounds; the figure is
the median of each side. Target: >= 0.9x. `python -m bench --only inspector [--quick]`.

Same path as benchmark 1 (bench/commands.py): HTTP clients POST create_post commands as fast as
they get 202s; n / (first send -> the n-th post_created seen by a Socket.IO client on the timeline).
"""
import sys
import time

from bench.clients import Listener, users
from bench.commands import ripple_round
from bench.common import Stack, row
from bench.stats import median
from tests.support import signup

CLIENTS, WATCHERS, WORKERS = 8, 20, 2


def _watchers(stack, sessions) -> list[Listener]:
    """Protocol clients in the inspector room; each counts the events it is told about."""
    out = []
    for s in sessions:
        w = Listener(stack.base, s, events=("system",), rooms=("inspector",))
        w.events = [0]
        w.sio.on("events_appended", lambda m, c=w.events: c.__setitem__(0, c[0] + len(m["events"])))
        out.append(w)
    return out


def measure(n: int, rounds: int, workers: int = WORKERS) -> dict:
    stack = Stack(workers=workers)
    try:
        posters = users(stack.base, CLIENTS)
        listener = Listener(stack.base, signup(stack.base))
        watcher_sessions = users(stack.base, WATCHERS)
        ripple_round(stack, listener, posters, 40)  # warm-up
        watched, alone, heard = [], [], []
        for _ in range(rounds):  # alternate, so both sides see the same machine
            alone.append(ripple_round(stack, listener, posters, n))
            watchers = _watchers(stack, watcher_sessions)
            time.sleep(0.5)  # their first `system` arrives
            watched.append(ripple_round(stack, listener, posters, n))
            heard.append(sum(w.events[0] for w in watchers))
            for w in watchers:
                w.sio.disconnect()
        return {"watched": watched, "alone": alone, "heard": heard, "db": stack.db.kind}
    finally:
        stack.close()


def run(quick: bool = False) -> list[dict]:
    n, rounds = (100, 2) if quick else (300, 5)
    m = measure(n, rounds)
    value, baseline = median(m["watched"]), median(m["alone"])
    return [row("commands/s with 20 clients in the inspector room (vs none)", value, "cmd/s",
                baseline, "≥ 0.9×", value / baseline >= 0.9,
                f"{n} create_post per round, {CLIENTS} HTTP clients, {WORKERS} workers, "
                f"{m['db']}, median of {rounds} alternating rounds each; rounds watched "
                f"{[round(x) for x in m['watched']]}, alone {[round(x) for x in m['alone']]}; events "
                f"told to the 20 watchers per round {m['heard']}",
                rounds_watched=m["watched"], rounds_alone=m["alone"])]


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    for r in run(quick):
        print(r)

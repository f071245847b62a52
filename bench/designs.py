"""`python -m bench.designs OTHER_CHECKOUT [--quick]`: this checkout's command path against another
checkout's (the design it replaces), end to end, in one run.

For 1 and 2 workers, two production stacks run side by side (gunicorn + `python -m worker`, each its
own Redis and write DB; the other design's processes run from OTHER_CHECKOUT), with bare RQ running
a no-op job as the common baseline. Rounds alternate between the three, in a rotating order, and
the figures are medians: the machine is shared and noisy, and this way all three see the same
machine. With 2 workers it also measures submit -> confirmation latency at 50 commands/s, both
designs, alternating.

Prints a table and writes bench/results/designs.json. Not run by the test suite.
"""
import argparse
import json
import time
from pathlib import Path

from bench.clients import BareRQ, Listener, users
from bench.commands import CLIENTS, bare_round, ripple_latency, ripple_round
from bench.common import LOG_DIR, Stack
from bench.stats import median, percentile
from tests.support import signup

RESULTS = Path(__file__).resolve().parent / "results" / "designs.json"


class Side:
    """One design's production stack with its clients."""

    def __init__(self, name: str, workers: int, root=None):
        self.name = name
        self.stack = Stack(workers=workers, root=root)
        self.posters = users(self.stack.base, CLIENTS)
        self.listener = Listener(self.stack.base, signup(self.stack.base))
        self.rates: list[float] = []

    def round(self, n: int) -> None:
        self.rates.append(ripple_round(self.stack, self.listener, self.posters, n))

    def close(self) -> None:
        self.listener.close()
        self.stack.close()


def compare(other: Path, workers: int, n: int, rounds: int, latency_s: int) -> dict:
    new, old = Side("this", workers), Side("other", workers, root=other)
    bare = BareRQ(new.stack.redis.url, new.stack.env, workers, LOG_DIR)
    bare_rates: list[float] = []
    try:
        for side in (new, old):
            ripple_round(side.stack, side.listener, side.posters, 40)  # warm-up
        bare_round(bare, 40)
        runs = [lambda: new.round(n), lambda: old.round(n), lambda: bare_rates.append(
            bare_round(bare, n))]
        for i in range(rounds):
            for run in runs[i % 3:] + runs[:i % 3]:  # rotate who goes first
                run()
        out = {"workers": workers, "n": n, "rounds": rounds, "this": new.rates, "other": old.rates,
               "bare": bare_rates}
        if latency_s:
            lat = {"this": [], "other": []}
            for i in range(rounds):
                for side in ((new, old) if i % 2 == 0 else (old, new)):
                    lat[side.name] += ripple_latency(side.stack, side.posters[0], 50.0, latency_s)
            out["latency_50"] = {k: {"p50": percentile(v, 50), "p99": percentile(v, 99),
                                     "n": len(v)} for k, v in lat.items()}
        return out
    finally:
        bare.close()
        new.close()
        old.close()


def table(results: list[dict]) -> str:
    lines = ["| workers | this design cmd/s | other design cmd/s | bare RQ jobs/s | this ÷ bare | "
             "this ÷ other | other ÷ bare |", "|---|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        this, other, bare = median(r["this"]), median(r["other"]), median(r["bare"])
        lines.append(f"| {r['workers']} | {this:.0f} | {other:.0f} | {bare:.0f} | "
                     f"{this / bare:.2f}× | {this / other:.2f}× | {other / bare:.2f}× |")
    for r in results:
        if "latency_50" in r:
            lat = r["latency_50"]
            lines.append(f"\nLatency @50 cmd/s, {r['workers']} workers (submit -> confirmation): "
                         f"this p50 {lat['this']['p50']:.1f} / p99 {lat['this']['p99']:.1f} ms, "
                         f"other p50 {lat['other']['p50']:.1f} / p99 {lat['other']['p99']:.1f} ms")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("other", type=Path, help="the other checkout (the design compared against)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workers", default="1,2")
    args = parser.parse_args()
    n, rounds, latency_s = (200, 2, 3) if args.quick else (1000, 5, 6)
    started = time.time()
    results = [compare(args.other.resolve(), int(w), n, rounds, latency_s if w == "2" else 0)
               for w in args.workers.split(",")]
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"at": started, "other": str(args.other), "results": results},
                                  indent=1))
    print(table(results))
    print(f"\n({time.time() - started:.0f} s; raw rounds in {RESULTS})")


if __name__ == "__main__":
    main()

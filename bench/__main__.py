"""`python -m bench [--quick] [--only NAME,...]`: every benchmark, one table, a JSON file.

Each figure is measured side by side with its baseline in the same run (this machine is shared and
noisy): the table shows both, their ratio, the target and whether it is met, then the conditions.
Private redis-servers on free ports, temporary PostgreSQL databases (SQLite when none answers),
127.0.0.1 only. Not run by the test suite.
"""
import argparse
import json
import os
import platform
import time
import traceback
from pathlib import Path

from bench.common import row

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
ORDER = ("commands", "render", "reads", "fanout", "live")


def _bench(name: str):
    """Each benchmark module has run(quick) -> [row, ...]; fan-out goes through its adapter."""
    import importlib
    return importlib.import_module(f"bench.{'fanout_adapter' if name == 'fanout' else name}").run


def _fmt(value, unit="") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}" if abs(value) < 10 \
            else f"{value:.1f}"
    else:
        text = f"{value:,}"
    return f"{text} {unit}".strip()


def table(rows: list[dict]) -> str:
    head = ("figure", "Ripple", "baseline", "ratio", "target", "met")
    lines = [(r["figure"], _fmt(r["value"], r["unit"]), _fmt(r["baseline"], r["unit"]),
              f"{r['ratio']:.2f}×" if r.get("ratio") else "—", r["target"],
              {True: "yes", False: "NO", None: "—"}[r["met"]]) for r in rows]
    widths = [max(len(str(x[i])) for x in [head, *lines]) for i in range(len(head))]
    fmt = " | ".join(f"{{:{'<' if i in (0, 4) else '>'}{w}}}" for i, w in enumerate(widths))
    out = [fmt.format(*head), "-+-".join("-" * w for w in widths)]
    out += [fmt.format(*line) for line in lines]
    out += ["", "Conditions:"] + [f"  [{i}] {r['figure']}: {r['conditions']}"
                                  for i, r in enumerate(rows, start=1)]
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description="Run Ripple's benchmarks and print one table.")
    ap.add_argument("--quick", action="store_true", help="small sizes, one round: a smoke run")
    ap.add_argument("--only", default=",".join(ORDER), help=f"comma-separated subset of {ORDER}")
    args = ap.parse_args()
    names = [n for n in args.only.split(",") if n]
    rows, start, load0 = [], time.perf_counter(), os.getloadavg()
    for name in names:
        t = time.perf_counter()
        print(f"[bench] {name} …", flush=True)
        try:
            got = _bench(name)(quick=args.quick)
        except Exception as exc:  # noqa: BLE001 -- one broken benchmark must not hide the others
            traceback.print_exc()
            got = [row(f"{name}: FAILED", None, "", None, "", False, f"{type(exc).__name__}: {exc}")]
        rows += got
        print(f"[bench] {name} done in {time.perf_counter() - t:.0f} s", flush=True)
    elapsed = time.perf_counter() - start
    print()
    print(table(rows))
    print(f"\n{os.cpu_count()} CPUs, load average {load0[0]:.2f} before / {os.getloadavg()[0]:.2f} "
          f"after; {elapsed:.0f} s in all{' (--quick)' if args.quick else ''}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "quick": args.quick, "elapsed_s": elapsed,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_before": load0, "load_after": os.getloadavg()},
        "rows": rows}, indent=2, default=str))
    print(f"results: {RESULTS}")
    return 1 if any(r["figure"].endswith(": FAILED") for r in rows) else 0  # a miss is a figure


if __name__ == "__main__":
    raise SystemExit(main())

"""`python -m bench [NAME ...] [--quick] [--only NAME,...]`: every benchmark (or the NAMEd ones), one
table, a JSON file and PNG plots next to it (bench/plots.py).

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
ORDER = ("commands", "render", "reads", "reads-load", "growth", "fanout", "live")
MODULES = {"fanout": "fanout_adapter", "reads-load": "reads_load"}


def _bench(name: str):
    """Each benchmark module has run(quick) -> [row, ...]; fan-out goes through its adapter."""
    import importlib
    return importlib.import_module(f"bench.{MODULES.get(name, name)}").run


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
    ap.add_argument("names", nargs="*", metavar="NAME", help=f"run only these, of {ORDER}")
    ap.add_argument("--only", default=None, help="comma-separated subset (same as NAMEs)")
    ap.add_argument("--worlds", default=None,
                    help="growth: post counts to seed, e.g. 10000,100000 (default 10k,100k,1M)")
    ap.add_argument("--plots", type=Path, default=RESULTS.parent, help="where the PNGs go")
    args = ap.parse_args()
    names = args.names or [n for n in (args.only or ",".join(ORDER)).split(",") if n]
    unknown = [n for n in names if n not in ORDER]
    if unknown:
        ap.error(f"unknown benchmark(s) {unknown}; choose from {ORDER}")
    if args.worlds:
        from bench import growth
        growth.WORLDS = tuple(int(x) for x in args.worlds.split(","))
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
    meta = {"when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "quick": args.quick, "elapsed_s": elapsed,
            "names": names, "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                        "platform": platform.platform(), "load_before": load0,
                                        "load_after": os.getloadavg()}}
    text = json.dumps(meta | {"rows": rows}, indent=2, default=str)
    RESULTS.write_text(text)  # and a copy per run, so that runs of single parts can be combined
    (RESULTS.parent / f"run-{time.strftime('%Y%m%d-%H%M%S')}-{'+'.join(names)}.json").write_text(text)
    print(f"results: {RESULTS}")
    from bench import plots  # matplotlib only now: a broken plot must not lose the figures above
    for path in plots.write_all(json.loads(text)["rows"], meta, args.plots):
        print(f"plot: {path}")
    return 1 if any(r["figure"].endswith(": FAILED") for r in rows) else 0  # a miss is a figure


if __name__ == "__main__":
    raise SystemExit(main())

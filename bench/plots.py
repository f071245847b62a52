"""PNG plots of a benchmark run (matplotlib, no display needed), written next to its JSON results.

`python -m bench.plots RESULTS.json [MORE.json ...] [--out DIR]` redraws them from saved results
(rows of several runs are combined: e.g. a `reads-load` run and a `growth` run). Each plot is drawn
only when the run has its rows:
- read_latency_vs_write_load.png: read p50/p99 vs write load, read models vs SQL (PostgreSQL, SQLite);
- read_cost_vs_world.png: server CPU per request vs world size, per followee count, both sides;
- e2e_latency_vs_rate.png: submit -> confirmation p50/p99 vs offered command rate.
"""
import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 -- after choosing the file-only backend
from matplotlib.ticker import FuncFormatter  # noqa: E402

PLAIN = FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 10 else f"{v:g}")  # 2, 1,000: not 2×10^0
NONE = FuncFormatter(lambda v, _: "")

COLORS = {"rm": "tab:blue", "sql": "tab:red"}


def _stamp(meta: dict, name: str = "") -> str:
    """Date and machine of the run that measured `name` (combined results list their sources)."""
    m = meta.get("machine", {})
    load, when = m.get("load_before", [0])[0], meta.get("when", "?")
    for src in meta.get("sources", []):
        if name in (src.get("names") or []):
            load, when = src["load_before"], src["when"]
    return (f"{when[:16]}, {m.get('cpus', '?')} CPUs shared, load {load:.1f} at start"
            f"{' (busy: noisy)' if load > m.get('cpus', 2) else ''}"
            f"{' (--quick)' if meta.get('quick') else ''}")


def read_latency(rows, meta, out: Path) -> Path | None:
    rows = [r for r in rows if r.get("section") == "reads-load"]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for db, style in (("PostgreSQL", "-"), ("SQLite", ":")):
        mine = sorted((r for r in rows if r["db"] == db), key=lambda r: r["load"])
        if not mine:
            continue
        x = [100 * r["load"] for r in mine]
        for side, label in (("rm", "read models"), ("sql", "SQL")):
            ax.plot(x, [r[side]["read"]["p99"] for r in mine], style, marker="o",
                    color=COLORS[side], label=f"{label} p99 ({db})")
            ax.plot(x, [r[side]["read"]["p50"] for r in mine], style, marker="x", alpha=0.5,
                    color=COLORS[side], label=f"{label} p50 ({db})")
    ax.set_yscale("log")
    ax.set_xlabel("write load, % of the measured end-to-end maximum (2 workers)")
    ax.set_ylabel("GET /api/timeline + /api/feed latency, ms")
    ax.set_title(f"Reads under write load — {_stamp(meta, 'reads-load')}", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    return _save(fig, out / "read_latency_vs_write_load.png")


def read_cost(rows, meta, out: Path) -> Path | None:
    rows = [r for r in rows if r.get("section") == "growth"]
    if not rows:
        return None
    fig, (feed, tl) = plt.subplots(1, 2, figsize=(9, 5.2), sharey=True)
    for k, marker in zip(sorted({r["followees"] for r in rows if r["page"] == "feed"}), "os^"):
        mine = sorted((r for r in rows if r["page"] == "feed" and r["followees"] == k),
                      key=lambda r: r["posts"])
        x = [r["posts"] for r in mine]
        feed.plot(x, [r["value"] for r in mine], "-", marker=marker, color=COLORS["rm"],
                  label=f"read models, {k:,} followees")
        feed.plot(x, [r["baseline"] for r in mine], "--", marker=marker, color=COLORS["sql"],
                  label=f"SQL (best form), {k:,} followees")
        if all("sql_in" in r.get("sides", {}) for r in mine):  # the "IN (followees)" form alone
            feed.plot(x, [r["sides"]["sql_in"] for r in mine], ":", marker=marker, alpha=0.6,
                      color="tab:orange", label=f"SQL IN form, {k:,} followees")
    mine = sorted((r for r in rows if r["page"] == "timeline"), key=lambda r: r["posts"])
    tl.plot([r["posts"] for r in mine], [r["value"] for r in mine], "-o", color=COLORS["rm"],
            label="read models")
    tl.plot([r["posts"] for r in mine], [r["baseline"] for r in mine], "--o", color=COLORS["sql"],
            label="SQL")
    floors = sorted({(r["posts"], r["floor"]) for r in rows if r.get("floor") is not None})
    for ax in (feed, tl):  # the Flask floor both sides pay: a constant page, no data source
        if floors:
            ax.plot([p for p, _ in floors], [f for _, f in floors], "-.", color="grey",
                    label="Flask floor (no data source)")
    for ax, title in ((feed, "home feed"), (tl, "timeline")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("posts in the world")
        ax.set_title(title, fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
    feed.legend(fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3)
    tl.legend(fontsize=7)
    feed.set_ylabel("server CPU per request, ms")
    fig.suptitle(f"Read cost as the world grows — {_stamp(meta, 'growth')}", fontsize=9)
    return _save(fig, out / "read_cost_vs_world.png")


def e2e_latency(rows, meta, out: Path) -> Path | None:
    pts = [(r["offered"], r["value"], r["baseline"], r["pct"]) for r in rows
           if r.get("section") == "e2e-latency"]
    load = [r for r in rows if r.get("section") == "reads-load" and r["load"] > 0]
    if not pts and not load:
        return None
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for pct, marker in (("p50", "o"), ("p99", "^")):
        mine = sorted(p for p in pts if p[3] == pct)
        if mine:
            ax.plot([p[0] for p in mine], [p[1] for p in mine], "-", marker=marker,
                    color="tab:green", label=f"Ripple {pct} (commands only, PostgreSQL)")
            ax.plot([p[0] for p in mine], [p[2] for p in mine], ":", marker=marker,
                    color="gray", label=f"bare RQ no-op {pct}")
        for db, color in (("PostgreSQL", "tab:purple"), ("SQLite", "tab:orange")):
            got = sorted((r["rm"]["cmd"]["offered"], r["rm"]["cmd"][pct]) for r in load
                         if r["db"] == db and r["rm"]["cmd"].get(pct) is not None)
            if got:
                ax.plot([g[0] for g in got], [g[1] for g in got], "--", marker=marker, color=color,
                        label=f"Ripple {pct} with reads running ({db})")
    ax.set_yscale("log")
    ax.set_xlabel("offered commands/s (open loop)")
    ax.set_ylabel("submit → author's confirmation, ms")
    ax.set_title(f"End-to-end command latency — {_stamp(meta, 'commands')}", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    return _save(fig, out / "e2e_latency_vs_rate.png")


def _save(fig, path: Path) -> Path:
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if axis.get_scale() == "log":
                lo, hi = axis.get_view_interval()
                axis.set_major_formatter(PLAIN)  # minor ticks labelled when under ~2 decades
                axis.set_minor_formatter(PLAIN if hi / max(lo, 1e-9) < 60 else NONE)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def write_all(rows: list[dict], meta: dict, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    made = [f(rows, meta, out) for f in (read_latency, read_cost, e2e_latency)]
    return [p for p in made if p]


def main() -> int:
    ap = argparse.ArgumentParser(description="Draw the benchmark plots from saved JSON results.")
    ap.add_argument("results", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, default=None, help="default: next to the first file")
    args = ap.parse_args()
    runs = [json.loads(p.read_text()) for p in args.results]
    rows = [r for run in runs for r in run["rows"]]
    for p in write_all(rows, runs[-1], args.out or args.results[0].parent):
        print(p)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

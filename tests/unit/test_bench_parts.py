"""The pure parts of the issue-16 benchmarks: the Zipf world, the latency summary, the plots.
(The benchmarks themselves are not tests: `./ripple bench`.)"""
import collections

import pytest

from bench import loadgen, world


def test_zipf_world_is_skewed_and_viewers_follow_exactly_n():
    w = world.zipf_world(2000, 20_000, (10, 200), likes=500)
    assert len(w["posts"]) == 20_000 and len(w["handles"]) == 2002
    assert world.top_share(w, 0.01) > 0.3  # the busiest 1 % write a big share, not ~1 %
    by_viewer = collections.defaultdict(list)
    for u, f in w["follows"]:
        by_viewer[w["handles"][u]].append(f)
    assert {k: len(v) for k, v in by_viewer.items()} == {"viewer_10": 10, "viewer_200": 200}
    assert all(len(set(v)) == len(v) and max(v) <= 2000 for v in by_viewer.values())
    counts = collections.Counter(a for _, a, _, _ in w["posts"])
    followed = sum(counts[f] for f in by_viewer["viewer_10"]) / 10
    assert followed > 20_000 / 2000  # the busy are followed more often than an average member
    assert not any(a > 2000 for _, a, _, _ in w["posts"])  # viewers post nothing


def test_latency_summary():
    s = loadgen.summary([float(x) for x in range(1, 101)])
    assert (s["p50"], s["p99"], s["n"]) == (50.0, 99.0, 100)
    assert loadgen.summary([])["p99"] is None


def test_plots_are_written_from_rows(tmp_path):
    pytest.importorskip("matplotlib")
    from bench import plots
    side = {"read": {"p50": 3.0, "p99": 9.0}, "cmd": {"offered": 100, "p50": 20.0, "p99": 80.0}}
    rows = [{"section": "reads-load", "db": db, "load": load, "rm": side,
             "sql": side | {"read": {"p50": 8.0, "p99": 40.0}}}
            for db in ("PostgreSQL", "SQLite") for load in (0.0, 0.5, 0.8)]
    rows += [{"section": "growth", "page": "feed", "followees": k, "posts": n, "value": 1.0,
              "baseline": 3.0 * k ** 0.1} for k in (10, 2000) for n in (10_000, 100_000)]
    rows += [{"section": "growth", "page": "timeline", "followees": None, "posts": n, "value": 1.0,
              "baseline": 2.0, "floor": 0.5} for n in (10_000, 100_000)]
    rows += [{"section": "e2e-latency", "offered": r, "value": 10.0 * r, "baseline": 2.0,
              "pct": pct} for r in (50, 200) for pct in ("p50", "p99")]
    meta = {"when": "2026-11-30T12:00:00", "machine": {"cpus": 2, "load_before": [1.0]}}
    made = plots.write_all(rows, meta, tmp_path)
    assert sorted(p.name for p in made) == ["e2e_latency_vs_rate.png", "read_cost_vs_world.png",
                                            "read_latency_vs_write_load.png"]
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in made)
    assert plots.write_all([], meta, tmp_path / "none") == []  # no rows, no plots


def test_achieved_rate_counts_answers_not_sends():
    """A server that falls behind must show in req/s: 100 requests offered over 1 s, answered by
    4 s, is 25 req/s (it was computed over the SENDING time, so it always read ~offered)."""
    answered = [0.04 * i for i in range(1, 101)]  # the last answer 4 s after the first send
    assert loadgen.achieved_rate(0.0, answered) == pytest.approx(25.0)
    assert loadgen.achieved_rate(0.0, []) == 0.0


def test_window_order_alternates_sides_abba():
    """Sides alternate window by window and the leading side flips every round (ABBA...), so a
    slow spell of the machine falls on both sides alike; `first` flips it per load level."""
    assert loadgen.window_order(("rm", "sql"), 3) == ["rm", "sql", "sql", "rm", "rm", "sql"]
    assert loadgen.window_order(("rm", "sql"), 2, first=1) == ["sql", "rm", "rm", "sql"]


def test_pooled_windows():
    """Windows of one side pool their latencies; each window's p99 is kept to show the spread."""
    w = [{"side": "rm", "latency_ms": {"/a": [1.0] * 99 + [50.0]}, "answered": 100, "span_s": 1.0,
          "errors": 0, "lag_ms": [0.1] * 100, "app_ms": [0.5] * 100, "gc_ms": 2.0},
         {"side": "sql", "latency_ms": {"/b": [9.0] * 100}, "answered": 100, "span_s": 2.0,
          "errors": 1, "lag_ms": [0.2] * 100, "app_ms": [4.0] * 100, "gc_ms": 0.0},
         {"side": "rm", "latency_ms": {"/a": [2.0] * 100}, "answered": 100, "span_s": 1.0,
          "errors": 0, "lag_ms": [0.3] * 100, "app_ms": [0.7] * 100, "gc_ms": 1.0}]
    rm = loadgen.pool(w, "rm")
    assert rm["read"]["n"] == 200 and rm["req_s"] == pytest.approx(100.0)
    assert rm["windows_p99"] == [1.0, 2.0] and rm["errors"] == 0 and rm["gc_ms"] == 3.0
    assert rm["by_path"]["/a"]["n"] == 200 and rm["app"]["p99"] == 0.7
    assert loadgen.pool(w, "sql")["req_s"] == pytest.approx(50.0)


def test_growth_spread_and_best_sql_form():
    from bench import growth_rows
    assert growth_rows.spread({"a": 1.0, "b": 1.3, "c": 1.1}) == (pytest.approx(1.3), "b", "a")
    cost = {(10, "feed", 10, "rm"): 1.0, (10, "feed", 10, "sql"): 5.0, (10, "feed", 10, "sql_in"): 4.0,
            (10, "timeline", 10, "rm"): 1.0, (10, "timeline", 10, "sql"): 3.0,
            (10, "timeline", 10, "floor"): 0.5}
    assert growth_rows.best_sql(cost, 10, "feed", 10) == (4.0, "IN form")
    assert growth_rows.best_sql(cost, 10, "timeline", 10) == (3.0, "SQL")  # the floor is no SQL



def test_growth_visits_put_the_sizes_of_one_side_back_to_back():
    from bench import growth
    worlds, cells = ["10k", "100k", "1M"], [("feed", 10), ("timeline", 10)]
    r0 = [(p, k, s, w) for p, k, s, w in growth.visits(worlds, cells, 0)]
    assert r0[:3] == [("feed", 10, "rm", w) for w in worlds]
    assert r0[3:6] == [("feed", 10, "floor", w) for w in worlds[::-1]]
    assert len(r0) == 3 * (len(growth.SIDES["feed"]) + len(growth.SIDES["timeline"]))
    r1 = growth.visits(worlds, cells, 1)
    assert r1[0][:3] == ("timeline", 10, "sql") and sorted(map(str, r1)) == sorted(map(str, r0))


def test_the_read_load_generator_is_a_small_process():
    """The reader's own gen-2 garbage collections stalled its sends (98 ms, seen in reads-load:
    the 50 % level's first read-model window). Importing the whole app (via bench.common) gave it
    ~130,000 objects to walk; it must import nothing of the app and no database or web library."""
    import pathlib
    import subprocess
    import sys
    heavy = ("backend", "tests", "sqlalchemy", "flask", "redis", "requests", "bench.common")
    probe = ("import sys, bench.loadgen; print(' '.join(m for m in sys.modules if m.startswith("
             f"{heavy!r})))")
    root = pathlib.Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         cwd=root)
    assert out.stdout.split() == []


def test_the_read_load_generator_collects_garbage_between_windows_only():
    import gc
    assert gc.isenabled()
    with loadgen.no_gc_pauses():
        assert not gc.isenabled()
    assert gc.isenabled()

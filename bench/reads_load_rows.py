"""The table rows of bench/reads_load.py (reads under write load), from its measurements."""
from bench.common import row


def _cpu_text(cores: dict) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in cores.items())


def rows_of(out: dict, took: float, seconds: float, quick: bool) -> list[dict]:
    kind, lv = out["db"], out["levels"]
    idle = lv[0.0]
    rows = []
    for level, sides in lv.items():
        rm, sql = sides["rm"], sides["sql"]
        at50 = level == 0.5
        ratio_loaded = {s: sides[s]["read"]["p99"] / idle[s]["read"]["p99"] for s in ("rm", "sql")}
        cond = (f"{kind}; commands {rm['cmd']['offered']} cmd/s offered ({level:.0%} of the "
                f"measured max {out['max_cmd_s']:.0f} cmd/s, 2 workers), command p50/p99 "
                f"{_ms(rm['cmd'])} (during the read-model window) / {_ms(sql['cmd'])} (SQL window); "
                f"reads {out['read_rate']} req/s offered open-loop (timeline+feed in turn) to a "
                f"separate query process, {out.get('rounds', 1)} windows of {out.get('window_s', seconds)}"
                f" s per side, alternated ABBA (pooled): got {rm['req_s']:.0f} vs {sql['req_s']:.0f}"
                f" req/s answered, errors {rm['errors']}/{sql['errors']}; p50 {rm['read']['p50']:.1f} vs "
                f"{sql['read']['p50']:.1f} ms; {_diag(rm, sql)}; loaded/idle p99: read models "
                f"{ratio_loaded['rm']:.2f}×, SQL {ratio_loaded['sql']:.2f}×; CPU (cores) in the "
                f"read-model window: {_cpu_text(rm['cpu_cores'])}; SQL window: "
                f"{_cpu_text(sql['cpu_cores'])}; world seeded in {took:.0f} s"
                f"{' (--quick sizes)' if quick else ''}; shared machine: noisy")
        target = "≤ ⅓ SQL p99 and ≤ 25 ms" if at50 else "report"
        met = (rm["read"]["p99"] <= sql["read"]["p99"] / 3 and rm["read"]["p99"] <= 25) \
            if at50 else None
        rows.append(row(f"Read p99 @ {level:.0%} write load ({kind}): read models vs SQL",
                        rm["read"]["p99"], "ms", sql["read"]["p99"], target, met, cond,
                        section="reads-load", db=kind, load=level, rm=rm, sql=sql,
                        loaded_idle=ratio_loaded, max_cmd_s=out["max_cmd_s"]))
    if "scale" in out:
        one, two = out["scale"][1], out["scale"][2]
        rows.append(row(f"Read capacity, 2 query processes vs 1 @ 50% write load ({kind})",
                        two["req_s"], "req/s", one["req_s"], "report", None,
                        f"wrk closed loop on /api/feed, 32 connections, commands "
                        f"{one['cmd_offered']} cmd/s meanwhile; command p50/p99 {_ms(one['cmd'])} "
                        f"(1 query process) / {_ms(two['cmd'])} (2); query processes used "
                        f"{one['query_cores']:.2f} / {two['query_cores']:.2f} cores; 2 cores shared "
                        f"by everything: a report, not a gate", section="reads-scale", db=kind,
                        scale=out["scale"]))
    return rows


def _diag(rm: dict, sql: dict) -> str:
    """Where the time went: each window's p99, time inside the query app, the reader's own lag."""
    if "windows_p99" not in rm:
        return "no window diagnostics"
    parts = []
    for name, s in (("read models", rm), ("SQL", sql)):
        w = s["windows_p99"]
        parts.append(f"{name}: windows' p99 {min(w):.1f}–{max(w):.1f} ms, in-app p50/p99 "
                     f"{_f(s['app'], 'p50')}/{_f(s['app'], 'p99')} ms, send lag p99 "
                     f"{_f(s['lag'], 'p99')} ms, GC {s['gc_ms']:.0f} ms")
    slow = rm.get("redis_slow_ms") or {}
    return "; ".join(parts) + "; Redis events ≥ 2 ms: " + (
        ", ".join(f"{k} {v} ms" for k, v in slow.items()) or "none")


def _f(s: dict, pct: str) -> str:
    return "—" if s.get(pct) is None else f"{s[pct]:.1f}"


def _ms(s: dict) -> str:
    return f"{s['p50']:.0f}/{s['p99']:.0f} ms" if s.get("p50") is not None else "—"



"""Percentiles and medians, standard library only: the load generator's process imports this and
nothing of the app (a small heap keeps its own garbage collections short; see bench/loadgen.py)."""
import math
import statistics


def percentile(values, p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list: rank ceil(p/100 * n). (It was
    round(p/100 * n + 0.5), which Python's round-half-to-even made rank n for p99 of 100 values.)"""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered) - 1e-9) - 1))
    return ordered[k]


def median(values) -> float:
    return statistics.median(values)

"""CPU seconds per process group, from /proc/<pid>/stat before and after a measurement.

Groups are {name: [pid, ...]}; a write DB on PostgreSQL counts the backends serving OUR database
(pg_stat_activity), not the other databases of a shared server; on SQLite the DB works inside the
processes that use it, so it has no group of its own. The window also reads the whole machine's
busy time (/proc/stat), so "the rest of the machine" (other tenants, and processes outside the
groups) is reported next to the groups: a loaded machine shows itself.

`cpu_ns`: CPU time with nanosecond resolution (/proc/<pid>/task/*/schedstat, every thread), for
per-request costs (/proc/<pid>/stat counts 10 ms ticks). `pin` keeps the measured servers on one
core and `split_cores` gives the load generator the others (as pyperf pins a benchmark): where the
scheduler puts a server next to its client changes the CPU a request costs, and that placement
changes from one visit to the next.
"""
import os

import sqlalchemy as sa

from bench.clients import _CLK, cpu_seconds
from bench.common import _admin, child_pids


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat"):
            return True
    except OSError:
        return False


def pg_backends(db_name: str | None) -> list[int]:
    if not db_name:
        return []
    with _admin().connect() as conn:
        return list(conn.execute(sa.text("SELECT pid FROM pg_stat_activity WHERE datname = :d"),
                                 {"d": db_name}).scalars())


def web_pids(procs) -> list[int]:
    """The gunicorn worker processes under these masters (the masters only supervise)."""
    return [c for p in procs for c in child_pids(p.pid)]


def _threads(pids):
    """The thread ids of these processes (gone ones skipped)."""
    for pid in pids:
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        yield from (int(tid) for tid in tasks)


def pin(pids, cpus: set[int]) -> None:
    """Keep these processes (every thread) on these CPUs; gone ones are skipped."""
    for tid in _threads(pids):
        try:
            os.sched_setaffinity(tid, cpus)
        except OSError:
            pass


def split_cores() -> tuple[set[int], set[int]] | None:
    """(the measured servers' CPU, the load generator's) on a machine of 2 or more, else None."""
    cpus = sorted(os.sched_getaffinity(0))
    return ({cpus[0]}, set(cpus[1:])) if len(cpus) >= 2 else None


def cpu_ns(pids) -> int:
    """CPU nanoseconds used so far by these processes, all their threads (schedstat)."""
    total = 0
    for tid in _threads(pids):
        try:
            with open(f"/proc/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def machine_busy_s() -> float:
    """Seconds of CPU the whole machine has been busy (all CPUs; idle, iowait and steal excluded)."""
    with open("/proc/stat") as f:
        user, nice, system, _idle, _iowait, irq, softirq = (int(x) for x in f.readline().split()[1:8])
    return (user + nice + system + irq + softirq) / _CLK


class CpuWindow:
    """`with CpuWindow(groups) as w: ...` then w.used = {group: CPU seconds}, w.wall = seconds."""

    def __init__(self, groups: dict[str, list[int]]):
        self.groups, self.used, self.wall = groups, {}, 0.0

    def __enter__(self):
        import time
        self._t = time.perf_counter()
        self._before = {k: {pid: cpu_seconds([pid]) for pid in v} for k, v in self.groups.items()}
        self._machine = machine_busy_s()
        return self

    def __exit__(self, *exc):
        import time
        self.wall = time.perf_counter() - self._t
        # per process, and only those still there: a PostgreSQL backend that exits meanwhile (a pool
        # overflow connection closed) takes its CPU with it; it must not count as negative CPU
        self.used = {k: sum(max(0.0, cpu_seconds([pid]) - t0) for pid, t0 in before.items()
                            if _alive(pid)) for k, before in self._before.items()}
        self.used["rest of machine"] = max(0.0, machine_busy_s() - self._machine
                                           - sum(self.used.values()))
        return False

    def cores(self) -> dict[str, float]:
        """Each group's average share of one core over the window."""
        return {k: v / self.wall for k, v in self.used.items()} if self.wall else {}

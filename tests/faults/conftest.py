"""Fault tier: each test builds its own stack (Redis, DB, web, workers) so it can break it."""
import pytest

from tests.faults.checks import COLLECTED
from tests.faults.harness import FaultStack


@pytest.fixture
def fault_stack(tmp_path):
    """Factory: FaultStack(**kwargs); every stack is closed after the test, and a process it left
    behind (an orphan of a killed worker) fails the test."""
    stacks = []

    def make(**kwargs) -> FaultStack:
        stack = FaultStack(tmp_path / f"stack{len(stacks)}", **kwargs)
        stacks.append(stack)
        return stack

    yield make
    orphans = [pid for s in stacks for pid in s.close()]
    assert not orphans, f"processes left behind after stopping the stack: {orphans}"


def pytest_terminal_summary(terminalreporter):
    if not COLLECTED:
        return
    tr = terminalreporter
    tr.section("fault-injection figures")
    tr.write_line(f"{'scenario':<34} {'db':<9} {'sent':>5} {'accepted':>8} {'applied':>7} "
                  f"{'lost':>4} {'dup':>4} {'converge':>9}  notes")
    for f in COLLECTED:
        notes = " ".join(f"{k}={v}" for k, v in f.extra.items())
        tr.write_line(f"{f.scenario:<34} {f.db:<9} {f.sent:>5} {f.accepted:>8} {f.applied:>7} "
                      f"{f.lost:>4} {f.duplicated:>4} {f.converge_s:>8.2f}s  {notes}")

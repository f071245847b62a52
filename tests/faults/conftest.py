"""Fault tier: each test builds its own stack (Redis, DB, web, workers) so it can break it."""
import shutil

import pytest

from tests.faults.checks import COLLECTED
from tests.faults.harness import FaultStack

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("Debian's chromium is not installed (./ripple test installs it)")
    return {**browser_type_launch_args, "executable_path": path, "args": CHROMIUM_FLAGS}


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

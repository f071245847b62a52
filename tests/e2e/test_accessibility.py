"""axe-core (from npm, node_modules/axe-core, pinned in package-lock.json) on every page and state of
tests/e2e/ui_states.py, at desktop and phone width: no violation of impact critical, serious or
moderate. axe is injected through the test browser (the DevTools protocol), so the app's strict
Content-Security-Policy is never relaxed for it."""
import pytest
import redis

from backend import demo
from tests.e2e.conftest import Stack
from tests.e2e.ui_states import DESKTOP, PHONE, STATES, UI, World
from tests.support import ROOT

AXE = (ROOT / "node_modules" / "axe-core" / "axe.min.js").read_text()
BLOCKING = {"critical", "serious", "moderate"}
RUN_AXE = """async () => {
  const r = await axe.run(document, { resultTypes: ["violations"] });
  return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => [n.target.join(" "), n.failureSummary]) }));
}"""


def axe_violations(page):
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE)
    return [v for v in page.evaluate(RUN_AXE) if v["impact"] in BLOCKING]


@pytest.fixture(scope="module")
def world(stack):
    return World.make(stack.base)


@pytest.fixture(scope="module")
def demo_stack(tmp_path_factory):
    """A demo-mode stack (RIPPLE_DEMO=1), started only when a demo state is selected."""
    s = Stack(tmp_path_factory.mktemp("axe-demo"), RIPPLE_DEMO="1")
    yield s
    s.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("state", list(STATES))
def test_no_accessibility_violations(request, browser, stack, worker_running, world, state, viewport):
    on = request.getfixturevalue("demo_stack") if getattr(STATES[state], "demo", False) else stack
    on.start_worker()
    if on is not stack:
        redis.Redis.from_url(on.redis.url).delete(demo.KEY)  # every demo state starts with none on
    ui = UI(browser, on, world, viewport)
    try:
        page = STATES[state](ui)
        page.wait_for_timeout(100)  # let the last render and live-region update land
        violations = axe_violations(page)
        assert violations == [], f"{state}: " + "\n".join(
            f"{v['impact']} {v['id']}: {v['help']} {v['nodes']}" for v in violations)
        assert page.evaluate("document.querySelectorAll('h1').length") == 1 or state.endswith(
            ("dialog", "overlay"))
        assert not page.errors
    finally:
        ui.close()
        if on is not stack:
            redis.Redis.from_url(on.redis.url).delete(demo.KEY)  # the controls off for the next

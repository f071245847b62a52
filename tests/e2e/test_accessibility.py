"""axe-core (from npm, node_modules/axe-core, pinned in package-lock.json) on every page and state of
tests/e2e/ui_states.py, at desktop and phone width: no violation of impact critical, serious or
moderate. axe is injected through the test browser (the DevTools protocol), so the app's strict
Content-Security-Policy is never relaxed for it."""
import pytest

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


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("state", list(STATES))
def test_no_accessibility_violations(browser, stack, worker_running, world, state, viewport):
    ui = UI(browser, stack, world, viewport)
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

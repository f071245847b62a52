"""Benchmark 3: optimistic render in Chromium (Debian's, headless), measured by the page itself.

static/js/commands.js marks `ripple:submit:<id>` when the user submits, `ripple:pending:<id>` once
the pending item is in the DOM (the render is synchronous) and `ripple:confirmed:<id>` when the
server's confirmation replaced it. Figure: p95 of submit -> pending over the posts; baseline: p95 of
submit -> confirmed (what a non-optimistic UI would make the user wait for). One post at a time,
each confirmed before the next, against gunicorn + one worker.
"""
import shutil

from playwright.sync_api import sync_playwright

from bench.common import Stack, row
from bench.stats import percentile
from tests.support import CHROMIUM_FLAGS
from tests.support import signup

MARKS_JS = """() => {
  const t = {};
  for (const m of performance.getEntriesByType('mark')) {
    const [, kind, id] = m.name.split(':');
    if (m.name.startsWith('ripple:')) (t[id] = t[id] || {})[kind] = m.startTime;
  }
  return Object.values(t).filter((x) => x.submit !== undefined && x.pending !== undefined
                                         && x.confirmed !== undefined);
}"""
CONFIRMED_JS = """(n) => performance.getEntriesByType('mark')
  .filter((m) => m.name.startsWith('ripple:confirmed:')).length >= n"""


def measure(base: str, session, posts: int) -> list[dict]:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_FLAGS)
        try:
            context = browser.new_context(base_url=base)
            context.add_cookies([{"name": k, "value": v, "url": base}
                                 for k, v in session.cookies.items()])
            page = context.new_page()
            page.goto("/explore")
            page.wait_for_selector("#connection:has-text('live')", timeout=15000)
            for i in range(posts):
                page.fill("#composer-body", f"render bench post {i}")
                page.click("#post-button")
                page.wait_for_function(CONFIRMED_JS, arg=i + 1, timeout=15000)
            return page.evaluate(MARKS_JS)
        finally:
            browser.close()


def run(quick: bool = False) -> list[dict]:
    posts = 30 if quick else 100
    stack = Stack(workers=1)
    try:
        marks = measure(stack.base, signup(stack.base), posts)
    finally:
        stack.close()
    pending = [m["pending"] - m["submit"] for m in marks]
    confirmed = [m["confirmed"] - m["submit"] for m in marks]
    p95, base95 = percentile(pending, 95), percentile(confirmed, 95)
    return [row("Optimistic render p95 (submit → pending in DOM)", p95, "ms", base95, "≤ 16 ms",
                p95 <= 16, f"headless Chromium, {len(marks)} posts one at a time; baseline = "
                f"submit → confirmed item (p95); median pending "
                f"{percentile(pending, 50):.2f} ms")]

"""Scenario 4: the web server restarts while browsers are connected.

Two Chromium users watch Explore. The web server stops; while it is down (a) a post is made through
the queue, as a second web process behind the load balancer would take it, and (b) user B writes a
post in the page, which stays pending (its request failed). When the server is back, both pages
reconnect by themselves, A catches up on both posts, and B's post is confirmed exactly once.
"""
import time
import uuid

from playwright.sync_api import expect

from backend.read.projections import command_key
from tests.faults.checks import Figures, exactly_once, report
from tests.support import logged_in_page, wait_for


def _page(browser, stack):
    context = browser.new_context(base_url=stack.base)
    page = logged_in_page(context)
    page.goto("/explore")
    expect(page.locator("#connection")).to_have_text("live")
    return context, page


def test_browsers_reconnect_and_catch_up_after_web_restart(fault_stack, browser):
    stack = fault_stack(workers=1)
    (ctx_a, a), (ctx_b, b) = _page(browser, stack), _page(browser, stack)
    queued = {"command_id": str(uuid.uuid4()), "type": "create_post",
              "payload": {"body": "made while the web server was down"}, "author": b.handle}
    typed = {}

    def while_down():
        expect(a.locator("#connection")).to_have_text("reconnecting…", timeout=15000)
        stack.enqueue(queued)
        wait_for(lambda: stack.r.exists(command_key(queued["command_id"])), timeout=30,
                 what="the worker applied the post made during the outage")
        b.fill("#composer-body", "written while the web server was down")
        sent = lambda req: req.method == "POST" and req.url.endswith("/api/commands")  # noqa: E731
        with b.expect_event("requestfailed", predicate=sent, timeout=15000):
            b.click("#post-button")  # its send fails (the server is down) ...
        item = b.locator("li.post", has_text="written while the web server was down")
        typed.update(b.evaluate("() => { const [c] = [...window.ripple.store.pending.values()];"
                                " return {command_id: c.command_id, type: c.type,"
                                " payload: c.payload}; }"))
        expect(item).to_have_class("post pending")  # ... and it is still pending, not failed

    try:
        old_pid = stack.web.pid
        stack.restart_web(between=while_down)
        back = time.monotonic()
        assert stack.web.pid != old_pid
        for page in (a, b):
            expect(page.locator("#connection")).to_have_text("live", timeout=20000)
        for text in ("made while the web server was down", "written while the web server was down"):
            expect(a.locator("li.post", has_text=text)).to_have_count(1, timeout=20000)
        mine = b.locator("li.post", has_text="written while the web server was down")
        expect(mine.locator(".status")).to_contain_text("visible to everyone", timeout=20000)
        expect(mine).to_have_count(1)
        converge_s = time.monotonic() - back

        accepted = {queued["command_id"]: (queued, b.handle), typed["command_id"]: (typed, b.handle)}
        effects = exactly_once(stack.svc.session_factory, accepted)
        report(Figures("web server restarted", "sqlite", sent=2, accepted=2,
                       applied=effects.get("applied", 0), lost=effects.get("lost", 0),
                       duplicated=effects.get("duplicated", 0), converge_s=converge_s,
                       extra={"browsers": 2, "reconnected": 2}))
        assert effects == {"applied": 2, "stray_rows": 0}, effects
        assert not a.errors and not b.errors
    finally:
        ctx_a.close()
        ctx_b.close()

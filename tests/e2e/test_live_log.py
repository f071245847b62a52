"""/events is live (Chromium, a real server and worker, demo mode off): another member's events
arrive at the top without a reload, pushed over Socket.IO (room `log`), filtered like the page; with
the socket down the page polls. And without demo mode the inspector has no rebuild button."""
import time
import uuid

from playwright.sync_api import expect

from tests.support import signup
from tests.e2e.ui_states import command, settled

LONG = 20000


def until(page, js, timeout_s=20):
    """Poll a page expression from the test (the app's CSP forbids wait_for_function's eval)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(js):
        assert time.monotonic() < deadline, js
        page.wait_for_timeout(100)


def live_log(page, path="/events"):
    page.goto(path)
    expect(page.locator("#connection")).to_have_text("live", timeout=LONG)
    until(page, "!!(window.ripple.log && window.ripple.log.live)")
    return page


def test_another_members_post_arrives_at_the_top_without_a_reload(user_page, stack):
    reader = live_log(user_page())
    fetches = reader.evaluate("ripple.log.fetches")
    author = signup(stack.base)
    pid = settled(author, stack.base, command(author, stack.base, "create_post",
                                              body=f"live {uuid.uuid4().hex[:6]}"))[0]["post"]["id"]
    top = reader.locator("#events li.event").first
    expect(top).to_have_attribute("data-type", "post_created", timeout=LONG)
    expect(top).to_contain_text(f"@{author.handle} posted #{pid}")
    expect(top).to_have_class("event arrived")
    assert reader.evaluate("ripple.log.live")  # pushed: no poller runs while the socket is live
    assert reader.evaluate("ripple.log.fetches") <= fetches + 3
    assert reader.url.endswith("/events")  # no reload


def test_live_arrivals_keep_the_pages_filters(user_page, stack):
    reader = live_log(user_page(), "/events?type=user_followed")
    author, followee = signup(stack.base), signup(stack.base)
    settled(author, stack.base, command(author, stack.base, "create_post", body="not followed"),
            command(author, stack.base, "follow_user", handle=followee.handle))
    top = reader.locator("#events li.event").first
    expect(top).to_contain_text(f"@{author.handle} followed @{followee.handle}", timeout=LONG)
    reader.wait_for_timeout(500)
    expect(reader.locator('#events li.event.arrived[data-type="post_created"]')).to_have_count(0)


def test_with_the_socket_down_the_page_polls(user_page, stack):
    reader = live_log(user_page())
    reader.evaluate("ripple.store.socket.disconnect()")
    until(reader, "!ripple.log.live")
    author = signup(stack.base)
    settled(author, stack.base, command(author, stack.base, "create_post", body="while down"))
    expect(reader.locator("#events li.event").first).to_contain_text(f"@{author.handle} posted",
                                                                      timeout=LONG)


def test_without_demo_mode_there_is_no_rebuild_button(user_page):
    page = user_page()
    page.goto("/explore")
    page.keyboard.press("i")
    expect(page.locator('#inspector [data-fig="workers"]')).to_contain_text("alive", timeout=LONG)
    expect(page.locator("#rebuild-button")).to_have_count(0)
    resp = page.context.request.post("/api/demo/rebuild", data={})
    assert resp.status == 404 and resp.json()["error"]["code"] == "demo_off"


def test_a_logged_out_visitor_sees_the_log_live_too(browser, stack, worker_running):
    context = browser.new_context(base_url=stack.base)
    try:
        visitor = live_log(context.new_page())
        author = signup(stack.base)
        settled(author, stack.base, command(author, stack.base, "follow_user",
                                            handle=signup(stack.base).handle))
        expect(visitor.locator("#events li.event").first).to_contain_text(
            f"@{author.handle} followed", timeout=LONG)
    finally:
        context.close()

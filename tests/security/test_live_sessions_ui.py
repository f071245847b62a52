"""In Chromium: a logged-out visitor's Explore goes live (issue 15 item 7), and "Log out everywhere"
on the member's own profile ends the member's other sessions -- the other tab's socket is closed and
the tab lands on the login page (issue 11 item 1)."""
import uuid

from playwright.sync_api import expect

from tests.security.conftest import http_user

LONG = 15000


def test_a_logged_out_visitor_sees_new_posts_live(browser, stack):
    author = http_user(stack.base)
    context = browser.new_context(base_url=stack.base)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/explore")
    expect(page.locator("#connection")).to_have_text("live", timeout=LONG)
    body = f"seen live by a visitor {uuid.uuid4().hex[:6]}"
    r = author.post(f"{stack.base}/api/commands", timeout=10, json={
        "command_id": str(uuid.uuid4()), "type": "create_post", "payload": {"body": body}})
    assert r.status_code == 202
    expect(page.locator("li.post", has_text=body)).to_be_visible(timeout=LONG)
    assert not errors
    context.close()


def test_log_out_everywhere_sends_the_other_tab_to_the_login_page(browser, browser_user, stack,
                                                                 tmp_path):
    context, page = browser_user()
    other = browser.new_context(base_url=stack.base)
    other_page = other.new_page()
    r = other.request.post("/api/login", data={"handle": page.handle, "password": "password123"})
    assert r.status == 200
    other_page.goto("/explore")
    expect(other_page.locator("#connection")).to_have_text("live", timeout=LONG)

    page.goto(f"/users/{page.handle}")
    expect(page.locator("#connection")).to_have_text("live", timeout=LONG)
    page.screenshot(path=str(tmp_path / "logout-everywhere.png"))  # looked at: button under header
    page.click("#logout-all")
    page.wait_for_url("**/explore", timeout=LONG)
    other_page.wait_for_url("**/login", timeout=LONG)  # its socket closed, its session refused
    assert page.context.request.get("/api/me").status == 401
    assert other.request.get("/api/me").status == 401
    other.close()

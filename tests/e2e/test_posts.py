"""The posts slice as a person uses it, in Chromium against the real server and worker."""
from playwright.sync_api import expect


def test_post_is_pending_until_the_worker_runs_then_confirmed(user_page, stack):
    page = user_page()
    page.goto("/explore")
    expect(page.locator("#connection")).to_have_text("live")
    stack.stop_worker()  # hold the worker back: the command waits in the queue

    page.fill("#composer-body", "held back, still shown")
    page.click("#post-button")
    item = page.locator("li.post", has_text="held back, still shown")
    expect(item).to_have_class("post pending")
    expect(item.locator(".status")).to_have_text("sending…")
    expect(page.locator("#composer-body")).to_have_value("")
    page.wait_for_timeout(500)
    expect(item).to_have_class("post pending")  # nothing confirms it without the worker

    stack.start_worker()
    expect(item.locator(".status")).to_contain_text("visible to everyone", timeout=15000)
    expect(item).not_to_have_class("pending")
    expect(page.locator("li.post", has_text="held back, still shown")).to_have_count(1)
    assert not page.errors

"""UX fixes as people meet them: keyboard-only use, the "N new posts" pill, pending items only in
the lists they will belong to, and the offline banner."""
import re
import uuid

from playwright.sync_api import expect

from tests.e2e.ui_states import DESKTOP, UI, command, live, settled
from tests.support import new_handle, signup

LONG = 15000

NO_POINTER = """window.__pointer = [];
for (const t of ["pointerdown", "mousedown", "mouseup"])
  addEventListener(t, (e) => window.__pointer.push(t), true);
addEventListener("click", (e) => { if (e.detail > 0) window.__pointer.push("click"); }, true);"""


def tab_to(page, selector, limit=60, back=False):
    """Press Tab (or Shift+Tab) until the focused element matches `selector`."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement?.matches(s)", selector):
            return
        page.keyboard.press("Shift+Tab" if back else "Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_keyboard_only_sign_up_post_like_open_comment_delete(browser, stack, worker_running):
    ui = UI(browser, stack, None, DESKTOP)
    try:
        page = ui.page(None)
        page.context.add_init_script(NO_POINTER)
        page.goto("/signup")
        page.keyboard.press("Tab")
        expect(page.locator(".skip-link")).to_be_focused()  # the first stop: skip to the content
        tab_to(page, "#handle")
        handle = new_handle()
        page.keyboard.type(handle)
        tab_to(page, "#password")
        page.keyboard.type("password123")
        page.keyboard.press("Enter")
        expect(page.locator("#connection")).to_have_text("live", timeout=LONG)
        assert page.url.endswith("/")

        page.keyboard.press("n")  # the shortcut to the composer
        expect(page.locator("#composer-body")).to_be_focused()
        body = f"typed, never clicked {uuid.uuid4().hex[:6]}"
        page.keyboard.type(body)
        page.keyboard.press("Control+Enter")
        item = page.locator("li.post", has_text=body)
        expect(item.locator(".status")).to_contain_text("visible to everyone", timeout=LONG)

        page.keyboard.press("Tab")  # out of the composer (onto Post), then j
        page.keyboard.press("j")  # onto the first post
        expect(item.locator("article")).to_be_focused()
        tab_to(page, "li.post .like")
        page.keyboard.press("Space")
        expect(item.locator(".like")).to_have_attribute("aria-pressed", "true")
        expect(item.locator(".like")).to_have_attribute("aria-label", "Like, 1 like", timeout=LONG)

        tab_to(page, "li.post .time-link", back=True)
        page.keyboard.press("Enter")  # open the post
        expect(page).to_have_url(re.compile(r"/posts/\d+$"))
        expect(page.locator("#connection")).to_have_text("live", timeout=LONG)
        tab_to(page, "#comment-body")
        page.keyboard.type("and a comment, by keyboard")
        page.keyboard.press("Control+Enter")
        expect(page.locator("#comments li.comment:not(.pending)", has_text="by keyboard")).to_be_visible(
            timeout=LONG)

        tab_to(page, "li.post .delete", back=True)
        page.keyboard.press("Enter")
        dialog = page.locator("dialog[open]")
        expect(dialog).to_contain_text("Delete this post?")
        expect(dialog.locator("button", has_text="Cancel")).to_be_focused()
        page.keyboard.press("Tab")
        expect(dialog.locator("button.confirm")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator("#notice")).to_have_text("This post was deleted.", timeout=LONG)
        assert page.evaluate("window.__pointer") == []  # no mouse event was used
        assert not page.errors
    finally:
        ui.close()


def test_live_posts_wait_behind_a_pill_while_reading_and_nothing_jumps(user_page, stack):
    author = signup(stack.base)
    settled(author, stack.base, *[command(author, stack.base, "create_post", body=f"older {i} {author.handle}")
                                  for i in range(25)])
    reader = user_page(viewport={"width": 1280, "height": 800})
    live(reader, "/explore")
    read = reader.locator("li.post").nth(6)
    read.scroll_into_view_if_needed()
    reader.evaluate("window.scrollBy(0, 200)")
    before = read.bounding_box()["y"]

    bodies = [f"live {i} {uuid.uuid4().hex[:6]}" for i in range(3)]
    settled(author, stack.base, *[command(author, stack.base, "create_post", body=b) for b in bodies])
    pill = reader.locator("#new-posts")
    expect(pill).to_have_text("↑ 3 new posts", timeout=LONG)
    assert reader.locator("li.post", has_text=bodies[0]).count() == 0  # held, not inserted
    assert abs(read.bounding_box()["y"] - before) < 1  # the post being read did not move
    expect(reader.locator("#announce")).to_contain_text("new post")

    pill.click()
    expect(pill).to_be_hidden()
    expect(reader.locator("li.post").first).to_contain_text(bodies[2])
    expect(reader.locator("li.post").first.locator("article")).to_be_focused()
    assert reader.evaluate("window.scrollY") == 0

    at_top = f"at the top {uuid.uuid4().hex[:6]}"  # at the top a live post goes straight in
    settled(author, stack.base, command(author, stack.base, "create_post", body=at_top))
    expect(reader.locator("li.post").first).to_contain_text(at_top, timeout=LONG)
    expect(pill).to_be_hidden()
    assert not reader.errors


def test_a_pending_post_shows_only_in_lists_it_will_belong_to(user_page, stack):
    other = signup(stack.base)
    settled(other, stack.base, command(other, stack.base, "create_post", body="their own post"))
    page = user_page()
    live(page, "/explore")
    stack.stop_worker()
    body = f"mine, still pending {uuid.uuid4().hex[:6]}"
    page.fill("#composer-body", body)
    page.click("#post-button")
    expect(page.locator("li.post.pending", has_text=body)).to_have_count(1)

    page.goto(f"/users/{other.handle}")  # another member's profile: not there
    expect(page.locator("li.post", has_text="their own post")).to_be_visible()
    expect(page.locator("li.post", has_text=body)).to_have_count(0)
    for path in (f"/users/{page.handle}", "/"):  # my profile, my feed: there, pending
        page.goto(path)
        expect(page.locator("li.post.pending", has_text=body)).to_have_count(1)
    stack.start_worker()
    expect(page.locator("li.post", has_text=body).locator(".status")).to_contain_text(
        "visible to everyone", timeout=LONG)
    assert not page.errors


def test_offline_is_an_announced_banner_counting_the_waiting_changes(user_page):
    page = user_page()
    live(page, "/explore")
    page.context.set_offline(True)
    for text in ("one on the train", "two on the train"):
        page.fill("#composer-body", f"{text} {uuid.uuid4().hex[:4]}")
        page.click("#post-button")
    banner = page.locator("#offline")
    expect(banner).to_have_text("Offline — your 2 changes will be sent when you're back.", timeout=LONG)
    expect(page.locator("#announce")).to_have_text(
        "Offline — your 2 changes will be sent when you're back.")
    page.context.set_offline(False)
    expect(banner).to_be_hidden(timeout=LONG * 2)
    expect(page.locator("li.post.pending")).to_have_count(0, timeout=LONG)
    assert not page.errors


def test_a_rejection_never_pulls_focus_from_elsewhere(user_page, stack):
    page = user_page()
    live(page, "/explore")
    body = f"said twice {uuid.uuid4().hex[:6]}"
    page.fill("#composer-body", body)
    page.click("#post-button")
    expect(page.locator("#posts li.post").first.locator(".status")).to_contain_text(
        "visible to everyone", timeout=LONG)
    stack.stop_worker()
    page.fill("#composer-body", body)
    page.click("#post-button")
    page.focus("#nav-me")  # the reader has moved on
    stack.start_worker()
    failed = page.locator("li.post.failed", has_text=body)
    expect(failed).to_have_count(1, timeout=LONG)
    expect(page.locator("#alert")).to_contain_text("Not posted: You already posted that.")
    expect(page.locator("#nav-me")).to_be_focused()  # announced, but focus stayed put
    assert not page.errors

"""The social features as people use them: two or three users, each in their own browser context,
against the real web server and worker. Every action is optimistic first, then confirmed live."""
import re

from playwright.sync_api import expect

from tests.support import new_command, wait_for

LONG = 15000  # ms: generous waits on conditions for a slow, shared machine

# Click, then read the DOM in the same task: what the user sees in the frame of the click.
CLICK_AND_READ = """([selector, times]) => {
  const el = document.querySelector(selector);
  for (let i = 0; i < times; i++) el.click();
  const li = el.closest("li.post"), like = li && li.querySelector(".like");
  return { text: el.textContent, pending: el.classList.contains("pending"),
           pressed: like && like.getAttribute("aria-pressed"),
           count: like && like.querySelector(".count").textContent };
}"""

SUBMIT_AND_READ = """(form) => {
  document.querySelector(form).requestSubmit();
  const li = document.querySelector("#comments li.comment:last-child");
  return { class: li.className, text: li.textContent };
}"""


def live(page, path):
    page.goto(path)
    expect(page.locator("#connection")).to_have_text("live", timeout=LONG)


def post(page, body) -> int:
    """Post from the home composer; the id once the read side has it."""
    live(page, "/")
    page.fill("#composer-body", body)
    page.click("#post-button")
    item = page.locator("li.post", has_text=body)
    expect(item.locator(".status")).to_contain_text("visible to everyone", timeout=LONG)
    return int(item.get_attribute("data-post-id"))


def api_command(page, ctype, **payload):
    r = page.context.request.post("/api/commands", data=new_command(ctype, **payload))
    assert r.status == 202, r.text()


def test_follow_flips_at_once_and_followees_posts_arrive_live(user_page):
    b = user_page()
    a = user_page(viewport={"width": 375, "height": 740})  # A on a phone
    live(a, "/")
    expect(a.locator("#empty-feed")).to_contain_text("follow someone to fill your feed")
    # suggestions are the most-followed members (test_ux_details checks the order): cards to follow
    expect(a.locator("#empty-feed .suggestions .person .follow").first).to_be_visible()

    live(b, f"/users/{b.handle}")  # B watches their own profile
    expect(b.locator(".profile .followers")).to_have_text("0 followers")
    live(a, f"/users/{b.handle}")
    seen = a.evaluate(CLICK_AND_READ, [".profile .follow", 1])
    assert seen["text"] == "Following" and seen["pending"]  # flipped in the frame of the click
    expect(a.locator(".profile .followers")).to_have_text("1 follower")
    expect(a.locator(".profile .follow")).not_to_have_class(re.compile("pending"), timeout=LONG)
    expect(b.locator(".profile .followers")).to_have_text("1 follower", timeout=LONG)  # live
    b.click(".profile .followers")
    expect(b.locator(".follow-list")).to_contain_text(f"1 follower@{a.handle}")

    live(a, "/")
    body = f"hello followers from {b.handle}"
    post(b, body)
    expect(a.locator("li.post", has_text=body)).to_be_visible(timeout=LONG)  # live, no reload
    expect(a.locator("#empty-feed")).to_be_hidden()
    assert a.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert not a.errors and not b.errors


def test_comment_and_like_reach_the_post_page_live_and_double_clicks_settle(user_page):
    a, b = user_page(), user_page()
    pid = post(b, "comment on me, like me")
    live(b, f"/posts/{pid}")
    live(a, f"/posts/{pid}")
    like = f'li.post[data-post-id="{pid}"] .like'
    seen = a.evaluate(CLICK_AND_READ, [like, 1])
    assert (seen["pressed"], seen["count"], seen["pending"]) == ("true", "1", True)
    a.fill("#comment-body", "first!")
    draft = a.evaluate(SUBMIT_AND_READ, "#comment-form")
    assert draft == {"class": "comment pending", "text": "@" + a.handle + "first!sending…"}
    expect(a.locator("#comments li.comment:not(.pending)", has_text="first!")).to_be_visible(
        timeout=LONG)
    expect(b.locator(f"{like} .count")).to_have_text("1", timeout=LONG)  # B sees both, live
    expect(b.locator("#comments li.comment", has_text="first!")).to_be_visible(timeout=LONG)
    expect(b.locator(".comments h2")).to_have_text("Comments (1)")

    for clicks, pressed, count in [(2, "true", "1"), (3, "false", "0")]:  # rapid clicks
        expect(a.locator(like)).not_to_have_class(re.compile("pending"), timeout=LONG)
        seen = a.evaluate(CLICK_AND_READ, [like, clicks])
        assert (seen["pressed"], seen["count"]) == (pressed, count)
        expect(a.locator(like)).not_to_have_class(re.compile("pending"), timeout=LONG)
        expect(a.locator(like)).to_have_attribute("aria-pressed", pressed)
        expect(a.locator(f"{like} .count")).to_have_text(count)
        server = a.context.request.get(f"/api/posts/{pid}").json()["post"]
        assert (server["liked"], server["likes"]) == (pressed == "true", int(count))
        expect(b.locator(f"{like} .count")).to_have_text(count, timeout=LONG)
    assert not a.errors and not b.errors


def test_comment_on_a_post_deleted_meanwhile_rolls_back_with_the_reason(user_page, stack):
    a, b = user_page(), user_page()
    pid = post(b, "soon gone")
    live(a, f"/posts/{pid}")
    stack.stop_worker()  # hold the worker: B's delete is queued first, then A's comment
    b.locator("li.post", has_text="soon gone").locator(".delete").click()
    expect(b.locator("dialog .secondary")).to_be_focused()  # asked first: focus starts on Cancel
    with b.expect_response("**/api/commands"):
        b.locator("dialog button.confirm").click()
    expect(b.locator("li.post", has_text="soon gone")).to_contain_text("delete accepted · waiting in the queue")
    seen = a.evaluate(CLICK_AND_READ, [f'li.post[data-post-id="{pid}"] .like', 1])
    assert (seen["pressed"], seen["count"], seen["pending"]) == ("true", "1", True)
    a.fill("#comment-body", "too late?")
    with a.expect_response("**/api/commands"):
        a.click("#comment-form button")
    draft = a.locator("#comments li.comment", has_text="too late?")
    expect(draft).to_contain_text("accepted · waiting in the queue")

    stack.start_worker()
    expect(draft).to_have_class(re.compile("failed"), timeout=LONG)
    expect(draft.locator(".status")).to_have_text("rejected: That post was deleted.")
    expect(draft.locator(".revise")).to_be_visible()  # a rejection: Edit and Discard, no Retry
    expect(draft.locator(".discard")).to_be_visible()
    expect(a.locator("#notice")).to_have_text("This post was deleted.")
    pending = "[...window.ripple.store.pending.values()].map((c) => [c.type, c.state])"
    assert a.evaluate(pending) == [["create_comment", "failed"]]  # the like rolled back too
    expect(b.locator("li.post", has_text="soon gone")).to_have_count(0, timeout=LONG)
    assert a.context.request.get(f"/api/posts/{pid}").status == 404
    draft.locator(".discard").click()
    expect(draft).to_have_count(0)
    assert not a.errors and not b.errors


def test_edit_shows_edited_everywhere(user_page):
    a, b, c = user_page(), user_page(), user_page()
    pid = post(b, "first draft")
    api_command(a, "follow_user", handle=b.handle)
    live(b, f"/users/{b.handle}")
    expect(b.locator("li.post", has_text="first draft")).to_be_visible()
    live(c, "/explore")
    expect(c.locator(f'li.post[data-post-id="{pid}"]')).to_be_visible()
    wait_for(lambda: a.context.request.get("/api/feed").json()["posts"], what="A's feed back-filled")
    live(a, "/")

    item = b.locator(f'li.post[data-post-id="{pid}"]')
    item.locator(".edit").click()
    item.locator(".edit-body").fill("second draft")
    item.locator(".edit-form button[type=submit]").click()
    expect(item.locator(".body")).to_have_text("second draft")
    expect(item.locator(".edited")).to_be_visible()
    expect(item.locator(".status")).to_have_text(re.compile(r"^edit visible to everyone · \d+ ms$"),
                                                 timeout=LONG)
    for viewer in (a, c):  # live, in another user's home feed and on Explore
        other = viewer.locator(f'li.post[data-post-id="{pid}"]')
        expect(other.locator(".body")).to_have_text("second draft", timeout=LONG)
        expect(other.locator(".edited")).to_be_visible()
    live(c, f"/posts/{pid}")  # and in the read model behind a fresh page
    expect(c.locator("li.post .body")).to_have_text("second draft")
    expect(c.locator("li.post .edited")).to_be_visible()
    assert not any(p.errors for p in (a, b, c))

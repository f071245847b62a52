"""The posts slice as a person uses it, in Chromium against the real server and worker."""
import re
import uuid

from playwright.sync_api import expect

from tests.support import wait_for

CONFIRMED = re.compile(r"^visible to everyone · \d+ ms$")


def test_post_is_pending_until_the_worker_runs_then_confirmed(user_page, stack):
    page = user_page()
    page.goto("/explore")
    expect(page.locator("#connection")).to_have_text("live")
    stack.stop_worker()  # hold the worker back: the command waits in the queue

    page.fill("#composer-body", "held back, still shown")
    page.click("#post-button")
    item = page.locator("li.post", has_text="held back, still shown")
    expect(item).to_have_class("post pending")
    expect(item.locator(".status")).to_have_text("accepted · waiting in the queue")  # 202, queued
    expect(page.locator("#composer-body")).to_have_value("")
    page.wait_for_timeout(500)
    expect(item).to_have_class("post pending")  # nothing confirms it without the worker

    stack.start_worker()
    expect(item.locator(".status")).to_contain_text("visible to everyone", timeout=15000)
    expect(item).not_to_have_class("pending")
    expect(page.locator("li.post", has_text="held back, still shown")).to_have_count(1)
    assert not page.errors


# ---- helpers ------------------------------------------------------------------------------------

def unique(text: str) -> str:
    return f"{text} {uuid.uuid4().hex[:8]}"


def open_explore(page):
    page.goto("/explore")
    expect(page.locator("#connection")).to_have_text("live")
    page.evaluate("window.__noReload = true")  # gone if the page reloads


def submit(page, body):
    page.fill("#composer-body", body)
    page.click("#post-button")
    expect(page.locator("#composer-body")).to_have_value("")
    return page.locator("li.post", has_text=body)


def not_reloaded(page):
    assert page.evaluate("window.__noReload") is True


def pending_in_storage(page):
    return page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('ripple.pending'))"
                         ".flatMap((k) => JSON.parse(localStorage.getItem(k)))")


# ---- (2) live for everyone ----------------------------------------------------------------------

def test_another_user_sees_the_post_live_as_text(user_page):
    author, reader = user_page(), user_page()
    open_explore(author)
    open_explore(reader)
    dialogs = []
    for p in (author, reader):
        p.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    expect(author.locator(".composer .note")).to_contain_text("Others see it a moment later")

    body = unique("<img src=x onerror=alert(1)> <b>bold?</b>")
    mine = submit(author, body)
    expect(mine.locator(".status")).to_have_text(CONFIRMED, timeout=15000)
    theirs = reader.locator("li.post", has_text=body)
    expect(theirs).to_have_count(1, timeout=15000)
    expect(theirs).not_to_have_class(re.compile("pending|failed"))
    expect(theirs.locator(".author")).to_have_text(f"@{author.handle}")
    expect(reader.locator("#posts li.post").first).to_have_attribute("data-key", re.compile(".+"))
    assert reader.locator("#posts li.post").first.locator(".body").text_content() == body
    not_reloaded(reader)

    reader.reload()  # the server-rendered initial state shows it as text too
    expect(reader.locator("li.post", has_text=body).locator(".body")).to_have_text(body)
    for p in (author, reader):
        assert p.locator("#posts img, #posts b").count() == 0
    assert not dialogs and not author.errors and not reader.errors


# ---- (3) a business rule rolls the post back ----------------------------------------------------

def test_duplicate_post_rolls_back_offering_edit_and_discard_not_retry(user_page):
    """A rejection offers what can succeed: Edit puts the text back in the composer; Retry (which
    would fail again for 60 s) is offered only for network or server failures."""
    page = user_page()
    open_explore(page)
    first = unique("say it once")
    expect(submit(page, first).locator(".status")).to_have_text(CONFIRMED, timeout=15000)

    submit(page, first)  # focus stays in the composer after submitting
    failed = page.locator("li.post.failed", has_text=first)
    expect(failed.locator(".status")).to_have_text("rejected: You already posted that.",
                                                   timeout=15000)
    expect(failed.locator(".body")).to_have_text(first)  # the text is never lost
    expect(failed.locator("button.retry")).to_be_hidden()
    expect(failed.locator("button.revise")).to_be_visible()
    expect(failed.locator("button.discard")).to_be_visible()
    expect(failed.locator(".time-link")).to_be_hidden()  # not "now": it was never posted
    expect(failed.locator("button.revise")).to_be_focused()  # focus was in the composer
    expect(page.locator("#alert")).to_contain_text("Not posted: You already posted that.")

    failed.locator("button.revise").click()  # Edit: the text goes back into the composer
    expect(failed).to_have_count(0)
    expect(page.locator("#composer-body")).to_have_value(first)
    expect(page.locator("#composer-body")).to_be_focused()
    page.locator("#composer-body").press("End")
    page.locator("#composer-body").type(" (and more)")
    page.click("#post-button")
    expect(page.locator("li.post", has_text=f"{first} (and more)").locator(".status")).to_have_text(
        CONFIRMED, timeout=15000)

    again = f"{first} (and more)"
    submit(page, again)  # a duplicate of the latest post again, this time discarded
    failed = page.locator("li.post.failed", has_text=again)
    expect(failed).to_have_count(1, timeout=15000)
    failed.locator("button.discard").click()
    expect(failed).to_have_count(0)
    expect(page.locator("li.post", has_text=first)).to_have_count(2)
    assert pending_in_storage(page) == []
    not_reloaded(page)
    assert not page.errors


# ---- (4) a reload while pending ------------------------------------------------------------------

def test_reload_while_pending_ends_with_one_confirmed_post(user_page, stack):
    page = user_page()
    open_explore(page)
    stack.stop_worker()
    body = unique("survives a reload")
    expect(submit(page, body)).to_have_class("post pending")
    [saved] = pending_in_storage(page)
    assert saved["payload"] == {"body": body} and saved["state"] == "pending"

    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/api/commands")) as sent:
        page.reload()
    assert sent.value.post_data_json["command_id"] == saved["command_id"]  # re-sent, same id
    item = page.locator("li.post", has_text=body)
    expect(item).to_have_class("post pending")  # from localStorage, with the stage it had reached
    expect(item.locator(".status")).to_have_text("accepted · waiting in the queue")
    assert [c["command_id"] for c in pending_in_storage(page)] == [saved["command_id"]]

    stack.start_worker()
    expect(item.locator(".status")).to_have_text(CONFIRMED, timeout=20000)
    expect(page.locator("li.post", has_text=body)).to_have_count(1)
    assert pending_in_storage(page) == []
    profile = page.request.get(f"/api/users/{page.handle}").json()
    assert profile["user"]["posts"] == 1 and [p["body"] for p in profile["posts"]] == [body]
    page.reload()
    expect(page.locator("li.post", has_text=body)).to_have_count(1)
    assert not page.errors


# ---- (5) catching up after a disconnect ----------------------------------------------------------

def test_a_disconnected_client_catches_up_on_reconnect(user_page):
    reader, author = user_page(), user_page()
    open_explore(reader)
    open_explore(author)
    reader.context.set_offline(True)
    expect(reader.locator("#connection")).to_have_text("reconnecting…")

    body = unique("posted while you were away")
    expect(submit(author, body).locator(".status")).to_have_text(CONFIRMED, timeout=15000)
    expect(reader.locator("li.post", has_text=body)).to_have_count(0)  # it really missed it

    reader.context.set_offline(False)
    expect(reader.locator("#connection")).to_have_text("live", timeout=20000)
    expect(reader.locator("li.post", has_text=body)).to_have_count(1, timeout=15000)
    expect(reader.locator("#posts li.post").first).to_contain_text(body)
    not_reloaded(reader)
    assert not reader.errors


# ---- a phone-width screen ------------------------------------------------------------------------

def test_phone_width_has_no_horizontal_scroll(user_page):
    page = user_page(viewport={"width": 375, "height": 740})
    open_explore(page)
    body = unique("a" * 120 + " https://example.com/" + "b" * 80)  # long unbroken words
    expect(submit(page, body).locator(".status")).to_have_text(CONFIRMED, timeout=15000)
    for path in ("/explore", f"/users/{page.handle}"):
        page.goto(path)
        expect(page.locator("li.post", has_text=body)).to_have_count(1)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
    page.goto("/explore")
    box = page.locator("#post-button").bounding_box()
    assert box and box["x"] + box["width"] <= 375
    assert not page.errors


def test_a_post_made_before_the_first_socket_connect_is_not_lost(user_page):
    """The page's initial state is a snapshot; whatever is emitted before its socket is up is missed
    live, so the first connect must catch up just like a reconnect does."""
    reader, author = user_page(), user_page()
    open_explore(author)
    held = []  # hold the Socket.IO client library back: the page has its state, no socket yet
    reader.route("**/vendor/socket.io.esm.min.js", lambda route: held.append(route))
    reader.goto("/explore", wait_until="commit")
    while not held:
        reader.wait_for_timeout(50)

    body = unique("posted before your socket was up")
    expect(submit(author, body).locator(".status")).to_have_text(CONFIRMED, timeout=15000)
    reader.evaluate("window.__noReload = true")
    held[0].continue_()
    expect(reader.locator("#connection")).to_have_text("live", timeout=15000)
    expect(reader.locator("li.post", has_text=body)).to_have_count(1, timeout=15000)
    not_reloaded(reader)
    assert not reader.errors


def test_load_more_pages_through_the_timeline_with_the_cursor(user_page):
    page = user_page()
    ids = []
    for i in range(23):
        cmd = {"command_id": str(uuid.uuid4()), "type": "create_post",
               "payload": {"body": f"page me {page.handle} #{i}"}}
        assert page.context.request.post("/api/commands", data=cmd).status == 202
        ids.append(cmd["command_id"])

    def all_done():
        return all(page.context.request.get(f"/api/commands/{i}").json()["status"] == "succeeded"
                   for i in ids)
    wait_for(all_done, timeout=30, what="23 posts applied")

    page.goto(f"/users/{page.handle}")
    expect(page.locator("li.post")).to_have_count(20)
    page.click("#load-more")
    expect(page.locator("li.post")).to_have_count(23)
    expect(page.locator("li.post").last).to_contain_text(f"page me {page.handle} #0")
    expect(page.locator("#load-more")).to_be_hidden()
    expect(page.locator("#end-of-feed")).to_be_visible()  # the end of the list says so
    assert not page.errors

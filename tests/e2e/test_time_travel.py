"""The event log in the product, in Chromium: a post's history with diffs, scrubbing a page back in
time (banner, Back to live), and tombstones for posts deleted since."""
import re
import uuid

from playwright.sync_api import expect

from tests.support import wait_for


def unique(text: str) -> str:
    return f"{text} {uuid.uuid4().hex[:8]}"


def command(page, ctype, **payload) -> str:
    cid = str(uuid.uuid4())
    r = page.request.post("/api/commands", data={"command_id": cid, "type": ctype, "payload": payload})
    assert r.status == 202, r.text()
    return cid


def outcome(page, cid) -> dict:
    def done():
        body = page.request.get(f"/api/commands/{cid}").json()
        return body if body.get("status") in ("succeeded", "failed") else None
    return wait_for(done, timeout=20, what=f"command {cid}")


def test_editing_twice_shows_both_diffs_in_the_history(user_page):
    page = user_page()
    body = unique("the quick fox")
    post_id = outcome(page, command(page, "create_post", body=body))["result"]["post"]["id"]
    page.goto("/explore")
    item = page.locator(f'li.post[data-post-id="{post_id}"]')
    for new in (body.replace("quick", "quick brown"), body.replace("quick", "slow brown")):
        item.locator("button.edit").click()
        item.locator(".edit-body").fill(new)
        item.locator(".edit-form button[type=submit]").click()
        expect(item.locator(".body")).to_have_text(new)
        wait_for(lambda: page.request.get(f"/api/posts/{post_id}").json()["post"]["body"] == new,
                 what="the edit")
    page.reload()
    item.locator("a.edited").click()  # "edited" opens the post's history
    expect(page).to_have_url(re.compile(rf"/posts/{post_id}/history$"))
    edits = page.locator('li.event[data-type="post_edited"]')
    expect(edits).to_have_count(2)
    expect(edits.nth(0).locator("ins")).to_have_text("brown ")
    expect(edits.nth(1).locator("del")).to_have_text("quick")
    expect(edits.nth(1).locator("ins")).to_have_text("slow")
    expect(page.locator('li.event[data-type="post_created"] .body')).to_have_text(body)
    assert not page.errors


def test_the_scrubber_waits_for_the_log_head_before_it_can_move(user_page):
    """Until the log's head is known the scrubber's range is 0..0: a drag (or ◀) then went to
    event #0 whatever the member aimed at (seen in CI: as_of=0 instead of as_of=172)."""
    page = user_page()
    outcome(page, command(page, "create_post", body=unique("a post")))
    head = page.request.get("/api/events?limit=1").json()["head"]
    release = []

    def slow_head(route):
        release.append(route)  # answered below, once the scrubber has been looked at
    page.route(re.compile(r"/api/events\?limit=1$"), slow_head)
    page.goto("/explore")
    page.click("#time-travel")
    expect(page.locator("#time-scrubber")).to_be_visible()
    expect(page.locator("#time-scrubber")).to_be_disabled()
    expect(page.locator("#step-back")).to_be_disabled()
    for _ in range(100):  # the click asked for the head: held until now
        if release:
            break
        page.wait_for_timeout(50)
    assert release, "the scrubber asked for the log head"
    release[0].continue_()
    page.unroute(re.compile(r"/api/events\?limit=1$"))
    expect(page.locator("#time-scrubber")).to_be_enabled()
    expect(page.locator("#time-scrubber")).to_have_attribute("max", str(head))
    page.locator("#time-scrubber").fill(str(head - 1))
    expect(page).to_have_url(re.compile(rf"as_of={head - 1}$"))
    assert not page.errors


def test_scrubbing_back_before_a_post_then_back_to_live(user_page):
    page = user_page()
    body = unique("here now")
    post_id = outcome(page, command(page, "create_post", body=body))["result"]["post"]["id"]
    created = page.request.get(f"/api/posts/{post_id}/history").json()["events"][0]["seq"]
    page.goto("/explore")
    expect(page.locator("li.post", has_text=body)).to_have_count(1)
    page.click("#time-travel")
    expect(page.locator("#time-scrubber")).to_be_visible()
    page.locator("#time-scrubber").fill(str(created - 1))  # drag to just before the post
    expect(page).to_have_url(re.compile(rf"as_of={created - 1}"))
    expect(page.locator("#time-banner")).to_be_visible()
    expect(page.locator("#time-banner")).to_contain_text(f"as of event #{created - 1}")
    expect(page.locator("#time-banner")).to_contain_text(re.compile(r"\d+ newer events?"))
    expect(page.locator("li.post", has_text=body)).to_have_count(0)
    expect(page.locator("#composer")).to_have_count(0)  # the past cannot be changed
    page.click("#step-forward")  # one event on: the post exists
    expect(page).to_have_url(re.compile(rf"as_of={created}"))
    expect(page.locator("li.post", has_text=body)).to_have_count(1)
    expect(page.locator("li.post", has_text=body).locator("button.like")).to_be_disabled()
    page.click("#back-to-live")
    expect(page.locator("#time-banner")).to_be_hidden()
    expect(page.locator("li.post", has_text=body)).to_have_count(1)
    expect(page.locator("#composer")).to_be_visible()
    assert not page.errors


def test_a_post_deleted_since_is_a_tombstone_in_the_past(user_page):
    author, reader = user_page(), user_page()
    body = unique("soon gone")
    post_id = outcome(author, command(author, "create_post", body=body))["result"]["post"]["id"]
    reader.goto("/explore")
    expect(reader.locator("li.post", has_text=body)).to_have_count(1)  # seen
    seen = reader.evaluate("window.ripple.store.version")
    outcome(author, command(author, "delete_post", post_id=post_id))

    reader.goto(f"/explore?as_of={seen}")
    stone = reader.locator(f'li.post[data-post-id="{post_id}"]')
    expect(stone).to_have_class(re.compile("tombstone"))
    expect(stone.locator(".body")).to_have_text("This post was deleted since.")
    expect(stone.locator(".author")).to_have_text(f"@{author.handle}")
    assert body not in reader.content()
    author.goto(f"/explore?as_of={seen}")  # its author still sees it as it was
    expect(author.locator(f'li.post[data-post-id="{post_id}"] .body')).to_have_text(body)
    reader.goto("/explore")
    expect(reader.locator(f'li.post[data-post-id="{post_id}"]')).to_have_count(0)
    assert not reader.errors and not author.errors


def test_the_event_log_page_is_live_and_private(user_page):
    page, other = user_page(), user_page()
    page.goto("/events")
    expect(page.locator("h1")).to_have_text("Event log")
    body = unique("a new event")
    pid = outcome(other, command(other, "create_post", body=body))["result"]["post"]["id"]
    first = page.locator("li.event").first
    expect(first).to_contain_text(f"@{other.handle} posted #{pid}", timeout=10000)  # arrived live
    outcome(other, command(other, "like_post", post_id=pid))
    expect(page.locator("li.event").first).to_contain_text(f"#{pid} now has 1 like", timeout=10000)
    expect(page.locator("li.event").first).not_to_contain_text(other.handle)
    first.locator(f'a[href="/posts/{pid}/history"]').click()
    expect(page.locator("h1")).to_have_text(f"History of post #{pid}")
    assert not page.errors

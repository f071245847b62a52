"""Smaller UX fixes: editing (focus, Escape, counter, Delete hidden), pasted text that cannot be
posted, suggestion cards and follow lists with Follow buttons, unfollow asks first, times as
<time> that refresh, and a like failure that stays until dismissed."""
import re
import uuid

from playwright.sync_api import expect

from tests.e2e.ui_states import command, live, settled
from tests.support import signup

LONG = 15000


def own_post(page, body):
    live(page, "/explore")
    page.fill("#composer-body", body)
    page.click("#post-button")
    item = page.locator("#posts li.post").first
    expect(item.locator(".status")).to_contain_text("visible to everyone", timeout=LONG)
    return item


def test_editing_keeps_focus_escape_cancels_has_a_counter_and_hides_delete(user_page):
    page = user_page()
    body = f"before the edit {uuid.uuid4().hex[:6]}"
    item = own_post(page, body)
    item.locator(".edit").click()
    box = item.locator(".edit-body")
    expect(box).to_be_focused()
    expect(item.locator(".delete")).to_be_hidden()  # no Delete next to Save
    counter = item.locator(".edit-form .counter")
    expect(counter).to_have_text(f"{len(body)}/500")
    assert counter.get_attribute("id") in box.get_attribute("aria-describedby").split()

    box.press("End")
    box.type(" and more")
    expect(counter).to_have_text(f"{len(body) + 9}/500")
    box.press("Escape")  # cancels: the form closes, the text is unchanged, focus on Edit
    expect(item.locator(".edit-form")).to_be_hidden()
    expect(item.locator(".body")).to_have_text(body)
    expect(item.locator(".edit")).to_be_focused()

    item.locator(".edit").press("Enter")
    expect(box).to_have_value(body)
    box.fill("x" * 520)
    expect(counter).to_have_text("520/500")
    item.locator(".edit-form button[type=submit]").click()
    expect(item.locator(".edit-form .hint")).to_have_text(
        "Too long: 520 characters, the limit is 500. Shorten it by 20.")
    expect(box).to_be_focused()
    box.fill("after the edit")
    item.locator(".edit-form button[type=submit]").click()
    expect(item.locator(".body")).to_have_text("after the edit")
    expect(item.locator(".edit")).to_be_focused()
    expect(item.locator(".status")).not_to_have_text("saving edit…", timeout=LONG)
    assert not page.errors


def paste(page, selector, text):
    page.evaluate("navigator.clipboard.writeText(arguments[0])".replace("arguments[0]", repr(text)))
    page.focus(selector)
    page.keyboard.press("Control+V")


def test_blank_or_too_long_pasted_text_is_explained_not_ignored_or_cut(user_page):
    page = user_page()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    live(page, "/explore")
    hint = page.locator("#composer-body-hint")
    paste(page, "#composer-body", "   \n\n   ")
    expect(hint).to_have_text("That paste was only spaces or blank lines: there is nothing to post.")
    page.click("#post-button")
    expect(hint).to_have_text("Write something first: spaces and blank lines alone can't be posted.")
    expect(page.locator("#alert")).to_contain_text("Write something first")
    expect(page.locator("li.post.pending")).to_have_count(0)

    page.fill("#composer-body", "")
    long = "long " * 120  # 600 characters: kept whole, not cut at 500
    paste(page, "#composer-body", long)
    expect(page.locator("#composer-body")).to_have_value(long)
    expect(page.locator("#composer-body-count")).to_have_text(f"{len(long.strip())}/500")
    page.click("#post-button")
    expect(hint).to_have_text(f"Too long: {len(long.strip())} characters, the limit is 500. "
                              f"Shorten it by {len(long.strip()) - 500}.")
    expect(page.locator("#composer-body")).to_be_focused()
    expect(page.locator("li.post.pending")).to_have_count(0)
    assert not page.errors


def test_suggestions_are_cards_with_follow_and_unfollow_asks_first(user_page, stack):
    star = signup(stack.base)
    fans = [signup(stack.base) for _ in range(3)]
    settled(star, stack.base, command(star, stack.base, "create_post", body="popular post"))
    for f in fans:
        settled(f, stack.base, command(f, stack.base, "follow_user", handle=star.handle))
    page = user_page()
    live(page, "/")
    cards = page.locator("#empty-feed .person")
    expect(cards.first).to_be_visible()
    counts = [int(t.split()[0]) for t in cards.locator(".detail").all_text_contents()]
    assert counts == sorted(counts, reverse=True) and counts[0] >= 3  # the most followed first
    card = page.locator("#empty-feed .person", has_text=f"@{star.handle}")
    expect(card.locator(".avatar")).to_have_attribute("data-initials", re.compile("^[A-Z0-9]{2}$"))
    follow = card.locator(".follow")
    expect(follow).to_have_attribute("aria-pressed", "false")
    seen = card.evaluate("""(li) => { const b = li.querySelector(".follow"); b.click();
      return [b.textContent, b.getAttribute("aria-pressed"), getComputedStyle(b, "::after").content]; }""")
    assert seen == ["Following", "true", '" · sending"']  # pending is said in words, not only a border
    expect(follow).to_have_attribute("aria-pressed", "true")
    expect(follow).to_have_text("Following")
    expect(follow).not_to_have_class(re.compile("pending"), timeout=LONG)

    follow.click()  # unfollow asks first; Cancel (focused) keeps the follow
    dialog = page.locator("dialog[open]")
    expect(dialog).to_contain_text(f"Unfollow @{star.handle}?")
    expect(dialog.locator("button", has_text="Cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(follow).to_have_attribute("aria-pressed", "true")
    expect(follow).to_be_focused()

    page.goto(f"/users/{star.handle}/followers")  # the list has Follow buttons too
    rows = page.locator(".follow-list .person")
    expect(rows).to_have_count(4)
    expect(rows.locator(".follow")).to_have_count(3)  # everyone but me
    mine = page.locator(".follow-list .person", has_text=f"@{fans[0].handle}").locator(".follow")
    expect(mine).to_have_attribute("aria-pressed", "false")
    page.goto(f"/users/{star.handle}")
    expect(page.locator(".profile .follow")).to_have_attribute("aria-pressed", "true")
    page.locator(".profile .follow").click()
    page.locator("dialog[open] button.confirm").click()
    expect(page.locator(".profile .follow")).to_have_attribute("aria-pressed", "false")
    expect(page.locator(".profile .follow")).not_to_have_class(re.compile("pending"), timeout=LONG)
    assert not page.errors


def test_times_are_time_elements_with_the_exact_date_and_refresh_every_minute(user_page):
    page = user_page()
    page.clock.install()
    item = own_post(page, f"what time is it {uuid.uuid4().hex[:6]}")
    time = item.locator("time")
    expect(time).to_have_text("just now")
    assert re.match(r"^\d{4}-\d\d-\d\dT", time.get_attribute("datetime"))
    assert re.search(r"\d{4}", time.get_attribute("title"))  # the exact date, with the year
    page.clock.fast_forward("03:05")
    expect(time).to_have_text("3 min")
    assert not page.errors


def test_a_like_failure_stays_until_dismissed(user_page, stack):
    author = signup(stack.base)
    [result] = settled(author, stack.base, command(author, stack.base, "create_post", body="like me"))
    pid = result["post"]["id"]
    page = user_page()
    live(page, "/explore")
    stack.stop_worker()  # the delete is queued before the like: the like is rejected
    command(author, stack.base, "delete_post", post_id=pid)
    page.locator(f'li.post[data-post-id="{pid}"] .like').click()
    stack.start_worker()
    notice = page.locator("#notice")
    expect(notice).to_be_visible(timeout=LONG)
    expect(page.locator("#notice")).not_to_have_text("")
    page.wait_for_timeout(6000)  # longer than the old 5 s auto-hide
    dismiss = page.locator(".notice-box .dismiss")
    expect(notice).to_be_visible()
    expect(dismiss).to_be_visible()
    dismiss.click()
    expect(notice).to_be_hidden()
    assert not page.errors


SMALL_TARGETS = """() => [...document.querySelectorAll(
    "main button, nav a, nav button, .actions a, .meta a, .counts a, .person a")]
  .filter((el) => el.offsetParent !== null)
  .map((el) => [el.className || el.textContent.trim(), el.getBoundingClientRect()])
  .filter(([, r]) => r.width < 44 || r.height < 44).map(([name, r]) => `${name} ${r.width}x${r.height}`)"""


def test_tap_targets_on_a_phone_are_at_least_44_px(user_page):
    page = user_page(viewport={"width": 390, "height": 844})
    own_post(page, f"tap me {uuid.uuid4().hex[:6]}")
    for path in ("/explore", f"/users/{page.handle}", "/"):
        page.goto(path)
        expect(page.locator("li.post").first).to_be_visible()
        assert page.evaluate(SMALL_TARGETS) == [], path
    assert not page.errors

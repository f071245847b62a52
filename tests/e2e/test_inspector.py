"""The CQRS inspector, staged confirmations and demo controls, in Chromium against a demo-mode
stack (RIPPLE_DEMO=1; the crowd stays off): two users, the workers or the projection paused."""
import re
import uuid

import pytest
import redis
from playwright.sync_api import expect

from backend import demo
from tests.e2e.conftest import Stack
from tests.support import logged_in_page

LONG = 20000


@pytest.fixture(scope="module")
def demo_stack(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("demo"), RIPPLE_DEMO="1")
    yield s
    s.close()


@pytest.fixture
def two_users(browser, demo_stack):
    redis.Redis.from_url(demo_stack.redis.url).delete(demo.KEY)  # every test starts with none on
    demo_stack.start_worker()
    contexts = [browser.new_context(base_url=demo_stack.base, viewport={"width": 1300, "height": 900})
                for _ in range(2)]
    pages = [logged_in_page(c) for c in contexts]
    for p in pages:
        p.goto("/explore")
        expect(p.locator("#connection")).to_have_text("live", timeout=LONG)
    yield pages
    redis.Redis.from_url(demo_stack.redis.url).delete(demo.KEY)
    for c in contexts:
        c.close()


def open_inspector(page):
    page.keyboard.press("i")
    expect(page.locator("#inspector")).to_be_visible()
    expect(page.locator('#inspector [data-fig="workers"]')).to_have_text(re.compile(r"^[1-9]\d* alive$"),
                                                                        timeout=LONG)


def control(page, name, on):
    box = page.locator(f"#demo-{name}")
    with page.expect_response("**/api/demo") as resp:
        box.set_checked(on)
    assert resp.value.status == 200, resp.value.text()


def post(page, body):
    page.fill("#composer-body", body)
    page.click("#post-button")
    return page.locator("li.post", has_text=body)


def test_workers_paused_the_post_waits_accepted_then_both_see_it(two_users):
    author, reader = two_users
    open_inspector(author)
    control(author, "workers_paused", True)
    expect(author.locator("#demo-banner")).to_contain_text(f"set by @{author.handle}")
    expect(reader.locator("#demo-banner")).to_contain_text("workers paused", timeout=LONG)  # live
    body = f"paused workers {uuid.uuid4().hex[:6]}"
    item = post(author, body)
    expect(item.locator(".status")).to_have_text("accepted · waiting in the queue")
    expect(author.locator('#inspector [data-fig="queue_depth"]')).to_have_text("1 waiting",
                                                                             timeout=LONG)
    reader.wait_for_timeout(1000)
    expect(reader.locator("li.post", has_text=body)).to_have_count(0)
    reader.reload()  # every page shows the banner, and who set it
    expect(reader.locator("#demo-banner")).to_contain_text(f"@{author.handle}")
    expect(reader.locator("#demo-banner")).to_contain_text("workers paused")
    expect(reader.locator("#connection")).to_have_text("live", timeout=LONG)

    control(author, "workers_paused", False)  # Resume: the queue drains
    expect(reader.locator("#demo-banner")).to_have_count(0, timeout=LONG)
    expect(item.locator(".status")).to_have_text(re.compile(r"^visible to everyone · \d+ ms$"),
                                                 timeout=LONG)
    expect(reader.locator("li.post", has_text=body)).to_have_count(1, timeout=LONG)
    expect(author.locator('#inspector [data-fig="queue_depth"]')).to_have_text("0 waiting",
                                                                             timeout=LONG)
    assert not author.errors and not reader.errors


def test_projection_paused_the_post_is_saved_then_visible_with_a_full_waterfall(two_users):
    author, reader = two_users
    open_inspector(author)
    control(author, "projection_paused", True)
    body = f"paused projection {uuid.uuid4().hex[:6]}"
    item = post(author, body)
    expect(item.locator(".status")).to_have_text("saved · not visible to others yet", timeout=LONG)
    lag = author.locator('#inspector [data-fig="lag"]')
    expect(lag).to_have_text(re.compile(r"^lag [1-9]\d* events? · "), timeout=LONG)
    reader.wait_for_timeout(1000)
    expect(reader.locator("li.post", has_text=body)).to_have_count(0)

    control(author, "projection_paused", False)
    expect(item.locator(".status")).to_have_text(re.compile(r"^visible to everyone · \d+ ms$"),
                                                 timeout=LONG)
    expect(reader.locator("li.post", has_text=body)).to_have_count(1, timeout=LONG)
    expect(lag).to_have_text(re.compile(r"^lag 0 events · 0 ms$"), timeout=LONG)
    cid = item.get_attribute("data-command-id")
    entry = author.locator(f'#insp-commands li.insp-command[data-command-id="{cid}"]')
    expect(entry).to_have_class(re.compile(r"\bis-visible\b"), timeout=LONG)
    rows = entry.locator(".waterfall .row")
    expect(rows).to_have_count(6, timeout=LONG)
    labels = rows.locator(".label").all_text_contents()
    assert labels == ["waiting in the queue", "worker → write DB (commit)", "projector → read models",
                      "announce (Socket.IO)", "browser → endpoint (202)", "round trip: sent → confirmed"]
    assert all(float(ms) >= 0 for ms in rows.evaluate_all("rs => rs.map(r => r.dataset.ms)"))
    item.locator(".status").click()  # clicking an item on the page highlights its command
    expect(entry).to_have_class(re.compile("highlight"))
    assert not author.errors and not reader.errors


def _post_id(page, body):
    item = page.locator("li.post", has_text=body)
    expect(item.locator(".status")).to_contain_text("visible to everyone", timeout=LONG)
    return item.get_attribute("data-post-id")


@pytest.mark.parametrize("name,stage", [("workers_paused", "accepted · waiting in the queue"),
                                        ("projection_paused", "saved · not visible to others yet")])
def test_like_and_comment_show_their_stages(two_users, name, stage):
    author, reader = two_users
    body = f"like me {uuid.uuid4().hex[:6]}"
    post(reader, body)
    pid = _post_id(reader, body)
    author.goto(f"/posts/{pid}")
    expect(author.locator("#connection")).to_have_text("live", timeout=LONG)
    reader.goto(f"/posts/{pid}")
    expect(reader.locator("#connection")).to_have_text("live", timeout=LONG)
    open_inspector(author)
    control(author, name, True)
    item = author.locator(f'li.post[data-post-id="{pid}"]')
    item.locator(".like").click()
    expect(item.locator(".status")).to_have_text(f"like {stage}", timeout=LONG)
    author.fill("#comment-body", "staged comment")
    author.click("#comment-form button")
    draft = author.locator("#comments li.comment", has_text="staged comment")
    expect(draft.locator(".status")).to_have_text(stage, timeout=LONG)
    reader.wait_for_timeout(1000)
    expect(reader.locator(f'li.post[data-post-id="{pid}"] .like .count')).to_have_text("0")
    expect(reader.locator("#comments li.comment", has_text="staged comment")).to_have_count(0)

    control(author, name, False)
    expect(item.locator(".status")).to_have_text(re.compile(r"^like visible to everyone · \d+ ms$"),
                                                 timeout=LONG)
    mine = author.locator("#comments li.comment:not(.pending)", has_text="staged comment")
    expect(mine.locator(".status")).to_have_text(re.compile(r"^visible to everyone · \d+ ms$"),
                                                 timeout=LONG)
    expect(reader.locator(f'li.post[data-post-id="{pid}"] .like .count')).to_have_text("1",
                                                                                     timeout=LONG)
    expect(reader.locator("#comments li.comment", has_text="staged comment")).to_have_count(1)
    assert not author.errors and not reader.errors


def test_inspector_remembers_open_shows_the_event_tail_and_versions(two_users):
    author, reader = two_users
    open_inspector(author)
    body = f"tail {uuid.uuid4().hex[:6]}"
    post(reader, body)
    tail = author.locator("#insp-events li", has_text=f"@{reader.handle} posted post")
    expect(tail).to_have_count(1, timeout=LONG)
    expect(tail.locator("a")).to_have_attribute("href", re.compile(r"^/posts/\d+$"))
    expect(author.locator("#insp-versions")).to_contain_text("checkpoint is #")
    author.reload()  # remembers open
    expect(author.locator("#inspector")).to_be_visible()
    author.locator("#inspector-toggle").click()
    expect(author.locator("#inspector")).to_be_hidden()
    author.reload()
    expect(author.locator("#connection")).to_have_text("live", timeout=LONG)
    expect(author.locator("#inspector")).to_be_hidden()
    assert not author.errors


def test_a_closed_inspector_gets_no_inspector_traffic(two_users):
    """Frames on the websocket: a tab with the inspector closed hears no system/events_appended."""
    author, reader = two_users
    frames = []
    reader.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(str(f))))
    reader.reload()
    expect(reader.locator("#connection")).to_have_text("live", timeout=LONG)
    open_inspector(author)
    post(author, f"quiet {uuid.uuid4().hex[:6]}")
    expect(author.locator("#insp-events li")).not_to_have_count(0, timeout=LONG)
    assert frames and not any('"system"' in f or '"events_appended"' in f for f in frames)
    reader.keyboard.press("i")
    expect(reader.locator('#inspector [data-fig="workers"]')).to_contain_text("alive", timeout=LONG)
    post(author, f"loud {uuid.uuid4().hex[:6]}")
    expect(reader.locator("#insp-events li")).not_to_have_count(0, timeout=LONG)
    assert any('"events_appended"' in f for f in frames)


STATUS_SEEN = """() => { window.__rebuildSeen = [];
  new MutationObserver(() => window.__rebuildSeen.push(
    document.getElementById("rebuild-status").textContent))
    .observe(document.getElementById("rebuild-status"), { childList: true, characterData: true,
                                                          subtree: true }); }"""


def test_rebuild_read_models_shows_live_progress_and_commands_keep_confirming(two_users):
    """Demo mode: "Rebuild read models" starts the blue/green rebuild; its progress and the switch
    are shown live, pushed to every open inspector; a post made meanwhile still confirms."""
    clicker, watcher = two_users
    for page in two_users:
        open_inspector(page)
        page.evaluate(STATUS_SEEN)
    button = clicker.get_by_role("button", name="Rebuild read models")
    expect(button).to_be_visible()
    assert button.bounding_box()["height"] >= 44
    with clicker.expect_response("**/api/demo/rebuild") as resp:
        button.click()
    assert resp.value.status == 202, resp.value.text()
    body = f"during the rebuild {uuid.uuid4().hex[:6]}"
    item = post(clicker, body)
    for page in two_users:  # pushed to every tab with the inspector open, not only the clicker
        expect(page.locator("#rebuild-status")).to_contain_text(
            re.compile(r"^Done: switched to the new read models at event #\d+"), timeout=LONG)
        expect(page.locator("#rebuild-figures")).to_have_text(
            re.compile(r"^[\d,]+ events replayed in [\d.]+ m?s · [\d,]+ events/s$"))
        bar = page.locator("#rebuild-progress")
        assert bar.evaluate("b => b.value === b.max && b.max > 1")
        expect(page.get_by_label("Rebuild progress")).to_be_visible()
    seen = clicker.evaluate("window.__rebuildSeen")
    assert seen[0].startswith("Rebuilding: the current read models keep serving"), seen
    expect(button).to_be_enabled()
    expect(item.locator(".status")).to_have_text(re.compile(r"^visible to everyone · \d+ ms$"),
                                                 timeout=LONG)
    expect(watcher.locator("li.post", has_text=body)).to_be_visible(timeout=LONG)
    after = post(watcher, f"after the rebuild {uuid.uuid4().hex[:6]}")  # the new set serves
    expect(after.locator(".status")).to_have_text(re.compile(r"^visible to everyone"), timeout=LONG)
    expect(clicker.locator("li.post", has_text="after the rebuild")).to_be_visible(timeout=LONG)

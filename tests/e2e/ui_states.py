"""The pages and states a person meets, each a function that drives a fresh Chromium page into it.
Shared by the accessibility tests (axe on every state, both widths) and the screenshot script.

To add a page (e.g. the inspector, history, the event log, a time-travel view): write a function
`def my_state(ui) -> Page` and add it to STATES. `ui.page()` gives a logged-in page, `ui.page(None)`
a logged-out one; `ui.world` holds a small world made through the real command path.
"""
import uuid
from dataclasses import dataclass

import requests
from playwright.sync_api import expect

from tests.support import new_handle, signup, wait_for

LONG = 15000
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def command(session, base, ctype, **payload) -> str:
    cid = str(uuid.uuid4())
    r = session.post(f"{base}/api/commands", json={"command_id": cid, "type": ctype, "payload": payload},
                     timeout=10)
    assert r.status_code == 202, r.text
    return cid


def settled(session, base, *cids):
    """Wait until every command has succeeded; the results (e.g. {"post": ...})."""
    def done():
        out = [session.get(f"{base}/api/commands/{c}", timeout=5).json() for c in cids]
        return out if all(o.get("status") == "succeeded" for o in out) else None
    return [o.get("result") or {} for o in wait_for(done, timeout=30, what="commands applied")]


@dataclass
class World:
    star: str      # a member with posts and followers
    fans: list     # who follow the star
    post_id: int   # one of the star's posts, with a comment and a like

    @classmethod
    def make(cls, base):
        star = signup(base, "star_" + uuid.uuid4().hex[:6])
        fans = [signup(base) for _ in range(2)]
        bodies = ["Hello Ripple! My first post.", "Reading about CQRS: commands go one way, "
                  "queries the other.", "A longer one, to see how a post wraps on a phone: "
                  "the read side catches up in a few milliseconds."]
        results = settled(star, base, *[command(star, base, "create_post", body=b) for b in bodies])
        pid = results[-1]["post"]["id"]
        cids = [command(f, base, "follow_user", handle=star.handle) for f in fans]
        cids.append(command(fans[0], base, "create_comment", post_id=pid, body="Nice one!"))
        cids.append(command(fans[1], base, "like_post", post_id=pid))
        for f, c in zip(fans + fans[:1] + fans[1:], cids):
            settled(f, base, c)
        return cls(star.handle, [f.handle for f in fans], pid)


class UI:
    """Makes pages for one state: own browser context (cookies, localStorage) at one viewport."""

    def __init__(self, browser, stack, world, viewport):
        self.browser, self.stack, self.world, self.viewport = browser, stack, world, viewport
        self.contexts = []

    def page(self, handle="new"):
        context = self.browser.new_context(base_url=self.stack.base, viewport=self.viewport)
        self.contexts.append(context)
        if handle is not None:
            handle = new_handle() if handle == "new" else handle
            r = context.request.post("/api/signup", data={"handle": handle, "password": "password123"})
            assert r.status == 201, r.text()
        page = context.new_page()
        page.handle = handle
        page.errors = []
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        return page

    def close(self):
        for c in self.contexts:
            c.close()


def live(page, path):
    page.goto(path)
    expect(page.locator("#connection")).to_have_text("live", timeout=LONG)
    return page


def post_from_composer(page, body, confirmed=True):
    page.fill("#composer-body", body)
    page.click("#post-button")
    item = page.locator("#posts li.post").first  # your own new post is at the top
    expect(item).to_contain_text(body)
    if confirmed:
        expect(item.locator(".status")).to_contain_text("visible to everyone", timeout=LONG)
    return item


# ---- the states ----------------------------------------------------------------------------------

def logged_out(ui):
    page = ui.page(None)
    page.goto("/explore")
    expect(page.locator("li.post").first).to_be_visible()
    return page


def signup_page(ui):
    page = ui.page(None)
    page.goto("/signup")
    return page


def login_page(ui):
    page = ui.page(None)
    page.goto("/login")
    return page


def empty_home(ui):
    page = live(ui.page(), "/")
    expect(page.locator("#empty-feed .person").first).to_be_visible()
    return page


def home_with_posts(ui):
    page = ui.page()
    page.context.request.post("/api/commands", data={"command_id": str(uuid.uuid4()),
                              "type": "follow_user", "payload": {"handle": ui.world.star}})
    wait_for(lambda: page.context.request.get("/api/feed").json()["posts"], what="feed back-filled")
    live(page, "/")
    post_from_composer(page, "Good morning, everyone.")
    return page


def explore(ui):
    return live(ui.page(), "/explore")


def profile_own(ui):
    page = live(ui.page(), "/explore")
    post_from_composer(page, f"Something about me, @{page.handle}.")
    return live(page, f"/users/{page.handle}")


def profile_other(ui):
    return live(ui.page(), f"/users/{ui.world.star}")


def post_page(ui):
    page = live(ui.page(), f"/posts/{ui.world.post_id}")
    expect(page.locator("#comments li.comment").first).to_be_visible()
    return page


def followers_list(ui):
    page = live(ui.page(), f"/users/{ui.world.star}/followers")
    expect(page.locator(".people .follow").first).to_be_visible()
    return page


def not_found(ui):
    page = ui.page()
    page.goto("/users/nobody_here_404")
    return page


def pending_item(ui):
    page = live(ui.page(), "/explore")
    ui.stack.stop_worker()  # held back: the command waits in the queue
    post_from_composer(page, "Still on its way…", confirmed=False)
    expect(page.locator("li.post.pending")).to_have_count(1)
    return page


def rejected_item(ui):
    page = live(ui.page(), "/explore")
    post_from_composer(page, "Twice is once too many.")
    post_from_composer(page, "Twice is once too many.", confirmed=False)
    expect(page.locator("li.post.failed .revise")).to_be_visible(timeout=LONG)
    return page


def offline(ui):
    page = live(ui.page(), "/explore")
    page.context.set_offline(True)
    post_from_composer(page, "Written on the train.", confirmed=False)
    expect(page.locator("#offline")).to_contain_text("Offline", timeout=LONG)
    return page


def delete_dialog(ui):
    page = profile_own(ui)
    page.locator("li.post .delete").first.click()
    expect(page.locator("dialog[open]")).to_be_visible()
    return page


def deleting_item(ui):
    page = profile_own(ui)
    ui.stack.stop_worker()  # held back: the delete waits in the queue
    page.locator("li.post .delete").first.click()
    page.locator("dialog[open] button.confirm").click()
    expect(page.locator("li.post.deleting")).to_have_count(1)
    return page


def shortcuts_overlay(ui):
    page = live(ui.page(), "/explore")
    page.keyboard.press("?")
    expect(page.locator("#shortcuts")).to_be_visible()
    return page


def inspector_open(ui):
    """A member with the inspector open (demo mode off: no demo controls), one command in it."""
    page = live(ui.page(), "/explore")
    page.click("#inspector-toggle")
    expect(page.locator("#inspector")).to_be_visible()
    expect(page.locator('#inspector [data-fig="workers"]')).to_contain_text("alive", timeout=LONG)
    page.fill("#composer-body", "Watching my post travel.")  # on a phone the sheet covers "Post"
    page.press("#composer-body", "Control+Enter")
    expect(page.locator("#posts li.post").first.locator(".status")).to_contain_text(
        "visible to everyone", timeout=LONG)
    expect(page.locator("#insp-commands .waterfall").first).to_be_visible()
    # the tab joins the inspector room over the socket a moment after opening: one more event (a
    # like, from the page's cookies) surely arrives in the live tail
    page.context.request.post("/api/commands", data={"command_id": str(uuid.uuid4()),
                              "type": "like_post", "payload": {"post_id": ui.world.post_id}})
    expect(page.locator("#insp-events li").first).to_be_visible(timeout=LONG)
    return page


def post_history(ui):
    """An edited post's history: created, then one edit as a word diff."""
    page = live(ui.page(), "/explore")
    item = post_from_composer(page, "The quick fox jumps.")
    item.locator("button.edit").click()
    item.locator(".edit-body").fill("The slow brown fox jumps.")  # a diff with del and ins
    item.locator(".edit-form button[type=submit]").click()
    expect(item.locator(".status")).to_contain_text("visible to everyone", timeout=LONG)
    post_id = item.get_attribute("data-post-id")
    page.goto(f"/posts/{post_id}/history")
    expect(page.locator('li.event[data-type="post_edited"] ins')).to_be_visible(timeout=LONG)
    return page


def member_history(ui):
    page = ui.page()
    page.goto(f"/users/{ui.world.star}/history")
    expect(page.locator("li.event").first).to_be_visible()
    return page


def event_log(ui):
    page = ui.page()
    page.goto("/events")
    expect(page.locator("li.event").first).to_be_visible()
    return page


def event_log_live(ui):
    """/events, live: another member's post arrives at the top while the page is open (pushed)."""
    page = live(ui.page(), "/events")
    author = signup(ui.stack.base)
    settled(author, ui.stack.base, command(author, ui.stack.base, "create_post",
                                           body="Arriving while you watch."))
    expect(page.locator("#events li.event.arrived").first).to_contain_text(f"@{author.handle}",
                                                                         timeout=LONG)
    return page


def time_travel(ui):
    """Explore as of a few events ago: the banner, the scrubber, a newer-events count."""
    page = ui.page()
    head = page.context.request.get("/api/events?limit=1").json()["head"]
    page.goto(f"/explore?as_of={max(1, head - 3)}")
    expect(page.locator("#time-banner")).to_be_visible()
    expect(page.locator("#time-banner .newer")).to_contain_text("newer event", timeout=LONG)
    expect(page.locator("li.post").first).to_be_visible()
    return page


def time_travel_tombstone(ui):
    """A post page's list as of before a deletion: the deleted post as a tombstone, the scrubber."""
    gone = signup(ui.stack.base)
    pid = settled(gone, ui.stack.base, command(gone, ui.stack.base, "create_post",
                                               body="Soon to be gone."))[0]["post"]["id"]
    seen = gone.get(f"{ui.stack.base}/api/events?limit=1", timeout=5).json()["head"]
    settled(gone, ui.stack.base, command(gone, ui.stack.base, "delete_post", post_id=pid))
    page = ui.page()
    page.goto(f"/explore?as_of={seen}")
    expect(page.locator(f'li.post.tombstone[data-post-id="{pid}"]')).to_be_visible(timeout=LONG)
    expect(page.locator("#time-banner .newer")).to_contain_text("newer event", timeout=LONG)
    return page


def time_travel_scrubber(ui):
    """A live page with the time-travel scrubber opened ("Time travel"), focus on it."""
    page = live(ui.page(), "/explore")
    page.click("#time-travel")
    expect(page.locator("#time-label")).to_contain_text("(live)", timeout=LONG)
    return page


def demo_mode(state):
    """Marks a state that needs a demo-mode stack (RIPPLE_DEMO=1): `ui.stack` is then that stack."""
    state.demo = True
    return state


@demo_mode
def inspector_demo(ui):
    """Demo mode: the inspector with its demo controls, one of them on (the banner and "reverts at")."""
    page = live(ui.page(), "/explore")
    page.click("#inspector-toggle")
    expect(page.locator("#demo-controls")).to_be_visible()
    expect(page.locator('#inspector [data-fig="workers"]')).to_contain_text("alive", timeout=LONG)
    with page.expect_response("**/api/demo") as resp:
        page.locator("#demo-projection_paused").set_checked(True)
    assert resp.value.status == 200, resp.value.text()
    expect(page.locator("#demo-banner")).to_contain_text("projection paused")
    expect(page.locator("#demo-controls .until")).to_be_visible()
    return page


@demo_mode
def inspector_rebuild(ui):
    """Demo mode: the inspector after "Rebuild read models": progress, then done with the switch."""
    page = live(ui.page(), "/explore")
    page.click("#inspector-toggle")
    expect(page.locator('#inspector [data-fig="workers"]')).to_contain_text("alive", timeout=LONG)
    page.locator("#rebuild").scroll_into_view_if_needed()
    with page.expect_response("**/api/demo/rebuild") as resp:
        page.click("#rebuild-button")
    assert resp.value.status in (202, 409), resp.value.text()  # 409: one ran already (no matter)
    expect(page.locator("#rebuild-status")).to_contain_text("Done: switched", timeout=LONG)
    return page


STATES = {f.__name__: f for f in (
    logged_out, signup_page, login_page, empty_home, home_with_posts, explore, profile_own,
    profile_other, post_page, followers_list, not_found, pending_item, rejected_item, offline,
    delete_dialog, deleting_item, shortcuts_overlay, inspector_open, post_history, member_history,
    event_log, event_log_live, time_travel, time_travel_tombstone, time_travel_scrubber,
    inspector_demo, inspector_rebuild)}

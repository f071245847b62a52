"""XSS: a corpus of known payloads, posted as posts and comments through the UI and the real worker,
renders as inert text in Chromium -- live (optimistic draft, socket event, another user's tab) and
server-rendered (the initial-state JSON in the page). As handles they are refused (400)."""
import re
from pathlib import Path
from urllib.parse import quote

import requests
from playwright.sync_api import expect

PAYLOADS = [line for line in Path(__file__).with_name("xss_payloads.txt").read_text().splitlines()
            if line.strip()]
# What may appear inside the post list or the comments: the skeleton the view builds, nothing else.
SKELETON = {"li", "div", "a", "span", "p", "form", "textarea", "button", "ol", "section", "h2",
            "article", "time"}
AUDIT = """(root) => {
  const all = [...document.querySelectorAll(root + " *")];
  return {
    foreign: all.map((e) => e.localName).filter((t) => !SKELETON.includes(t)),
    bodyChildren: document.querySelectorAll(root + " .body *").length,
    active: document.body.querySelectorAll("img, svg, iframe, object, embed, video, audio, math,"
      + " style, link, meta, base, template, noscript, input, select, details, dialog").length,
    handlers: [...document.querySelectorAll("*")].flatMap((e) => [...e.attributes]
      .filter((a) => a.name.startsWith("on")).map((a) => `${e.localName}[${a.name}]`)),
    jsLinks: [...document.body.querySelectorAll("[href], [src], [action]")].map((e) =>
      e.getAttribute("href") || e.getAttribute("src") || e.getAttribute("action"))
      .filter((u) => /^\\s*(javascript|data|vbscript):/i.test(u)),
    scripts: [...document.scripts].map((s) => s.type + ":" + (s.src ? new URL(s.src).pathname : "")),
  };
}""".replace("SKELETON", str(sorted(SKELETON)))


def assert_inert(page, root: str) -> None:
    audit = page.evaluate(AUDIT, root)
    assert audit["foreign"] == [] and audit["bodyChildren"] == 0, audit
    assert audit["active"] == 0 and audit["handlers"] == [] and audit["jsLinks"] == [], audit
    assert audit["scripts"] == ["application/json:", "module:/static/js/app.js"], audit
    assert page.fired == [] and page.dialogs == [], (page.fired, page.dialogs)
    assert page.csp == [] and page.errors == [], (page.csp, page.errors)


def shown_bodies(page, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "(els) => els.map((e) => e.textContent)")


def test_the_corpus_is_big_and_varied():
    assert len(PAYLOADS) >= 50 and len(set(PAYLOADS)) == len(PAYLOADS)
    assert all(len(p) <= 500 for p in PAYLOADS)


def test_payloads_as_posts_render_as_text_live_and_server_rendered(browser_user, stack):
    _, author = browser_user()
    _, reader = browser_user()
    for page in (reader, author):
        page.goto("/explore")
        expect(page.locator("#connection")).to_have_text("live")
    for body in PAYLOADS:
        author.fill("#composer-body", body)
        author.click("#post-button")
    mine = f'#posts li.post:has(a.author[href="/users/{author.handle}"]):not(.pending)'
    for page in (author, reader):  # the author's confirmed drafts; the reader's live inserts
        expect(page.locator(mine)).to_have_count(len(PAYLOADS), timeout=60000)
        assert sorted(shown_bodies(page, mine + " .body")) == sorted(PAYLOADS)
        assert_inert(page, "#posts")

    author.reload()  # the newest 20, from the initial-state JSON inside the HTML
    expect(author.locator("#connection")).to_have_text("live")
    assert shown_bodies(author, mine + " .body") == PAYLOADS[::-1][:20]
    assert_inert(author, "#posts")
    author.goto(f"/users/{author.handle}")
    assert shown_bodies(author, "#posts li.post .body") == PAYLOADS[::-1][:20]
    assert_inert(author, "#posts")


def test_payloads_as_comments_render_as_text_live_and_server_rendered(browser_user, stack):
    _, author = browser_user()
    _, reader = browser_user()
    author.goto("/explore")
    author.fill("#composer-body", "comment on this")
    author.click("#post-button")
    link = author.locator("li.post", has_text="comment on this").locator("a.time[href]")
    expect(link).to_have_attribute("href", re.compile(r"^/posts/\d+$"))
    path = link.get_attribute("href")
    for page in (reader, author):
        page.goto(path)
        expect(page.locator("#connection")).to_have_text("live")
    for body in PAYLOADS:
        author.fill("#comment-body", body)
        author.click("#comment-form button[type=submit]")
    confirmed = "#comments li.comment[data-comment-id]"
    for page in (author, reader):
        expect(page.locator(confirmed)).to_have_count(len(PAYLOADS), timeout=60000)
        assert shown_bodies(page, confirmed + " .body") == PAYLOADS
        assert_inert(page, "#comments")
    reader.reload()  # every comment, from the initial-state JSON and the pages after it
    while reader.locator("#more-comments").is_visible():
        shown = reader.locator(confirmed).count()
        reader.click("#more-comments")
        expect(reader.locator(confirmed)).not_to_have_count(shown)
    assert shown_bodies(reader, confirmed + " .body") == PAYLOADS
    assert_inert(reader, "#comments")


def test_payloads_as_handles_are_refused(stack):
    user = requests.Session()
    assert user.post(f"{stack.base}/api/signup", json={"handle": "xss_probe_1",
                                                       "password": "password123"}).status_code == 201
    for payload in PAYLOADS:
        r = requests.post(f"{stack.base}/api/signup", json={"handle": payload, "password": "pw123456"},
                          timeout=10)
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_handle", payload
        r = user.post(f"{stack.base}/api/commands", timeout=10, json={
            "command_id": "00000000-0000-4000-8000-000000000001", "type": "follow_user",
            "payload": {"handle": payload}})
        assert r.status_code == 400 and r.json()["error"]["field"] == "payload.handle", payload
        for path in (f"/users/{quote(payload, safe='')}", f"/api/users/{quote(payload, safe='')}"):
            r = requests.get(stack.base + path, timeout=10)
            assert r.status_code == 404 and payload not in r.text, (path, r.status_code)


def test_payloads_in_profile_urls_are_inert(browser_user):
    _, page = browser_user()
    for payload in PAYLOADS[:10]:
        resp = page.goto(f"/users/{quote(payload, safe='')}")
        assert resp.status == 404
        if "/" not in payload:  # else the router answers before the app ("%2F" is a "/")
            expect(page.locator("#main")).to_contain_text("does not exist")
        audit = page.evaluate(AUDIT, "#main")
        assert (audit["active"], audit["handlers"], audit["jsLinks"]) == (0, [], []), audit
    assert page.fired == [] and page.dialogs == [] and page.csp == [] and page.errors == []

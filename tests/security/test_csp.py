"""Content-Security-Policy: strict on every response (script-src 'self', no inline script), the
templates hold no inline script or handler, and the app works under it with no violation."""
import re
import uuid
from html.parser import HTMLParser

import requests
from playwright.sync_api import expect

from tests.security.conftest import http_user


def csp_of(resp) -> dict[str, list[str]]:
    header = resp.headers.get("Content-Security-Policy")
    assert header, f"no CSP on {resp.url}"
    return {d.split()[0]: d.split()[1:] for d in header.split(";") if d.strip()}


class InlineFinder(HTMLParser):
    """Collects inline scripts, on* handlers and javascript: URLs in an HTML page."""

    def __init__(self):
        super().__init__()
        self.inline = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and not attrs.get("src") and attrs.get("type") != "application/json":
            self.inline.append(f"<script {attrs}>")
        self.inline += [f"{tag}[{k}]" for k in attrs if k.startswith("on")]
        self.inline += [f"{tag}[{k}]={v}" for k, v in attrs.items()
                        if k in ("href", "src", "action") and re.match(r"\s*javascript:", v or "", re.I)]


def test_every_response_has_a_strict_csp_and_pages_have_no_inline_script(stack):
    user = http_user(stack.base)
    post = user.post(f"{stack.base}/api/commands", json={
        "command_id": str(uuid.uuid4()), "type": "create_post",
        "payload": {"body": "a post for the CSP check"}}).json()
    assert post["status"] in ("queued", "succeeded")
    pages = ["/", "/explore", "/login", "/signup", f"/users/{user.handle}",
             f"/users/{user.handle}/followers", "/users/nobody_here", "/posts/999999999", "/nope"]
    others = ["/static/js/app.js", "/static/css/app.css", "/api/timeline", "/api/me",
              "/vendor/socket.io.esm.min.js", "/healthz", "/api/openapi.json"]
    for path in pages + others:
        for client in (requests, user):  # logged out and logged in
            resp = client.get(stack.base + path, timeout=10, allow_redirects=False)
            assert resp.status_code < 500, path
            csp = csp_of(resp)
            assert csp["script-src"] == ["'self'"], (path, csp)
            assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
            assert csp["frame-ancestors"] == ["'none'"] and csp["default-src"] == ["'self'"]
            assert not any("unsafe" in v or v in ("*", "data:", "http:", "https:")
                           for k, values in csp.items() if k != "img-src" for v in values), csp
            assert resp.headers["X-Content-Type-Options"] == "nosniff"
            if path in pages and resp.headers["Content-Type"].startswith("text/html"):
                finder = InlineFinder()
                finder.feed(resp.text)
                assert finder.inline == [], (path, finder.inline)


def test_the_app_works_under_the_csp_with_no_violation(browser_user):
    _, page = browser_user()
    page.goto("/explore")
    expect(page.locator("#connection")).to_have_text("live")  # module scripts + websocket allowed
    page.fill("#composer-body", "written under a strict CSP")
    page.click("#post-button")
    item = page.locator("li.post", has_text="written under a strict CSP")
    expect(item.locator(".status")).to_contain_text("visible to everyone", timeout=15000)
    item.locator("button.like").click()
    expect(item.locator("button.like .count")).to_have_text("1")
    item.locator("a.time").click()
    expect(page.locator("#connection")).to_have_text("live")
    page.fill("#comment-body", "a comment, also under the CSP")
    page.click("#comment-form button[type=submit]")
    expect(page.locator("#comments li.comment[data-comment-id]")).to_have_count(1, timeout=15000)
    page.reload()
    expect(page.locator("li.post .like .count")).to_have_text("1")
    assert page.csp == [] and page.errors == [], (page.csp, page.errors)
    assert [m for m in page.console if "Content Security Policy" in m] == [], page.console

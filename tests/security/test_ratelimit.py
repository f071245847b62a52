"""Rate limits (Flask-Limiter, counters in a real Redis): commands 300 / 5 min per user, login
25 / 5 min per IP, sign-up 5 / 30 min per IP. A breach is a 429 JSON error with Retry-After, and the
UI keeps the text with a clear message."""
import gc
import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Stack
from tests.support import new_handle


def _limited(resp, window_s):
    assert resp.status_code == 429, (resp.status_code, resp.data[:200])
    assert resp.get_json()["error"]["code"] == "too_many_requests"
    assert 0 < int(resp.headers["Retry-After"]) <= window_s
    return resp


def _signup(client, handle, ip="127.0.0.1"):
    return client.post("/api/signup", json={"handle": handle, "password": "password123"},
                       environ_base={"REMOTE_ADDR": ip})


def _command(client):
    return client.post("/api/commands", json={"command_id": str(uuid.uuid4()), "type": "like_post",
                                              "payload": {"post_id": 1}})


def test_commands_are_limited_to_300_per_5_minutes_per_user(limited_app):
    alice, bob = limited_app.test_client(), limited_app.test_client()
    assert _signup(alice, "rl_alice").status_code == 201
    assert _signup(bob, "rl_bob").status_code == 201
    assert [_command(alice).status_code for _ in range(300)] == [202] * 300
    _limited(_command(alice), 300)
    assert _command(bob).status_code == 202  # per user, not global


def test_login_is_limited_to_25_per_5_minutes_per_ip(limited_app):
    client = limited_app.test_client()
    assert _signup(client, "rl_login", ip="10.0.0.1").status_code == 201

    def login(password, ip="127.0.0.1", handle="rl_login"):
        return client.post("/api/login", json={"handle": handle, "password": password},
                           environ_base={"REMOTE_ADDR": ip})

    # 25 different accounts (one account alone would hit its own backoff first: test_login_limits)
    assert {login("wrong password", handle=f"rl_{i}").status_code for i in range(25)} == {401}
    _limited(login("password123"), 300)  # even the right password, once over the limit
    assert login("password123", ip="10.0.0.2").status_code == 200  # per IP


def test_signup_is_limited_to_5_per_30_minutes_per_ip(limited_app):
    client = limited_app.test_client()
    assert [_signup(client, new_handle()).status_code for _ in range(5)] == [201] * 5
    _limited(_signup(client, new_handle()), 1800)
    assert _signup(client, new_handle(), ip="10.0.0.3").status_code == 201


def test_limited_views_still_answer_when_limits_are_off(app, client):
    """The limit wrappers hold the Limiter weakly; switched off, it was freed: every login 500'd."""
    gc.collect()
    assert not app.config["RIPPLE"].ratelimit_enabled
    assert _signup(client, "rl_off").status_code == 201
    assert [_command(client).status_code for _ in range(3)] == [202] * 3


@pytest.fixture(scope="module")
def limited_stack(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("ratelimit"), RIPPLE_RATELIMIT="1",
              RIPPLE_LIMIT_COMMANDS="2 per minute", RIPPLE_LIMIT_SIGNUP="20 per minute")
    yield s
    s.close()


def test_the_ui_says_when_to_retry_and_keeps_the_text(browser_user, limited_stack):
    _, page = browser_user(limited_stack)
    page.goto("/explore")
    expect(page.locator("#connection")).to_have_text("live")
    for body in ("first of three", "second of three"):
        page.fill("#composer-body", body)
        page.click("#post-button")
        item = page.locator("li.post", has_text=body)
        expect(item.locator(".status")).to_contain_text("visible to everyone", timeout=15000)

    page.fill("#composer-body", "third, over the limit")
    page.click("#post-button")
    item = page.locator("li.post", has_text="third, over the limit")
    expect(item).to_have_class("post failed")
    expect(item.locator(".status")).to_have_text(
        re.compile(r"^Not posted: Too many actions: try again in \d+ s\.$"))
    expect(item.locator(".body")).to_have_text("third, over the limit")  # the text is kept
    expect(item.locator("button.retry")).to_be_visible()
    expect(item.locator("button.discard")).to_be_visible()
    stored = page.evaluate("() => [...window.ripple.store.pending.values()].map(c => c.payload.body)")
    assert stored == ["third, over the limit"]  # kept across a reload too (localStorage)
    assert not page.errors

"""A newcomer's first run: `flask first-run` seeds an empty write DB through the command path, the
logged-out landing page explains Ripple, and "Try it as a guest" logs in with one click."""
import re
import subprocess

import pytest
from playwright.sync_api import expect

from backend import seed
from tests.e2e.conftest import Stack
from tests.support import PYTHON, ROOT

LONG = 20000


@pytest.fixture(scope="module")
def fresh_stack(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("firstrun"), RIPPLE_DEMO="1")
    yield s
    s.close()


def first_run(stack, *args):
    return subprocess.run([PYTHON, "-m", "flask", "--app", "app", "first-run", *args], cwd=ROOT,
                          env=stack.env, capture_output=True, text=True, timeout=300)


def test_first_run_seeds_once_then_landing_guest_and_explore(browser, fresh_stack):
    done = first_run(fresh_stack, "--users", "5", "--posts", "12")
    assert done.returncode == 0, done.stderr
    assert "Seeded: users 5" in done.stdout and "Log in as @ada" in done.stdout
    again = first_run(fresh_stack)
    assert again.returncode == 0 and "not empty" in again.stdout  # only on an empty write DB

    context = browser.new_context(base_url=fresh_stack.base)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/")
    landing = page.locator("#landing")
    expect(landing).to_contain_text("CQRS")
    expect(landing.locator(".flow .hop")).to_have_count(8)
    expect(landing.locator("#landing-signup")).to_have_attribute("href", "/signup")
    page.locator("#guest-button").click()
    page.wait_for_url("**/explore")
    expect(page.locator("#nav-me")).to_have_text(re.compile(r"^@guest_[0-9a-f]{8}$"))
    expect(page.locator("#connection")).to_have_text("live", timeout=LONG)
    bodies = page.locator("li.post .body").all_text_contents()
    assert len(bodies) >= 10 and all(b.split(" ")[0] in " ".join(seed.OPENERS) for b in bodies)
    page.keyboard.press("i")  # a guest may watch the inspector, not use the controls
    expect(page.locator("#demo-workers_paused")).to_be_disabled()
    expect(page.locator('#inspector [data-fig="log_head"]')).to_have_text(re.compile(r"^#\d+$"),
                                                                         timeout=LONG)
    assert not errors
    context.close()

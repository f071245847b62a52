"""Regenerate docs/screenshots/*.png: the main pages at desktop (1280x800) and phone (390x844) width.

    python -m tests.e2e.screenshots [--out docs/screenshots]

Starts its own Redis, SQLite database, web server and worker (as the e2e tests do), makes a small
world through the real command path, drives Debian's Chromium into each state of
tests/e2e/ui_states.py and saves one PNG per state and width. Nothing outside --out is touched.
"""
import argparse
import shutil
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.e2e.conftest import Stack
from tests.e2e.ui_states import DESKTOP, PHONE, UI, World, empty_home, explore, followers_list, \
    home_with_posts, logged_out, offline, pending_item, post_page, profile_other, rejected_item, \
    signup_page
from tests.support import CHROMIUM_FLAGS, ROOT

MAIN = [logged_out, signup_page, empty_home, home_with_posts, explore, profile_other, post_page,
        followers_list, pending_item, rejected_item, offline]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    out = Path(parser.parse_args(argv).out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="ripple-shots-"))
    stack = Stack(tmp)
    try:
        world = World.make(stack.base)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_FLAGS)
            for state in MAIN:
                for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
                    stack.start_worker()
                    ui = UI(browser, stack, world, viewport)
                    try:
                        page = state(ui)
                        page.wait_for_timeout(300)
                        path = out / f"{state.__name__}-{name}.png"
                        page.screenshot(path=str(path))
                        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
                    finally:
                        ui.close()
            browser.close()
    finally:
        stack.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

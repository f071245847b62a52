"""Regenerate docs/screenshots/*.png: the main pages at desktop (1280x800) and phone (390x844) width.

    python -m tests.e2e.screenshots [--out docs/screenshots] [--only post_history event_log ...]

Starts its own Redis, SQLite database, web server and worker (as the e2e tests do; a second,
demo-mode stack only for the demo states), makes a small world through the real command path, drives Debian's Chromium into each state of
tests/e2e/ui_states.py and saves one PNG per state and width. Nothing outside --out is touched.
"""
import argparse
import shutil
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.e2e.conftest import Stack
from tests.e2e.ui_states import DESKTOP, PHONE, UI, World, empty_home, event_log, event_log_live, \
    explore, followers_list, home_with_posts, inspector_rebuild, logged_out, member_history, offline, \
    pending_item, post_history, post_page, profile_other, rejected_item, signup_page, time_travel
from tests.support import CHROMIUM_FLAGS, ROOT

MAIN = [logged_out, signup_page, empty_home, home_with_posts, explore, profile_other, post_page,
        followers_list, pending_item, rejected_item, offline, post_history, member_history, event_log,
        event_log_live, time_travel, inspector_rebuild]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--only", nargs="+", choices=[s.__name__ for s in MAIN], metavar="STATE",
                        help="regenerate only these states (default: all)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    states = [s for s in MAIN if not args.only or s.__name__ in args.only]
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="ripple-shots-"))
    for sub in ("main", "demo"):
        (tmp / sub).mkdir()
    stack = Stack(tmp / "main")
    demo = None  # a demo-mode stack (RIPPLE_DEMO=1), for the states that need one
    try:
        world = World.make(stack.base)
        if any(getattr(s, "demo", False) for s in states):
            demo = Stack(tmp / "demo", RIPPLE_DEMO="1")
            demo_world = World.make(demo.base)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_FLAGS)
            for state in states:
                on, on_world = (demo, demo_world) if getattr(state, "demo", False) else (stack, world)
                for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
                    on.start_worker()
                    ui = UI(browser, on, on_world, viewport)
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
        if demo:
            demo.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

"""The /events page live (pushed `log_head`, then GET /api/events?after=) vs polling every 2 s (the
page's fallback with its socket down, which is what the page did before), in one run, real Chromium:
- requests to /api/events made by an idle tab in 20 s;
- a member's post (its 202) -> the event on the page, median and max of N posts.

    python -m bench.events_page [--posts 15]

Standalone (not in `python -m bench`): it needs Chromium. Times include the whole command path.
"""
import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from tests.e2e.conftest import Stack
from tests.e2e.ui_states import DESKTOP, UI, World, command, live
from tests.support import CHROMIUM_FLAGS, signup


def measure(page, author, base, posts: int, hits: list) -> dict:
    hits.clear()
    page.wait_for_timeout(20000)
    idle = len(hits)
    shown = page.locator('#events li.event[data-type="post_created"]')
    lat = []
    for _ in range(posts):
        before = shown.count()
        t0 = time.perf_counter()
        command(author, base, "create_post", body=f"bench {time.time_ns()}")
        expect(shown).to_have_count(before + 1, timeout=15000)
        lat.append((time.perf_counter() - t0) * 1000)
        page.wait_for_timeout(300)
    return {"idle_requests_20s": idle, "median_ms": round(statistics.median(lat)),
            "max_ms": round(max(lat))}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=15)
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="ripple-events-bench-"))
    stack = Stack(tmp)
    try:
        world = World.make(stack.base)
        author = signup(stack.base)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_FLAGS)
            ui = UI(browser, stack, world, DESKTOP)
            page = live(ui.page(), "/events")
            hits = []
            page.on("request", lambda r: "/api/events" in r.url and hits.append(r.url))
            pushed = measure(page, author, stack.base, args.posts, hits)
            page.evaluate("() => ripple.store.socket.disconnect()")  # the fallback: polling
            polled = measure(page, author, stack.base, args.posts, hits)
            ui.close()
            browser.close()
        for name, fig in (("pushed (socket)", pushed), ("polled every 2 s", polled)):
            print(f"{name:18} idle tab: {fig['idle_requests_20s']} requests/20 s · post -> on the "
                  f"page: median {fig['median_ms']} ms, max {fig['max_ms']} ms (n={args.posts})")
    finally:
        stack.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

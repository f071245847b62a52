"""E2E tier: real Chromium (Debian's) driving the real web server and RQ worker processes."""
import uuid

import pytest

from tests.support import (RedisServer, init_db, logged_in_page, process_env, sqlite_url,
                           start_web, start_worker)


class Stack:
    """The running Ripple: one web server, one worker that a test can hold back and release."""

    def __init__(self, tmp_dir, **env):
        """`env`: extra environment for the web server and worker (e.g. rate limits on)."""
        self.tmp_dir = tmp_dir
        self.redis = RedisServer().start()
        self.env = process_env(self.redis.url, sqlite_url(tmp_dir), **env)
        init_db(self.env)
        self.web, self.base = start_web(self.env, tmp_dir)
        self.worker = None
        self.start_worker()

    def start_worker(self):
        if not (self.worker and self.worker.alive()):
            self.worker = start_worker(self.env, self.tmp_dir, name=f"e2e-{uuid.uuid4().hex[:6]}")

    def stop_worker(self):
        if self.worker:
            self.worker.stop()

    def restart_web(self):
        port = int(self.base.rsplit(":", 1)[1])
        self.web.stop()
        self.web, self.base = start_web(self.env, self.tmp_dir, port=port)

    def close(self):
        self.stop_worker()
        self.web.stop()
        self.redis.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("e2e"))
    yield s
    s.close()


@pytest.fixture
def worker_running(stack):
    """Every test starts with a worker running, whatever the previous test did to it."""
    stack.start_worker()
    yield
    stack.start_worker()


@pytest.fixture
def base_url(stack):
    return stack.base


@pytest.fixture
def user_page(browser, stack, worker_running):
    """Factory: a logged-in page in its own browser context (its own cookies and localStorage)."""
    contexts = []

    def make(handle=None, viewport=None):
        context = browser.new_context(base_url=stack.base,
                                      viewport=viewport or {"width": 1000, "height": 900})
        contexts.append(context)
        return logged_in_page(context, handle)

    yield make
    for c in contexts:
        c.close()

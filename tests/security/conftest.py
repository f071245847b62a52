"""Security tier: the integration fixtures (real Redis, SQLite, in-process RQ worker, Flask test
client) and an e2e-style stack (web + worker processes, Debian Chromium) of its own."""

import pytest

from backend import create_app
from tests.conftest import make_config
from tests.e2e.conftest import Stack
from tests.integration.conftest import app, client, run_worker, worker_context  # noqa: F401
from tests.support import logged_in_page, signup


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("security"))
    yield s
    s.close()


@pytest.fixture
def limited_app(services):
    """The app with rate limiting on (counters in the test's real Redis)."""
    config = make_config(services.config.redis_url, services.config.database_url,
                         ratelimit_enabled=True)
    application = create_app(config)
    application.extensions["ripple"] = services
    return application


http_user = signup  # a logged-in requests.Session on a running server (tests/support.py)


# Reports every Content-Security-Policy violation of every document of the context to Python.
CSP_REPORTER = """document.addEventListener("securitypolicyviolation", (e) =>
  window.__cspViolation(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`));"""


def instrument(context, page) -> None:
    """Record on `page` whatever a script injected by a payload could do: call window.__xss(n)
    (a binding into Python, in every frame), open a dialog (alert/confirm/prompt), break the CSP,
    throw, or log an error."""
    page.fired, page.dialogs, page.csp, page.console, page.errors = [], [], [], [], []
    context.expose_binding("__xss", lambda source, n=None: page.fired.append(n))
    context.expose_binding("__cspViolation", lambda source, text: page.csp.append(text))
    context.add_init_script(CSP_REPORTER)
    page.on("dialog", lambda d: (page.dialogs.append(f"{d.type}: {d.message}"), d.dismiss()))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("console", lambda m: m.type in ("error", "warning") and page.console.append(m.text))


@pytest.fixture
def browser_user(browser, stack):
    """Factory: (context, page) of a freshly signed-up user in its own instrumented context."""
    contexts = []

    def make(target=None, handle=None):
        target = target or stack
        context = browser.new_context(base_url=target.base, viewport={"width": 1000, "height": 900})
        contexts.append(context)
        page = logged_in_page(context, handle)
        instrument(context, page)
        return context, page

    yield make
    for c in contexts:
        c.close()

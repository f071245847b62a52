"""Issue 11 item 10: `./ripple prod` (backend.prod: gunicorn) names no server software or version in
its headers, and its cookies are Secure by default (RIPPLE_SECURE_COOKIES=0 turns that off)."""
import re
import signal
import subprocess

import pytest
import requests

from backend.config import Config
from tests.support import (PYTHON, ROOT, RedisServer, _die_with_parent, free_port, process_env,
                           sqlite_url, wait_for)

SOFTWARE = re.compile(r"gunicorn|werkzeug|python|gevent|flask|\d", re.I)


@pytest.fixture
def prod(tmp_path):
    redis_server = RedisServer().start()
    started = []

    def start(**env):
        port = free_port()
        environ = process_env(redis_server.url, sqlite_url(tmp_path), WEB_PORT=port, RQ_WORKERS=0,
                              **env)
        proc = subprocess.Popen([PYTHON, "-m", "backend.prod"], cwd=ROOT, env=environ,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                preexec_fn=_die_with_parent)
        started.append(proc)
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: requests.get(base + "/healthz", timeout=1).ok, timeout=60, what="prod")
        return base
    yield start
    for proc in started:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    redis_server.stop()


def _signup_cookie(base) -> str:
    r = requests.post(f"{base}/api/signup", timeout=10,
                      json={"handle": f"p{free_port()}", "password": "password123"})
    assert r.status_code == 201, r.text
    return r.headers["Set-Cookie"]


def test_prod_reveals_no_server_software_and_sets_secure_cookies(prod):
    base = prod()
    for path in ("/explore", "/healthz", "/nowhere", "/api/timeline?limit=x",
                 "/socket.io/?EIO=4&transport=polling"):
        r = requests.get(base + path, timeout=10)
        for name in ("Server", "X-Powered-By", "Via"):
            assert not SOFTWARE.search(r.headers.get(name, "")), (path, name, r.headers.get(name))
    raw = requests.request("GET", base + "/%%", timeout=10)  # gunicorn's own error page too
    assert not SOFTWARE.search(raw.headers.get("Server", "")), raw.headers
    attrs = [a.strip().lower() for a in _signup_cookie(base).split(";")]
    assert "secure" in attrs and "httponly" in attrs


def test_secure_cookies_can_be_turned_off_for_plain_http_testing(prod):
    attrs = [a.strip().lower() for a in _signup_cookie(prod(RIPPLE_SECURE_COOKIES="0")).split(";")]
    assert "secure" not in attrs


@pytest.mark.parametrize("env, secure", [({}, False), ({"RIPPLE_PRODUCTION": "1"}, True),
                                         ({"RIPPLE_PRODUCTION": "1", "RIPPLE_SECURE_COOKIES": "0"}, False),
                                         ({"RIPPLE_SECURE_COOKIES": "1"}, True)])
def test_secure_cookie_setting(monkeypatch, env, secure):
    for name in ("RIPPLE_PRODUCTION", "RIPPLE_SECURE_COOKIES"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert Config.from_env().session_cookie_secure is secure

"""CSRF: state changes only as JSON from this origin with the session. A page on another port of the
same host (same *site*, so the SameSite=Lax cookie is sent: only the Origin check stands in the way)
auto-submits forms and fires credentialed fetches at Ripple from a logged-in user's browser."""
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support import new_command, wait_for

WRITES = ["/api/commands", "/api/logout", "/api/login", "/api/signup"]


class Attacker:
    """A second tiny web server on another port, serving the attack pages."""

    def __init__(self, pages: dict[str, str]):
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = pages.get(self.path, "not here").encode()
                self.send_response(200 if self.path in pages else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


ACCESS_LOG = re.compile(  # werkzeug's access log line, colour codes and all
    r'"(?:\x1b\[[\d;]*m)*(POST|OPTIONS) (/api/[^ ?]*)\S* HTTP/1\.1(?:\x1b\[0m)?" (\d{3})')


def api_calls(stack) -> list[tuple[str, str, int]]:
    """(method, path, status) of every POST/OPTIONS to /api/ in the web server's access log."""
    text = Path(stack.web.log_path).read_text(errors="replace")
    return [(m, p, int(s)) for m, p, s in ACCESS_LOG.findall(text)]


def autoform(action: str, fields: dict[str, str], enctype="application/x-www-form-urlencoded"):
    inputs = "".join(f"<input type=hidden name='{k}' value='{v}'>" for k, v in fields.items())
    return (f"<form id=f method=POST action='{action}' enctype='{enctype}'>{inputs}</form>"
            "<script>document.getElementById('f').submit()</script>")


def command(body: str) -> dict:
    return new_command(body=body)


def fetches(url: str, cmd: dict) -> str:
    data = json.dumps(json.dumps(cmd))
    return f"""<script>
    async function attempt(options) {{
      try {{ const r = await fetch("{url}", Object.assign({{method: "POST", credentials: "include",
        body: {data}}}, options)); return r.type + " " + r.status; }}
      catch (e) {{ return "refused: " + e.name; }}
    }}
    window.results = (async () => ({{
      plain: await attempt({{headers: {{"Content-Type": "text/plain"}}}}),
      json: await attempt({{headers: {{"Content-Type": "application/json"}}}}),
      noCors: await attempt({{mode: "no-cors", headers: {{"Content-Type": "application/json"}}}}),
    }}))();
    </script>"""


@pytest.fixture
def victim(browser_user, stack):
    context, page = browser_user()
    page.goto("/explore")  # a logged-in tab, as a real victim would have
    expect(page.locator("#connection")).to_have_text("live")
    return context, page


def test_cross_site_forms_and_fetches_change_nothing(victim, stack):
    context, page = victim
    target = stack.base + "/api/commands"
    attempts = {name: command(f"csrf via {name}") for name in ("form", "plain-form", "fetch")}
    plain = json.dumps(attempts["plain-form"])[:-1] + ', "x": "'  # text/plain JSON trick
    attacker = Attacker({
        "/form": autoform(target, {"command_id": attempts["form"]["command_id"], "type": "create_post",
                                   "payload": json.dumps(attempts["form"]["payload"])}),
        "/plain": autoform(target, {plain: '"}'}, enctype="text/plain"),
        "/logout": autoform(stack.base + "/api/logout", {"x": "1"}),
        "/fetch": fetches(target, attempts["fetch"]),
    })
    before = len(api_calls(stack))
    try:
        for path, endpoint in (("/form", target), ("/plain", target),
                               ("/logout", stack.base + "/api/logout")):
            with page.expect_response(lambda r: r.url == endpoint) as info:
                page.goto(attacker.base + path)
            resp = info.value
            assert resp.status == 403 and resp.json()["error"]["code"] == "forbidden_origin", path
            headers = resp.request.all_headers()
            assert headers["origin"] == attacker.base and "session=" in headers.get("cookie", "")
        page.goto(attacker.base + "/fetch")
        results = page.evaluate("() => window.results")
        assert results["plain"].startswith("refused") and results["json"].startswith("refused")
        assert results["noCors"] == "opaque 0", results  # sent blind; the browser hides the answer
    finally:
        attacker.close()
    # What reached the server (its access log): 3 forms and 2 simple fetches, each refused with
    # 403; the JSON fetch stopped at its preflight (no CORS granted), so its POST never left.
    calls = wait_for(lambda: len(api_calls(stack)) >= before + 6 and api_calls(stack)[before:],
                     what="the attempts in the access log")
    assert calls == [("POST", "/api/commands", 403), ("POST", "/api/commands", 403),
                     ("POST", "/api/logout", 403), ("POST", "/api/commands", 403),
                     ("OPTIONS", "/api/commands", 200), ("POST", "/api/commands", 403)], calls

    me = context.request.get(stack.base + "/api/me")
    assert me.status == 200 and me.json()["user"]["handle"] == page.handle  # still logged in
    marker = command("marker after the attacks")  # same queue, same worker: after any attack
    assert context.request.post(stack.base + "/api/commands", data=marker).status == 202

    def own_posts():
        return [p["body"] for p in context.request.get(
            f"{stack.base}/api/users/{page.handle}").json()["posts"]]
    assert wait_for(own_posts, timeout=30, what="a post") == ["marker after the attacks"]


@pytest.mark.parametrize("path", WRITES)
@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://localhost.evil.example",
                                    "http://localhost:1", "https://localhost"])
def test_a_foreign_origin_is_refused_on_every_write(client, path, origin):
    client.post("/api/signup", json={"handle": "csrf_target", "password": "password123"})
    body = command("cross-site") if path == "/api/commands" else \
        {"handle": "csrf_target", "password": "password123"}
    resp = client.post(path, json=body, headers={"Origin": origin})
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "forbidden_origin"
    assert client.get("/api/me").status_code == 200  # the logout did not happen either


@pytest.mark.parametrize("path", WRITES)
@pytest.mark.parametrize("media", ["application/x-www-form-urlencoded", "text/plain",
                                   "multipart/form-data; boundary=b"])
def test_a_same_origin_write_must_be_json(client, path, media):
    client.post("/api/signup", json={"handle": "form_user", "password": "password123"})
    resp = client.post(path, data=json.dumps(command("form")), content_type=media,
                       headers={"Origin": "http://localhost"})
    assert resp.status_code == 415 and resp.get_json()["error"]["code"] == "unsupported_media_type"
    assert client.post("/api/commands", json=command("json is fine"),
                       headers={"Origin": "http://localhost"}).status_code == 202


def test_no_cors_is_granted_to_other_origins(client):
    client.post("/api/signup", json={"handle": "cors_user", "password": "password123"})
    for method, path in (("OPTIONS", "/api/commands"), ("GET", "/api/me"), ("GET", "/api/feed")):
        resp = client.open(path, method=method, headers={
            "Origin": "http://evil.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type"})
        assert not [h for h in resp.headers.keys() if h.lower().startswith("access-control-")]

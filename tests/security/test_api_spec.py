"""The OpenAPI document keeps its word, through the real endpoints: every documented request example
is accepted, and every documented error code (each operation's 4xx enum) really occurs, with its
status and the {"error": {"code", "message", "field"}} body. (The reverse -- no undocumented code
or status ever answers -- is schemathesis' job in test_fuzz.py.)"""
import uuid

import pytest

from backend.web.openapi import error_codes, spec
from tests.conftest import make_config
from tests.support import free_port

MEMBER = {"handle": "speccer", "password": "password123"}
PATH_VALUES = {"{command_id}": "0b9e7a52-3c1d-4f7e-9a59-2d0c8e4b6f11", "{handle}": "speccer",
               "{post_id}": "1"}
NO_ROUTE = {"{command_id}": "a%2Fb", "{handle}": "a%2Fb", "{post_id}": "x"}


def _fill(path: str, values=PATH_VALUES) -> str:
    for name, value in values.items():
        path = path.replace(name, value)
    return path


def _cmd(ctype="create_post", command_id=None, **payload):
    return {"command_id": command_id or str(uuid.uuid4()), "type": ctype, "payload": payload}


COMMAND_BODIES = {
    "invalid_envelope": [], "invalid_command_id": _cmd(command_id="nope", body="x"),
    "unknown_type": _cmd("drop_table"), "invalid_payload": {**_cmd(), "payload": 1},
    "invalid_body": _cmd(body=5), "empty_body": _cmd(body="\u200b "),
    "body_too_long": _cmd(body="a" * 501), "invalid_post_id": _cmd("like_post", post_id=0),
    "invalid_handle": _cmd("follow_user", handle="no!"),
}
RAW = {"malformed_json": b"{", "invalid_utf8": b'{"handle": "\xff"}', "duplicate_key": b'{"a": 1, "a": 2}',
       "invalid_unicode": b'{"handle": "\\ud800", "password": "\\udfff"}'}


def _app(services, redis_url=None, **config):
    """An app of its own config; it shares the test's services unless given a Redis of its own."""
    from backend import create_app
    application = create_app(make_config(redis_url or services.config.redis_url,
                                         services.config.database_url, **config))
    if redis_url is None:
        application.extensions["ripple"] = services
    return application


@pytest.fixture
def clients(app, services):
    """A logged-in member, a second member, an anonymous visitor, a dead session's cookie, and
    apps that answer to one host only, or whose Redis is unreachable."""
    member, other, anon, gone = (app.test_client() for _ in range(4))
    assert member.post("/api/signup", json=MEMBER).status_code == 201
    assert other.post("/api/signup", json={**MEMBER, "handle": "other_one"}).status_code == 201
    assert gone.post("/api/signup", json={**MEMBER, "handle": "gone_one"}).status_code == 201
    name = app.config["SESSION_COOKIE_NAME"]
    dead = gone.get_cookie(name).value
    assert gone.post("/api/logout", json={}).status_code == 204
    return {"member": member, "other": other, "anon": anon, "dead": (name, dead),
            "one_host": _app(services, allowed_hosts=["localhost"]).test_client(),
            "no_redis": _app(services, redis_url=f"redis://127.0.0.1:{free_port()}/0",
                             ratelimit_enabled=True).test_client()}  # limits on, as in production


def _open(client, method, path, **kwargs):
    return client.open(path, method=method, json={} if method == "POST" else None, **kwargs)


def _dead_cookie(clients, method, path):
    client = clients["anon"].application.test_client()
    client.set_cookie(*clients["dead"])
    return _open(client, method, path)


def _conflict(clients, method, path):
    cid = str(uuid.uuid4())
    assert clients["member"].post("/api/commands", json=_cmd(command_id=cid, body="mine")
                                  ).status_code == 202
    if method == "POST":
        return clients["other"].post(path, json=_cmd(command_id=cid, body="mine"))
    return clients["other"].get(path.replace(PATH_VALUES["{command_id}"], cid))


def trigger(clients, app, method: str, template: str, status: int, code: str):
    """Make the real endpoint answer `code`; returns the response."""
    c, path = clients["member"], _fill(template)
    send = c.get if method == "GET" else c.post
    if code in RAW:
        return c.post(path, data=RAW[code], content_type="application/json")
    simple = {
        "forbidden_origin": lambda: c.post(path, json={}, headers={"Origin": "https://evil.example"}),
        "request_entity_too_large": lambda: c.post(path, data=b" " * (
            app.config["MAX_CONTENT_LENGTH"] + 1), content_type="application/json"),
        "unsupported_media_type": lambda: c.post(path, data=b"x=1", content_type="text/plain"),
        "not_logged_in": lambda: (clients["anon"].get if method == "GET" else clients["anon"].post)(
            path, json={}),
        "invalid_parameter": lambda: send(path + "?limit=0&as_of=-1"),
        "not_found": lambda: send(_fill(template, NO_ROUTE)),
        "invalid_body": lambda: c.post(path, json=[1]),
        "invalid_handle": lambda: c.post(path, json={**MEMBER, "handle": "x"}),
        "invalid_password": lambda: c.post(path, json={"handle": "fresh_one", "password": "short"}),
        "handle_taken": lambda: c.post(path, json=MEMBER),
        "invalid_credentials": lambda: c.post(path, json={**MEMBER, "password": "wrong-password"}),
        "invalid_command_id": lambda: c.get("/api/commands/nope"),
        "command_not_found": lambda: c.get(path),
        "user_not_found": lambda: c.get(_fill(template, {"{handle}": "nobody_here"})),
        "post_not_found": lambda: c.get("/api/posts/999999"),
        "command_id_conflict": lambda: _conflict(clients, method, path),
        "invalid_host": lambda: _open(clients["one_host"], method, path,
                                      headers={"Host": "evil.example"}),
        "session_ended": lambda: _dead_cookie(clients, method, path),
        "service_unavailable": lambda: _open(clients["no_redis"], method, path),
    }
    if path == "/api/commands" and code in COMMAND_BODIES:
        return c.post(path, json=COMMAND_BODIES[code])
    return simple[code]()


def test_every_documented_error_code_occurs(app, clients):
    documented = error_codes(demo=False)
    seen = []
    for (method, template, status), codes in sorted(documented.items()):
        for code in codes:
            if code == "too_many_requests":
                continue  # below, with the limits on
            resp = trigger(clients, app, method, template, status, code)
            got = (resp.status_code, (resp.get_json(silent=True) or {}).get("error", {}))
            assert got[0] == status and got[1].get("code") == code, (method, template, code, got)
            assert set(got[1]) == {"code", "message", "field"} and got[1]["message"]
            seen.append((method, template, code))
    assert len(seen) == sum(len(c) for c in documented.values()) - sum(
        c.count("too_many_requests") for c in documented.values())


def test_too_many_requests_occurs_where_documented(services):
    from backend import create_app
    config = make_config(services.config.redis_url, services.config.database_url,
                         ratelimit_enabled=True, ratelimit_commands="1 per minute",
                         ratelimit_login="1 per minute", ratelimit_signup="1 per minute")
    app = create_app(config)
    app.extensions["ripple"] = services
    limited = [(m, p) for (m, p, s), codes in error_codes(demo=False).items()
               if "too_many_requests" in codes]
    assert {p for _, p in limited} == {"/api/signup", "/api/login", "/api/commands"}
    c = app.test_client()
    for method, path in sorted(limited, key=lambda mp: mp[1] != "/api/signup"):  # signup first
        for _ in range(2):
            body = MEMBER if path != "/api/commands" else _cmd(body="hi")
            resp = c.post(path, json=body)
        assert resp.status_code == 429 and resp.get_json()["error"]["code"] == "too_many_requests"


def _demo_app(services, **limits):
    from backend import create_app
    config = make_config(services.config.redis_url, services.config.database_url, demo=True,
                         **limits)
    services.config = config  # the blueprints read Config through the services
    demo_app = create_app(config)
    demo_app.extensions["ripple"] = services
    return demo_app


def test_every_documented_error_code_of_the_demo_operations_occurs(services, app, clients):
    """/api/demo and /api/guest: demo_off with demo mode off; the rest on a demo-mode app."""
    documented = error_codes(demo=True)
    for (method, path, status), codes in documented.items():
        if codes == ["demo_off"]:
            resp = clients["member"].post(path, json={})
            assert (resp.status_code, resp.get_json()["error"]["code"]) == (404, "demo_off")
    demo_app = _demo_app(services)
    limited = _demo_app(services, ratelimit_enabled=True, ratelimit_signup="1 per minute",
                        ratelimit_demo="1 per minute")
    member, guest = demo_app.test_client(), demo_app.test_client()
    assert member.post("/api/login", json=MEMBER).status_code == 200
    assert guest.post("/api/guest", json={}).status_code == 201
    bodies = {"invalid_body": [], "unknown_field": {"turbo": True},
              "out_of_range": {"worker_delay_ms": 5001}, "invalid_field": {"crowd": "yes"}}
    guards = {"invalid_host", "session_ended", "service_unavailable"}  # the same guards as every
    seen = set()                                                       # route: driven above
    for (method, path, status), codes in sorted(documented.items()):
        for code in codes:
            if code == "demo_off" or code in guards:
                continue  # above
            if code in bodies and path == "/api/demo":
                resp = member.post(path, json=bodies[code])
            elif code == "guest_forbidden":
                resp = guest.post(path, json={"crowd": False})
            elif code == "rebuild_running":
                from backend.read.rebuild import RUNNING
                services.redis.set(RUNNING, "someone", ex=60)
                resp = member.post(path, json={})
                services.redis.delete(RUNNING)
            elif code == "too_many_requests":
                c = limited.test_client()
                if path == "/api/demo":
                    assert c.post("/api/login", json=MEMBER).status_code == 200
                for _ in range(2):
                    resp = c.post(path, json={"crowd": False} if path == "/api/demo" else {})
            else:
                resp = trigger({"member": member, "anon": demo_app.test_client(), "other": member},
                               demo_app, method, path, status, code)
            got = (resp.status_code, (resp.get_json(silent=True) or {}).get("error", {}).get("code"))
            assert got == (status, code), (path, code, got)
            seen.add((path, code))
    assert seen == {(path, code) for (_, path, _), codes in documented.items() for code in codes
                    if code not in guards and code != "demo_off"}


def _examples(schema: dict, components: dict) -> list:
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    found = list(schema.get("examples", []))
    for sub in schema.get("oneOf", []):
        found += _examples(sub, components)
    return found


def test_every_documented_request_example_is_accepted(app, services, run_worker):
    doc, client = spec(), app.test_client()
    components = doc["components"]["schemas"]
    bodies = {path: _examples(op["requestBody"]["content"]["application/json"]["schema"], components)
              for path, ops in doc["paths"].items() for op in ops.values() if "requestBody" in op}
    assert len(bodies["/api/commands"]) == 8 and bodies["/api/signup"]
    for example in bodies["/api/signup"]:
        assert client.post("/api/signup", json=example).status_code == 201
        assert client.post("/api/login", json=example).status_code == 200
    for example in bodies["/api/commands"]:
        resp = client.post("/api/commands", json=example)
        assert resp.status_code == 202, (example, resp.get_json())
    run_worker()
    outcomes = {ex["type"]: client.get(f"/api/commands/{ex['command_id']}").get_json()["status"]
                for ex in bodies["/api/commands"]}
    assert outcomes["create_post"] == "succeeded" and set(outcomes.values()) <= {"succeeded", "failed"}

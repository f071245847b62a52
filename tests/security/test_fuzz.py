"""Bad input, fuzzed: every operation of /api/openapi.json (schemathesis, valid and invalid data),
every HTML route and raw bodies of any bytes and media type. No answer may be a 5xx (with TESTING on,
a crash propagates as an exception, which fails too); every command the API accepted must then go
through the real worker without crashing it."""
import json
import re
import string
import uuid

import jsonschema_rs
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rq.registry import FailedJobRegistry
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from backend.web.openapi import spec
from backend.write.command_queue import depth
from backend.read.projections import command_key

EXAMPLES = 50  # per operation and generation mode
SCRYPT_OPS = {"POST /api/signup", "POST /api/login"}
SESSION_OPS = SCRYPT_OPS | {"POST /api/logout", "POST /api/logout-all"}  # ~90 ms of password hashing per request
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))


def _login(client, handle="fuzzer"):
    assert client.post("/api/signup", json={"handle": handle, "password": "password123"}
                       ).status_code == 201
    return client.get_cookie("session").value


def api_routes(app) -> set[str]:
    """'METHOD /path' for every JSON route of the app, in OpenAPI's path syntax."""
    labels = set()
    for rule in app.url_map.iter_rules():
        if not (rule.rule.startswith("/api/") or rule.rule == "/healthz"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        paths = [path.replace("{which}", w) for w in ("followers", "following")] \
            if "{which}" in path else [path]
        labels |= {f"{m} {p}" for m in rule.methods - {"HEAD", "OPTIONS"} for p in paths}
    return labels


def _valid(schema, value, components) -> bool:
    try:
        return jsonschema_rs.validator_for({**schema, "components": components}).is_valid(value)
    except ValueError:  # not JSON at all (negative mode sends raw bytes too)
        return False


# Query parameters whose limits depend on the data, as their descriptions say: as_of ≤ the log head,
# and as_of / at not together. The document cannot state these; the server's 400 names the field.
STATE_DEPENDENT = {"as_of", "at"}


def _document_allows(op, case) -> bool:
    """Does the OpenAPI document (read by an independent validator) allow this request?"""
    raw, components = op.definition.raw, spec()["components"]
    if "requestBody" in raw and not _valid(
            raw["requestBody"]["content"]["application/json"]["schema"], case.body, components):
        return False
    given_params = {"query": case.query or {}, "path": case.path_parameters or {}}
    return all(_valid(p["schema"], given_params[p["in"]][p["name"]], components)
               for p in raw.get("parameters", []) if p["name"] in given_params[p["in"]])


def _fuzz_operation(op, mode, cookie, tally):
    # Valid commands get a fresh command_id each (hypothesis repeats UUIDs), so that many distinct
    # commands reach the worker.
    fresh_ids = op.label == "POST /api/commands" and mode is GenerationMode.POSITIVE
    examples = 3 * EXAMPLES if fresh_ids else EXAMPLES // 2 if op.label in SCRYPT_OPS else EXAMPLES

    @settings(FUZZ, max_examples=examples)
    @given(case=op.as_strategy(generation_mode=mode))
    def run(case):
        if fresh_ids and isinstance(case.body, dict):
            case.body["command_id"] = str(uuid.uuid4())
        resp = case.call(cookies={"session": cookie} if cookie else None)
        tally[resp.status_code // 100] = tally.get(resp.status_code // 100, 0) + 1
        case.validate_response(resp, checks=CHECKS)
        if resp.status_code == 400 and _document_allows(op, case) \
                and resp.json()["error"]["field"] not in STATE_DEPENDENT:
            raise AssertionError(("the document allows what the server refused", op.label,
                                  case.body, case.query, case.path_parameters, resp.content[:300]))
        if cookie is None and op.definition.raw.get("security"):
            assert resp.status_code == 401, (op.label, resp.status_code)  # no session, no access

    if mode is GenerationMode.NEGATIVE and not op.definition.raw.get("parameters") \
            and "requestBody" not in op.definition.raw:
        return  # nothing to make invalid (GET /api/me, /healthz, ...)
    run()


def test_every_api_operation_fuzzed_from_the_openapi_document(app, client, services, run_worker):
    cookie = _login(client)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    # The document covers every JSON route (schemathesis leaves out the document's own).
    assert {op.label for op in operations} == api_routes(app) - {"GET /api/openapi.json"}
    tally: dict[int, int] = {}
    for op in operations:
        # Logging in, signing up or out (here or everywhere) ends the session of the cookie sent
        # (server-side sessions): those are fuzzed logged out, to keep the fuzzer's own session.
        own = None if op.label in SESSION_OPS else cookie
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz_operation(op, mode, own, tally)
        if op.definition.raw.get("security"):
            _fuzz_operation(op, GenerationMode.POSITIVE, None, tally)  # and without a session
        run_worker()  # accepted commands through the real worker: later reads see their effects
    failed = FailedJobRegistry(queue=services.queue)
    outcomes = [services.redis.hget(k, "status") for k in services.redis.scan_iter(command_key("*"))]
    print(f"\nfuzz: {sum(tally.values())} requests over {len(operations)} operations, "
          f"by status class {dict(sorted(tally.items()))}; {len(outcomes)} distinct commands "
          f"accepted and run by the worker ({outcomes.count('succeeded')} succeeded), "
          f"{len(failed)} worker crashes")
    assert tally.get(5, 0) == 0
    assert len(failed) == 0 and services.queue.count == 0 and depth(services.redis) == 0, \
        failed.get_job_ids()
    assert outcomes and set(outcomes) <= {"succeeded", "failed"}


PAGE_PATHS = st.one_of(
    st.builds(lambda s: f"/users/{s}", st.text(min_size=1, max_size=30)),
    st.builds(lambda s, w: f"/users/{s}/{w}", st.text(min_size=1, max_size=30),
              st.sampled_from(["followers", "following"])),
    st.builds(lambda s: f"/posts/{s}", st.integers(-2**70, 2**70) | st.text(max_size=20)),
    st.builds(lambda s: f"/vendor/{s}", st.text(max_size=30)),
    st.sampled_from(["/", "/explore", "/login", "/signup", "/static/js/app.js", "/static/../app.py"]),
    st.builds(lambda s: "/" + s, st.text(string.printable, max_size=40)),
)


def test_every_page_route_fuzzed(client):
    _login(client, "pagefuzz")
    tally = {"n": 0}

    @settings(max_examples=300, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(path=PAGE_PATHS, query=st.dictionaries(st.sampled_from(["limit", "before", "q"]),
                                                  st.text(max_size=12), max_size=2))
    def run(path, query):
        resp = client.get(path.replace("?", "%3F").replace("#", "%23"), query_string=query)
        tally["n"] += 1
        assert resp.status_code < 500, (path, resp.status_code)

    run()
    print(f"\npage fuzz: {tally['n']} requests, 0 5xx")


POST_PATHS = ["/api/commands", "/api/signup", "/api/login", "/api/logout"]
MEDIA = ["application/json", "application/json; charset=utf-8", "application/json; charset=latin-1",
         "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""]
JSONISH = st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(),
                       lambda kids: st.lists(kids, max_size=4) | st.dictionaries(
                           st.sampled_from(["command_id", "type", "payload", "body", "post_id",
                                            "handle", "password", "author"]) | st.text(max_size=5),
                           kids, max_size=5), max_leaves=12)


def test_raw_bodies_of_any_bytes_and_media_type(client):
    _login(client, "rawfuzz")
    tally = {"n": 0}

    @settings(max_examples=400, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(path=st.sampled_from(POST_PATHS), media=st.sampled_from(MEDIA),
           body=st.binary(max_size=300) | JSONISH.map(lambda v: json.dumps(v).encode()))
    def run(path, media, body):
        resp = client.post(path, data=body, content_type=media or None)
        tally["n"] += 1
        assert resp.status_code < 500, (path, media, body, resp.status_code)
        if resp.status_code >= 400:
            assert set(resp.get_json()["error"]) >= {"code", "message"}

    run()
    print(f"\nraw-body fuzz: {tally['n']} requests, 0 5xx")

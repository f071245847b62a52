"""Bad input is refused with a JSON 4xx, never a 500: oversized, malformed UTF-8 / JSON, lone
surrogates, wrong media types, and path handles that would name another Redis key."""
import json
import socket
import uuid

import pytest

from backend.write.command_queue import depth

WRITES = ["/api/signup", "/api/login", "/api/commands"]


def _error(resp, status, code=None):
    assert resp.status_code == status, (resp.status_code, resp.data[:300])
    assert resp.mimetype == "application/json"
    error = resp.get_json()["error"]
    assert set(error) == {"code", "message", "field"}
    if code:
        assert error["code"] == code
    return error


@pytest.fixture
def logged_in(client):
    assert client.post("/api/signup", json={"handle": "mallory", "password": "password123"}
                       ).status_code == 201
    return client


@pytest.mark.parametrize("path", WRITES + ["/api/logout"])
def test_a_body_over_the_limit_is_a_413_json_error(logged_in, app, path):
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = json.dumps({"handle": "x", "password": "y" * limit}).encode()
    assert len(body) > limit
    _error(logged_in.post(path, data=body, content_type="application/json"), 413,
           "request_entity_too_large")


@pytest.mark.parametrize("path", ["/api/signup", "/api/commands", "/api/logout", "/explore"])
def test_a_huge_content_length_is_refused_before_the_body_is_read(stack, path):
    """Only the headers are sent (Content-Length: 1 TB): a server that read the body would hang."""
    host, port = stack.base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=15) as sock:
        sock.sendall((f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                      "Content-Type: application/json\r\nContent-Length: 1000000000000\r\n\r\n"
                      ).encode())
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith((b"}", b">")):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0].split(b" ")[1] == b"413", head
    if path.startswith("/api/"):
        assert json.loads(body)["error"]["code"] == "request_entity_too_large"


@pytest.mark.parametrize("path", WRITES)
@pytest.mark.parametrize("raw", [b'{"handle": "\xff\xfe", "password": "password123"}',
                                 b'{"body": "caf\xc3"}', b'"\xed\xa0\x80"'],
                         ids=["ff-fe", "truncated-sequence", "encoded-surrogate"])
def test_malformed_utf8_is_a_400(logged_in, path, raw):
    _error(logged_in.post(path, data=raw, content_type="application/json"), 400, "invalid_utf8")


@pytest.mark.parametrize("path", WRITES)
@pytest.mark.parametrize("raw", [b'{"handle": "bob"', b"{'handle': 'bob'}", b'{"a": 1} trailing',
                                 b"", b"[" * 60000, b'{"a":' * 9000 + b"1" + b"}" * 9000],
                         ids=["truncated", "single-quotes", "trailing", "empty", "deep-array",
                              "deep-object"])
def test_malformed_json_is_a_400(logged_in, path, raw):
    _error(logged_in.post(path, data=raw, content_type="application/json"), 400, "malformed_json")


def _command(body: str) -> bytes:
    return ('{"command_id": "%s", "type": "create_post", "payload": {"body": "%s"}}'
            % (uuid.uuid4(), body)).encode()


@pytest.mark.parametrize("path,raw", [
    ("/api/signup", b'{"handle": "sam_1", "password": "password\\ud800"}'),
    ("/api/login", b'{"handle": "mallory", "password": "password\\udfff"}'),
    ("/api/commands", _command("lone \\ud83d surrogate")),
])
def test_a_lone_surrogate_escape_is_a_400(logged_in, services, path, raw):
    """Valid JSON, but no database or Redis can store it: found crashing scrypt (500) and the worker."""
    _error(logged_in.post(path, data=raw, content_type="application/json"), 400, "invalid_unicode")
    assert services.queue.count == 0 and depth(services.redis) == 0


@pytest.mark.parametrize("path", WRITES + ["/api/logout"])
@pytest.mark.parametrize("media", ["text/plain", "application/x-www-form-urlencoded",
                                   "multipart/form-data; boundary=b", None])
def test_anything_but_json_is_a_415(logged_in, path, media):
    body = b"handle=bob&password=password123" if media else b'{"handle": "bob"}'
    _error(logged_in.post(path, data=body, content_type=media), 415, "unsupported_media_type")


def test_non_finite_and_odd_json_values_are_validation_errors(logged_in):
    for payload in ['{"post_id": NaN, "body": "x"}', '{"post_id": Infinity, "body": "x"}',
                    '{"post_id": 1e400, "body": "x"}', '{"post_id": true, "body": "x"}',
                    '{"post_id": "1", "body": ["x"]}', '{"post_id": %s, "body": "x"}' % (2**64)]:
        raw = ('{"command_id": "%s", "type": "create_comment", "payload": %s}'
               % (uuid.uuid4(), payload)).encode()
        _error(logged_in.post("/api/commands", data=raw, content_type="application/json"), 400)
    raw = b'{"command_id": "%s", "type": ["create_post"], "payload": {}}' % str(uuid.uuid4()).encode()
    _error(logged_in.post("/api/commands", data=raw, content_type="application/json"), 400,
           "unknown_type")


def test_a_handle_in_a_path_cannot_name_another_redis_key(client, run_worker):
    """/api/users/alice:posts used to read the sorted set ripple:user:alice:posts as a hash: 500."""
    for handle in ("alice", "bob_1"):
        client.post("/api/signup", json={"handle": handle, "password": "password123"})
    client.post("/api/commands", json={"command_id": str(uuid.uuid4()), "type": "follow_user",
                                       "payload": {"handle": "alice"}})  # bob_1 follows alice
    client.post("/api/login", json={"handle": "alice", "password": "password123"})
    client.post("/api/commands", json={"command_id": str(uuid.uuid4()), "type": "create_post",
                                       "payload": {"body": "alice's post"}})
    run_worker()
    assert client.get("/api/users/alice").get_json()["user"]["followers"] == 1
    for name in ("alice:posts", "alice:followers", "alice:following", "alice%0A", "ALICE:POSTS"):
        _error(client.get(f"/api/users/{name}"), 404, "user_not_found")
        _error(client.get(f"/api/users/{name}/followers"), 404, "user_not_found")
        assert client.get(f"/users/{name}").status_code == 404


def test_a_handle_with_a_trailing_newline_is_refused(client):
    """HANDLE_RE ended in "$", which also matches before a final newline: "alice\\n" signed up."""
    error = _error(client.post("/api/signup", json={"handle": "alice\n", "password": "password123"}),
                   400, "invalid_handle")
    assert error["field"] == "handle"

"""The OpenAPI 3 description of Ripple's HTTP API, served at GET /api/openapi.json.

Written by hand from the blueprints (api.py, auth_api.py, health.py) and kept honest by
tests/security/test_fuzz.py, which fuzzes every operation from this document and checks the answers
against it. Auth is the Flask session cookie; every 4xx is the JSON error body below.
"""
from flask import Blueprint, jsonify

from backend.write.commands import BODY_MAX, PAYLOAD_VALIDATORS
from backend.read.queries import MAX_LIMIT

bp = Blueprint("openapi", __name__)

HANDLE = {"type": "string", "pattern": "^[A-Za-z0-9_]{3,20}$"}
_TEXT = "[^\\x00-\\x09\\x0b-\\x1f\\x7f-\\x9f\\u2028\\u2029]"  # commands._CONTROL_RE, negated
BODY = {"type": "string", "minLength": 1, "maxLength": BODY_MAX,
        "pattern": f"^{_TEXT}*[^\\s\\x00-\\x1f\\x7f-\\x9f]{_TEXT}*$"}
POST_ID = {"type": "integer", "minimum": 1, "maximum": 2**53 - 1}
UUID = {"type": "string", "format": "uuid"}
ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                   "field": {"type": ["string", "null"]}}}}}
POST = {"type": "object", "required": ["id", "author", "body", "created_at", "likes", "comments"],
        "properties": {"id": {"type": "integer"}, "author": {"type": "string"},
                       "body": {"type": "string"}, "created_at": {"type": "number"},
                       "edited_at": {"type": ["number", "null"]}, "edited": {"type": "boolean"},
                       "likes": {"type": "integer"}, "comments": {"type": "integer"},
                       "liked": {"type": "boolean"}}}
TOMBSTONE = {"type": "object", "required": ["id", "author", "deleted"], "properties": {
    "id": {"type": "integer"}, "author": {"type": "string"}, "deleted": {"const": True}}}
SHOWN = {"anyOf": [POST, TOMBSTONE]}  # as_of answers: a post deleted since is a tombstone
PAGE_PROPS = {"posts": {"type": "array", "items": SHOWN}, "version": {"type": "integer"},
              "next": {"type": ["integer", "null"]}}
PAGE = {"type": "object", "required": ["posts", "version", "next"], "properties": PAGE_PROPS}
USER = {"type": "object", "required": ["handle"], "properties": {"handle": {"type": "string"}}}
COMMAND_STATUS = {"type": "object", "required": ["command_id", "status"], "properties": {
    "command_id": UUID, "status": {"enum": ["queued", "succeeded", "failed"]},
    "result": {}, "error": {}}}
PAYLOADS = {  # command type -> its payload schema (mirrors commands.PAYLOAD_VALIDATORS)
    "create_post": {"body": BODY}, "edit_post": {"post_id": POST_ID, "body": BODY},
    "delete_post": {"post_id": POST_ID}, "create_comment": {"post_id": POST_ID, "body": BODY},
    "like_post": {"post_id": POST_ID}, "unlike_post": {"post_id": POST_ID},
    "follow_user": {"handle": HANDLE}, "unfollow_user": {"handle": HANDLE},
}
assert set(PAYLOADS) == set(PAYLOAD_VALIDATORS), "openapi.PAYLOADS is out of date"
COMMAND = {"oneOf": [{
    "type": "object", "required": ["command_id", "type", "payload"],
    "properties": {"command_id": UUID, "type": {"const": name}, "payload": {
        "type": "object", "required": sorted(fields), "properties": fields}}}
    for name, fields in PAYLOADS.items()]}
CREDENTIALS = {"type": "object", "required": ["handle", "password"], "properties": {
    "handle": HANDLE, "password": {"type": "string", "minLength": 8, "maxLength": 256}}}


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _responses(ok: int, schema: dict | None, *errors: int) -> dict:
    out = {str(ok): {"description": "OK", **(_json(schema) if schema else {})}}
    for status in errors:
        out[str(status)] = {"description": "Error", **_json(ERROR)}
    return out


def _query(name: str, low: int, high: int) -> dict:
    return {"name": name, "in": "query", "required": False,
            "schema": {"type": "integer", "minimum": low, "maximum": high}}


def _path(name: str, schema: dict) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _op(summary: str, responses: dict, body: dict | None = None, params=(), auth=False) -> dict:
    op = {"summary": summary, "responses": responses, "parameters": list(params)}
    if body is not None:
        op["requestBody"] = {"required": True, **_json(body)}
    op["security"] = [{"session": []}] if auth else []
    return op


AS_OF = (_query("as_of", 0, 2**53), {"name": "at", "in": "query", "required": False,
                                      "schema": {"type": "number", "minimum": 0}})
PAGE_PARAMS = (_query("limit", 1, MAX_LIMIT), _query("before", 1, 2**53), *AS_OF)
EVENT = {"type": "object", "required": ["seq", "type", "at", "author", "command_id", "data"],
         "properties": {"seq": {"type": "integer"}, "type": {"type": "string"},
                        "at": {"type": "number"}, "author": {"type": ["string", "null"]},
                        "command_id": {"type": ["string", "null"]}, "data": {"type": "object"},
                        "summary": {"type": "string"}, "diff": {"type": "array"}}}
EVENTS = {"type": "object", "required": ["events", "next"], "properties": {
    "events": {"type": "array", "items": EVENT}, "next": {"type": ["integer", "null"]},
    "head": {"type": "integer"}}}
HISTORY = {"type": "object", "required": ["events", "next"], "properties": {
    "events": {"type": "array", "items": {"type": "object", "required": [
        "seq", "type", "at", "author", "command_id", "summary"]}},
    "next": {"type": ["integer", "null"]}}}
WRITE_ERRORS = (400, 413, 415, 429)


def spec() -> dict:
    follow = {"type": "object", "required": ["handle", "total"],
              "properties": {"handle": {"type": "string"}, "total": {"type": "integer"}}}
    follow_params = (_path("handle", {"type": "string"}), _query("limit", 1, 1000),
                     _query("offset", 0, 10**9))
    paths = {
        "/api/signup": {"post": _op("Create an account and log in", _responses(
            201, {"type": "object", "required": ["user"], "properties": {"user": USER}},
            *WRITE_ERRORS, 409), CREDENTIALS)},
        "/api/login": {"post": _op("Log in (sets the session cookie)", _responses(
            200, {"type": "object", "required": ["user"], "properties": {"user": USER}},
            *WRITE_ERRORS, 401), CREDENTIALS)},
        "/api/logout": {"post": _op("Log out", _responses(204, None, 415), {"type": "object"})},
        "/api/me": {"get": _op("The logged-in user", _responses(
            200, {"type": "object", "properties": {"user": USER}}, 401), auth=True)},
        "/api/commands": {"post": _op("Submit a command (answered 202, applied by a worker)",
                                      _responses(202, COMMAND_STATUS, *WRITE_ERRORS, 401, 409),
                                      COMMAND, auth=True)},
        "/api/commands/{command_id}": {"get": _op("A command's outcome", _responses(
            200, COMMAND_STATUS, 400, 401, 404, 409), params=[_path("command_id", UUID)],
            auth=True)},
        "/api/timeline": {"get": _op("Everyone's posts, newest first",
                                     _responses(200, PAGE, 400), params=PAGE_PARAMS)},
        "/api/feed": {"get": _op("Posts of the people I follow (and mine)",
                                 _responses(200, PAGE, 400, 401), params=PAGE_PARAMS, auth=True)},
        "/api/users/{handle}": {"get": _op("A profile and its posts", _responses(
            200, {"type": "object", "required": ["user", *PAGE_PROPS], "properties": {
                "user": USER, **PAGE_PROPS}}, 400, 404),
            params=[_path("handle", {"type": "string"}), *PAGE_PARAMS])},
        "/api/users/{handle}/followers": {"get": _op("Who follows a user", _responses(
            200, follow, 400, 404), params=follow_params)},
        "/api/users/{handle}/following": {"get": _op("Whom a user follows", _responses(
            200, follow, 400, 404), params=follow_params)},
        "/api/posts/{post_id}": {"get": _op("A post with its comments", _responses(
            200, {"type": "object", "required": ["post", "version"], "properties": {
                "post": SHOWN, "version": {"type": "integer"}}}, 400, 404),
            params=[_path("post_id", POST_ID), *AS_OF])},
        "/api/events": {"get": _op("The event log, newest first (oldest first with after)",
                                   _responses(200, EVENTS, 400), params=[
            _query("limit", 1, 200), _query("before", 1, 2**53), _query("after", 0, 2**53),
            {"name": "type", "in": "query", "required": False, "schema": {"type": "string"}},
            {"name": "handle", "in": "query", "required": False, "schema": HANDLE},
            _query("post_id", 1, 2**53)])},
        "/api/posts/{post_id}/history": {"get": _op("A post's history, oldest first", _responses(
            200, HISTORY, 400, 404), params=[_path("post_id", POST_ID), _query("limit", 1, 200),
                                             _query("after", 0, 2**53)])},
        "/api/users/{handle}/history": {"get": _op("A member's activity, newest first",
                                                   _responses(200, HISTORY, 400, 404), params=[
            _path("handle", {"type": "string"}), _query("limit", 1, 200),
            _query("before", 1, 2**53)])},
        "/api/demo/rebuild": {"post": _op("Demo mode: rebuild the read models live",
                                          _responses(202, {"type": "object"}, 401, 404, 409),
                                          auth=True)},
        "/api/rebuild": {"get": _op("The last rebuild's progress", _responses(
            200, {"type": "object", "required": ["state"]}))},
        "/api/openapi.json": {"get": _op("This document", _responses(200, {"type": "object"}))},
        "/healthz": {"get": _op("Can this web process serve? (503 when Redis or the DB is down)",
                                {"200": {"description": "OK", **_json({"type": "object"})},
                                 "503": {"description": "Down", **_json({"type": "object"})}})},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Ripple API", "version": "1",
                 "description": "Writes are commands (POST /api/commands, 202); reads come from "
                                "the read models. State changes only as JSON from this origin."},
        "paths": paths,
        "components": {"securitySchemes": {"session": {"type": "apiKey", "in": "cookie",
                                                       "name": "session"}}},
    }


@bp.get("/api/openapi.json")
def openapi_json():
    return jsonify(spec())

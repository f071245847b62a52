"""The OpenAPI 3.1 description of Ripple's HTTP API, served at GET /api/openapi.json.

Generated, not written: every request body, query parameter and response schema is the JSON Schema
of the pydantic model that validates or describes it (backend/write/schemas.py, backend/read/
schemas.py, backend/web/schemas.py), so the document and the server cannot drift apart. What this
module states by hand is the route table (backend/web/routes.py): each operation's models and the error codes it
may answer with (each 4xx schema lists them as an enum, and tests drive every one of them).
tests/security/test_fuzz.py fuzzes every operation from this document (schemathesis).
"""
from functools import cache

from flask import Blueprint, jsonify
from pydantic import TypeAdapter

from backend.read import schemas as read
from backend.web import schemas as web
from backend.web.routes import HEALTHZ_ERRORS, ROUTES, Op, error_codes, errors_of  # noqa: F401
from backend.write import schemas as write

bp = Blueprint("openapi", __name__)
REF = "#/components/schemas/{model}"
MODELS = {"CommandRequest": write.CommandRequest, "Credentials": write.Credentials,
          "CommandStatus": read.CommandStatus, "Page": read.Page, "Profile": read.Profile,
          "FollowList": read.FollowList, "PostDetail": read.PostDetail,
          "UserResponse": read.UserResponse, "Health": web.Health, "ErrorBody": web.ErrorBody,
          "PageQuery": web.PageQuery, "FollowQuery": web.FollowQuery,
          "SystemInfo": web.SystemInfo, "DemoControls": web.DemoControls,
          "DemoState": web.DemoState, "GuestResponse": web.GuestResponse,
          "CommentsQuery": web.CommentsQuery, "CommentPage": read.CommentPage,
          "SessionsEnded": read.SessionsEnded, "PageAsOfQuery": web.PageAsOfQuery,
          "AsOfQuery": web.AsOfQuery, "EventsQuery": web.EventsQuery,
          "PostHistoryQuery": web.PostHistoryQuery, "MemberHistoryQuery": web.MemberHistoryQuery,
          "EventsPage": read.EventsPage, "HistoryPage": read.HistoryPage,
          "MemberHistoryPage": read.MemberHistoryPage,
          "RebuildStatus": read.RebuildStatus}

# Error codes, by status. JSON_IN: any endpoint that reads a JSON body.

def _error_schema(codes: list[str], defs: dict) -> dict:
    body = dict(defs["ErrorBody"])
    body["properties"] = body["properties"] | {"code": {"type": "string", "enum": codes}}
    return {"type": "object", "required": ["error"], "properties": {"error": body}}


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _query(model_schema: dict) -> list[dict]:
    """A query model's fields as OpenAPI parameters (optional; `null` stands for "absent")."""
    params = []
    for name, prop in model_schema["properties"].items():
        prop = next((p for p in prop.get("anyOf", []) if p.get("type") != "null"), prop)
        schema = {k: v for k, v in prop.items() if k not in ("title", "anyOf", "default")}
        params.append({"name": name, "in": "query", "required": False, "schema": schema})
    return params


def _operation(path: str, op: Op, schemas: dict, defs: dict) -> dict:
    out = {"summary": op.summary, "parameters": [], "security": [{"session": []}] if op.auth else []}
    for name, annotation in op.path:
        schema = TypeAdapter(annotation).json_schema()
        out["parameters"].append({"name": name, "in": "path", "required": True, "schema": {
            k: v for k, v in schema.items() if k != "title"}})
    if op.query:
        out["parameters"] += _query(defs[op.query])
    if op.body:
        body = schemas[op.body] if isinstance(op.body, str) else op.body
        out["requestBody"] = {"required": True, **_json(body)}
    answer = schemas[op.answer] if op.answer else {"type": "object"}
    out["responses"] = {str(op.ok): {"description": "OK", **(_json(answer) if op.ok != 204 else {})}}
    for status, codes in sorted(errors_of(path, op).items()):
        out["responses"][str(status)] = {"description": "Error", **_json(_error_schema(codes, defs))}
    return out


@cache
def spec() -> dict:
    refs, defs = TypeAdapter.json_schemas(
        [(name, "validation", TypeAdapter(model)) for name, model in MODELS.items()],
        ref_template=REF)
    defs = defs.get("$defs", {})
    schemas = {name: refs[(name, "validation")] for name in MODELS}
    paths = {path: {method: _operation(path, op, schemas, defs) for method, op in ops.items()}
             for path, ops in ROUTES.items()}
    paths["/healthz"] = {"get": {
        "summary": "Can this web process serve? (503 when Redis or the DB is down)",
        "parameters": [], "security": [], "responses": {
            "200": {"description": "OK", **_json(schemas["Health"])},
            "503": {"description": "Down", **_json(schemas["Health"])},
            **{str(status): {"description": "Error", **_json(_error_schema(codes, defs))}
               for status, codes in HEALTHZ_ERRORS.items()}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Ripple API", "version": "1",
                 "description": "Writes are commands (POST /api/commands, 202); reads come from "
                                "the read models. State changes only as JSON from this origin. "
                                "Every 4xx is {\"error\": {\"code\", \"message\", \"field\"}}. "
                                "Socket.IO events: /api/asyncapi.json."},
        "paths": paths,
        "components": {"schemas": defs, "securitySchemes": {
            "session": {"type": "apiKey", "in": "cookie", "name": "session"}}},
    }


@bp.get("/api/openapi.json")
def openapi_json():
    return jsonify(spec())

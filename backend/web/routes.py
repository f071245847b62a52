"""The route table of the HTTP API: for each operation, the pydantic models of its body, query and
answer (names of openapi.MODELS), and the error codes it may answer with. The OpenAPI document
(backend/web/openapi.py) is generated from it; tests/security/test_api_spec.py drives every code."""
from dataclasses import dataclass, field

from backend.web.login import OPEN_WITH_DEAD_COOKIE
from backend.write import schemas as write

JSON_IN = {400: ["malformed_json", "duplicate_key", "invalid_utf8", "invalid_unicode"],
           403: ["forbidden_origin"],
           413: ["request_entity_too_large"], 415: ["unsupported_media_type"]}
AUTH = {401: ["not_logged_in"]}
PARAMS = {400: ["invalid_parameter"]}
NO_ROUTE = ["not_found"]  # a path parameter holding "/" (%2F) matches no route
COMMAND_CODES = ["invalid_envelope", "invalid_command_id", "unknown_type", "invalid_payload",
                 "invalid_body", "empty_body", "body_too_long", "invalid_post_id", "invalid_handle"]


def _merge(*tables: dict) -> dict:
    out: dict[int, list[str]] = {}
    for table in tables:
        for status, codes in table.items():
            out[status] = out.get(status, []) + codes
    return out


@dataclass(frozen=True)
class Op:
    summary: str
    ok: int = 200
    answer: str | None = None  # model of the OK answer (a key of MODELS)
    body: str | dict | None = None  # model (key of MODELS) or literal schema of the request body
    query: str | None = None  # model of the query parameters
    path: tuple = ()  # (name, annotation) of each path parameter
    errors: dict = field(default_factory=dict)  # status -> error codes
    auth: bool = False  # needs a session
    demo_only: bool = False  # exists in demo mode only (404 demo_off otherwise)


def _follow(which: str, summary: str) -> dict:
    return {f"/api/users/{{handle}}/{which}": {"get": Op(
        summary, answer="FollowList", query="FollowQuery", path=(("handle", str),),
        errors=_merge(PARAMS, {404: ["user_not_found", *NO_ROUTE]}))}}


ROUTES = {
    "/api/signup": {"post": Op("Create an account and log in", 201, "UserResponse", "Credentials",
                               errors=_merge(JSON_IN, {400: ["invalid_body", "invalid_handle",
                                                             "invalid_password"],
                                                       409: ["handle_taken"],
                                                       429: ["too_many_requests"]}))},
    "/api/login": {"post": Op("Log in (sets the session cookie)", 200, "UserResponse", "Credentials",
                              errors=_merge(JSON_IN, {400: ["invalid_body"],
                                                      401: ["invalid_credentials"],
                                                      429: ["too_many_requests"]}))},
    "/api/logout": {"post": Op("Log out", 204, body={"type": "object"},
                               errors={403: ["forbidden_origin"], 413: ["request_entity_too_large"],
                                       415: ["unsupported_media_type"]})},
    "/api/logout-all": {"post": Op("Log out everywhere (every session of this member)",
                                   answer="SessionsEnded", body={"type": "object"}, auth=True,
                                   errors={401: ["not_logged_in"], 403: ["forbidden_origin"],
                                           413: ["request_entity_too_large"],
                                           415: ["unsupported_media_type"]})},
    "/api/me": {"get": Op("The logged-in member", answer="UserResponse", errors=AUTH, auth=True)},
    "/api/commands": {"post": Op(
        "Submit a command (answered 202, applied by a worker)", 202, "CommandStatus",
        "CommandRequest", auth=True, errors=_merge(AUTH, JSON_IN, {
            400: COMMAND_CODES, 409: ["command_id_conflict"], 429: ["too_many_requests"]}))},
    "/api/commands/{command_id}": {"get": Op(
        "A command's outcome", answer="CommandStatus", path=(("command_id", write.CommandId),),
        auth=True, errors=_merge(AUTH, {400: ["invalid_command_id"],
                                        404: ["command_not_found", *NO_ROUTE],
                                        409: ["command_id_conflict"]}))},
    "/api/timeline": {"get": Op("Everyone's posts, newest first", answer="Page", query="PageAsOfQuery",
                                errors=PARAMS)},
    "/api/feed": {"get": Op("Posts of the people I follow (and mine)", answer="Page",
                            query="PageAsOfQuery", errors=_merge(AUTH, PARAMS), auth=True)},
    "/api/users/{handle}": {"get": Op("A profile and its posts", answer="Profile",
                                      query="PageAsOfQuery",
                                      path=(("handle", str),),
                                      errors=_merge(PARAMS, {404: ["user_not_found", *NO_ROUTE]}))},
    **_follow("followers", "Who follows a member"),
    **_follow("following", "Whom a member follows"),
    "/api/posts/{post_id}": {"get": Op("A post with its comments", answer="PostDetail",
                                       path=(("post_id", write.PostId),), query="AsOfQuery",
                                       errors=_merge(PARAMS, {404: ["post_not_found", *NO_ROUTE]}))},
    "/api/events": {"get": Op("The event log, newest first (oldest first with `after`)",
                              answer="EventsPage", query="EventsQuery", errors=PARAMS)},
    "/api/posts/{post_id}/history": {"get": Op(
        "A post's history, oldest first (word diffs on edits)", answer="HistoryPage",
        query="PostHistoryQuery", path=(("post_id", write.PostId),),
        errors=_merge(PARAMS, {404: ["post_not_found", *NO_ROUTE]}))},
    "/api/users/{handle}/history": {"get": Op(
        "A member's activity, newest first", answer="MemberHistoryPage", query="MemberHistoryQuery",
        path=(("handle", str),), errors=_merge(PARAMS, {404: ["user_not_found", *NO_ROUTE]}))},
    "/api/demo/rebuild": {"post": Op(
        "Demo mode: rebuild the read models live (blue/green), in the background", 202,
        "RebuildStatus", auth=True, demo_only=True,
        errors=_merge(AUTH, {403: ["guest_forbidden"], 404: ["demo_off"],
                                   409: ["rebuild_running"]}))},
    "/api/rebuild": {"get": Op("The last rebuild's progress", answer="RebuildStatus")},
    "/api/system": {"get": Op("The pipeline's live figures (the inspector)", answer="SystemInfo",
                              errors=AUTH, auth=True)},
    "/api/demo": {"post": Op(
        "Set demo controls (demo mode only; every control reverts after 2 minutes)",
        answer="DemoState", body="DemoControls", auth=True, demo_only=True,
        errors=_merge(AUTH, JSON_IN, {400: ["invalid_body", "unknown_field", "out_of_range",
                                            "invalid_field"],
                                      403: ["guest_forbidden"], 404: ["demo_off"],
                                      429: ["too_many_requests"]}))},
    "/api/guest": {"post": Op("Create a guest account and log in (demo mode only)", 201,
                              "GuestResponse", body={"type": "object"}, demo_only=True,
                              errors=_merge(JSON_IN, {404: ["demo_off"],
                                                      429: ["too_many_requests"]}))},
    "/api/posts/{post_id}/comments": {"get": Op(
        "A page of a post's comments, oldest first", answer="CommentPage", query="CommentsQuery",
        path=(("post_id", write.PostId),),
        errors=_merge(PARAMS, {404: ["post_not_found", *NO_ROUTE]}))},
    "/api/openapi.json": {"get": Op("This document")},
    "/api/asyncapi.json": {"get": Op("The Socket.IO events, as an AsyncAPI 3 document")},
}


# Codes every route may answer, from the guards in front of the views (backend/__init__._guard,
# backend/web/login.refuse_invalid_session, the RedisError handler).
EVERY_ROUTE = {400: ["invalid_host"]}  # a Host not in RIPPLE_ALLOWED_HOSTS (when set)
DEAD_COOKIE = {401: ["session_ended"]}  # a cookie naming no live session, except OPEN_WITH_DEAD_COOKIE
REDIS_DOWN = {503: ["service_unavailable"]}  # fail closed when Redis is unreachable
NO_REDIS = {"/api/openapi.json", "/api/asyncapi.json", "/api/logout"}
HEALTHZ_ERRORS = _merge(EVERY_ROUTE, DEAD_COOKIE)


def errors_of(path: str, op: Op) -> dict:
    """An operation's own error codes plus the guards' (the 503 where Redis is read before any
    login check; for a logged-in member the session check comes first)."""
    return _merge(op.errors, EVERY_ROUTE, {} if path in OPEN_WITH_DEAD_COOKIE else DEAD_COOKIE,
                  REDIS_DOWN if not op.auth and path not in NO_REDIS else {})


def error_codes(demo: bool | None = None) -> dict[tuple[str, str, int], list[str]]:
    """(METHOD, path, status) -> the error codes documented for it; `demo` picks the operations
    that exist only in demo mode (True) or the others (False)."""
    out = {(method.upper(), path, status): codes for path, ops in ROUTES.items()
           for method, op in ops.items() if demo is None or op.demo_only == demo
           for status, codes in errors_of(path, op).items()}
    if demo:
        return out
    return out | {("GET", "/healthz", status): codes for status, codes in HEALTHZ_ERRORS.items()}

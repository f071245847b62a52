"""HTTP plumbing shared by the blueprints: JSON errors, strict JSON bodies, origin and login checks."""
import json
from functools import wraps
from urllib.parse import urlsplit

import pydantic
from flask import current_app, jsonify, request, session


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None, headers=None):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.headers = headers or {}


def error_response(status: int, code: str, message: str, field: str | None = None, headers=None):
    resp = jsonify({"error": {"code": code, "message": message, "field": field}})
    resp.status_code = status
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def json_body():
    """The request's JSON body, or ApiError 415/400 naming the problem."""
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type", "Send JSON with Content-Type: application/json.")
    raw = request.get_data(cache=False)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_utf8", "The body is not valid UTF-8.")
    try:
        data = json.loads(text)
    except RecursionError:  # "[[[[…" 60 KB deep: refused, not a 500
        raise ApiError(400, "malformed_json", "The body is nested too deeply.")
    except ValueError as exc:
        raise ApiError(400, "malformed_json", f"The body is not valid JSON: {exc.msg}.")
    try:  # "\ud800" escapes decode to lone surrogates that no database or Redis can store
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, RecursionError):
        raise ApiError(400, "invalid_unicode", "The body contains an unpaired surrogate escape.")
    return data


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def origin_allowed(origin: str | None) -> bool:
    """No Origin (same-origin GET, curl) is fine; otherwise it must be this site or a configured one."""
    if not origin:
        return True
    allowed = {_origin(request.host_url), *current_app.config["RIPPLE"].allowed_origins}
    return origin.lower().rstrip("/") in allowed


def check_origin():
    if request.method not in ("GET", "HEAD", "OPTIONS") and not origin_allowed(
            request.headers.get("Origin")):
        raise ApiError(403, "forbidden_origin", "Cross-site requests are not accepted.")


def services():
    """This app's Services (backend.services), built once by create_app."""
    return current_app.extensions["ripple"]


def read_side():
    """The read-model Redis client, after making sure the read models exist (rebuilt if Redis came
    back empty): one extra round trip."""
    svc = services()
    svc.projector.ensure_read_side()
    return svc.redis


def paged(query, *args) -> dict:
    """A page query (queries.timeline, queries.feed) without read_side's extra round trip: the
    page's own snapshot carries the checkpoint, so version 0 is the only case where the read side
    may be missing."""
    svc = services()
    svc.projector.ensure_store()  # once per process
    page = query(svc.redis, *args)
    if page["version"] == 0 and svc.projector.checkpoint() is None:
        page = query(read_side(), *args)
    return page


def current_user() -> str | None:
    return session.get("handle")


def login_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user():
            raise ApiError(401, "not_logged_in", "Log in first.")
        return view(*args, **kwargs)
    return wrapper


def int_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, "invalid_parameter", f"{name} must be an integer.", name)
    if not low <= value <= high:
        raise ApiError(400, "invalid_parameter", f"{name} must be between {low} and {high}.", name)
    return value


def query_args(model: type[pydantic.BaseModel]) -> pydantic.BaseModel:
    """The request's query parameters validated by `model` (backend/web/schemas.py), or ApiError 400
    invalid_parameter naming the first bad one. An empty value counts as absent."""
    raw = {name: request.args.get(name) for name in model.model_fields}
    try:
        return model.model_validate({k: v for k, v in raw.items() if v not in (None, "")})
    except pydantic.ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        name = str(err["loc"][0])
        if err["type"].startswith("int_"):
            raise ApiError(400, "invalid_parameter", f"{name} must be an integer.", name)
        bounds = {k: getattr(m, k) for m in model.model_fields[name].metadata
                  for k in ("ge", "le") if getattr(m, k, None) is not None}
        raise ApiError(400, "invalid_parameter",
                       f"{name} must be between {bounds['ge']} and {bounds['le']}.", name)

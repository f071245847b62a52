"""Query-string arguments, validated: a bad value is a 400 naming the parameter.

`query_args(Model)` validates with a pydantic model of backend/web/schemas.py (the same model the
OpenAPI document is generated from); `int_arg` remains for bench/sql_app.py.
"""
import pydantic
from flask import request

from backend.web.errors import ApiError


def int_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    if len(raw) > 20:
        raise ApiError(400, "invalid_parameter", f"{name} must be an integer.", name)
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, "invalid_parameter", f"{name} must be an integer.", name)
    if not low <= value <= high:
        raise ApiError(400, "invalid_parameter", f"{name} must be between {low} and {high}.", name)
    return value


def query_args(model: type[pydantic.BaseModel]) -> pydantic.BaseModel:
    """The request's query parameters validated by `model`, or ApiError 400 invalid_parameter naming
    the first bad one. An empty value counts as absent."""
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
        if err["type"] in ("greater_than_equal", "less_than_equal") and len(bounds) == 2:
            raise ApiError(400, "invalid_parameter",
                           f"{name} must be between {bounds['ge']} and {bounds['le']}.", name)
        raise ApiError(400, "invalid_parameter", f"{name}: {err['msg']}.", name)

"""Query-string arguments, validated: a bad value is a 400 naming the parameter."""
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

"""Strict JSON request bodies: whatever the bytes, the answer is the data or a 400/415 ApiError.

Refused: bodies that are not UTF-8, not JSON, nested too deeply, with numbers Python cannot convert
(more than 4,300 digits), NaN/Infinity (not JSON), duplicate keys (ambiguous: which one wins?), and
lone surrogate escapes ("\\ud800": no database or Redis can store them).
"""
import json
import math

from flask import request

from backend.web.errors import ApiError

MAX_DEPTH = 64  # far beyond any real envelope (commands are 3 levels deep)


class _Refused(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def _no_constants(name):
    raise _Refused("malformed_json", f"{name} is not a JSON number.")


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:  # over sys.get_int_max_str_digits() (4,300 digits)
        raise _Refused("malformed_json", "A number in the body is too long.")


def _float(text: str) -> float:
    value = float(text) if len(text) <= 400 else math.inf
    if not math.isfinite(value):  # 1e999999 overflows to infinity: not a number we can store
        raise _Refused("malformed_json", "A number in the body is too long.")
    return value


def _pairs(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise _Refused("duplicate_key", "A key appears twice in one object.")
        obj[key] = value
    return obj


def _depth_ok(text: str) -> bool:
    """Cheap pre-check: brackets outside strings never nest deeper than MAX_DEPTH."""
    depth, in_string, escaped = 0, False, False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return False
        elif ch in "]}":
            depth -= 1
    return True


def parse_json(raw: bytes):
    """The data of a JSON document, or ApiError(400) naming the problem. Pure: no request needed."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_utf8", "The body is not valid UTF-8.")
    if not _depth_ok(text):
        raise ApiError(400, "malformed_json", "The body is nested too deeply.")
    try:
        data = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_no_constants,
                          object_pairs_hook=_pairs)
    except _Refused as exc:
        raise ApiError(400, exc.code, exc.message)
    except RecursionError:
        raise ApiError(400, "malformed_json", "The body is nested too deeply.")
    except ValueError as exc:  # JSONDecodeError and any other conversion failure
        raise ApiError(400, "malformed_json",
                       f"The body is not valid JSON: {getattr(exc, 'msg', 'unreadable')}.")
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, RecursionError, ValueError):
        raise ApiError(400, "invalid_unicode", "The body contains an unpaired surrogate escape.")
    return data


def require_json() -> None:
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type", "Send JSON with Content-Type: application/json.")


def json_body():
    """The request's JSON body, or ApiError 415/400 naming the problem."""
    require_json()
    return parse_json(request.get_data(cache=False))

"""backend.web.bodies.parse_json, pure: every hostile document is an ApiError 400, never another
exception (the HTTP tier is tests/security/test_hostile_json.py)."""
import pytest

from backend.web.bodies import parse_json
from backend.web.errors import ApiError


@pytest.mark.parametrize("raw, code", [
    (b"[" + b"9" * 5000 + b"]", "malformed_json"),
    (b"[1e999999]", "malformed_json"),
    (b"[" * 65 + b"]" * 65, "malformed_json"),
    (b'{"a": 1, "a": 2}', "duplicate_key"),
    (b"[NaN]", "malformed_json"),
    (b"[-Infinity]", "malformed_json"),
    (b'["\\ud800"]', "invalid_unicode"),
    (b"\xff", "invalid_utf8"),
    (b"{", "malformed_json"),
])
def test_hostile_documents_are_400(raw, code):
    with pytest.raises(ApiError) as err:
        parse_json(raw)
    assert (err.value.status, err.value.code) == (400, code)


def test_ordinary_documents_parse():
    assert parse_json(b'{"a": [1, 2.5, "\\u00e9", "[{"], "b": {"c": null}}') == {
        "a": [1, 2.5, "é", "[{"], "b": {"c": None}}
    assert parse_json(b"[" * 64 + b"]" * 64)  # 64 deep is fine

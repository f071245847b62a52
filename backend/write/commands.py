"""Command envelopes and their validation: pure functions, no I/O.

Envelope: {"command_id": "<uuid>", "type": "create_post", "payload": {...}}.
The author never comes from the client: the API adds it from the session.
"""
import re
import uuid
from dataclasses import dataclass

BODY_MAX = 500
HANDLE_RE = re.compile(r"^[a-z0-9_]{3,20}\Z")  # \Z, not $: "$" also matches before a final "\n"
UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_CONTROL_RE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")


class ValidationError(ValueError):
    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.code, self.message, self.field = code, message, field

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "field": self.field}


@dataclass(frozen=True)
class Command:
    command_id: str
    type: str
    payload: dict
    author: str = ""

    def envelope(self) -> dict:
        return {"command_id": self.command_id, "type": self.type, "payload": self.payload,
                "author": self.author}


def clean_body(value, field: str = "payload.body") -> str:
    if not isinstance(value, str):
        raise ValidationError("invalid_body", "The text must be a string.", field)
    text = value.replace("\r\n", "\n").strip()
    if not text:
        raise ValidationError("empty_body", "Write something first.", field)
    if len(text) > BODY_MAX:
        raise ValidationError("body_too_long", f"Keep it to {BODY_MAX} characters ({len(text)} now).",
                              field)
    if _CONTROL_RE.search(text):
        raise ValidationError("invalid_body", "The text contains control characters.", field)
    return text


def clean_handle(value, field: str = "handle") -> str:
    if not isinstance(value, str) or not HANDLE_RE.match(value.lower()):
        raise ValidationError("invalid_handle",
                              "A handle is 3–20 characters: letters, digits and underscore.", field)
    return value.lower()


def clean_post_id(value, field: str = "payload.post_id") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**53:
        raise ValidationError("invalid_post_id", "post_id must be a positive integer.", field)
    return value


def _body_payload(p):
    return {"body": clean_body(p.get("body"))}


def _post_payload(p):
    return {"post_id": clean_post_id(p.get("post_id"))}


def _post_body_payload(p):
    return {"post_id": clean_post_id(p.get("post_id")), "body": clean_body(p.get("body"))}


def _handle_payload(p):
    return {"handle": clean_handle(p.get("handle"), "payload.handle")}


# Command type -> payload validator returning the normalised payload.
PAYLOAD_VALIDATORS = {
    "create_post": _body_payload,
    "edit_post": _post_body_payload,
    "delete_post": _post_payload,
    "create_comment": _post_body_payload,
    "like_post": _post_payload,
    "unlike_post": _post_payload,
    "follow_user": _handle_payload,
    "unfollow_user": _handle_payload,
}


def clean_command_id(value) -> str:
    if isinstance(value, str) and UUID_RE.fullmatch(value):  # uuid.UUID() alone takes "urn:…"
        return str(uuid.UUID(value))
    raise ValidationError("invalid_command_id", "command_id must be a UUID.", "command_id")


def parse_command(data, author: str) -> Command:
    """Validate a decoded JSON body; return a normalised Command or raise ValidationError."""
    if not isinstance(data, dict):
        raise ValidationError("invalid_envelope", "The body must be a JSON object.", None)
    command_id = clean_command_id(data.get("command_id"))
    ctype = data.get("type")
    if not isinstance(ctype, str) or ctype not in PAYLOAD_VALIDATORS:  # a list is unhashable
        raise ValidationError("unknown_type", f"Unknown command type: {str(ctype)[:40]!r}.", "type")
    payload = data.get("payload")
    if not isinstance(payload, dict):
        raise ValidationError("invalid_payload", "payload must be a JSON object.", "payload")
    return Command(command_id, ctype, PAYLOAD_VALIDATORS[ctype](payload), author)

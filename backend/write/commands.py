"""Command envelopes and their validation: pure functions, no I/O.

Envelope: {"command_id": "<uuid>", "type": "create_post", "payload": {...}}.
The author never comes from the client: the API adds it from the session.
What a valid command is, is declared once in backend/write/schemas.py (pydantic); this module runs
those models and turns their errors into the API's {"code", "message", "field"}.
"""
from dataclasses import dataclass

import pydantic

from backend.write.schemas import (BODY, COMMAND, COMMAND_ID, COMMAND_TYPES, FIELD_ERRORS, HANDLE,
                                   HANDLE_RE, PASSWORD, POST_ID)
from backend.write.text import BODY_MAX, TEXT_CODES

__all__ = ["BODY_MAX", "COMMAND_TYPES", "HANDLE_RE", "Command", "ValidationError", "clean_body",
           "clean_command_id", "clean_handle", "clean_password", "clean_post_id", "parse_command"]
_TAG_ERRORS = {"union_tag_invalid", "union_tag_not_found"}


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


def translate(exc: pydantic.ValidationError, field: str | None = None) -> ValidationError:
    """The first of pydantic's errors as ours: a text rule's own code, else the code of the field
    that failed (FIELD_ERRORS). `field` names a bare value, which has no location of its own."""
    err = exc.errors(include_url=False, include_input=False)[0]
    kind, loc = err["type"], [str(part) for part in err["loc"]]
    if loc and loc[0] in COMMAND_TYPES:  # a command's locations start with the union's tag
        loc = loc[1:]
    if kind in _TAG_ERRORS:
        return ValidationError("unknown_type", "Unknown command type.", "type")
    name = ".".join(loc) or field
    if name is None:
        return ValidationError("invalid_envelope", "The body must be a JSON object.", None)
    if kind in TEXT_CODES:
        return ValidationError(kind, err["msg"], name)
    code, message = FIELD_ERRORS.get(name.rsplit(".", 1)[-1], FIELD_ERRORS["payload"])
    return ValidationError(code, message, name)


def _check(adapter, value, field: str):
    try:
        return adapter.validate_python(value)
    except pydantic.ValidationError as exc:
        raise translate(exc, field) from None


def clean_body(value, field: str = "payload.body") -> str:
    return _check(BODY, value, field)


def clean_handle(value, field: str = "handle") -> str:
    return _check(HANDLE, value, field)


def clean_post_id(value, field: str = "payload.post_id") -> int:
    return _check(POST_ID, value, field)


def clean_command_id(value) -> str:
    return _check(COMMAND_ID, value, "command_id")


def clean_password(value) -> str:
    return _check(PASSWORD, value, "password")


def parse_command(data, author: str) -> Command:
    """Validate a decoded JSON body; return a normalised Command or raise ValidationError."""
    try:
        cmd = COMMAND.validate_python(data)
    except pydantic.ValidationError as exc:
        err = translate(exc)
        if err.code == "unknown_type":  # the tag failed first; the command_id is checked before it
            clean_command_id(data.get("command_id"))
            err.message = f"Unknown command type: {str(data.get('type'))[:40]!r}."
        raise err from None
    return Command(cmd.command_id, cmd.type, cmd.payload.model_dump(), author)

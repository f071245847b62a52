"""The command side's input, declared once with pydantic v2: the envelope of every command (a
discriminated union on `type`), their payloads and the sign-up credentials.

These models ARE the validation (backend/write/commands.py runs them and turns their errors into the
API's error codes) and the source of the OpenAPI document (backend/web/openapi.py). Each field's
own error code and message live next to it (FIELD_ERRORS); rules that need their own code raise
PydanticCustomError(code, message). Each command model carries a documented example, and a test
posts every one of them to the real endpoint.
"""
import re
import uuid
from typing import Annotated, Literal, Union

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter
from pydantic_core import PydanticCustomError

from backend.write.text import BODY_MAX, TextError, body_pattern, clean_text

HANDLE_PATTERN = r"^[A-Za-z0-9_]{3,20}$"  # pydantic's regex engine: "$" is the very end (no "\n")
HANDLE_RE = re.compile(r"^[a-z0-9_]{3,20}\Z")  # a stored (lower-cased) handle, for the read side
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
POST_ID_LIMIT = 2**53  # exclusive: JavaScript's Number holds every id below it exactly
PASSWORD_MIN, PASSWORD_MAX = 8, 256

# field name -> (code, message) for any failure of that field that has no code of its own
FIELD_ERRORS = {
    "command_id": ("invalid_command_id", "command_id must be a UUID."),
    "payload": ("invalid_payload", "payload must be a JSON object."),
    "body": ("invalid_body", "The text must be a string."),
    "post_id": ("invalid_post_id", "post_id must be a positive integer."),
    "handle": ("invalid_handle", "A handle is 3–20 characters: letters, digits and underscore."),
    "password": ("invalid_password", f"A password is {PASSWORD_MIN} to {PASSWORD_MAX} characters."),
}


def _text(value: str) -> str:
    try:
        return clean_text(value)
    except TextError as err:
        raise PydanticCustomError(err.code, err.message) from None


def _body_schema(schema: dict) -> None:  # lazily: the pattern costs a scan of Unicode, once
    schema.update(minLength=1, maxLength=BODY_MAX, pattern=body_pattern())


Body = Annotated[str, Field(strict=True, json_schema_extra=_body_schema,
                            description="Post or comment text. Trimmed, CRLF -> LF and NFC-"
                            f"normalised; then 1-{BODY_MAX} characters, at least one visible, no "
                            "control characters, direction controls balanced per line."),
                 AfterValidator(_text)]
Handle = Annotated[str, Field(strict=True, pattern=HANDLE_PATTERN,
                              description="3-20 letters, digits or underscores; case-insensitive "
                              "(stored lower-cased)."),
                   AfterValidator(str.lower)]
def _integral(value):
    """JSON Schema counts 1.0 as an integer, so the server does too (never true, "1" or 1.5)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


PostId = Annotated[int, Field(strict=True, gt=0, lt=POST_ID_LIMIT), BeforeValidator(_integral)]
CommandId = Annotated[str, Field(strict=True, pattern=UUID_PATTERN, json_schema_extra={"format": "uuid"},
                                 description="Chosen by the client; the same id twice is one command."),
                      AfterValidator(lambda v: str(uuid.UUID(v)))]
Password = Annotated[str, Field(strict=True, min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)]


class BodyPayload(BaseModel):
    body: Body


class PostPayload(BaseModel):
    post_id: PostId


class PostBodyPayload(BaseModel):
    post_id: PostId
    body: Body


class HandlePayload(BaseModel):
    handle: Handle


def _example(ctype: str, payload: dict) -> ConfigDict:
    cid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"ripple:example:{ctype}"))
    return ConfigDict(json_schema_extra={"examples": [
        {"command_id": cid, "type": ctype, "payload": payload}]})


class CreatePost(BaseModel):
    model_config = _example("create_post", {"body": "Hello, Ripple!"})
    command_id: CommandId
    type: Literal["create_post"]
    payload: BodyPayload


class EditPost(BaseModel):
    model_config = _example("edit_post", {"post_id": 1, "body": "Hello again."})
    command_id: CommandId
    type: Literal["edit_post"]
    payload: PostBodyPayload


class DeletePost(BaseModel):
    model_config = _example("delete_post", {"post_id": 1})
    command_id: CommandId
    type: Literal["delete_post"]
    payload: PostPayload


class CreateComment(BaseModel):
    model_config = _example("create_comment", {"post_id": 1, "body": "Nice post."})
    command_id: CommandId
    type: Literal["create_comment"]
    payload: PostBodyPayload


class LikePost(BaseModel):
    model_config = _example("like_post", {"post_id": 1})
    command_id: CommandId
    type: Literal["like_post"]
    payload: PostPayload


class UnlikePost(BaseModel):
    model_config = _example("unlike_post", {"post_id": 1})
    command_id: CommandId
    type: Literal["unlike_post"]
    payload: PostPayload


class FollowUser(BaseModel):
    model_config = _example("follow_user", {"handle": "alice"})
    command_id: CommandId
    type: Literal["follow_user"]
    payload: HandlePayload


class UnfollowUser(BaseModel):
    model_config = _example("unfollow_user", {"handle": "alice"})
    command_id: CommandId
    type: Literal["unfollow_user"]
    payload: HandlePayload


COMMAND_MODELS = (CreatePost, EditPost, DeletePost, CreateComment, LikePost, UnlikePost, FollowUser,
                  UnfollowUser)
COMMAND_TYPES = {m.model_fields["type"].annotation.__args__[0]: m for m in COMMAND_MODELS}
CommandRequest = Annotated[Union[COMMAND_MODELS], Field(discriminator="type")]
COMMAND = TypeAdapter(CommandRequest)


class Credentials(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"handle": "alice", "password": "correct horse"}]})
    handle: Handle
    password: Password


HANDLE, PASSWORD, BODY, POST_ID, COMMAND_ID = map(TypeAdapter, (Handle, Password, Body, PostId,
                                                                 CommandId))

"""Envelope and payload validation (backend/write/commands.py): pure functions, no I/O."""
import unicodedata
import uuid

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from backend.write.commands import BODY_MAX, COMMAND_TYPES, ValidationError, clean_body, parse_command
from backend.write.text import bidi_balanced, body_pattern

CID = "0b9e7a52-3c1d-4f7e-9a59-2d0c8e4b6f11"


def env(ctype="create_post", command_id=CID, **payload):
    return {"command_id": command_id, "type": ctype, "payload": payload}


def rejects(data, code, field):
    with pytest.raises(ValidationError) as info:
        parse_command(data, author="alice")
    err = info.value
    assert (err.code, err.field) == (code, field)
    assert err.as_dict() == {"code": code, "message": err.message, "field": field}
    assert err.message
    return err


def test_valid_create_post_is_normalised_and_gets_its_author_from_the_caller():
    data = env(body="  hello\r\nworld  ", extra="dropped") | {"author": "mallory"}
    cmd = parse_command(data, author="alice")
    assert (cmd.command_id, cmd.type, cmd.author) == (CID, "create_post", "alice")
    assert cmd.payload == {"body": "hello\nworld"}
    assert cmd.envelope() == {"command_id": CID, "type": "create_post",
                              "payload": {"body": "hello\nworld"}, "author": "alice"}


@pytest.mark.parametrize("data", [None, [], "x", 5, [env(body="hi")]])
def test_envelope_must_be_an_object(data):
    rejects(data, "invalid_envelope", None)


@pytest.mark.parametrize("command_id", [
    None, 5, "", "not-a-uuid", CID[:-1], CID + "0", CID.replace("-", ""), "x" * 36,
    "urn:0b9e7a523c1d4f7e9a592d0c8e4b6f11",        # 36 characters that uuid.UUID() accepts
    "{0b9e7a523c1d4f7e9a592d0c8e4b6f11}--",         # ditto
    "0b9e7a523c1d-4f7e-9a59-2d0c-8e4b6f11",         # hyphens in the wrong places
    CID + "\n", " " + CID,
])
def test_command_id_must_be_a_uuid(command_id):
    rejects(env(command_id=command_id, body="hi"), "invalid_command_id", "command_id")


def test_command_id_any_uuid_version_and_case_is_accepted_in_canonical_form():
    fresh = str(uuid.uuid4())
    assert parse_command(env(command_id=fresh, body="hi"), "alice").command_id == fresh
    assert parse_command(env(command_id=CID.upper(), body="hi"), "alice").command_id == CID


@pytest.mark.parametrize("ctype", [None, "", "drop_table", "CREATE_POST", 1, ["create_post"]])
def test_unknown_type(ctype):
    rejects(env(ctype=ctype, body="hi"), "unknown_type", "type")


@pytest.mark.parametrize("payload", [None, "hi", ["body"], 3])
def test_payload_must_be_an_object(payload):
    rejects({"command_id": CID, "type": "create_post", "payload": payload}, "invalid_payload",
            "payload")


def test_missing_payload_field():
    rejects(env(), "invalid_body", "payload.body")


@pytest.mark.parametrize("raw, expected", [
    ("x", "x"),
    ("  padded  ", "padded"),
    ("\n\nlines\nkept\n\n", "lines\nkept"),
    ("windows\r\nnewline", "windows\nnewline"),
    ("é" * BODY_MAX, "é" * BODY_MAX),
    ("😀" * BODY_MAX, "😀" * BODY_MAX),              # characters, not bytes
    ("   " + "a" * BODY_MAX + "\n ", "a" * BODY_MAX),  # the limit applies after trimming
    ("<img src=x onerror=alert(1)>", "<img src=x onerror=alert(1)>"),  # text, escaped on output
])
def test_body_trimmed_and_accepted(raw, expected):
    assert parse_command(env(body=raw), "alice").payload == {"body": expected}


@pytest.mark.parametrize("raw, code", [
    ("", "empty_body"), ("   ", "empty_body"), ("\n \n", "empty_body"),
    ("a" * (BODY_MAX + 1), "body_too_long"),
    (None, "invalid_body"), (5, "invalid_body"), (["x"], "invalid_body"), ({"t": 1}, "invalid_body"),
    ("nul\x00byte", "invalid_body"), ("tab\there", "invalid_body"), ("esc\x1b[31m", "invalid_body"),
    ("bell\x07", "invalid_body"), ("del\x7f", "invalid_body"), ("c1\x85x", "invalid_body"),
    ("lone\rcr", "invalid_body"), ("line\u2028sep", "invalid_body"),
])
def test_body_rejected(raw, code):
    err = rejects(env(body=raw), code, "payload.body")
    if code == "body_too_long":
        assert str(BODY_MAX) in err.message


@pytest.mark.parametrize("ctype", ["follow_user", "unfollow_user"])
def test_handles_are_lower_cased(ctype):
    assert parse_command(env(ctype, handle="Bob_99"), "alice").payload == {"handle": "bob_99"}


@pytest.mark.parametrize("handle", [None, 7, "", "ab", "a" * 21, "bob!", "bo b", "bøb", "../x"])
def test_invalid_handles(handle):
    rejects(env("follow_user", handle=handle), "invalid_handle", "payload.handle")


@pytest.mark.parametrize("post_id", [None, 0, -1, "5", 1.5, True, 2**53])
def test_invalid_post_ids(post_id):
    rejects(env("like_post", post_id=post_id), "invalid_post_id", "payload.post_id")


def test_every_command_type_validates_its_payload():
    good = {"create_post": {"body": "b"}, "edit_post": {"post_id": 1, "body": "b"},
            "delete_post": {"post_id": 1}, "create_comment": {"post_id": 1, "body": "b"},
            "like_post": {"post_id": 1}, "unlike_post": {"post_id": 1},
            "follow_user": {"handle": "bob"}, "unfollow_user": {"handle": "bob"}}
    assert set(good) == set(COMMAND_TYPES)
    for ctype, payload in good.items():
        assert parse_command(env(ctype, **payload), "alice").payload == payload
        with pytest.raises(ValidationError):
            parse_command(env(ctype), "alice")


def test_clean_body_names_the_field_it_checks():
    with pytest.raises(ValidationError) as info:
        clean_body("", field="body")
    assert info.value.field == "body"


def test_a_client_cannot_set_the_queues_own_fields():
    """"crashes" (backend/command_queue) is the server's count; a client sending it is ignored, so
    nobody can get a command recorded "not_applied" without it ever running."""
    from worker.jobs import command_of
    cmd = parse_command(env("create_post", body="hi") | {"crashes": 99, "author": "mallory"}, "alice")
    assert cmd.envelope() == {"command_id": CID, "type": "create_post", "payload": {"body": "hi"},
                              "author": "alice"}
    assert command_of(cmd.envelope() | {"crashes": 3}) == cmd


# ---- the schema (backend/write/schemas.py) is the validator and the OpenAPI source ---------------

def test_every_field_of_every_input_model_has_its_error_code():
    from backend.write.schemas import FIELD_ERRORS, Credentials
    from backend.write.schemas import BodyPayload, HandlePayload, PostBodyPayload, PostPayload
    for model in (*COMMAND_TYPES.values(), BodyPayload, PostPayload, PostBodyPayload, HandlePayload,
                  Credentials):
        assert set(model.model_fields) - {"type"} <= set(FIELD_ERRORS), model


def test_every_documented_command_example_parses():
    for ctype, model in COMMAND_TYPES.items():
        [example] = model.model_config["json_schema_extra"]["examples"]
        cmd = parse_command(example, "alice")
        assert (cmd.type, cmd.payload) == (ctype, example["payload"])


def test_a_watch_example_validates():
    from backend.web.schemas import WatchRequest
    for example in WatchRequest.model_config["json_schema_extra"]["examples"]:
        assert WatchRequest.model_validate(example).rooms == example["rooms"]


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=st.from_regex(body_pattern(), fullmatch=True))
def test_every_body_the_documents_pattern_allows_is_accepted(body):
    """The OpenAPI pattern is sound: what it allows (within the length), the server accepts as is
    (modulo trimming). NFC may lengthen a few rare characters, hence the assumption."""
    normal = unicodedata.normalize("NFC", body).strip()
    assume(len(normal) <= BODY_MAX)
    assert clean_body(body) == normal


@pytest.mark.parametrize("text, balanced", [
    ("plain", True), ("\u2067x\u2069", True), ("\u202bx\u2066y\u2069z\u202c", True),
    ("\u202ex", False), ("x\u2069", False), ("\u202ax\ny\u202c", False), ("\u202bx\u2066y\u202c\u2069", False),
    ("\u202ax\u202c\n\u2066y\u2069", True),
])
def test_direction_controls_balance_per_line(text, balanced):
    assert bidi_balanced(text) is balanced


def test_an_integral_float_post_id_is_an_integer_as_json_schema_says():
    """JSON Schema's "integer" includes 1.0; the document says integer, so the server agrees."""
    assert parse_command(env("like_post", post_id=7.0), "alice").payload == {"post_id": 7}

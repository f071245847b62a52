"""The generated documents (backend/web/openapi.py, backend/web/asyncapi.py): pure, no I/O."""
import jsonschema_rs
import pytest

from backend.web import asyncapi, openapi


@pytest.mark.parametrize("doc", [openapi.spec, asyncapi.spec], ids=["openapi", "asyncapi"])
def test_every_schema_is_valid_json_schema_with_regexes_every_engine_reads(doc):
    """jsonschema_rs (Rust's regex engine, as schemathesis uses) refuses e.g. a surrogate range in a
    pattern, and a validator that cannot read a pattern silently stops checking it."""
    for name, schema in doc()["components"]["schemas"].items():
        jsonschema_rs.meta.validate(schema)


def test_every_operation_documents_its_errors_with_the_one_error_body():
    for path, ops in openapi.spec()["paths"].items():
        for method, op in ops.items():
            for status, answer in op["responses"].items():
                if 400 <= int(status) < 500:
                    schema = answer["content"]["application/json"]["schema"]
                    error = schema["properties"]["error"]
                    assert error["required"] == ["code", "message", "field"], (method, path)
                    assert error["properties"]["code"]["enum"], (method, path, status)


def test_the_command_union_is_discriminated_on_type():
    body = openapi.spec()["paths"]["/api/commands"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]
    assert body["discriminator"]["propertyName"] == "type"
    assert len(body["oneOf"]) == len(body["discriminator"]["mapping"]) == 8

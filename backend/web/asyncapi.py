"""The AsyncAPI 3 description of Ripple's Socket.IO traffic, served at GET /api/asyncapi.json.

Generated from the pydantic models of what a tab sends (`watch`, backend/web/schemas.py) and what
the server emits (backend/read/messages.py). One channel: the Socket.IO connection at /socket.io/
(a logged-in session cookie is required to connect); who hears a message is its room routing.
"""
from functools import cache

from flask import Blueprint, jsonify
from pydantic import TypeAdapter

from backend.read.messages import MESSAGES
from backend.web.schemas import SocketError, WatchAck, WatchRequest

bp = Blueprint("asyncapi", __name__)
REF = "#/components/schemas/{model}"
CHANNEL = {"$ref": "#/channels/socket"}


@cache
def spec() -> dict:
    models = {"watch": WatchRequest, "watch_ack": WatchAck, "error": SocketError,
              **{name: model for name, (model, _) in MESSAGES.items()}}
    refs, defs = TypeAdapter.json_schemas(
        [(name, "validation", TypeAdapter(model)) for name, model in models.items()],
        ref_template=REF)
    messages = {name: {"name": name, "payload": refs[(name, "validation")],
                       "summary": models[name].__doc__ or name} for name in models}
    for name, (_, audience) in MESSAGES.items():
        messages[name]["summary"] = f"Heard by: {audience}."
    messages["watch"]["summary"] = ("What this tab shows (up to 5 rooms); it then hears only about "
                                    "those, plus its member's own user room.")
    messages["watch"]["examples"] = [{"payload": ex} for ex in
                                     WatchRequest.model_config["json_schema_extra"]["examples"]]
    messages["watch_ack"]["summary"] = "The acknowledgement (Socket.IO callback) of `watch`."
    messages["error"]["summary"] = "The answer to an invalid message from the tab."
    operations = {"watch": {
        "action": "receive", "channel": CHANNEL,
        "messages": [{"$ref": "#/channels/socket/messages/watch"}],
        "reply": {"channel": CHANNEL, "messages": [{"$ref": "#/channels/socket/messages/watch_ack"}]}}}
    for name in messages:
        if name not in ("watch", "watch_ack"):
            operations[name] = {"action": "send", "channel": CHANNEL,
                                "messages": [{"$ref": f"#/channels/socket/messages/{name}"}]}
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Ripple live updates (Socket.IO)", "version": "1",
                 "description": "Socket.IO 5 (Engine.IO 4) at /socket.io/ on the web origin. A "
                                "logged-in member's connection joins their user room; a logged-out "
                                "viewer's may watch public rooms only. A dead session's cookie or "
                                "too many sockets is refused (connect_error data {code, message}: "
                                "session_ended, too_many_sockets). Each message is one Socket.IO "
                                "event whose single argument is the payload below."},
        "defaultContentType": "application/json",
        "channels": {"socket": {
            "address": "/socket.io/",
            "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in messages}}},
        "operations": operations,
        "components": {"messages": messages, "schemas": defs.get("$defs", {})},
    }


@bp.get("/api/asyncapi.json")
def asyncapi_json():
    return jsonify(spec())

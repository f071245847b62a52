"""The AsyncAPI document (/api/asyncapi.json) keeps its word: every message a real server and worker
emit is documented, and matches its schema."""
import json
import uuid

import jsonschema_rs
import requests
import socketio

from backend.web.asyncapi import spec as asyncapi
from tests.security.conftest import http_user
from tests.support import new_command, wait_for


def test_every_emitted_message_matches_the_asyncapi_document(stack):
    """A real server and worker: one member's tab hears every kind of message while they post,
    comment, like, edit, follow and delete; each message is documented and matches its schema."""
    doc = asyncapi()
    assert requests.get(f"{stack.base}/api/asyncapi.json", timeout=10).json() == \
        json.loads(json.dumps(doc))
    author, other = http_user(stack.base), http_user(stack.base)
    heard = []
    sio = socketio.Client(reconnection=False)
    sio.on("*", lambda event, data=None: heard.append((event, data)))
    sio.connect(stack.base, headers={"Cookie": "; ".join(f"{k}={v}" for k, v in
                                                         author.cookies.items())},
                transports=["websocket"], wait_timeout=10)
    for example in doc["components"]["messages"]["watch"]["examples"]:  # documented: accepted
        assert sio.call("watch", example["payload"], timeout=10) == {"ok": True}
    refused = sio.call("watch", {"rooms": ["nope"]}, timeout=10)  # answered by an `error` event too
    assert _errors(doc, "watch_ack", refused) == [] and refused["ok"] is False
    assert sio.call("watch", {"rooms": ["timeline"]}, timeout=10) == {"ok": True}

    def run(ctype, **payload):
        command = new_command(ctype, **payload)
        assert author.post(f"{stack.base}/api/commands", json=command, timeout=10).status_code == 202
        return wait_for(lambda: [d for e, d in heard if e in ("command_succeeded", "command_failed")
                                 and d["command_id"] == command["command_id"]], timeout=30,
                        what=ctype)[0]

    body = f"spec {uuid.uuid4().hex[:8]}"
    post_id = run("create_post", body=body)["result"]["post"]["id"]
    assert run("create_post", body=body)["error"]["code"] == "duplicate_post"
    for ctype, payload in [("create_comment", {"post_id": post_id, "body": "c"}),
                           ("like_post", {"post_id": post_id}), ("unlike_post", {"post_id": post_id}),
                           ("edit_post", {"post_id": post_id, "body": body + " (edited)"}),
                           ("follow_user", {"handle": other.handle}),
                           ("unfollow_user", {"handle": other.handle}),
                           ("delete_post", {"post_id": post_id})]:
        run(ctype, **payload)
    sio.disconnect()
    documented = doc["channels"]["socket"]["messages"]
    kinds = {event for event, _ in heard}
    assert kinds >= {"error", "post_created", "command_succeeded", "command_failed", "comment_created",
                     "post_liked", "post_unliked", "post_edited", "user_followed",
                     "user_unfollowed", "post_deleted"}, kinds
    for event, data in heard:
        assert event in documented, event
        assert _errors(doc, event, data) == [], (event, data)


def _errors(doc: dict, message: str, data) -> list[str]:
    root = {"$ref": doc["components"]["messages"][message]["payload"]["$ref"],
            "components": doc["components"]}
    return [e.message for e in jsonschema_rs.validator_for(root).iter_errors(data)]

"""Issue 11 item 9, invisible posts: after NFC normalisation a post body or comment must show at least
one visible character (zero-width-only text is refused as `empty_body`), and unbalanced direction
controls (bidi embeddings, overrides, isolates) are rejected as `invalid_body` -- through the real
endpoint, with the worker storing what was accepted."""
import uuid

import pytest

from tests.support import new_command

ZERO_WIDTH_ONLY = {
    "zwsp": "\u200b", "zwsp-zwnj-zwj": "\u200b\u200c\u200d", "bom": "\ufeff",
    "word-joiner": "\u2060\u2060", "hangul-filler": "\u3164", "halfwidth-filler": "\uffa0",
    "braille-blank": "\u2800\u2800", "soft-hyphen": "\u00ad", "padded": " \u200b \u200b\n\u200b ",
    "mongolian-separator": "\u180e", "grapheme-joiner": "\u034f", "variation-selector": "\ufe0f",
    "lrm-rlm": "\u200e\u200f", "tag-space": "\U000e0020\U000e0041", "nbsp-ideographic": "\u00a0\u3000",
    "balanced-isolate-around-nothing": "\u2067\u2069",
}
UNBALANCED = {
    "rlo-trojan-source": "invoice\u202etxt.exe", "lone-rle": "\u202bhello",
    "stray-pdf": "hello\u202c", "unclosed-isolate": "\u2066abc", "stray-pdi": "abc\u2069",
    "spans-lines": "\u202aone\ntwo\u202c", "misnested": "\u202ba \u2066b\u202c c\u2069",
    "override-closed-by-pdi": "\u202ex\u2069",
}
ACCEPTED = {  # raw -> stored
    "rtl-isolate": ("\u2067\u05e9\u05dc\u05d5\u05dd\u2069 world", "\u2067\u05e9\u05dc\u05d5\u05dd\u2069 world"),
    "nested": ("\u202ba \u2066b\u2069 c\u202c", "\u202ba \u2066b\u2069 c\u202c"),
    "zwj-family-emoji": ("\U0001f468\u200d\U0001f469\u200d\U0001f467", "\U0001f468\u200d\U0001f469\u200d\U0001f467"),
    "visible-after-zero-width": ("\u200bhi", "\u200bhi"),
    "rlm-mark": ("abc\u200f", "abc\u200f"),
    "nfc-composes": ("Cafe\u0301", "Caf\u00e9"),
    "nfc-hangul": ("\u1100\u1161", "\uac00"),
}


@pytest.fixture
def member(client):
    assert client.post("/api/signup", json={"handle": "inkwell", "password": "password123"}
                       ).status_code == 201
    return client


def _error(resp):
    assert resp.status_code == 400, (resp.status_code, resp.get_json())
    error = resp.get_json()["error"]
    assert set(error) == {"code", "message", "field"} and error["message"]
    return error["code"], error["field"]


def _first_post(member, run_worker) -> int:
    assert member.post("/api/commands", json=new_command(body="visible")).status_code == 202
    run_worker()
    return member.get("/api/timeline").get_json()["posts"][0]["id"]


@pytest.mark.parametrize("body", ZERO_WIDTH_ONLY.values(), ids=ZERO_WIDTH_ONLY.keys())
def test_a_body_of_invisible_characters_only_is_refused_as_empty(member, services, run_worker, body):
    post_id = _first_post(member, run_worker)
    for command in (new_command(body=body), new_command("create_comment", post_id=post_id, body=body),
                    new_command("edit_post", post_id=post_id, body=body)):
        assert _error(member.post("/api/commands", json=command)) == ("empty_body", "payload.body")
    run_worker()
    assert [p["body"] for p in member.get("/api/timeline").get_json()["posts"]] == ["visible"]
    assert member.get(f"/api/posts/{post_id}").get_json()["post"]["comment_list"] == []


@pytest.mark.parametrize("body", UNBALANCED.values(), ids=UNBALANCED.keys())
def test_unbalanced_direction_controls_are_rejected(member, run_worker, body):
    post_id = _first_post(member, run_worker)
    for command in (new_command(body=body), new_command("create_comment", post_id=post_id, body=body)):
        assert _error(member.post("/api/commands", json=command)) == ("invalid_body", "payload.body")


@pytest.mark.parametrize("raw, stored", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_visible_text_is_kept_nfc_normalised(member, run_worker, raw, stored):
    post_id = _first_post(member, run_worker)
    cid = str(uuid.uuid4())
    assert member.post("/api/commands", json={"command_id": cid, "type": "create_comment",
                                              "payload": {"post_id": post_id, "body": raw}}
                       ).status_code == 202
    assert member.post("/api/commands", json=new_command(body=raw)).status_code == 202
    run_worker()
    assert member.get(f"/api/commands/{cid}").get_json()["status"] == "succeeded"
    assert member.get("/api/timeline").get_json()["posts"][0]["body"] == stored
    assert [c["body"] for c in member.get(f"/api/posts/{post_id}").get_json()["post"]["comment_list"]
            ] == [stored]

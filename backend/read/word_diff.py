"""Word-level diff of two texts (pure): what an edit inserted and deleted, for the history pages.

The result is a list of {"op": "equal" | "insert" | "delete", "text"} pieces whose "equal" and
"delete" texts join to the old text and whose "equal" and "insert" texts join to the new one. It is
data, never markup: the browser renders each piece with textContent.
"""
import re
from difflib import SequenceMatcher

_TOKENS = re.compile(r"\s+|[^\s]+")


def tokens(text: str) -> list[str]:
    return _TOKENS.findall(text)


def word_diff(old: str, new: str) -> list[dict]:
    a, b = tokens(old), tokens(new)
    pieces: list[dict] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            _add(pieces, "equal", "".join(a[i1:i2]))
            continue
        if op in ("delete", "replace"):
            _add(pieces, "delete", "".join(a[i1:i2]))
        if op in ("insert", "replace"):
            _add(pieces, "insert", "".join(b[j1:j2]))
    return pieces


def _add(pieces: list[dict], op: str, text: str) -> None:
    if not text:
        return
    if pieces and pieces[-1]["op"] == op:
        pieces[-1]["text"] += text
    else:
        pieces.append({"op": op, "text": text})


def old_text(pieces: list[dict]) -> str:
    return "".join(p["text"] for p in pieces if p["op"] != "insert")


def new_text(pieces: list[dict]) -> str:
    return "".join(p["text"] for p in pieces if p["op"] != "delete")

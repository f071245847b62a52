"""The rules for user text (post bodies and comments): pure functions, no I/O.

A body is normalised (CRLF -> LF, Unicode NFC, surrounding whitespace trimmed), then it must
- not be empty, and hold at most BODY_MAX characters (counted after normalising);
- hold no control characters (C0 except "\\n", DEL, C1, U+2028/U+2029);
- keep its direction controls balanced: every embedding/override (LRE, RLE, LRO, RLO) closed by a
  PDF and every isolate (LRI, RLI, FSI) closed by a PDI, properly nested, within its line. An
  unbalanced one would spill its direction onto the text around the post ("Trojan Source"), so the
  body is REJECTED (not silently stripped: the author sees why and what to fix);
- contain at least one visible character: a body of spaces, zero-width characters, fillers and the
  like only looks empty, so it is refused as empty.

The same character sets give the JSON-Schema `pattern` of the OpenAPI document (body_pattern), so
the document and the validator cannot drift apart.
"""
import re
import unicodedata
from functools import cache

BODY_MAX = 500
CONTROL = "\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029"
_CONTROL_RE = re.compile(f"[{CONTROL}]")
EMBED_OPEN, PDF = "\u202a\u202b\u202d\u202e", "\u202c"  # LRE RLE LRO RLO, and their closer
ISOLATE_OPEN, PDI = "\u2066\u2067\u2068", "\u2069"      # LRI RLI FSI, and their closer
BIDI_CONTROLS = EMBED_OPEN + PDF + ISOLATE_OPEN + PDI
# Not "invisible" by category, yet drawn as nothing: Hangul fillers, braille blank, the combining
# grapheme joiner, variation selectors, Mongolian free variation selectors, Khmer inherent vowels.
BLANKS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f\u17b4\u17b5\u180b\u180c\u180d\u180f"
                   + "".join(map(chr, range(0xFE00, 0xFE10)))
                   + "".join(map(chr, range(0xE0100, 0xE01F0))))
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Cs"})


TEXT_CODES = frozenset({"empty_body", "body_too_long", "invalid_body"})


class TextError(ValueError):
    """A broken text rule: `code` is the API error code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def is_visible(ch: str) -> bool:
    """Does this character draw something? (Whitespace, format and control characters don't.)"""
    return ch not in BLANKS and unicodedata.category(ch) not in INVISIBLE_CATEGORIES


def bidi_balanced(text: str) -> bool:
    """Every direction control opened is closed, properly nested, on the same line (a paragraph
    separator ends every embedding in the Unicode bidi algorithm, so balance is per line)."""
    for line in text.split("\n"):
        stack = []
        for ch in line:
            if ch in EMBED_OPEN or ch in ISOLATE_OPEN:
                stack.append(PDF if ch in EMBED_OPEN else PDI)
            elif ch in (PDF, PDI):
                if not stack or stack.pop() != ch:
                    return False
        if stack:
            return False
    return True


def clean_text(value: str) -> str:
    """The normalised body, or TextError(code) naming the first rule it breaks."""
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n")).strip()
    if not text:
        raise TextError("empty_body", "Write something first.")
    if len(text) > BODY_MAX:
        raise TextError("body_too_long", f"Keep it to {BODY_MAX} characters ({len(text)} now).")
    if _CONTROL_RE.search(text):
        raise TextError("invalid_body", "The text contains control characters.")
    if not bidi_balanced(text):
        raise TextError("invalid_body", "The text has unbalanced direction controls "
                                        "(U+202A–U+202E, U+2066–U+2069).")
    if not any(map(is_visible, text)):
        raise TextError("empty_body", "Write something first (the text shows nothing).")
    return text


def _escape(cp: int) -> str:
    return f"\\u{cp:04x}" if cp <= 0xFFFF else chr(cp)  # astral: the character itself (portable)


def _ranges(codepoints) -> str:
    """A regex character-class body for a sorted list of code points, as ranges."""
    out, cps = [], list(codepoints)
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        out.append(_escape(cps[i]) + (f"-{_escape(cps[j])}" if j > i else ""))
        i = j + 1
    return "".join(out)


@cache
def body_pattern() -> str:
    """A JSON-Schema pattern for a body already in normal form: no control or direction-control
    characters, at least one visible character. Every string it matches (within BODY_MAX) the
    server accepts; the server also accepts what it normalises into such a string (CRLF, padding)
    and balanced direction controls."""
    # Planes 4-13 are unassigned and 15-16 private use: nothing invisible there (by category).
    # Surrogates are left out: no JSON text can carry one alone (400 invalid_unicode), and Rust's
    # regex engine (jsonschema_rs, the validator schemathesis uses) refuses them in a class.
    scan = (*range(0xD800), *range(0xE000, 0x40000), *range(0xE0000, 0xF0000))
    invisible = [cp for cp in scan if not is_visible(chr(cp))]
    banned = sorted({*range(0x00, 0x0A), *range(0x0B, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029,
                     *map(ord, BIDI_CONTROLS)})
    allowed = f"[^{_ranges(banned)}]"
    return f"^{allowed}*[^{_ranges(sorted(set(invisible) | set(banned)))}]{allowed}*$"

"""What comes in from outside, checked once at the edge: JSON documents (API bodies,
uploaded transcripts) and text (form fields, query strings, files, live payloads).

Nothing odd gets past here to the database or to the code behind it: a character that
a database cannot keep, nesting that would exhaust the stack, a number JSON has no
business carrying. Each is refused with a message a person can act on."""

from __future__ import annotations

import json
from typing import Any

from flask_babel import gettext as _

# Deeper than any document the forum makes (a transcript is six levels deep) and far
# from what would exhaust the stack of anything that walks it.
MAX_DEPTH = 64
# Python itself refuses to read longer integers (sys.get_int_max_str_digits); past
# the int64 range the fields themselves say what is wrong (an id that cannot be).
MAX_DIGITS = 4300


def storable(text: str) -> bool:
    """Text that every database keeps as sent: UTF-8 (JSON can carry a lone surrogate,
    which is not) and no NUL character (PostgreSQL refuses it in text)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def unstorable_message() -> str:
    """What a person is told about text that ``storable`` refuses."""
    return _(
        "This text contains a character that cannot be saved (a NUL character or "
        "an unpaired surrogate). Please remove it and try again."
    )


class BadJson(ValueError):
    """A document refused by ``loads``. ``kind`` is ``syntax``, ``depth``, ``number`` or
    ``text``; for ``text``, ``field`` names the top-level key whose value holds it."""

    def __init__(self, kind: str, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.field = field

    def message(self) -> str:
        """The refusal in the reader's language."""
        if self.kind == "depth":
            return _("The document is nested too deeply (at most %(n)s levels).", n=MAX_DEPTH)
        if self.kind == "number":
            return _("The document has a number that is not finite or is too large.")
        if self.kind == "text":
            return unstorable_message()
        return _("The request could not be understood.")


def _no_constant(name: str) -> Any:
    raise BadJson("number", f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise BadJson("number", f"{text[:20]} is too large")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise BadJson("number", f"an integer of {len(text)} digits is too large")
    return int(text)


def loads(raw: bytes | str, *, text: bool = True) -> Any:
    """Parse a JSON document from outside, or raise BadJson.

    Refused: what is not UTF-8 JSON; nesting deeper than MAX_DEPTH; NaN, Infinity,
    floats that overflow and integers of more than MAX_DIGITS digits; and, with ``text``, any string
    (key or value) that ``storable`` refuses. The one reader for API bodies and for
    uploaded transcripts (the review desk and ``forum verify``)."""
    try:
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8-sig")
        doc = json.loads(
            raw, parse_constant=_no_constant, parse_float=_finite_float, parse_int=_bounded_int
        )
    except BadJson:
        raise
    except RecursionError:
        # The decoder recurses once a level: far past MAX_DEPTH, it stops itself.
        raise BadJson("depth", f"nested more than {MAX_DEPTH} levels deep") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadJson("syntax", str(exc)) from None
    _check(doc, text=text)
    return doc


def _check(doc: Any, *, text: bool) -> None:
    """Walk the document without recursion: its depth and, with ``text``, its strings."""
    stack: list[tuple[Any, int, str | None]] = [(doc, 1, None)]
    while stack:
        value, depth, field = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise BadJson("depth", f"nested more than {MAX_DEPTH} levels deep")
            if isinstance(value, dict):
                for key, item in value.items():
                    if text and not storable(key):
                        raise BadJson("text", "a key has a character that cannot be stored", field)
                    stack.append((item, depth + 1, key if depth == 1 else field))
            else:
                stack.extend((item, depth + 1, field) for item in value)
        elif text and isinstance(value, str) and not storable(value):
            raise BadJson("text", "a string has a character that cannot be stored", field)


def text_ok(values: Any) -> bool:
    """Whether every string among ``values`` (a string, or an iterable of them) is
    storable; what is not a string is left to the field's own validation."""
    if isinstance(values, str):
        return storable(values)
    return all(storable(v) for v in values or () if isinstance(v, str))

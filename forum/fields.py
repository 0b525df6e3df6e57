"""Checks of the fields of a request body (JSON from the API, or a page's form as a
dict), shared by the actions: each puts a refusal, in the reader's language, under
its field's name in ``errors`` and returns None, so one answer names every bad field."""

from __future__ import annotations

from datetime import date
from typing import Any

from babel import Locale
from flask_babel import gettext as _

from .errors import ActionError
from .extensions import Model, db
from .inputs import storable, unstorable_message
from .timeutil import EARLIEST, LATEST


def body(data: object) -> dict[str, Any]:
    """The request body as a dict: none is an empty one; anything else is refused."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ActionError("invalid", _("The request body must be a JSON object."))
    return data


def text(
    data: dict[str, Any],
    name: str,
    limit: int,
    errors: dict[str, str],
    *,
    required: bool = False,
    one_line: bool = False,
) -> str | None:
    """Trimmed text of at most ``limit`` characters; None when empty. ``one_line``
    also folds every run of spaces and line breaks into one space (names, titles).
    A character no database can store (NUL) is refused, never stored half-way."""
    raw = data.get(name)
    if raw is not None and not isinstance(raw, str):
        errors[name] = _("Give this as text.")
        return None
    value = " ".join((raw or "").split()) if one_line else (raw or "").strip()
    if not storable(value):
        errors[name] = unstorable_message()
    elif required and not value:
        errors[name] = _("This field is required.")
    elif len(value) > limit:
        errors[name] = _("At most %(n)s characters.", n=limit)
    return value or None


def day(data: dict[str, Any], name: str, errors: dict[str, str]) -> date | None:
    """A day given as YYYY-MM-DD, within the years the platform can show; None when empty."""
    raw = data.get(name)
    if raw is None or raw == "":
        return None
    try:
        if not isinstance(raw, str) or len(raw) != 10:
            raise ValueError(raw)
        value = date.fromisoformat(raw)
    except ValueError:
        errors[name] = _("Give a date as YYYY-MM-DD.")
        return None
    if not EARLIEST.year <= value.year < LATEST.year:
        errors[name] = _(
            "Give a date between the years %(first)s and %(last)s.",
            first=EARLIEST.year,
            last=LATEST.year - 1,
        )
        return None
    return value


def country(raw: object, name: str, errors: dict[str, str]) -> str | None:
    """A two-letter ISO country code, upper-cased; None when empty."""
    if raw is None or raw == "":
        return None
    code = raw.strip().upper() if isinstance(raw, str) else ""
    if len(code) != 2 or not code.isalpha() or code not in Locale("en").territories:
        errors[name] = _("Give the country as its two-letter code, e.g. JP.")
        return None
    return code


MAX_ID = 2**31 - 1  # the largest row id (a 32-bit integer column)


def row_id(raw: object) -> int | None:
    """A row id from untrusted input (URL, form, JSON), or None if it cannot be one."""
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        return None
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if 1 <= value <= MAX_ID else None


def get_row(model: type[Model], raw: object):
    """The row of ``model`` with the id ``raw`` names, or None."""
    ident = row_id(raw)
    return None if ident is None else db.session.get(model, ident)

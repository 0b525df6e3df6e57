"""Interface language and time zone: which one a request gets, and how to name them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import sqlalchemy as sa
from flask import Response, current_app, g, request, session
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy.orm.attributes import set_committed_value

from . import sql
from .extensions import db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Language:
    code: str  # what ?lang= and the API use
    locale: str  # Babel's locale id, the catalog's folder name
    html_lang: str  # BCP 47, for <html lang> and lang attributes
    native_name: str  # each language names itself in the picker


LANGUAGES: list[Language] = [
    Language("zh-TW", "zh_Hant_TW", "zh-Hant-TW", "繁體中文"),
    Language("en", "en", "en", "English"),
    Language("ja", "ja", "ja", "日本語"),
    Language("ko", "ko", "ko", "한국어"),
]
BY_CODE = {lang.code.lower(): lang for lang in LANGUAGES}
BY_LOCALE = {lang.locale: lang for lang in LANGUAGES}
DEFAULT = LANGUAGES[0]
DEFAULT_TIMEZONE = "Asia/Taipei"


def language_for(value: str | None) -> Language | None:
    """The supported language meant by a code such as ``zh-TW``, ``ja`` or ``zh_Hant_TW``."""
    if not value:
        return None
    key = value.strip().replace("_", "-").lower()
    if key in BY_CODE:
        return BY_CODE[key]
    for lang in LANGUAGES:
        if lang.locale.lower().replace("_", "-") == key or lang.html_lang.lower() == key:
            return lang
    if key.startswith("zh"):
        # Simplified Chinese readers still read Traditional better than English.
        return DEFAULT
    return BY_CODE.get(key.split("-")[0])


def _from_accept_language() -> Language | None:
    for value, _quality in request.accept_languages:
        lang = language_for(value)
        if lang:
            return lang
    return None


def current_language() -> Language:
    """The request's language: ?lang=, the saved choice, Accept-Language, then zh-TW."""
    if "language" in g:
        return g.language
    lang = None
    if request:
        lang = language_for(request.args.get("lang"))
        if lang:
            session["lang"] = lang.code
            if current_user.is_authenticated and current_user.locale != lang.locale:
                _choose(current_user, lang.locale)
        if lang is None and current_user and current_user.is_authenticated:
            lang = BY_LOCALE.get(current_user.locale or "")
        if lang is None:
            lang = language_for(session.get("lang"))
        if lang is None:
            lang = _from_accept_language()
    g.language = lang or DEFAULT
    return g.language


def _choose(user: Any, locale: str) -> None:
    """Remember a signed-in user's new choice: this request reads it at once, and
    ``save_choice`` stores it after the response is made. Reading a page commits
    nothing of the request's own: the user object is not marked changed, so no
    later commit (or rollback) of ``db.session`` carries or loses it."""
    state = sa.inspect(user, raiseerr=False)
    if state is not None:  # an ORM User (a live Person is never asked ?lang=)
        set_committed_value(user, "locale", locale)
    g.chosen_locale = (user.id, locale)


def save_choice(response: Response) -> Response:
    """after_request: store the language chosen with ?lang= (``_choose``), in a
    transaction of its own on a connection of its own, only when it changed.

    Nothing of the request's ``db.session`` is committed for it. If it has only read,
    its transaction is rolled back (giving its connection back, so a request still
    holds at most two). If it has written rows that nobody committed (they go
    at teardown), the choice is not stored this time — it stays in the cookie —
    because writing the same user row beside them would wait for them forever."""
    chosen = g.pop("chosen_locale", None)
    if chosen is None:
        return response
    user_id, locale = chosen
    if sql.session_has_flushed_writes():
        log.warning(
            "language choice of user %s not stored: the request left uncommitted writes", user_id
        )
        return response
    if not sql.session_has_writes():  # else objects wait, unflushed: left alone
        sql.end_read_only_session()
    try:
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "UPDATE users SET locale = :locale WHERE id = :id "
                    "AND (locale IS NULL OR locale <> :locale)"
                ),
                {"locale": locale, "id": user_id},
            )
    except sa.exc.SQLAlchemyError as exc:  # the page is still served; the cookie keeps it
        log.warning("language choice of user %s not stored: %s", user_id, type(exc).__name__)
    return response


def select_locale() -> str:
    """Flask-Babel's locale selector."""
    return current_language().locale


def valid_timezone(name: str | None) -> bool:
    return bool(name) and name in _zones()


def _zones() -> set[str]:
    zones = current_app.extensions.get("forum_zones")
    if zones is None:
        zones = current_app.extensions["forum_zones"] = available_timezones()
    return zones


def select_timezone() -> str:
    """The user's own zone, else their school's, else Taipei."""
    if current_user and current_user.is_authenticated:
        if current_user.timezone:
            return current_user.timezone
        if current_user.school:
            return current_user.school.timezone
    return DEFAULT_TIMEZONE


def user_zone() -> ZoneInfo:
    return ZoneInfo(select_timezone())


def html_lang() -> str:
    """The BCP 47 tag of the page's language."""
    return BY_LOCALE.get(str(get_locale()), DEFAULT).html_lang


def html_lang_of(locale: str | None) -> str:
    """The BCP 47 tag for a stored locale, for user content written in it."""
    return BY_LOCALE.get(locale or "", DEFAULT).html_lang

"""Drafting a case: a teacher of a completed exchange writes its title and summary (in
their language, optionally in the others), picks its SDGs, the sealed sessions it
draws on and excerpts from their records; they may edit it while it is a draft or
after the Alliance sent it back. Every check is here, for the API and the pages."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from .. import fields, i18n
from ..errors import ActionError
from ..extensions import db
from ..models import (
    Case,
    CaseAction,
    CaseDecision,
    CaseExcerpt,
    CaseStatus,
    CaseText,
    Exchange,
    ExchangeStatus,
    ForumSession,
    User,
    utcnow,
)
from ..people import access
from ..sdgs import parse_goals
from . import quotes

MAX_TITLE = 200
MAX_SUMMARY = 4000
MAX_EXCERPTS = 40
EDITABLE = (CaseStatus.DRAFT, CaseStatus.RETURNED)


def require_author(user: User, exchange: Exchange) -> None:
    """A teacher of the exchange (or an admin) speaks for it; no one else."""
    if not access.can_manage_exchange(user, exchange):
        raise ActionError("forbidden", _("Only the teachers of this exchange may do that."))


def exchange_for(user: User, raw: object) -> Exchange:
    """The completed exchange a case is drafted from, for one of its teachers."""
    exchange = fields.get_row(Exchange, raw)
    if exchange is None:
        raise ActionError(
            "invalid",
            _("Please correct the highlighted fields."),
            fields={"exchange_id": _("No such exchange.")},
        )
    require_author(user, exchange)
    if exchange.status != ExchangeStatus.COMPLETED:
        raise ActionError(
            "conflict", _("A case can be drafted only from a completed exchange."), status=409
        )
    return exchange


class _Errors:
    """Refusals by field, and for excerpts the reason code beside the message."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}
        self.reasons: dict[str, str] = {}

    def refuse(self, name: str, message: str, reason: str | None = None) -> None:
        self.fields.setdefault(name, message)
        if reason:
            self.reasons.setdefault(name, reason)

    def raise_any(self) -> None:
        if self.fields:
            extra = {"reasons": self.reasons} if self.reasons else None
            raise ActionError(
                "invalid",
                _("Please correct the highlighted fields."),
                fields=self.fields,
                extra=extra,
            )


def _texts(data: dict[str, Any], errors: _Errors, partial: bool, fallback: str) -> dict:
    """{lang: (title, summary)} from ``title``/``summary`` (in ``lang``) and
    ``translations`` ({"en": {"title", "summary"}, ...})."""
    out: dict[str, tuple[str, str]] = {}
    lang_raw = data.get("lang")
    lang = i18n.language_for(lang_raw) if isinstance(lang_raw, str) else None
    if lang_raw is not None and lang is None:
        errors.refuse("lang", _("Choose one of the four languages."))
    code = lang.code if lang else fallback
    plain: dict[str, str] = {}
    if not partial or "title" in data or "summary" in data:
        title = fields.text(data, "title", MAX_TITLE, plain, required=True, one_line=True)
        summary = fields.text(data, "summary", MAX_SUMMARY, plain, required=True)
        if title and summary:
            out[code] = (title, summary)
    raw = data.get("translations")
    if raw is not None:
        if not isinstance(raw, dict):
            errors.refuse("translations", _("Give translations as an object by language."))
        else:
            for key, value in raw.items():
                other = i18n.language_for(key) if isinstance(key, str) else None
                name = f"translations.{key}"
                if other is None or not isinstance(value, dict):
                    errors.refuse(name, _("Choose one of the four languages."))
                    continue
                if not (value.get("title") or value.get("summary")):
                    continue  # an empty translation is none
                t = fields.text(value, "title", MAX_TITLE, plain, required=True, one_line=True)
                s = fields.text(value, "summary", MAX_SUMMARY, plain, required=True)
                for field in ("title", "summary"):
                    if field in plain:
                        errors.refuse(f"{name}.{field}", plain.pop(field))
                if t and s:
                    out.setdefault(other.code, (t, s))
    for name, message in plain.items():
        errors.refuse(name, message)
    return {"lang": code, "texts": out}


def _sessions(exchange: Exchange, raw: object, errors: _Errors) -> list[ForumSession]:
    """The sealed sessions of this exchange that the case draws on."""
    if not isinstance(raw, list) or not raw:
        errors.refuse("session_ids", _("Choose one or more sealed sessions of this exchange."))
        return []
    mine = {s.id: s for s in exchange.sessions if s.cancelled_at is None}
    chosen: list[ForumSession] = []
    for item in raw:
        ident = fields.row_id(item)
        session = mine.get(ident) if ident is not None else None
        if session is None:
            errors.refuse(
                "session_ids", _("Session %(id)s is not a session of this exchange.", id=item)
            )
        elif not quotes.is_sealed(session):
            errors.refuse("session_ids", _("Session %(id)s is not closed and sealed yet.", id=item))
        elif session not in chosen:
            chosen.append(session)
    return chosen


def _excerpts(raw: object, sessions: list[ForumSession], errors: _Errors) -> list[tuple[int, int]]:
    """(session id, seq) of each excerpt, each checked against its sealed record."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        errors.refuse("excerpts", _("Give excerpts as a list of {session_id, seq}."))
        return []
    if len(raw) > MAX_EXCERPTS:
        errors.refuse("excerpts", _("At most %(n)s excerpts.", n=MAX_EXCERPTS))
        return []
    allowed = {s.id for s in sessions}
    out: list[tuple[int, int]] = []
    for index, item in enumerate(raw):
        name = f"excerpts[{index}]"
        session_id = fields.row_id(item.get("session_id")) if isinstance(item, dict) else None
        seq = fields.row_id(item.get("seq")) if isinstance(item, dict) else None
        if session_id is None or seq is None:
            errors.refuse(name, _("Give each excerpt as {session_id, seq}."))
            continue
        if session_id not in allowed:
            errors.refuse(
                name,
                _("This excerpt's session is not one of the case's sessions."),
                "outside_case",
            )
            continue
        found = quotes.quote(session_id, seq)
        reason = found if isinstance(found, str) else found.refused
        if reason:
            errors.refuse(name, quotes.reason_message(reason), reason)
        elif (session_id, seq) not in out:
            out.append((session_id, seq))
    return out


def _apply(
    user: User, case: Case, data: dict[str, Any], *, partial: bool, action: CaseAction
) -> Case:
    errors = _Errors()
    if partial and ("title" in data) != ("summary" in data):
        # One of the pair given: the other stays as it is in that language.
        lang = i18n.language_for(data.get("lang") if isinstance(data.get("lang"), str) else None)
        code = lang.code if lang else case.lang
        existing = next((t for t in case.texts if t.lang == code), None)
        if existing is not None:
            data = {"title": existing.title, "summary": existing.summary, **data}
    texts = _texts(data, errors, partial, case.lang or i18n.current_language().code)
    sdgs = case.sdgs or list(case.exchange.sdgs)
    if data.get("sdgs") not in (None, [], ""):
        try:
            sdgs = parse_goals(data.get("sdgs"))
        except ValueError:
            errors.refuse("sdgs", _("Choose one or more goals, numbered 1 to 17."))
    sessions = list(case.sessions)
    if not partial or "session_ids" in data:
        sessions = _sessions(case.exchange, data.get("session_ids"), errors)
    excerpts = [(e.session_id, e.seq) for e in case.excerpts]
    if not partial or "excerpts" in data or "session_ids" in data:
        given = (
            data.get("excerpts")
            if "excerpts" in data or not partial
            else [{"session_id": s, "seq": q} for s, q in excerpts]
        )
        excerpts = _excerpts(given, sessions, errors)
    errors.raise_any()
    case.lang = texts["lang"] if (not partial or "lang" in data) else case.lang
    current = {t.lang: t for t in case.texts}
    for code, (title, summary) in texts["texts"].items():
        if code in current:
            current[code].title, current[code].summary = title, summary
        else:
            case.texts.append(CaseText(lang=code, title=title, summary=summary))
    case.sdgs = sdgs
    case.sessions = sessions
    kept = {(e.session_id, e.seq): e for e in case.excerpts}
    case.excerpts = [
        kept.get(key) or CaseExcerpt(session_id=key[0], seq=key[1]) for key in excerpts
    ]
    for position, excerpt in enumerate(case.excerpts):
        excerpt.position = position
    case.updated_at = utcnow()
    case.decisions.append(CaseDecision(by_id=user.id, action=action, at=utcnow()))
    return case


def create(user: User, data: object) -> Case:
    """A teacher of a completed exchange drafts a case → it is a ``draft``."""
    data = fields.body(data)
    exchange = exchange_for(user, data.get("exchange_id"))
    case = Case(
        exchange=exchange,
        status=CaseStatus.DRAFT,
        academic_year=exchange.academic_year,
        lang=i18n.current_language().code,
        sdgs=list(exchange.sdgs),
        created_by_id=user.id,
    )
    _apply(user, case, data, partial=False, action=CaseAction.DRAFT)
    db.session.add(case)
    db.session.commit()
    return case


def edit(user: User, case: Case, data: object) -> Case:
    """Its teacher changes a draft (or a case sent back): any of the fields of
    ``create`` but ``exchange_id``; what is not given stays."""
    data = fields.body(data)
    require_author(user, case.exchange)
    if case.status not in EDITABLE:
        raise ActionError(
            "conflict", _("Only a draft, or a case sent back, can be changed."), status=409
        )
    _apply(user, case, data, partial=True, action=CaseAction.EDIT)
    db.session.commit()
    return case

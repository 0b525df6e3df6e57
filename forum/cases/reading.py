"""Reading cases: who sees which, the gallery and its filters, and a case as the public
reads it — the schools and their cities, never a student's name: each excerpt shows
the student's stable pseudonym (``retention.pseudonym``, "S-…") and school, and only
while their guardian's consent holds; withdrawn later, the excerpt's words are withheld
on every public page, JSON and feed (and the page says so)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _

from .. import clock, i18n, sdgs
from ..errors import ActionError
from ..extensions import db
from ..models import Case, CaseExcerpt, CaseStatus, ForumSession, Role, School, Seal, User
from ..people import retention
from ..timeutil import iso_utc
from . import quotes
from .publish import ALLIANCE, action_label


def may_see(user: User | None, case: Case) -> bool:
    """A published case is public; any other only to the exchange's teachers (and
    admins) and the Alliance."""
    if case.status == CaseStatus.PUBLISHED:
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    from ..people import access

    return user.role in ALLIANCE or access.can_manage_exchange(user, case.exchange)


def get_for(user: User | None, raw: object) -> Case:
    """The case, if this person may see it; not_found otherwise (no existence leak)."""
    from .. import fields

    case = fields.get_row(Case, raw)
    if case is None or not may_see(user, case):
        raise ActionError("not_found", _("This case does not exist or is not published."))
    return case


def text_of(case: Case, lang_code: str | None = None) -> tuple[str, str, str]:
    """(title, summary, language code) in the reader's language, else the language the
    teacher wrote it in, else any."""
    texts = {t.lang: t for t in case.texts}
    for code in (lang_code or i18n.current_language().code, case.lang, *sorted(texts)):
        if code in texts:
            return texts[code].title, texts[code].summary, code
    return "", "", case.lang


def countries(case: Case) -> list[str]:
    """The countries of the schools taking part."""
    return sorted({s.country for s in case.exchange.schools})


@dataclass(frozen=True)
class Filter:
    """The gallery's filters, from ``?sdg=13&year=113&country=JP``."""

    sdg: int | None = None
    year: int | None = None
    country: str | None = None

    @classmethod
    def from_args(cls, args) -> Filter:
        def number(name: str, low: int, high: int) -> int | None:
            raw = args.get(name, "")
            return int(raw) if raw.isdigit() and low <= int(raw) <= high else None

        country = (args.get("country") or "").strip().upper()
        return cls(
            sdg=number("sdg", 1, 17),
            year=number("year", 1, 300),
            country=country if len(country) == 2 and country.isalpha() else None,
        )

    def keeps(self, case: Case) -> bool:
        return (
            (self.sdg is None or self.sdg in case.sdgs)
            and (self.year is None or case.academic_year == self.year)
            and (self.country is None or self.country in countries(case))
        )


def published(f: Filter | None = None) -> list[Case]:
    """The gallery: published cases, newest first, filtered."""
    rows = db.session.scalars(
        sa.select(Case)
        .where(Case.status == CaseStatus.PUBLISHED)
        .order_by(Case.published_at.desc(), Case.id.desc())
    )
    return [c for c in rows if f is None or f.keeps(c)]


def gallery_choices() -> dict[str, list]:
    """The years, goals and countries that published cases have, for the filters."""
    cases = published()
    return {
        "years": sorted({c.academic_year for c in cases}, reverse=True),
        "goals": sorted({g for c in cases for g in c.sdgs}),
        "countries": sorted({k for c in cases for k in countries(c)}),
    }


# --- A case as the public reads it -----------------------------------------------------


@dataclass
class PublicExcerpt:
    excerpt: CaseExcerpt
    session: ForumSession
    kind: str
    text: str | None  # None when withheld
    lang: str
    at: datetime | None
    who: str  # a pseudonym, or the role of a staff member: never a student's name
    school: str
    withheld: bool
    hash: str | None


@dataclass
class PublicSession:
    session: ForumSession
    seal: Seal | None


@dataclass
class PublicCase:
    case: Case
    title: str
    summary: str
    lang: str  # the text's language code
    schools: list[tuple[School, str]]  # each school and its city
    sessions: list[PublicSession]
    excerpts: list[PublicExcerpt] = field(default_factory=list)

    @property
    def html_lang(self) -> str:
        """The BCP 47 tag of the text's language, for its ``lang`` attribute."""
        found = i18n.BY_CODE.get(self.lang.lower())
        return found.html_lang if found else self.lang

    @property
    def withheld(self) -> int:
        return sum(1 for e in self.excerpts if e.withheld)


def school_city(school: School) -> str:
    return school.city or clock.city(school.timezone)


def _who(author: User | None) -> str:
    if author is None:
        return ""
    if author.role == Role.STUDENT:
        return retention.pseudonym(author)
    return _("Teacher")


def public_view(case: Case) -> PublicCase:
    """Everything a case's public page, JSON and feed show, and nothing more."""
    locale = i18n.current_language().locale
    title, summary, lang = text_of(case)
    by_session: dict[int, set[int]] = {}
    for excerpt in case.excerpts:
        by_session.setdefault(excerpt.session_id, set()).add(excerpt.seq)
    found = {sid: quotes.quotes_of(sid, seqs) for sid, seqs in by_session.items()}
    sessions = {s.id: s for s in case.sessions}
    view = PublicCase(
        case=case,
        title=title,
        summary=summary,
        lang=lang,
        schools=[(s, school_city(s)) for s in case.exchange.schools],
        sessions=[PublicSession(s, db.session.get(Seal, s.id)) for s in case.sessions],
    )
    for excerpt in case.excerpts:
        quote = found.get(excerpt.session_id, {}).get(excerpt.seq)
        session = sessions.get(excerpt.session_id) or db.session.get(
            ForumSession, excerpt.session_id
        )
        if session is None:  # excerpts name sessions that exist (a foreign key)
            continue
        withheld = quote is None or quote.refused is not None
        author = quote.author if quote else None
        view.excerpts.append(
            PublicExcerpt(
                excerpt=excerpt,
                session=session,
                kind=quote.kind if quote else "",
                text=None if withheld or quote is None else quote.text,
                lang=quote.lang if quote else "",
                at=quote.at if quote else None,
                who="" if withheld else _who(author),
                school=(author.school.name_in(locale) if author and author.school else "")
                if not withheld
                else "",
                withheld=withheld,
                hash=quote.event.hash if quote else None,
            )
        )
    return view


def public_json(view: PublicCase, *, excerpts: bool = True) -> dict:
    """The JSON the Alliance's website embeds: the same as the page shows."""
    case = view.case
    locale = i18n.current_language().locale
    body: dict = {
        "id": case.id,
        "url": url_for("cases.show", case_id=case.id, _external=True),
        "json_url": url_for("cases.show_json", case_id=case.id, _external=True),
        "title": view.title,
        "summary": view.summary,
        "lang": view.html_lang,
        "academic_year": case.academic_year,
        "sdgs": [
            {"number": n, "name": sdgs.goal(n).name(locale), "colour": sdgs.goal(n).colour}
            for n in case.sdgs
        ],
        "schools": [
            {"name": s.name_in(locale), "city": city, "country": s.country}
            for s, city in view.schools
        ],
        "published_at": iso_utc(case.published_at),
    }
    if not excerpts:
        return body
    from ..room import seal as evidence

    body["key_fingerprint"] = evidence.fingerprint()
    body["public_key_url"] = url_for("records.public_key", _external=True)
    body["sessions"] = [
        {
            "id": s.session.id,
            "title": s.session.title,
            "head_seq": s.seal.head_seq if s.seal else None,
            "head_hash": s.seal.head_hash if s.seal else None,
            "sealed_at": iso_utc(s.seal.sealed_at) if s.seal else None,
            "key_fingerprint": s.seal.key_fingerprint if s.seal else None,
        }
        for s in view.sessions
    ]
    body["excerpts"] = [
        {
            "id": e.excerpt.id,
            "session_id": e.excerpt.session_id,
            "seq": e.excerpt.seq,
            "kind": e.kind,
            "withheld": e.withheld,
            "text": e.text,
            "lang": e.lang if not e.withheld else None,
            "author": e.who or None,
            "school": e.school or None,
            "at": iso_utc(e.at) if e.at and not e.withheld else None,
            "hash": e.hash,
            "proof_url": url_for(
                "cases.proof_json", case_id=case.id, excerpt_id=e.excerpt.id, _external=True
            ),
        }
        for e in view.excerpts
    ]
    return body


# --- A case as its teachers and the Alliance read it (the API) ------------------------


def serialize(case: Case) -> dict:
    """The API's case object."""
    title, summary, lang = text_of(case, case.lang)
    return {
        "id": case.id,
        "exchange_id": case.exchange_id,
        "status": case.status.value,
        "lang": case.lang,
        "title": title,
        "summary": summary,
        "translations": {
            t.lang: {"title": t.title, "summary": t.summary} for t in case.texts if t.lang != lang
        },
        "sdgs": list(case.sdgs),
        "academic_year": case.academic_year,
        "session_ids": [s.id for s in case.sessions],
        "excerpts": [{"id": e.id, "session_id": e.session_id, "seq": e.seq} for e in case.excerpts],
        "comment": case.comment,
        "created_at": iso_utc(case.created_at),
        "updated_at": iso_utc(case.updated_at),
        "published_at": iso_utc(case.published_at),
        "decisions": [
            {
                "action": d.action.value,
                "label": action_label(d.action),
                "by": d.by.display_name if d.by else None,
                "at": iso_utc(d.at),
                "comment": d.comment,
            }
            for d in case.decisions
        ],
    }


def of_exchange(exchange_id: int) -> list[Case]:
    """An exchange's cases, newest first (its page lists them for its teachers)."""
    return list(
        db.session.scalars(
            sa.select(Case).where(Case.exchange_id == exchange_id).order_by(Case.id.desc())
        )
    )

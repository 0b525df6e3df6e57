"""A published case for the public gallery (``seed-demo --with-case``, ``make run``):
last academic year's Japan–Korea exchange, its one session replayed (with a poll and a
flagged message its teacher hid) and sealed, the exchange completed, three students'
publish consent recorded, then the case drafted by the Shizuoka teacher in four
languages, submitted and published by the Alliance's reviewer — every step through the
real actions (``forum.exchanges``, ``people.consent``, ``forum.cases``), so the record
verifies and the case quotes only what ``cases.quotes`` lets it (idempotent, after
``seed``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from .. import cases, exchanges
from ..clock import academic_year_bounds, academic_year_of
from ..extensions import db
from ..models import (
    Case,
    CaseStatus,
    Exchange,
    ExchangeMode,
    ExchangeStatus,
    ForumSession,
    Role,
    SchoolClass,
    User,
    utcnow,
)
from ..people import consent
from . import data
from .extras import demo_classes
from .replay import people_of, replay

SCHOOL_KEYS = {"shizuoka-aoi": "jp", "seoul-hanbit": "kr", "taipei-daan": "tw"}


def _session_start() -> datetime:
    """Mid-January of last academic year, 06:00 UTC (afternoon in Shizuoka and Seoul)."""
    first_day, _ = academic_year_bounds(academic_year_of(utcnow()) - 1)
    day = first_day + timedelta(days=170)
    return data.at_school_hour(day)


def _exchange(classes: dict[str, SchoolClass], author: User, start: datetime) -> Exchange:
    """Last year's exchange, agreed on by both classes and approved (as ``seed``'s)."""
    e = data.CASE_EXCHANGE
    exchange = db.session.scalar(sa.select(Exchange).where(Exchange.title == e["title"]))
    if exchange is None:
        exchange = Exchange(
            title=e["title"],
            sdgs=e["sdgs"],
            mode=ExchangeMode.ONLINE,
            academic_year=academic_year_of(start),
            starts_on=(start - timedelta(days=30)).date(),
            ends_on=(start + timedelta(days=60)).date(),
            created_by_id=author.id,
            classes=[classes[s] for s in e["classes"]],
        )
        db.session.add(exchange)
        db.session.flush()
        exchanges.approve_outright(exchange)
        db.session.commit()
    return exchange


def _roster(cls: SchoolClass, school: str) -> list[User]:
    """The class's students in ``data.CLASSES``'s order ("jp0" is its first name)."""
    by_name = {st.display_name: st for st in cls.students}
    names = next(c["students"] for c in data.CLASSES if c["school"] == school)
    return [by_name[name] for name in names]


def _session(exchange: Exchange, classes: dict[str, SchoolClass], start: datetime) -> ForumSession:
    teachers = {SCHOOL_KEYS[s]: classes[s].teachers[0] for s in data.CASE_EXCHANGE["classes"]}
    students = {SCHOOL_KEYS[s]: _roster(classes[s], s) for s in data.CASE_EXCHANGE["classes"]}
    s = data.CASE_SESSION
    length = timedelta(minutes=s["length"])
    script, people = data.CASE_SCRIPT, people_of(teachers, students)
    return replay(exchange, s["title"], s["sdgs"], start, length, script, people)


def _record_consent(classes: dict[str, SchoolClass]) -> None:
    """The guardians' yes of ``data.CASE_CONSENT``, recorded by each class's teacher."""
    for school, name in data.CASE_CONSENT:
        cls = classes[school]
        student = next(st for st in cls.students if st.display_name == name)
        consent.change(cls.teachers[0], student, True)


def _excerpts(session: ForumSession) -> list[dict[str, int]]:
    """The students' words the record lets a case quote: never a hidden message, never
    a student without consent (``cases.quotes``)."""
    return [
        {"session_id": session.id, "seq": seq}
        for seq, quote in cases.quotes_of(session.id).items()
        if quote.refused is None and quote.author is not None and quote.author.role == Role.STUDENT
    ]


def _draft(author: User, exchange: Exchange, session: ForumSession) -> Case:
    texts = {t["lang"]: t for t in data.CASE_TEXTS}
    own = texts.pop(data.CASE_LANG)
    return cases.create(
        author,
        {
            "exchange_id": exchange.id,
            "lang": data.CASE_LANG,
            "title": own["title"],
            "summary": own["summary"],
            "translations": {
                lang: {"title": t["title"], "summary": t["summary"]} for lang, t in texts.items()
            },
            "sdgs": data.CASE_EXCHANGE["sdgs"],
            "session_ids": [session.id],
            "excerpts": _excerpts(session),
        },
    )


def seed_case() -> dict[str, Any]:
    """Add the demo's published case and what it is drawn from (idempotent); its id,
    status, exchange and session."""
    e = data.CASE_EXCHANGE
    reviewer, author = (
        db.session.scalars(sa.select(User).where(User.username == name)).one()
        for name in ("chen.reviewer", e["author"])
    )
    classes = demo_classes()
    start = _session_start()
    exchange = _exchange(classes, author, start)
    session = _session(exchange, classes, start)
    if exchange.status == ExchangeStatus.APPROVED:
        exchanges.complete(author, exchange, {"summary": e["summary"]})
    case = db.session.scalar(
        sa.select(Case).where(Case.exchange_id == exchange.id).order_by(Case.id)
    )
    if case is None:
        _record_consent(classes)
        case = _draft(author, exchange, session)
    # A case already there is left as people made it (sent back, consent withdrawn…);
    # only a run cut short is carried on.
    if case.status == CaseStatus.DRAFT:
        cases.submit(author, case)
    if case.status == CaseStatus.SUBMITTED:
        cases.publish(reviewer, case)
    return {
        "id": case.id,
        "status": case.status.value,
        "exchange_id": exchange.id,
        "session_id": session.id,
    }

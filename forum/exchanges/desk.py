"""The Alliance's desk: a year's applications, filtered; the classes an application
could be paired with; whom an application waits for."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ..extensions import db
from ..models import (
    AllianceDecision,
    Exchange,
    ExchangeKind,
    ExchangeMode,
    ExchangeStatus,
    School,
    SchoolClass,
    exchange_classes,
)
from .reading import acceptances

# --- The Alliance's desk: applications by year, filtered -----------------------------


@dataclass(frozen=True)
class ApplicationFilter:
    """What the Alliance's desk narrows a year's applications to; None means any."""

    year: int | None = None
    status: ExchangeStatus | None = None
    mode: ExchangeMode | None = None
    country: str | None = None  # a school taking part, or where a partner is wanted
    region: str | None = None  # a school taking part
    sdg: int | None = None


def application_years() -> list[int]:
    """The academic years that have applications, latest first."""
    return list(
        db.session.scalars(
            sa.select(Exchange.academic_year)
            .where(Exchange.kind == ExchangeKind.EXCHANGE.value)
            .distinct()
            .order_by(Exchange.academic_year.desc())
        )
    )


def applications(f: ApplicationFilter) -> list[Exchange]:
    """The applications the filter keeps, newest first (for reviewers and admins)."""
    # Showcases are the Alliance's own, never applications (``forum.exchanges.showcases``).
    query = (
        sa.select(Exchange)
        .where(Exchange.kind == ExchangeKind.EXCHANGE.value)
        .order_by(Exchange.created_at.desc(), Exchange.id.desc())
    )
    if f.year is not None:
        query = query.where(Exchange.academic_year == f.year)
    if f.status is not None:
        query = query.where(Exchange.status == f.status)
    if f.mode is not None:
        query = query.where(Exchange.mode == f.mode)
    if f.country is not None or f.region is not None:
        schools = (
            sa.select(exchange_classes.c.exchange_id)
            .join(SchoolClass, SchoolClass.id == exchange_classes.c.class_id)
            .join(School, School.id == SchoolClass.school_id)
        )
        if f.country is not None:
            query = query.where(
                sa.or_(
                    Exchange.partner_country == f.country,
                    Exchange.id.in_(schools.where(School.country == f.country)),
                )
            )
        if f.region is not None:
            query = query.where(Exchange.id.in_(schools.where(School.region == f.region)))
    rows = list(db.session.scalars(query))
    # Goals are a JSON list: filtered here, the same on every database.
    return [e for e in rows if f.sdg is None or f.sdg in (e.sdgs or [])]


def pairing_candidates(exchange: Exchange) -> list[SchoolClass]:
    """Classes the Alliance could pair an application with: of schools not yet in it,
    in the country where a partner is wanted when the teacher named one."""
    taken = {c.school_id for c in exchange.classes}
    query = (
        sa.select(SchoolClass)
        .join(School, School.id == SchoolClass.school_id)
        .order_by(School.country, School.slug, SchoolClass.name)
    )
    if exchange.partner_country:
        query = query.where(School.country == exchange.partner_country)
    return [c for c in db.session.scalars(query) if c.school_id not in taken]


def waiting_on(exchange: Exchange) -> str | None:
    """Who a proposed application waits for: ``"pairing"`` (the Alliance to find a
    partner class), ``"partners"`` (a partner class's answer), ``"teacher"`` (returned
    to its teacher) or ``"alliance"`` (the Alliance's decision); None once decided."""
    if exchange.status != ExchangeStatus.PROPOSED:
        return None
    if exchange.alliance == AllianceDecision.RETURNED:
        return "teacher"
    answers = acceptances(exchange)
    if len(answers) < 2:
        return "pairing"
    if not all(a is True for a in answers.values()):
        return "partners"
    return "alliance"

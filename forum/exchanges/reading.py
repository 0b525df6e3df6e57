"""Reading exchanges: who may see which, their protocol shape, each class's answer,
and the names of their states."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from babel import Locale
from flask_babel import get_locale
from flask_babel import gettext as _

from ..errors import ActionError
from ..extensions import db
from ..models import (
    Exchange,
    ExchangeKind,
    ExchangeStatus,
    Role,
    SchoolClass,
    User,
    exchange_classes,
)
from ..people import access
from ..timeutil import iso_utc

MAX_TITLE = 200
MAX_TEXT = 4000  # goals, summary
MAX_COMMENT = 2000
ALLIANCE_ROLES = (Role.REVIEWER, Role.ADMIN)


# --- Reading -------------------------------------------------------------------------


def partner_classes(user: User) -> list[SchoolClass]:
    """Classes of other schools that the user's classes could pair with."""
    query = sa.select(SchoolClass).order_by(SchoolClass.school_id, SchoolClass.name)
    if user.role != Role.ADMIN:
        query = query.where(SchoolClass.school_id != user.school_id)
    return list(db.session.scalars(query))


def acceptances(exchange: Exchange) -> dict[int, bool | None]:
    """Each class's answer: True (accepted), False (declined), None (not yet)."""
    rows = db.session.execute(
        sa.select(exchange_classes.c.class_id, exchange_classes.c.accepted).where(
            exchange_classes.c.exchange_id == exchange.id
        )
    )
    return {class_id: accepted for class_id, accepted in rows}


def _set_accepted(exchange: Exchange, class_ids: list[int], accepted: bool) -> None:
    db.session.execute(
        sa.update(exchange_classes)
        .where(
            exchange_classes.c.exchange_id == exchange.id,
            exchange_classes.c.class_id.in_(class_ids),
        )
        .values(accepted=accepted)
    )


def visible(user: User) -> sa.Select:
    """The exchanges the user may see: every one for the Alliance; a teacher's own
    applications and those naming one of their classes; for a student, the approved
    (or completed) exchanges of their classes."""
    # Showcases have their own pages and API (``forum.exchanges.showcases``).
    query = (
        sa.select(Exchange)
        .where(Exchange.kind == ExchangeKind.EXCHANGE.value)
        .order_by(Exchange.id)
    )
    ids = access.visible_exchange_ids(user)
    if ids is None:
        return query
    if user.role == Role.TEACHER:
        return query.where(sa.or_(Exchange.id.in_(ids), Exchange.created_by_id == user.id))
    return query.where(Exchange.id.in_(ids))


def can_see(user: User, exchange: Exchange) -> bool:
    """May the user see the exchange (never a showcase: ``forum.exchanges.showcases``)?"""
    return exchange.kind == ExchangeKind.EXCHANGE.value and (
        user.role in ALLIANCE_ROLES
        or access.is_member(user, exchange)
        or (user.role == Role.TEACHER and exchange.created_by_id == user.id)
    )


def get_for(user: User, exchange_id: object) -> Exchange:
    """The exchange if the user may see it; not_found otherwise (no existence leak)."""
    exchange = access.get_row(Exchange, exchange_id)
    if exchange is None or not can_see(user, exchange):
        raise ActionError("not_found", _("This exchange does not exist or is not yours to see."))
    return exchange


def serialize(exchange: Exchange, user: User) -> dict[str, Any]:
    """The protocol's exchange object (plus partner_country, summary and, for staff,
    every decision)."""
    locale = str(get_locale() or "en")
    answers = acceptances(exchange)
    staff = user.role != Role.STUDENT
    body: dict[str, Any] = {
        "id": exchange.id,
        "title": exchange.title,
        "sdgs": list(exchange.sdgs),
        "mode": exchange.mode.value,
        "status": exchange.status.value,
        "academic_year": exchange.academic_year,
        "starts_on": exchange.starts_on.isoformat() if exchange.starts_on else None,
        "ends_on": exchange.ends_on.isoformat() if exchange.ends_on else None,
        "goals": exchange.goals,
        "classes": [
            {
                "id": c.id,
                "name": c.name,
                "school": {
                    "slug": c.school.slug,
                    "name": c.school.name_in(locale),
                    "country": c.school.country,
                    "region": c.school.region,
                },
                "accepted": answers.get(c.id),
            }
            for c in exchange.classes
        ],
        "alliance": exchange.alliance.value,
        "comment": exchange.comment if staff else None,
        "partner_country": exchange.partner_country,
        "summary": exchange.summary,
    }
    if staff:
        body["decisions"] = [
            {
                "action": d.action.value,
                "by": d.by.display_name if d.by else None,
                "class_id": d.class_id,
                "comment": d.comment,
                "at": iso_utc(d.at),
            }
            for d in exchange.decisions
        ]
    return body


def countries() -> list[tuple[str, str]]:
    """(code, name) of every country, named and sorted in the reader's language: where
    a teacher may ask the Alliance to find a partner class."""
    names = Locale.parse(str(get_locale() or "en")).territories
    return sorted(
        ((code, name) for code, name in names.items() if len(code) == 2 and code.isalpha()),
        key=lambda item: item[1],
    )


def status_label(status: ExchangeStatus) -> str:
    return {
        ExchangeStatus.PROPOSED: _("proposed"),
        ExchangeStatus.APPROVED: _("approved"),
        ExchangeStatus.DECLINED: _("declined"),
        ExchangeStatus.WITHDRAWN: _("withdrawn"),
        ExchangeStatus.COMPLETED: _("completed"),
    }[status]

"""Exchanges: pairing classes of different schools around some SDGs."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from . import access
from .clock import academic_year_of
from .errors import ActionError, ValidationError
from .extensions import db
from .models import Exchange, ExchangeMode, Role, SchoolClass, User, utcnow
from .sdgs import parse_goals


def partner_classes(user: User) -> list[SchoolClass]:
    """Classes of other schools that the user's classes could pair with."""
    query = sa.select(SchoolClass).order_by(SchoolClass.school_id, SchoolClass.name)
    if user.role != Role.ADMIN:
        query = query.where(SchoolClass.school_id != user.school_id)
    return list(db.session.scalars(query))


def create(user: User, data: dict[str, Any]) -> Exchange:
    """Pair one of the user's classes with classes of other schools."""
    if user.role not in (Role.TEACHER, Role.ADMIN):
        raise ActionError("forbidden", _("Only teachers can set up exchanges."))
    errors: dict[str, str] = {}
    title = " ".join(str(data.get("title") or "").split())
    if not title:
        errors["title"] = _("A title is required.")
    elif len(title) > 200:
        errors["title"] = _("At most %(n)s characters.", n=200)
    try:
        sdgs = parse_goals(data.get("sdgs"))
    except ValueError:
        errors["sdgs"] = _("Choose one or more goals, numbered 1 to 17.")
    try:
        mode = ExchangeMode(str(data.get("mode") or ExchangeMode.ONLINE.value))
    except ValueError:
        errors["mode"] = _("Choose online or in person.")

    own = access.get_row(SchoolClass, data.get("class_id"))
    if own is None or not access.can_teach(user, own):
        errors["class_id"] = _("Choose one of your classes.")
    raw_partners = data.get("partner_class_ids")
    if not isinstance(raw_partners, list | tuple):
        raw_partners = [raw_partners] if raw_partners else []
    partners: list[SchoolClass] = []
    for raw in raw_partners:
        found = access.get_row(SchoolClass, raw)
        if found is None:
            errors["partner_class_ids"] = _("There is no such class.")
            break
        partners.append(found)
    if not partners and "partner_class_ids" not in errors:
        errors["partner_class_ids"] = _("Choose a partner class.")
    if own is not None and partners:
        schools = {own.school_id} | {p.school_id for p in partners}
        if len(schools) != len(partners) + 1:
            errors["partner_class_ids"] = _("Each class must be from a different school.")
    if errors:
        raise ValidationError(errors)
    exchange = Exchange(
        title=title,
        sdgs=sdgs,
        mode=mode,
        academic_year=academic_year_of(utcnow()),
        created_by_id=user.id,
        classes=[own, *partners],
    )
    db.session.add(exchange)
    db.session.commit()
    return exchange

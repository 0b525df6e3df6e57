"""MOUs: the Alliance's memoranda of understanding with partner authorities abroad (a
prefecture's board of education, say), planned or signed, per academic year.

Admins record, edit and delete them; reviewers and admins read them; the academic-year
report counts them (``evidence.report``). The pages, the API and the CLI act through here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import fields
from ..clock import academic_year_of
from ..errors import ActionError, ValidationError
from ..extensions import db
from ..models import Mou, MouStatus, Role, User
from ..people import access

MAX_REGION = 100
MAX_AUTHORITY = 200
FIELDS = ("region", "country", "authority", "status", "signed_on", "academic_year")


def require_admin(user: User) -> None:
    """Only admins record the Alliance's MOUs and training events."""
    if user.role != Role.ADMIN:
        raise ActionError("forbidden", _("Only admins may record MOUs and training events."))


def require_reader(user: User) -> None:
    """Reviewers and admins read them."""
    if user.role not in (Role.REVIEWER, Role.ADMIN):
        raise ActionError("forbidden", _("Only the Alliance's reviewers and admins may see this."))


def status_label(status: MouStatus) -> str:
    return {MouStatus.PLANNED: _("Planned"), MouStatus.SIGNED: _("Signed")}[status]


def academic_year(raw: object, name: str, errors: dict[str, str]) -> int | None:
    """An ROC academic year such as 113, from a number or its digits; None when empty."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 300:
        errors[name] = _("Give the academic year in the ROC calendar, e.g. 113.")
        return None
    return raw


def _values(data: dict[str, Any], current: Mou | None) -> dict[str, Any]:
    """The MOU's fields from ``data`` (over ``current``'s, when editing), checked
    together; a ValidationError naming every bad field."""
    merged = {name: getattr(current, name) for name in FIELDS} if current else {}
    for name in FIELDS:
        if name in data:
            merged[name] = data[name]
    if isinstance(merged.get("status"), MouStatus):
        merged["status"] = merged["status"].value
    if isinstance(merged.get("signed_on"), date):
        merged["signed_on"] = merged["signed_on"].isoformat()
    errors: dict[str, str] = {}
    region = fields.text(merged, "region", MAX_REGION, errors, required=True)
    authority = fields.text(merged, "authority", MAX_AUTHORITY, errors, required=True)
    country = fields.country(merged.get("country"), "country", errors)
    if country is None and "country" not in errors:  # required
        errors["country"] = _("Give the country as its two-letter code, e.g. JP.")
    status = None
    try:
        status = MouStatus(merged.get("status", ""))
    except (ValueError, TypeError):
        errors["status"] = _("Choose planned or signed.")
    signed_on = fields.day(merged, "signed_on", errors)
    year = academic_year(merged.get("academic_year"), "academic_year", errors)
    if status == MouStatus.SIGNED and signed_on is None and "signed_on" not in errors:
        errors["signed_on"] = _("A signed MOU needs the day it was signed.")
    if status == MouStatus.PLANNED and signed_on is not None:
        errors["signed_on"] = _("A planned MOU has no signed date yet.")
    if year is None and "academic_year" not in errors:
        if signed_on is not None:
            year = academic_year_of(signed_on)
        elif status != MouStatus.SIGNED:  # a signed one was told to give its date
            errors["academic_year"] = _("Give the academic year it is planned for, e.g. 114.")
    elif year is not None and signed_on is not None and academic_year_of(signed_on) != year:
        errors["academic_year"] = _(
            "The signed date falls in academic year %(year)s.", year=academic_year_of(signed_on)
        )
    if errors:
        raise ValidationError(errors)
    return {
        "region": region,
        "country": country,
        "authority": authority,
        "status": status,
        "signed_on": signed_on,
        "academic_year": year,
    }


def record(user: User, data: dict[str, Any]) -> Mou:
    """An admin records an MOU: region, country, partner authority, planned or signed,
    the day it was signed, the academic year (from the signed date when not given)."""
    require_admin(user)
    mou = Mou(**_values(fields.body(data), None), created_by_id=user.id)
    db.session.add(mou)
    db.session.commit()
    return mou


def update(user: User, mou: Mou, data: dict[str, Any]) -> Mou:
    """An admin changes an MOU (a planned one signed, say); fields not given stay."""
    require_admin(user)
    values = _values(fields.body(data), mou)
    for name, value in values.items():
        setattr(mou, name, value)
    db.session.commit()
    return mou


def delete(user: User, mou: Mou) -> None:
    """An admin deletes an MOU recorded by mistake."""
    require_admin(user)
    db.session.delete(mou)
    db.session.commit()


def get(user: User, mou_id: object) -> Mou:
    """The MOU, for a reviewer or admin; not_found when there is none."""
    require_reader(user)
    mou = access.get_row(Mou, mou_id)
    if mou is None:
        raise ActionError("not_found", _("There is no such MOU."))
    return mou


def listed(year: int | None = None) -> list[Mou]:
    """MOUs, newest academic year first, signed before planned, by region."""
    query = sa.select(Mou).order_by(Mou.academic_year.desc(), Mou.status.desc(), Mou.region, Mou.id)
    if year is not None:
        query = query.where(Mou.academic_year == year)
    return list(db.session.scalars(query))


def of_year(year: int) -> list[Mou]:
    """The MOUs an academic year's report lists: those of the year, and the ones still
    planned for a later year (the Alliance's plans as that year saw them)."""
    query = (
        sa.select(Mou)
        .where(
            sa.or_(
                Mou.academic_year == year,
                sa.and_(Mou.status == MouStatus.PLANNED, Mou.academic_year > year),
            )
        )
        .order_by(Mou.status.desc(), Mou.signed_on, Mou.academic_year, Mou.region, Mou.id)
    )
    return list(db.session.scalars(query))


def serialize(mou: Mou) -> dict[str, Any]:
    """An MOU as the API gives it."""
    return {
        "id": mou.id,
        "region": mou.region,
        "country": mou.country,
        "authority": mou.authority,
        "status": mou.status.value,
        "signed_on": mou.signed_on.isoformat() if mou.signed_on else None,
        "academic_year": mou.academic_year,
    }

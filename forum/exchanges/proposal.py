"""Applying: a teacher proposes an exchange of one of their classes (its own fields
checked here, shared with a resubmission)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _

from .. import fields
from ..clock import academic_year_of
from ..errors import ActionError, ValidationError
from ..extensions import db
from ..models import (
    AllianceDecision,
    DecisionAction,
    Exchange,
    ExchangeDecision,
    ExchangeMode,
    ExchangeStatus,
    Role,
    SchoolClass,
    User,
    utcnow,
)
from ..people import access
from ..sdgs import parse_goals
from .reading import MAX_TEXT, MAX_TITLE, _set_accepted, status_label

# --- Input ---------------------------------------------------------------------------


def _classes(raw: object, errors: dict[str, str]) -> list[SchoolClass]:
    """The classes a list of ids names; each id must name one."""
    if raw is None or raw == "" or raw == []:
        return []
    if not isinstance(raw, list | tuple):
        raw = [raw]
    found: list[SchoolClass] = []
    for item in raw:
        row = access.get_row(SchoolClass, item)
        if row is None:
            errors["partner_class_ids"] = _("There is no such class.")
            return []
        if row not in found:
            found.append(row)
    return found


def _one_per_school(classes: list[SchoolClass]) -> bool:
    return len({c.school_id for c in classes}) == len(classes)


def _decide(
    exchange: Exchange,
    user: User,
    action: DecisionAction,
    *,
    class_id: int | None = None,
    comment: str | None = None,
) -> None:
    db.session.add(
        ExchangeDecision(
            exchange=exchange,
            by_id=user.id,
            action=action,
            class_id=class_id,
            comment=comment,
            at=utcnow(),
        )
    )


def _require_state(exchange: Exchange, *states: ExchangeStatus) -> None:
    if exchange.status not in states:
        raise ActionError(
            "conflict",
            _(
                "This exchange is %(status)s: that cannot be done now.",
                status=status_label(exchange.status),
            ),
        )


# --- Actions -------------------------------------------------------------------------


def _details(
    data: dict[str, Any], errors: dict[str, str], *, only_given: bool = False
) -> dict[str, Any]:
    """An application's own fields (title, SDGs, mode, planned dates, goals), checked;
    a refusal goes into ``errors`` by field. With ``only_given``, just the fields the
    data names (a resubmission changes what it names and keeps the rest)."""
    details: dict[str, Any] = {}
    given = (lambda name: name in data) if only_given else (lambda name: True)
    if given("title"):
        title = data.get("title")
        title = " ".join(title.split()) if isinstance(title, str) else ""
        if not title:
            errors["title"] = _("A title is required.")
        elif len(title) > MAX_TITLE:
            errors["title"] = _("At most %(n)s characters.", n=MAX_TITLE)
        details["title"] = title
    if given("sdgs"):
        try:
            details["sdgs"] = parse_goals(data.get("sdgs"))
        except ValueError:
            errors["sdgs"] = _("Choose one or more goals, numbered 1 to 17.")
    if given("mode"):
        try:
            details["mode"] = ExchangeMode(data.get("mode") or ExchangeMode.ONLINE.value)
        except (ValueError, TypeError):
            errors["mode"] = _("Choose online or in person.")
    for name in ("starts_on", "ends_on"):
        if given(name):
            details[name] = fields.day(data, name, errors)
    if given("goals"):
        details["goals"] = fields.text(data, "goals", MAX_TEXT, errors)
    return details


def _check_dates(starts_on: date | None, ends_on: date | None, errors: dict[str, str]) -> None:
    if starts_on and ends_on and ends_on < starts_on and "ends_on" not in errors:
        errors["ends_on"] = _("The end must be after the start.")


def propose(user: User, data: dict[str, Any]) -> Exchange:
    """A teacher applies for an exchange of one of their classes, naming partner
    classes of other schools, or the country where the Alliance should find one."""
    if user.role not in (Role.TEACHER, Role.ADMIN):
        raise ActionError("forbidden", _("Only teachers can apply for exchanges."))
    data = fields.body(data)
    errors: dict[str, str] = {}
    details = _details(data, errors)
    _check_dates(details.get("starts_on"), details.get("ends_on"), errors)

    own = access.get_row(SchoolClass, data.get("class_id"))
    if own is None or not access.can_teach(user, own):
        errors["class_id"] = _("Choose one of your classes.")
        own = None
    partners = _classes(data.get("partner_class_ids"), errors)
    country = fields.country(data.get("partner_country"), "partner_country", errors)
    if (
        not partners
        and not country
        and not errors.keys() & {"partner_class_ids", "partner_country"}
    ):
        errors["partner_class_ids"] = _(
            "Choose a partner class, or the country where the Alliance should find one."
        )
    if own is not None and partners and not _one_per_school([own, *partners]):
        errors["partner_class_ids"] = _("Each class must be from a different school.")
    if errors:
        raise ValidationError(errors)
    assert own is not None
    exchange = Exchange(
        **details,
        status=ExchangeStatus.PROPOSED,
        alliance=AllianceDecision.PENDING,
        partner_country=country,
        proposer_class_id=own.id,
        academic_year=academic_year_of(details["starts_on"] or utcnow()),
        created_by_id=user.id,
        classes=[own, *partners],
    )
    db.session.add(exchange)
    db.session.flush()
    # The proposing class has agreed by applying; partners answer for themselves.
    _set_accepted(exchange, [own.id], True)
    _decide(exchange, user, DecisionAction.PROPOSE, class_id=own.id)
    db.session.commit()
    return exchange


create = propose  # the name the pages used before applications

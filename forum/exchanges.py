"""Exchanges: applications that pair classes of different schools around some SDGs.

An exchange starts as an application (``proposed``). It pairs its classes only once
every partner class's teacher accepted and the Alliance (a reviewer or admin)
approved it; until then no session can be scheduled and the students of its classes
see nothing of it (``access.shown_to_students``). Every decision is kept
(``ExchangeDecision``). The API, the pages and the CLI all act through here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from babel import Locale
from flask_babel import get_locale
from flask_babel import gettext as _

from . import access, fields
from .clock import academic_year_of
from .errors import ActionError, ValidationError
from .extensions import db
from .models import (
    AllianceDecision,
    DecisionAction,
    Exchange,
    ExchangeDecision,
    ExchangeMode,
    ExchangeStatus,
    Role,
    School,
    SchoolClass,
    User,
    exchange_classes,
    utcnow,
)
from .sdgs import parse_goals
from .timeutil import iso_utc

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
    query = sa.select(Exchange).order_by(Exchange.id)
    ids = access.visible_exchange_ids(user)
    if ids is None:
        return query
    if user.role == Role.TEACHER:
        return query.where(sa.or_(Exchange.id.in_(ids), Exchange.created_by_id == user.id))
    return query.where(Exchange.id.in_(ids))


def can_see(user: User, exchange: Exchange) -> bool:
    return (
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
            sa.select(Exchange.academic_year).distinct().order_by(Exchange.academic_year.desc())
        )
    )


def applications(f: ApplicationFilter) -> list[Exchange]:
    """The applications the filter keeps, newest first (for reviewers and admins)."""
    query = sa.select(Exchange).order_by(Exchange.created_at.desc(), Exchange.id.desc())
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


# --- Input ---------------------------------------------------------------------------


def countries() -> list[tuple[str, str]]:
    """(code, name) of every country, named and sorted in the reader's language: where
    a teacher may ask the Alliance to find a partner class."""
    names = Locale.parse(str(get_locale() or "en")).territories
    return sorted(
        ((code, name) for code, name in names.items() if len(code) == 2 and code.isalpha()),
        key=lambda item: item[1],
    )


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


def status_label(status: ExchangeStatus) -> str:
    return {
        ExchangeStatus.PROPOSED: _("proposed"),
        ExchangeStatus.APPROVED: _("approved"),
        ExchangeStatus.DECLINED: _("declined"),
        ExchangeStatus.WITHDRAWN: _("withdrawn"),
        ExchangeStatus.COMPLETED: _("completed"),
    }[status]


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


def _answering_for(user: User, exchange: Exchange, data: dict[str, Any]) -> list[int]:
    """The partner classes the teacher answers for: the one named by ``class_id``, else
    every partner class of the exchange that they teach. 403 for anyone else."""
    refused = ActionError(
        "forbidden", _("Only a teacher of a partner class may answer this proposal.")
    )
    if user.role != Role.TEACHER:
        raise refused
    mine = [
        c.id
        for c in exchange.classes
        if c.id != exchange.proposer_class_id and access.can_teach(user, c)
    ]
    raw = data.get("class_id")
    if raw is not None:
        ident = access.row_id(raw)
        if ident is None or ident not in mine:
            raise refused
        return [ident]
    if not mine:
        raise refused
    return mine


def accept(user: User, exchange: Exchange, data: dict[str, Any] | None = None) -> Exchange:
    """A partner class's teacher agrees to the exchange."""
    return _answer(user, exchange, data, accepted=True)


def decline(user: User, exchange: Exchange, data: dict[str, Any] | None = None) -> Exchange:
    """A partner class's teacher says no: the application is declined. (Reviewers and
    admins decline for the Alliance: ``reject``.)"""
    if user.role in ALLIANCE_ROLES:
        return reject(user, exchange, data)
    return _answer(user, exchange, data, accepted=False)


def _answer(
    user: User, exchange: Exchange, data: dict[str, Any] | None, *, accepted: bool
) -> Exchange:
    """A partner class's teacher answers the proposal for the classes they teach; a
    no declines the whole application."""
    data = fields.body(data)
    class_ids = _answering_for(user, exchange, data)
    comment = _proposal_comment(exchange, data)
    _set_accepted(exchange, class_ids, accepted)
    action = DecisionAction.ACCEPT if accepted else DecisionAction.DECLINE
    for class_id in class_ids:
        _decide(exchange, user, action, class_id=class_id, comment=comment)
    if not accepted:
        exchange.status = ExchangeStatus.DECLINED
        if comment:
            exchange.comment = comment
    db.session.commit()
    return exchange


def _proposal_comment(exchange: Exchange, data: dict[str, Any]) -> str | None:
    """What every answer and decision on an application checks: it is still proposed,
    and its comment, if any, is text of at most MAX_COMMENT characters."""
    _require_state(exchange, ExchangeStatus.PROPOSED)
    errors: dict[str, str] = {}
    comment = fields.text(data, "comment", MAX_COMMENT, errors)
    if errors:
        raise ValidationError(errors)
    return comment


def _require_alliance(user: User) -> None:
    if user.role not in ALLIANCE_ROLES:
        raise ActionError(
            "forbidden", _("Only the Alliance's reviewers may decide on applications.")
        )


def _alliance_step(user: User, exchange: Exchange, data: dict[str, Any] | None) -> str | None:
    """Checks shared by the Alliance's decisions; the comment given, if any."""
    _require_alliance(user)
    return _proposal_comment(exchange, fields.body(data))


def pair(user: User, exchange: Exchange, data: dict[str, Any] | None) -> Exchange:
    """The Alliance adds partner classes it found; their teachers then answer."""
    _pair(user, exchange, data)
    db.session.commit()
    return exchange


def pair_many(user: User, pairings: list[tuple[Exchange, dict[str, Any]]]) -> list[Exchange]:
    """Several pairings at once, each as ``pair`` does it, all or nothing: if one is
    refused, none is made, and the error names each refused one by ``row-<id>``."""
    _require_alliance(user)
    if not pairings:
        raise ValidationError({"pairings": _("Choose at least one application to pair.")})
    errors: dict[str, str] = {}
    for exchange, data in pairings:
        try:  # each checks before it changes anything; the rollback undoes the rest
            _pair(user, exchange, data)
        except ActionError as exc:
            errors[f"row-{exchange.id}"] = (
                exc.fields.get("partner_class_ids")
                or next(iter(exc.fields.values()), None)
                or exc.message
            )
    if errors:
        db.session.rollback()
        raise ValidationError(
            errors, _("Nothing was paired: please correct the marked applications.")
        )
    db.session.commit()
    return [exchange for exchange, _data in pairings]


def _pair(user: User, exchange: Exchange, data: dict[str, Any] | None) -> None:
    """``pair``'s checks and change, not yet committed."""
    _require_alliance(user)
    data = fields.body(data)
    _require_state(exchange, ExchangeStatus.PROPOSED)
    errors: dict[str, str] = {}
    added = [
        c for c in _classes(data.get("partner_class_ids"), errors) if c not in exchange.classes
    ]
    if not added and not errors:
        errors["partner_class_ids"] = _("Choose a partner class.")
    elif added and not _one_per_school([*exchange.classes, *added]):
        errors["partner_class_ids"] = _("Each class must be from a different school.")
    if errors:
        raise ValidationError(errors)
    exchange.classes.extend(added)
    for cls in added:
        _decide(exchange, user, DecisionAction.PAIR, class_id=cls.id)
    db.session.flush()


def approve(user: User, exchange: Exchange, data: dict[str, Any] | None = None) -> Exchange:
    """The Alliance approves: only once every partner class accepted."""
    comment = _alliance_step(user, exchange, data)
    answers = acceptances(exchange)
    if len(answers) < 2 or not all(a is True for a in answers.values()):
        raise ActionError(
            "conflict", _("Every partner class must accept the exchange before it can be approved.")
        )
    exchange.status = ExchangeStatus.APPROVED
    exchange.alliance = AllianceDecision.APPROVED
    if comment:
        exchange.comment = comment
    _decide(exchange, user, DecisionAction.APPROVE, comment=comment)
    db.session.commit()
    return exchange


def return_(user: User, exchange: Exchange, data: dict[str, Any] | None = None) -> Exchange:
    """The Alliance sends the application back to its teacher with a comment."""
    comment = _alliance_step(user, exchange, data)
    exchange.alliance = AllianceDecision.RETURNED
    exchange.comment = comment
    _decide(exchange, user, DecisionAction.RETURN, comment=comment)
    db.session.commit()
    return exchange


def reject(user: User, exchange: Exchange, data: dict[str, Any] | None = None) -> Exchange:
    """The Alliance declines the application."""
    comment = _alliance_step(user, exchange, data)
    exchange.status = ExchangeStatus.DECLINED
    exchange.alliance = AllianceDecision.DECLINED
    if comment:
        exchange.comment = comment
    _decide(exchange, user, DecisionAction.REJECT, comment=comment)
    db.session.commit()
    return exchange


def resubmit(user: User, exchange: Exchange, data: dict[str, Any] | None = None) -> Exchange:
    """Its proposing teacher sends a returned application to the Alliance again, with
    what they changed (any of ``propose``'s own fields) and a comment in answer."""
    if exchange.created_by_id != user.id:
        raise ActionError(
            "forbidden", _("Only the teacher who proposed this exchange may resubmit it.")
        )
    data = fields.body(data)
    comment = _proposal_comment(exchange, data)
    if exchange.alliance != AllianceDecision.RETURNED:
        raise ActionError(
            "conflict", _("Only an application the Alliance returned can be resubmitted.")
        )
    errors: dict[str, str] = {}
    details = _details(data, errors, only_given=True)
    _check_dates(
        details.get("starts_on", exchange.starts_on),
        details.get("ends_on", exchange.ends_on),
        errors,
    )
    if errors:
        raise ValidationError(errors)
    for name, value in details.items():
        setattr(exchange, name, value)
    if "starts_on" in details:
        exchange.academic_year = academic_year_of(
            exchange.starts_on or exchange.created_at or utcnow()
        )
    exchange.alliance = AllianceDecision.PENDING
    exchange.comment = comment
    # Recorded as the application proposed again: the history reads returned, proposed.
    _decide(
        exchange, user, DecisionAction.PROPOSE, class_id=exchange.proposer_class_id, comment=comment
    )
    db.session.commit()
    return exchange


def withdraw(user: User, exchange: Exchange, data: dict[str, Any] | None = None) -> Exchange:
    """Its proposing teacher takes the application back."""
    if exchange.created_by_id != user.id:
        raise ActionError(
            "forbidden", _("Only the teacher who proposed this exchange may withdraw it.")
        )
    comment = _proposal_comment(exchange, fields.body(data))
    exchange.status = ExchangeStatus.WITHDRAWN
    _decide(exchange, user, DecisionAction.WITHDRAW, comment=comment)
    db.session.commit()
    return exchange


def complete(user: User, exchange: Exchange, data: dict[str, Any] | None) -> Exchange:
    """A teacher of an approved exchange closes it with a short outcome summary."""
    if not access.can_manage_exchange(user, exchange):
        raise ActionError("forbidden", _("Only the teachers of this exchange may do that."))
    data = fields.body(data)
    _require_state(exchange, ExchangeStatus.APPROVED)
    errors: dict[str, str] = {}
    summary = fields.text(data, "summary", MAX_TEXT, errors, required=True)
    if errors:
        raise ValidationError(errors)
    exchange.status = ExchangeStatus.COMPLETED
    exchange.summary = summary
    _decide(exchange, user, DecisionAction.COMPLETE, comment=summary)
    db.session.commit()
    return exchange


def approve_outright(exchange: Exchange) -> None:
    """For seeded data only (the demo): an exchange agreed on by everyone."""
    exchange.status = ExchangeStatus.APPROVED
    exchange.alliance = AllianceDecision.APPROVED
    db.session.flush()
    _set_accepted(exchange, [c.id for c in exchange.classes], True)

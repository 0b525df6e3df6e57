"""Showcase (case-sharing) sessions: the Alliance shows what worked.

A showcase is an exchange of its own kind (``ExchangeKind.SHOWCASE``), created
approved by the Alliance (reviewers and admins), with one ordinary forum session. Its
classes carry a part (``exchange_classes.part``): the presenting classes, picked from
exchanges that are approved or completed, and the audience classes of any school,
which their own teachers sign up (and withdraw) until it ends; the Alliance may add or
remove them too. Being classes of the exchange, both are members: every access rule
(``forum.people.access``) holds unchanged. An audience student's messages are held until a
teacher takes them (``access.is_audience``, ``room.chat``); the teachers of audience
classes moderate like the presenting ones, as they answer for their own students.
Showcases are never counted or listed as exchanges or applications.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import gettext as _

from ..clock import academic_year_of
from ..errors import ActionError, ValidationError
from ..extensions import db
from ..models import (
    AllianceDecision,
    ClassPart,
    Exchange,
    ExchangeKind,
    ExchangeMode,
    ExchangeStatus,
    ForumSession,
    Role,
    School,
    SchoolClass,
    SessionStatus,
    User,
    exchange_classes,
    utcnow,
)
from ..people import access, throttle
from ..schedule import sessions

ALLIANCE = (Role.REVIEWER, Role.ADMIN)
MAX_DESCRIPTION = 2000
MAX_PRESENTING = 20
# Scheduling and signing classes up, per person: plenty for a person, not for a script.
limiter = throttle.Limiter("showcases", burst=20, per_second=0.5)


def is_showcase(exchange: Exchange) -> bool:
    return exchange.kind == ExchangeKind.SHOWCASE.value


def only_exchanges() -> sa.ColumnElement[bool]:
    """The condition that keeps showcases out of what counts and lists exchanges."""
    return Exchange.kind == ExchangeKind.EXCHANGE.value


def _require_alliance(user: User) -> None:
    if user.role not in ALLIANCE:
        raise ActionError("forbidden", _("Only the Alliance schedules showcase sessions."))


def presentable_classes() -> list[SchoolClass]:
    """Classes that may present: those of exchanges approved or completed."""
    ids = (
        sa.select(exchange_classes.c.class_id)
        .join(Exchange, Exchange.id == exchange_classes.c.exchange_id)
        .where(only_exchanges(), Exchange.status.in_(access.SHOWN_TO_STUDENTS))
    )
    return list(
        db.session.scalars(
            sa.select(SchoolClass)
            .join(School, School.id == SchoolClass.school_id)
            .where(SchoolClass.id.in_(ids))
            .order_by(School.country, School.slug, SchoolClass.name, SchoolClass.id)
        )
    )


def _class_ids(raw: object) -> list[int] | None:
    """A list of row ids (numbers, or their text from a form); None if it is not one."""
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_PRESENTING:
        return None
    ids = [access.row_id(v) for v in raw]
    if any(i is None for i in ids):
        return None
    return list(dict.fromkeys(i for i in ids if i is not None))


def schedule(user: User, data: dict[str, Any]) -> Exchange:
    """Schedule a showcase: its title, SDGs, start and end, an optional description and
    the presenting classes → the showcase, approved, with its one session."""
    _require_alliance(user)
    limiter.take(user.id)
    if not isinstance(data, dict):
        raise ActionError("invalid", _("The request body must be a JSON object."))
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    try:
        clean = sessions.clean_fields(data, partial=False)
    except ValidationError as exc:
        errors.update(exc.fields)
    description = data.get("description")
    if description is not None and not isinstance(description, str):
        errors["description"] = _("The description must be text.")
    elif description and len(description.strip()) > MAX_DESCRIPTION:
        errors["description"] = _("At most %(n)s characters.", n=MAX_DESCRIPTION)
    ids = _class_ids(data.get("presenting_class_ids"))
    allowed = {c.id for c in presentable_classes()}
    if not ids:
        errors["presenting_class_ids"] = _("Choose the presenting classes.")
    elif not set(ids) <= allowed:
        errors["presenting_class_ids"] = _(
            "Presenting classes come from exchanges that are approved or completed."
        )
    if errors:
        raise ValidationError(errors)
    assert ids is not None
    sessions.check_times(clean["starts_at"], clean["ends_at"], new=True)
    starts, ends = clean["starts_at"], clean["ends_at"]
    showcase = Exchange(
        kind=ExchangeKind.SHOWCASE.value,
        title=clean["title"],
        sdgs=clean["sdgs"],
        mode=ExchangeMode.ONLINE,
        academic_year=academic_year_of(starts),
        status=ExchangeStatus.APPROVED,
        alliance=AllianceDecision.APPROVED,
        starts_on=starts.date(),
        ends_on=ends.date(),
        goals=(description or "").strip() or None,
        created_by_id=user.id,
    )
    db.session.add(showcase)
    db.session.flush()
    db.session.execute(
        sa.insert(exchange_classes),
        [
            {
                "exchange_id": showcase.id,
                "class_id": class_id,
                "accepted": True,
                "part": ClassPart.PRESENTING.value,
            }
            for class_id in ids
        ],
    )
    db.session.add(
        ForumSession(
            exchange=showcase, created_by_id=user.id, status=SessionStatus.SCHEDULED, **clean
        )
    )
    db.session.commit()
    return showcase


def session_of(showcase: Exchange) -> ForumSession | None:
    """The showcase's session (None once the Alliance cancelled it)."""
    return next((s for s in showcase.sessions if s.cancelled_at is None), None)


def has_ended(showcase: Exchange) -> bool:
    session = session_of(showcase)
    return (
        session is None
        or session.status == SessionStatus.CLOSED
        or (session.status == SessionStatus.SCHEDULED and session.ends_at <= utcnow())
    )


def parts(showcase: Exchange) -> dict[int, str]:
    """Each class of the showcase and its part."""
    rows = db.session.execute(
        sa.select(exchange_classes.c.class_id, exchange_classes.c.part).where(
            exchange_classes.c.exchange_id == showcase.id
        )
    )
    return {class_id: part or ClassPart.PRESENTING.value for class_id, part in rows}


def listed(user: User) -> list[Exchange]:
    """The showcases the user may see, soonest first: every one for the Alliance and
    teachers (a teacher signs a class up from here); for a student, only those their
    class presents in or is signed up to (``access.visible_exchange_ids``)."""
    query = sa.select(Exchange).where(Exchange.kind == ExchangeKind.SHOWCASE.value)
    if user.role == Role.STUDENT:
        ids = access.visible_exchange_ids(user)
        assert ids is not None  # students never see every exchange
        query = query.where(Exchange.id.in_(ids))
    rows = list(db.session.scalars(query.order_by(Exchange.id)))
    far = utcnow().replace(year=9999)
    return sorted(
        rows,
        key=lambda e: (s.starts_at if (s := session_of(e)) else far, e.id),
    )


def upcoming(user: User) -> list[Exchange]:
    """The showcases the user may see that have not ended."""
    return [s for s in listed(user) if not has_ended(s)]


def get_for(user: User, showcase_id: object) -> Exchange:
    """A showcase the user may see; not_found otherwise (no existence leak)."""
    showcase = access.get_row(Exchange, showcase_id)
    if (
        showcase is None
        or not is_showcase(showcase)
        or (user.role == Role.STUDENT and not access.is_member(user, showcase))
    ):
        raise ActionError("not_found", _("There is no such showcase session."))
    return showcase


def _audience_class(user: User, class_id: object) -> SchoolClass:
    """A class the user answers for: their own (a teacher's), any (the Alliance's)."""
    if user.role not in (Role.TEACHER, Role.ADMIN, Role.REVIEWER):
        raise ActionError("forbidden", _("Only a class's own teacher signs it up."))
    found = access.get_row(SchoolClass, class_id)
    if found is None or not (user.role in ALLIANCE or access.can_teach(user, found)):
        raise ActionError("not_found", _("This class does not exist or is not yours."))
    return found


def _check_open(showcase: Exchange) -> None:
    if has_ended(showcase):
        raise ActionError("closed", _("This showcase session has ended."))


def sign_up(user: User, showcase: Exchange, class_id: object) -> Exchange:
    """A class joins the showcase's audience (nothing changes if it already has)."""
    school_class = _audience_class(user, class_id)
    limiter.take(user.id)
    _check_open(showcase)
    part = parts(showcase).get(school_class.id)
    if part == ClassPart.PRESENTING.value:
        raise ActionError("conflict", _("This class presents in this showcase."))
    if part is None:
        db.session.execute(
            sa.insert(exchange_classes).values(
                exchange_id=showcase.id,
                class_id=school_class.id,
                accepted=True,
                part=ClassPart.AUDIENCE.value,
            )
        )
        db.session.commit()
        db.session.refresh(showcase)
    return showcase


def withdraw(user: User, showcase: Exchange, class_id: object) -> Exchange:
    """A class leaves the showcase's audience, before it ends."""
    school_class = _audience_class(user, class_id)
    limiter.take(user.id)
    _check_open(showcase)
    part = parts(showcase).get(school_class.id)
    if part == ClassPart.PRESENTING.value:
        raise ActionError("conflict", _("This class presents in this showcase."))
    if part is None:
        raise ActionError("not_found", _("This class is not in the audience."))
    db.session.execute(
        sa.delete(exchange_classes).where(
            exchange_classes.c.exchange_id == showcase.id,
            exchange_classes.c.class_id == school_class.id,
        )
    )
    db.session.commit()
    db.session.refresh(showcase)
    return showcase


def my_classes(user: User) -> list[SchoolClass]:
    """The classes a teacher (or admin) may sign up: those they teach."""
    if user.role not in (Role.TEACHER, Role.ADMIN):
        return []
    return sorted(user.teaching, key=lambda c: (c.name, c.id))


def every_class() -> list[SchoolClass]:
    """Every class, by country, school and name: the Alliance adds any to an audience."""
    return list(
        db.session.scalars(
            sa.select(SchoolClass)
            .join(School, School.id == SchoolClass.school_id)
            .order_by(School.country, School.slug, SchoolClass.name, SchoolClass.id)
        )
    )


def _class_json(cls: SchoolClass, locale: str) -> dict[str, Any]:
    return {
        "class_id": cls.id,
        "class": cls.name,
        "school": cls.school.slug,
        "school_name": cls.school.name_in(locale),
        "country": cls.school.country,
    }


def serialize(showcase: Exchange, user: User) -> dict[str, Any]:
    """A showcase as the API gives it: the session, the presenting and audience classes
    (never a student); for a teacher, which of their classes are in its audience."""
    locale = str(get_locale() or "en")
    of = parts(showcase)
    session = session_of(showcase)
    classes = {c.id: c for c in showcase.classes}
    body: dict[str, Any] = {
        "id": showcase.id,
        "title": showcase.title,
        "sdgs": list(showcase.sdgs),
        "description": showcase.goals,
        "ended": has_ended(showcase),
        "session": sessions.serialize(session) if session else None,
        "presenting": [
            _class_json(c, locale)
            for i, c in classes.items()
            if of.get(i) == ClassPart.PRESENTING.value
        ],
        "audience": [
            _class_json(c, locale)
            for i, c in classes.items()
            if of.get(i) == ClassPart.AUDIENCE.value
        ],
    }
    if user.role in (Role.TEACHER, Role.ADMIN):
        body["my_audience_class_ids"] = [
            c.id for c in my_classes(user) if of.get(c.id) == ClassPart.AUDIENCE.value
        ]
    return body


def report(start: Any, end: Any) -> dict[str, int]:
    """The year's showcase figures: sessions held (closed) between ``start`` and
    ``end``, and the schools that presented in them or watched."""
    held = list(
        db.session.scalars(
            sa.select(ForumSession)
            .join(Exchange, Exchange.id == ForumSession.exchange_id)
            .where(
                Exchange.kind == ExchangeKind.SHOWCASE.value,
                ForumSession.status == SessionStatus.CLOSED,
                ForumSession.starts_at >= start,
                ForumSession.starts_at < end,
            )
        )
    )
    presenting: set[int] = set()
    audience: set[int] = set()
    for session in held:
        of = parts(session.exchange)
        for cls in session.exchange.classes:
            target = audience if of.get(cls.id) == ClassPart.AUDIENCE.value else presenting
            target.add(cls.school_id)
    return {
        "held": len(held),
        "presenting_schools": len(presenting),
        "audience_schools": len(audience),
    }

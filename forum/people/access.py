"""Who may see and change which exchange and session. Every path asks here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask import g
from flask_babel import gettext as _

from .. import fields, sql
from ..errors import ActionError
from ..extensions import db
from ..log.eventlog import HEAD, Head
from ..models import (
    ClassPart,
    Exchange,
    ExchangeStatus,
    ForumSession,
    Role,
    RoomMember,
    SchoolClass,
    User,
    class_students,
    class_teachers,
    exchange_classes,
)
from . import proofs
from .proofs import Person

# The largest id a row can have (PostgreSQL INTEGER). A larger number names no row,
# and SQLite's driver overflows on it, so it is turned away before the database.
# Row ids from untrusted input: ``fields`` reads them; named here too for the callers
# that ask access for a row.
MAX_ID, row_id, get_row = fields.MAX_ID, fields.row_id, fields.get_row


# Each access rule below is written twice: over the ORM, for pages and the API, and in
# plain SQL for the live path, which asks on every live event and where the ORM cost
# ten times as much (``forum.sql``). The two forms of a rule sit together, named as a
# pair; what is decided in Python (by role) is one function both forms call, and
# tests/test_access_agreement.py checks over a generated matrix of roles, exchanges,
# sessions and states that the forms give the same answer.


def _reads_every_record(role: Role) -> bool:
    """Reviewers and admins see every session and read every record (both forms)."""
    return role in (Role.REVIEWER, Role.ADMIN)


def _can_be_member(role: Role) -> bool:
    """Only students and teachers belong to an exchange's classes (both forms)."""
    return role in (Role.STUDENT, Role.TEACHER)


def _manages(role: Role, member: bool) -> bool:
    """Teachers of any class in the exchange, and admins, schedule and moderate (both
    forms: ``can_manage_exchange``, ``seat_from_row``)."""
    return role == Role.ADMIN or (role == Role.TEACHER and member)


# --- rule: students see an exchange only once it is approved ----------------------
# The one rule for students: they see nothing of an exchange, its sessions included,
# until it is approved (every partner class accepted, the Alliance approved).
# ORM: ``shown_to_students``; plain SQL: ``_SHOWN_SQL``.
SHOWN_TO_STUDENTS = (ExchangeStatus.APPROVED, ExchangeStatus.COMPLETED)


def shown_to_students(exchange: Exchange) -> bool:
    return exchange.status in SHOWN_TO_STUDENTS


_SHOWN_SQL = ", ".join(f"'{status.value}'" for status in SHOWN_TO_STUDENTS)


# --- rule: a member of an exchange -------------------------------------------------
# Teaches or belongs to one of its classes; a student only once it is shown to them.
# ORM: ``my_class_ids``, ``is_member`` (and ``visible_exchange_ids`` as a list);
# plain SQL: ``_in_class``, read by ``seat_from_row``.


def _class_table(role: Role) -> sa.Table:
    """Where a user's classes are listed: students are enrolled, everyone else teaches
    (both forms; ``_CALLER_SEAT`` says the same in SQL, before the role is known)."""
    return class_students if role == Role.STUDENT else class_teachers


def my_class_ids(user: User) -> sa.Select:
    """The ids of the classes the user teaches or belongs to, as a subquery."""
    table = _class_table(user.role)
    return sa.select(table.c.class_id).where(table.c.user_id == user.id)


def is_member(user: User, exchange: Exchange) -> bool:
    """Does the user teach or belong to one of the exchange's classes? A student
    belongs only once it is approved (``SHOWN_TO_STUDENTS``)."""
    if not _can_be_member(user.role):
        return False
    if user.role == Role.STUDENT and not shown_to_students(exchange):
        return False
    ids = {c.id for c in exchange.classes}
    mine = set(db.session.scalars(my_class_ids(user)))
    return bool(ids & mine)


def visible_exchange_ids(user: User) -> sa.Select | None:
    """Exchange ids the user may see; None means all (reviewers, admins). Teachers see
    the exchanges naming one of their classes, proposals included; students only the
    approved ones (``SHOWN_TO_STUDENTS``)."""
    if _reads_every_record(user.role):
        return None
    query = sa.select(exchange_classes.c.exchange_id).where(
        exchange_classes.c.class_id.in_(my_class_ids(user))
    )
    if user.role == Role.STUDENT:
        query = query.join(Exchange, Exchange.id == exchange_classes.c.exchange_id).where(
            Exchange.status.in_(SHOWN_TO_STUDENTS)
        )
    return query


def _in_class(table: str, user_id: str) -> str:
    """Plain-SQL pair of ``my_class_ids`` and ``is_member``: is the user in one of the
    session ``s``'s exchange's classes? For students, only once the exchange is shown
    to them (``_SHOWN_SQL``). ``table`` is the user's: class_students for students."""
    shown = (
        (
            f" AND EXISTS (SELECT 1 FROM exchanges e WHERE e.id = s.exchange_id "  # noqa: S608
            f"AND e.status IN ({_SHOWN_SQL}))"
        )
        if table == "class_students"
        else ""
    )
    return (
        f"(EXISTS (SELECT 1 FROM exchange_classes ec JOIN {table} m "  # noqa: S608
        f"ON m.class_id = ec.class_id WHERE ec.exchange_id = s.exchange_id "
        f"AND m.user_id = {user_id}){shown})"
    )


# --- rule: a showcase's audience --------------------------------------------------
# A showcase (``forum.exchanges.showcases``) pairs presenting classes with audience classes of
# any school; both are members, so every rule above holds for them. A student whose
# only classes in it are audience classes is its audience: their messages are held
# until a teacher takes them (``room.chat``). Teachers of audience classes manage
# like any member teacher: they answer for their own students.
# ORM: ``is_audience``; plain SQL: ``_audience_only``, read by ``seat_from_row``.


def is_audience(user: User, exchange: Exchange) -> bool:
    """Is the user a student of the exchange only through its audience classes?"""
    if user.role != Role.STUDENT or not is_member(user, exchange):
        return False
    parts = db.session.scalars(
        sa.select(exchange_classes.c.part).where(
            exchange_classes.c.exchange_id == exchange.id,
            exchange_classes.c.class_id.in_(my_class_ids(user)),
        )
    ).all()
    return all(part == ClassPart.AUDIENCE.value for part in parts)


def _audience_only(user_id: str) -> str:
    """Plain-SQL pair of ``is_audience`` (with ``_in_class`` and the role, in
    ``seat_from_row``): none of the student's classes in the session ``s``'s exchange
    is anything but an audience class."""
    return (
        "(NOT EXISTS (SELECT 1 FROM exchange_classes ec JOIN class_students m "  # noqa: S608
        "ON m.class_id = ec.class_id WHERE ec.exchange_id = s.exchange_id "
        f"AND m.user_id = {user_id} "
        f"AND (ec.part IS NULL OR ec.part <> '{ClassPart.AUDIENCE.value}')))"
    )


# --- rule: who manages an exchange -------------------------------------------------
# ORM: ``can_manage_exchange``; plain SQL: ``seat_from_row``'s ``manager``. Both are
# ``_manages`` on their own form of membership.


def can_manage_exchange(user: User, exchange: Exchange) -> bool:
    """Teachers of any class in the exchange, and admins, schedule and moderate."""
    return _manages(user.role, user.role == Role.TEACHER and is_member(user, exchange))


# --- rule: who may see a session ---------------------------------------------------
# Not cancelled, and staff who read every record or a member of its exchange; not a
# student a teacher removed from it.
# ORM: ``_in_session``, ``removed_from``, ``can_view_session`` (and ``visible_sessions``
# as a list); plain SQL: ``_SEAT_SQL`` / ``_CALLER_SEAT`` read by ``seat_from_row``
# (``live_seat``, ``caller_and_seat``). On the live path a removed person is told
# ``removed`` by what reads their room_members row (``room.Standing``), after the seat.


def _in_session(user: User, session: ForumSession) -> bool:
    """Staff who read every record, or a member of the exchange; not cancelled."""
    if session.cancelled_at is not None:
        return False
    return _reads_every_record(user.role) or is_member(user, session.exchange)


def removed_from(user: User, session_id: int) -> bool:
    """Has a teacher removed this student from the session (``mod.remove``)? Removed
    means removed from the record too: the room, every transcript form, the API, and
    whatever was said after the removal. Teachers, reviewers and admins are never."""
    if user.role != Role.STUDENT:
        return False
    return bool(
        db.session.scalar(
            sa.select(RoomMember.removed).where(
                RoomMember.session_id == session_id, RoomMember.user_id == user.id
            )
        )
    )


def can_view_session(user: User, session: ForumSession) -> bool:
    """May the user see the session and read its record (room page, transcripts, API)?"""
    return _in_session(user, session) and not removed_from(user, session.id)


def visible_sessions(user: User) -> sa.Select:
    """A select of the forum sessions the user may see, cancelled ones left out, and
    for a student those a teacher removed them from (``removed_from``)."""
    query = sa.select(ForumSession).where(ForumSession.cancelled_at.is_(None))
    ids = visible_exchange_ids(user)
    if ids is not None:
        query = query.where(ForumSession.exchange_id.in_(ids))
    if user.role == Role.STUDENT:
        query = query.where(
            ~sa.exists().where(
                RoomMember.session_id == ForumSession.id,
                RoomMember.user_id == user.id,
                RoomMember.removed.is_(True),
            )
        )
    return query


# The session's head (``eventlog.HEAD``) and whether the user is in its exchange
# (``_in_class``), read by name.
_IN_EXCHANGE = {
    table.name: HEAD
    + sql.Columns(
        in_exchange=_in_class(table.name, ":user_id"),
        # Only a student is ever an audience (``is_audience``): no subquery for the rest.
        audience=_audience_only(":user_id") if table is class_students else "(1 = 0)",
    )
    for table in (class_students, class_teachers)
}
_SEAT_SQL = {
    table: f"SELECT {columns.sql} FROM forum_sessions s WHERE s.id = :session_id"  # noqa: S608
    for table, columns in _IN_EXCHANGE.items()
}
# The same, added to the query of who is asking (``u`` is users; ``_class_table``).
_CALLER_SEAT = HEAD + sql.Columns(
    in_exchange=(
        f"CASE WHEN u.role = 'student' THEN {_in_class('class_students', 'u.id')} "
        f"ELSE {_in_class('class_teachers', 'u.id')} END"
    ),
    audience=_audience_only("u.id"),
)
_CALLER_SEAT_JOIN = "LEFT JOIN forum_sessions s ON s.id = :session_id"
_EARLY_SEAT = "forum.early_seat"


def seat_from_row(
    user: User | Person, row: Mapping[str, Any]
) -> tuple[Head, bool, bool, bool] | None:
    """Plain-SQL pair of ``_in_session``, ``is_member``, ``can_manage_exchange`` and
    ``is_audience``: the seat from a row read by name (``HEAD``, ``in_exchange`` and
    ``audience``); None if the session is missing (a NULL id from a LEFT JOIN),
    cancelled or not the user's."""
    if row["session_id"] is None:
        return None
    head = Head.from_row(row)
    member = _can_be_member(user.role) and bool(row["in_exchange"])
    if head.cancelled_at is not None or not (member or _reads_every_record(user.role)):
        return None
    audience = member and user.role == Role.STUDENT and bool(row["audience"])
    return head, member, _manages(user.role, member), audience


def live_seat(user: User | Person, session_id: int) -> tuple[Head, bool, bool, bool] | None:
    """``(head, member, manager, audience)`` for a session the user may see, else None:
    the rules of ``can_view_session``, ``is_member``, ``can_manage_exchange`` and
    ``is_audience`` in one
    plain query, as every live event asks them again (or in the query that asked who
    is asking, ``caller_and_seat``, earlier in the same event)."""
    if not 1 <= session_id <= MAX_ID:
        return None
    early = g.pop(_EARLY_SEAT, None)
    if early is not None and early[:2] == (user.id, session_id):
        return seat_from_row(user, early[2])
    table = _class_table(user.role).name
    row = sql.reader().one(_SEAT_SQL[table], {"user_id": user.id, "session_id": session_id})
    return None if row is None else seat_from_row(user, _IN_EXCHANGE[table].read(row))


def caller_and_seat(proof: str, key_hash: str, session_id: object) -> Person | None:
    """Who is asking (``proofs.person_by_proof``), and, when ``session_id`` can name
    a session, their seat in it from the same query: ``live_seat`` takes it from there
    once, in this event, instead of asking the database again."""
    if (
        isinstance(session_id, bool)
        or not isinstance(session_id, int)
        or not 1 <= session_id <= MAX_ID
    ):
        return proofs.person_by_proof(proof, key_hash)[0]
    person, row = proofs.person_by_proof(
        proof,
        key_hash,
        also=_CALLER_SEAT,
        joins=_CALLER_SEAT_JOIN,
        params={"session_id": session_id},
    )
    if person is not None:
        g.setdefault(_EARLY_SEAT, (person.id, session_id, row))
    return person


def can_teach(user: User, school_class: SchoolClass) -> bool:
    return user.role == Role.ADMIN or (
        user.role == Role.TEACHER and any(t.id == user.id for t in school_class.teachers)
    )


def get_session_for(user: User, session_id: int) -> ForumSession:
    """The session if the user may see it (``can_view_session``); not_found otherwise
    (no existence leak), or ``removed`` (403) for a student removed from it, who knows
    it exists."""
    session = get_row(ForumSession, session_id)
    if session is None or not _in_session(user, session):
        raise ActionError("not_found", _("This session does not exist or is not yours to see."))
    if removed_from(user, session.id):
        raise ActionError("removed", _("A teacher has removed you from this session."))
    return session


def get_class_for(user: User, class_id: int) -> SchoolClass:
    school_class = get_row(SchoolClass, class_id)
    if school_class is None or not can_teach(user, school_class):
        raise ActionError("not_found", _("This class does not exist or is not yours."))
    return school_class


def require_manager(user: User, exchange: Exchange) -> None:
    if not can_manage_exchange(user, exchange):
        raise ActionError("forbidden", _("Only the teachers of this exchange may do that."))

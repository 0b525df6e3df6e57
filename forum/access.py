"""Who may see and change which exchange and session. Every path asks here."""

from __future__ import annotations

import sqlalchemy as sa
from flask import g
from flask_babel import gettext as _

from . import accounts, sql
from .accounts import Person
from .errors import ActionError
from .eventlog import HEAD_COLUMNS, HEAD_WIDTH, Head
from .extensions import Model, db
from .models import (
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

# The largest id a row can have (PostgreSQL INTEGER). A larger number names no row,
# and SQLite's driver overflows on it, so it is turned away before the database.
MAX_ID = 2**31 - 1


def row_id(raw: object) -> int | None:
    """A row id from untrusted input (URL, form, JSON), or None if it cannot be one."""
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        return None
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if 1 <= value <= MAX_ID else None


def get_row(model: type[Model], raw: object):
    """The row of ``model`` with the id ``raw`` names, or None."""
    ident = row_id(raw)
    return None if ident is None else db.session.get(model, ident)


def my_class_ids(user: User) -> sa.Select:
    """The ids of the classes the user teaches or belongs to, as a subquery."""
    table = class_students if user.role == Role.STUDENT else class_teachers
    return sa.select(table.c.class_id).where(table.c.user_id == user.id)


# The one rule for students: they see nothing of an exchange, its sessions included,
# until it is approved (every partner class accepted, the Alliance approved).
SHOWN_TO_STUDENTS = (ExchangeStatus.APPROVED, ExchangeStatus.COMPLETED)


def shown_to_students(exchange: Exchange) -> bool:
    return exchange.status in SHOWN_TO_STUDENTS


def visible_exchange_ids(user: User) -> sa.Select | None:
    """Exchange ids the user may see; None means all (reviewers, admins). Teachers see
    the exchanges naming one of their classes, proposals included; students only the
    approved ones (``SHOWN_TO_STUDENTS``)."""
    if user.role in (Role.REVIEWER, Role.ADMIN):
        return None
    query = sa.select(exchange_classes.c.exchange_id).where(
        exchange_classes.c.class_id.in_(my_class_ids(user))
    )
    if user.role == Role.STUDENT:
        query = query.join(Exchange, Exchange.id == exchange_classes.c.exchange_id).where(
            Exchange.status.in_(SHOWN_TO_STUDENTS))
    return query


def visible_sessions(user: User) -> sa.Select:
    """A select of the forum sessions the user may see, cancelled ones left out, and
    for a student those a teacher removed them from (``removed_from``)."""
    query = sa.select(ForumSession).where(ForumSession.cancelled_at.is_(None))
    ids = visible_exchange_ids(user)
    if ids is not None:
        query = query.where(ForumSession.exchange_id.in_(ids))
    if user.role == Role.STUDENT:
        query = query.where(~sa.exists().where(
            RoomMember.session_id == ForumSession.id, RoomMember.user_id == user.id,
            RoomMember.removed.is_(True)))
    return query


def removed_from(user: User, session_id: int) -> bool:
    """Has a teacher removed this student from the session (``mod.remove``)? Removed
    means removed from the record too: the room, every transcript form, the API, and
    whatever was said after the removal. Teachers, reviewers and admins are never."""
    if user.role != Role.STUDENT:
        return False
    return bool(db.session.scalar(sa.select(RoomMember.removed).where(
        RoomMember.session_id == session_id, RoomMember.user_id == user.id)))


def is_member(user: User, exchange: Exchange) -> bool:
    """Does the user teach or belong to one of the exchange's classes? A student
    belongs only once it is approved (``SHOWN_TO_STUDENTS``)."""
    if user.role not in (Role.STUDENT, Role.TEACHER):
        return False
    if user.role == Role.STUDENT and not shown_to_students(exchange):
        return False
    ids = {c.id for c in exchange.classes}
    mine = set(db.session.scalars(my_class_ids(user)))
    return bool(ids & mine)


def _in_session(user: User, session: ForumSession) -> bool:
    """Staff who read every record, or a member of the exchange; not cancelled."""
    if session.cancelled_at is not None:
        return False
    return user.role in (Role.REVIEWER, Role.ADMIN) or is_member(user, session.exchange)


def can_view_session(user: User, session: ForumSession) -> bool:
    """May the user see the session and read its record (room page, transcripts, API)?"""
    return _in_session(user, session) and not removed_from(user, session.id)


def can_manage_exchange(user: User, exchange: Exchange) -> bool:
    """Teachers of any class in the exchange, and admins, schedule and moderate."""
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.TEACHER and is_member(user, exchange)


def live_seat(user: User | Person, session_id: int) -> tuple[Head, bool, bool] | None:
    """``(head, member, manager)`` for a session the user may see, else None: the
    rules of ``can_view_session``, ``is_member`` and ``can_manage_exchange`` in one
    plain query, as every live event asks them again (or in the query that asked who
    is asking, ``caller_and_seat``, earlier in the same event)."""
    if not 1 <= session_id <= MAX_ID:
        return None
    early = g.pop(_EARLY_SEAT, None)
    if early is not None and early[:2] == (user.id, session_id):
        return seat_from_row(user, early[2])
    table = "class_students" if user.role == Role.STUDENT else "class_teachers"
    row = sql.reader().one(_SEAT_SQL[table], {"user_id": user.id,
                                                  "session_id": session_id})
    return None if row is None else seat_from_row(user, row)


def seat_from_row(user: User | Person, row: tuple) -> tuple[Head, bool, bool] | None:
    """The seat from a row of HEAD_COLUMNS and the membership flag; None if the
    session is missing (a NULL id from a LEFT JOIN), cancelled or not the user's."""
    if row[0] is None:
        return None
    head = Head.from_row(row)
    member = user.role in (Role.STUDENT, Role.TEACHER) and bool(row[HEAD_WIDTH])
    if head.cancelled_at is not None or not (member or user.role in (Role.REVIEWER,
                                                                     Role.ADMIN)):
        return None
    manager = user.role == Role.ADMIN or (user.role == Role.TEACHER and member)
    return head, member, manager


_SHOWN_SQL = ", ".join(f"'{status.value}'" for status in SHOWN_TO_STUDENTS)


def _in_class(table: str, user_id: str) -> str:
    """Is the user in one of the session's exchange's classes (``my_class_ids``)?
    For students, only once the exchange is approved (``SHOWN_TO_STUDENTS``)."""
    shown = (f" AND EXISTS (SELECT 1 FROM exchanges e WHERE e.id = s.exchange_id "  # noqa: S608
             f"AND e.status IN ({_SHOWN_SQL}))") if table == "class_students" else ""
    return (f"(EXISTS (SELECT 1 FROM exchange_classes ec JOIN {table} m "  # noqa: S608
            f"ON m.class_id = ec.class_id WHERE ec.exchange_id = s.exchange_id "
            f"AND m.user_id = {user_id}){shown})")


# The session's head and whether the user is in its exchange. Built from this
# module's own names only.
_SEAT_SQL = {
    table: f"SELECT {HEAD_COLUMNS}, {_in_class(table, ':user_id')} "  # noqa: S608
           "FROM forum_sessions s WHERE s.id = :session_id"
    for table in ("class_students", "class_teachers")
}
# The same columns, added to the query of who is asking (``u`` is users).
_CALLER_SEAT = (f"{HEAD_COLUMNS}, CASE WHEN u.role = 'student' "
                f"THEN {_in_class('class_students', 'u.id')} "
                f"ELSE {_in_class('class_teachers', 'u.id')} END")
_CALLER_SEAT_JOIN = "LEFT JOIN forum_sessions s ON s.id = :session_id"
_EARLY_SEAT = "forum.early_seat"


def caller_and_seat(proof: str, key_hash: str, session_id: object) -> Person | None:
    """Who is asking (``accounts.person_by_proof``), and, when ``session_id`` can name
    a session, their seat in it from the same query: ``live_seat`` takes it from there
    once, in this event, instead of asking the database again."""
    if isinstance(session_id, bool) or not isinstance(session_id, int) \
            or not 1 <= session_id <= MAX_ID:
        return accounts.person_by_proof(proof, key_hash)[0]
    person, rest = accounts.person_by_proof(proof, key_hash, also=_CALLER_SEAT,
                                            joins=_CALLER_SEAT_JOIN,
                                            params={"session_id": session_id})
    if person is not None:
        g.setdefault(_EARLY_SEAT, (person.id, session_id, rest))
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
        raise ActionError(
            "forbidden", _("Only the teachers of this exchange may do that.")
        )

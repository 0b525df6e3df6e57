"""The access rules' two forms agree: over the ORM (pages, the API) and in plain SQL
(the live path), for every combination of a generated matrix.

Roles (student, teacher, reviewer, admin, each in a class of the exchange or not,
some in several classes, some listed in the other role's table) × exchanges (every
status; the user's class in it or not; two and three classes) × sessions (scheduled,
live, closed, cancelled, and one that does not exist) × states (a student removed
from the session, the account deactivated, the sign-in ended or expired, the token
revoked). For each, the ORM's answers (``proofs.user_for_token`` /
``user_for_login_session``, ``access.get_session_for``, ``can_view_session``,
``is_member``, ``can_manage_exchange``, ``visible_sessions``) are compared with the
live path's (``access.caller_and_seat``, ``access.live_seat`` with and without the
seat read early, the room's ``standing``).
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import g

from forum import room, sql
from forum.errors import ActionError
from forum.extensions import db
from forum.log import eventlog
from forum.models import (
    ApiToken,
    ClassPart,
    Exchange,
    ExchangeKind,
    ExchangeMode,
    ExchangeStatus,
    ForumSession,
    LoginSession,
    Role,
    RoomMember,
    School,
    SchoolClass,
    SessionStatus,
    User,
    exchange_classes,
    utcnow,
)
from forum.people import access, proofs
from forum.room import write as room_record

SESSION_STATES = ("scheduled", "live", "closed", "cancelled")
# Which classes an exchange pairs: the matrix's users are in A, in C, in both or in none.
CLASS_SETS = {"AB": "AB", "BC": "BC", "ABC": "ABC"}
# Showcases (``forum.exchanges.showcases``): presenting classes > audience classes, approved as the
# Alliance makes them, or completed; a student in both A and C presents in one and
# watches in another.
SHOWCASES = {"A>C": ("A", "C"), "B>AC": ("B", "AC"), "C>A": ("C", "A"), "AB>": ("AB", "")}
# name: (role, classes taught, classes enrolled in, school)
PEOPLE = {
    "student_a": (Role.STUDENT, "", "A", "tw"),
    "student_c": (Role.STUDENT, "", "C", "kr"),
    "student_ac": (Role.STUDENT, "", "AC", "tw"),
    "student_none": (Role.STUDENT, "", "", "tw"),
    "student_removed": (Role.STUDENT, "", "A", "tw"),  # removed from every session
    "student_listed_as_teacher": (Role.STUDENT, "A", "C", "kr"),
    "teacher_a": (Role.TEACHER, "A", "", "tw"),
    "teacher_c": (Role.TEACHER, "C", "", "kr"),
    "teacher_ac": (Role.TEACHER, "AC", "", "tw"),
    "teacher_none": (Role.TEACHER, "", "", "jp"),
    "teacher_listed_as_student": (Role.TEACHER, "C", "A", "kr"),
    "reviewer": (Role.REVIEWER, "", "", None),
    "reviewer_in_a": (Role.REVIEWER, "A", "A", "tw"),
    "admin": (Role.ADMIN, "", "", None),
    "admin_teaching_a": (Role.ADMIN, "A", "", "tw"),
}
# Not in the matrix: a non-student with a removed room_members row. ``removed_from``
# says teachers, reviewers and admins are never removed; the live path refuses anyone
# whose row says removed. No path makes such a row (``mod.remove`` takes students only,
# and roles never change), so the two cannot disagree in practice.
PROOFS = ("token", "token_revoked", "sign_in", "sign_in_ended", "sign_in_expired")


def _build(app) -> dict:
    """The matrix's rows, made through the models; the ids and secrets to ask with."""
    now = utcnow()
    lifetime = timedelta(seconds=app.config["PERMANENT_SESSION_LIFETIME"])
    schools = {}
    for slug, country in (("tw", "TW"), ("jp", "JP"), ("kr", "KR")):
        schools[slug] = School(
            slug=f"school-{slug}",
            name_zh_tw=slug,
            name_en=slug,
            name_ja=slug,
            name_ko=slug,
            country=country,
            region="r",
            timezone="Asia/Taipei",
        )
    classes = {
        name: SchoolClass(school=schools[school], name=f"class {name}")
        for name, school in (("A", "tw"), ("B", "jp"), ("C", "kr"))
    }
    users: dict[str, User] = {}
    for name, (role, teaches, enrolled, school) in PEOPLE.items():
        user = User(
            role=role,
            display_name=name.replace("_", " ").title(),
            username=None if role == Role.STUDENT else name,
            school=schools[school] if school else None,
            locale="ja" if role == Role.TEACHER else None,
        )
        user.teaching = [classes[c] for c in teaches]
        user.enrolled = [classes[c] for c in enrolled]
        users[name] = user
    db.session.add_all([*schools.values(), *classes.values(), *users.values()])
    exchanges: dict[tuple[ExchangeStatus, str], Exchange] = {}
    statuses = (
        ExchangeStatus.APPROVED,
        ExchangeStatus.PROPOSED,
        ExchangeStatus.DECLINED,
        ExchangeStatus.WITHDRAWN,
        ExchangeStatus.COMPLETED,
    )
    for status, pairing in itertools.product(statuses, CLASS_SETS):
        exchanges[status, pairing] = Exchange(
            title=f"{status.value} {pairing}",
            mode=ExchangeMode.ONLINE,
            academic_year=114,
            status=status,
            classes=[classes[c] for c in pairing],
        )
    showcase_parts: dict[Exchange, dict[str, str]] = {}
    for status, (name, (presenting, audience)) in itertools.product(
        (ExchangeStatus.APPROVED, ExchangeStatus.COMPLETED), SHOWCASES.items()
    ):
        showcase = Exchange(
            kind=ExchangeKind.SHOWCASE.value,
            title=f"showcase {name} {status.value}",
            mode=ExchangeMode.ONLINE,
            academic_year=114,
            status=status,
            classes=[classes[c] for c in presenting + audience],
        )
        exchanges[status, f"showcase {name}"] = showcase
        showcase_parts[showcase] = {
            **dict.fromkeys(presenting, ClassPart.PRESENTING.value),
            **dict.fromkeys(audience, ClassPart.AUDIENCE.value),
        }
    db.session.add_all(exchanges.values())
    db.session.flush()
    for showcase, parts in showcase_parts.items():
        for letter, part in parts.items():
            db.session.execute(
                sa.update(exchange_classes)
                .where(
                    exchange_classes.c.exchange_id == showcase.id,
                    exchange_classes.c.class_id == classes[letter].id,
                )
                .values(part=part)
            )
    sessions: list[ForumSession] = []
    for exchange, state in itertools.product(exchanges.values(), SESSION_STATES):
        start = now + timedelta(days=1)
        row = ForumSession(
            exchange=exchange,
            title=state,
            sdgs=[4],
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            status=SessionStatus.SCHEDULED,
            slow_mode=len(sessions) % 3,
            locked=len(sessions) % 2 == 0,
            board_columns=["a", "b"] if len(sessions) % 2 else None,
        )
        if state in ("live", "closed"):
            row.status, row.opened_at = SessionStatus.LIVE, now - timedelta(minutes=5)
            row.head_seq, row.head_hash = 3, "ab" * 32
        if state == "closed":
            row.status, row.closed_at = SessionStatus.CLOSED, now - timedelta(minutes=1)
        if state == "cancelled":
            row.cancelled_at = now - timedelta(hours=1)
        sessions.append(row)
    db.session.add_all(sessions)
    db.session.flush()
    for session in sessions:
        # Removed from every session, whatever else holds; others have been in some.
        db.session.add(
            RoomMember(
                session_id=session.id,
                user_id=users["student_removed"].id,
                removed=True,
                muted=True,
                muted_until=now,
            )
        )
        if session.id % 2:
            db.session.add(
                RoomMember(
                    session_id=session.id,
                    user_id=users["student_a"].id,
                    present=True,
                    last_message_at=now,
                )
            )
    secrets: dict[tuple[str, str], tuple[str, str]] = {}
    for name, user in users.items():
        for proof in PROOFS:
            if proof.startswith("token"):
                token = f"sdgf_{name}_{proof}"
                db.session.add(
                    ApiToken(
                        user_id=user.id,
                        token_hash=proofs.digest(token),
                        revoked_at=now if proof == "token_revoked" else None,
                    )
                )
                secrets[name, proof] = ("token", token)
            else:
                sid = f"sid-{name}-{proof}"
                db.session.add(
                    LoginSession(
                        user_id=user.id,
                        sid_hash=proofs.digest(sid),
                        created_at=now - lifetime - timedelta(minutes=1)
                        if proof == "sign_in_expired"
                        else now - timedelta(minutes=1),
                        ended_at=now if proof == "sign_in_ended" else None,
                    )
                )
                secrets[name, proof] = ("sign_in", sid)
    db.session.commit()
    return {
        "users": {name: user.id for name, user in users.items()},
        "sessions": [s.id for s in sessions],
        "showcase_sessions": [
            s.id for s in sessions if s.exchange.kind == ExchangeKind.SHOWCASE.value
        ],
        "secrets": secrets,
    }


def _orm_identity(kind: str, secret: str) -> User | None:
    if kind == "token":
        return proofs.user_for_token(secret)
    return proofs.user_for_login_session(secret)


def _orm_answer(user: User, session_id: int) -> tuple:
    """What the pages and the API decide: the outcome of ``get_session_for`` (ok,
    not_found, removed), ``can_view_session``, and member / manager of its exchange."""
    try:
        session = access.get_session_for(user, session_id)
    except ActionError as refusal:
        outcome = refusal.code
    else:
        outcome = "ok"
    session = db.session.get(ForumSession, session_id)
    if session is None:
        return outcome, False, None
    seen = access.can_view_session(user, session)
    assert seen == (outcome == "ok")
    if outcome == "not_found":
        return outcome, seen, None
    return (
        outcome,
        seen,
        (
            access.is_member(user, session.exchange),
            access.can_manage_exchange(user, session.exchange),
            access.is_audience(user, session.exchange),
        ),
    )


def _live_answer(person: proofs.Person, session_id: int) -> tuple:
    """What the live path decides: the seat (None: not_found), then a removed member."""
    seat = access.live_seat(person, session_id)
    again = access.live_seat(person, session_id)  # no early seat now: its own query
    assert seat == again, "the seat read with the caller differs from live_seat's own"
    if seat is None:
        return "not_found", False, None
    head, member, manager, audience = seat
    orm = db.session.get(ForumSession, session_id)
    assert head == eventlog.Head(
        id=orm.id,
        exchange_id=orm.exchange_id,
        status=orm.status,
        opened_at=orm.opened_at,
        closed_at=orm.closed_at,
        cancelled_at=orm.cancelled_at,
        head_seq=orm.head_seq,
        head_hash=orm.head_hash,
        locked=orm.locked,
        slow_mode=orm.slow_mode,
        pinned_message_id=orm.pinned_message_id,
        approve_all=orm.approve_all,
        board_template=orm.board_template,
        board_columns=orm.board_columns,
    )
    standing = room.standing(session_id, person.id)
    if standing is not None and standing.removed:
        return "removed", False, (member, manager, audience)
    return "ok", True, (member, manager, audience)


def _same_person(person: proofs.Person, user: User) -> bool:
    school = proofs.SchoolRef(user.school.slug, user.school.country) if user.school else None
    return (person.id, person.role, person.display_name, person.locale, person.school) == (
        user.id,
        user.role,
        user.display_name,
        user.locale,
        school,
    )


@pytest.mark.parametrize("active", [True, False], ids=["active", "deactivated"])
def test_orm_and_live_sql_agree_over_the_matrix(app, active):
    with app.app_context():
        built = _build(app)
        if not active:
            db.session.execute(sa.update(User).values(is_active_account=False))
            db.session.commit()
        missing = max(built["sessions"]) + 1000
        session_ids = [*built["sessions"], missing]
        disagreements = []
        checked = 0
        audiences: dict[str, list[tuple]] = {}
        for name, user_id in built["users"].items():
            user = db.session.get(User, user_id)
            orm = {session_id: _orm_answer(user, session_id) for session_id in session_ids}
            audiences[name] = [
                orm[s]
                for s in built["showcase_sessions"]
                if s in orm and orm[s][0] == "ok" and orm[s][2] is not None
            ]
            listed = set(
                db.session.scalars(access.visible_sessions(user).with_only_columns(ForumSession.id))
            )
            assert listed == {s for s, answer in orm.items() if answer[0] == "ok"}, name
            ids = access.visible_exchange_ids(user)
            exchanges = db.session.scalars(sa.select(Exchange)).all()
            assert (
                set(db.session.scalars(ids)) if ids is not None else {e.id for e in exchanges}
            ) == {
                e.id
                for e in exchanges
                if access.is_member(user, e) or user.role in (Role.REVIEWER, Role.ADMIN)
            }, name
            for proof in PROOFS:
                kind, secret = built["secrets"][name, proof]
                who = _orm_identity(kind, secret)
                assert (who is not None) == (active and proof in ("token", "sign_in"))
                for session_id in session_ids:
                    g.pop("forum.early_seat", None)
                    person = access.caller_and_seat(kind, proofs.digest(secret), session_id)
                    live = None if person is None else _live_answer(person, session_id)
                    expected = None if who is None else orm[session_id]
                    checked += 1
                    if (person is None) != (who is None) or (
                        person is not None and not _same_person(person, who)
                    ):
                        disagreements.append((name, proof, session_id, "caller", person, who))
                    elif live != expected:
                        disagreements.append((name, proof, session_id, live, expected))
                # Without a session to ask about, the same query without its seat.
                alone = proofs.person_by_proof(kind, proofs.digest(secret))[0]
                assert (alone is None) == (who is None), (name, proof)
                db.session.rollback()
        assert checked == len(PEOPLE) * len(PROOFS) * len(session_ids)
        # The matrix holds audience students, and students who present in a showcase.
        assert any(a[2] and a[2][2] for answers in audiences.values() for a in answers)
        assert any(
            a[2] and a[2][0] and not a[2][2]
            for name, answers in audiences.items()
            if name.startswith("student")
            for a in answers
        )
        assert not disagreements, "\n".join(map(repr, disagreements[:20]))


def test_the_writers_row_reads_head_and_standing_by_name(app):
    """The writer's one statement under the lock (``eventlog.lock_head`` with the
    room's extra columns) reads the same head and room_members row as the ORM."""
    with app.app_context():
        built = _build(app)
        for name in ("student_a", "student_removed", "teacher_a"):
            user_id = built["users"][name]
            for session_id in built["sessions"][:8]:
                run = sql.statements()
                try:
                    head, extra = eventlog.lock_head(
                        run,
                        session_id,
                        also=room_record._WRITER_COLUMNS,
                        joins=room_record._WRITER_JOINS,
                        params={"user_id": user_id, "client_id": "c-1"},
                    )
                    standing = room.Standing.from_row(extra)
                    logged = extra["logged_seq"]
                finally:
                    run.rollback()
                orm = db.session.get(ForumSession, session_id)
                assert (
                    head.id,
                    head.status,
                    head.locked,
                    head.slow_mode,
                    head.board_columns,
                    head.opened_at,
                    head.closed_at,
                ) == (
                    orm.id,
                    orm.status,
                    orm.locked,
                    orm.slow_mode,
                    orm.board_columns,
                    orm.opened_at,
                    orm.closed_at,
                )
                member = db.session.get(RoomMember, (session_id, user_id))
                if member is None:
                    assert standing is None
                else:
                    assert (
                        standing.present,
                        standing.muted,
                        standing.muted_until,
                        standing.removed,
                        standing.last_message_at,
                    ) == (
                        member.present,
                        member.muted,
                        member.muted_until,
                        member.removed,
                        member.last_message_at,
                    )
                assert logged is None
                db.session.rollback()


def test_columns_are_read_by_label_wherever_they_sit():
    """A select list joined to others reads each value by its label: a column added to
    one list shifts no reader of another, and a label used twice is refused."""
    first = sql.Columns(a="x.a", b="x.b")
    second = sql.Columns(c="y.c")
    joined = second + first
    assert joined.sql == "y.c AS c, x.a AS a, x.b AS b"
    assert joined.read((3, 1, 2)) == {"a": 1, "b": 2, "c": 3}
    assert (sql.Columns(z="x.z") + first + second).read((0, 1, 2, 3))["c"] == 3
    with pytest.raises(ValueError, match="selected twice"):
        first + sql.Columns(b="z.b")
    assert not set(eventlog.HEAD.labels) & set(room.STANDING.labels)

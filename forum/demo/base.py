"""The plain demo (``seed``): schools, staff, classes and their students' codes, this
year's two exchanges and their sessions — one live, two scheduled, one replayed and
sealed two weeks ago — and the Alliance's MOUs and training. Built from ``data``."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from .. import exchanges as exchange_actions
from .. import room
from ..clock import academic_year_bounds, academic_year_of
from ..extensions import db
from ..models import (
    AccessCode,
    Exchange,
    ForumSession,
    Mou,
    Role,
    School,
    SchoolClass,
    SessionStatus,
    TrainingEvent,
    TrainingParticipant,
    User,
    utcnow,
)
from ..people import codes, proofs, signin
from . import data
from .replay import people_of, replay


def demo_code(school: str, name: str) -> str:
    """A demo student's code: an HMAC of the school and name under this instance's
    secret key (``FORUM_SECRET_KEY``, else the random one kept in the instance folder),
    so re-seeding keeps the printed codes valid, while another instance, or anyone
    reading this source, cannot compute them. Rejection sampling keeps every letter of
    the code alphabet equally likely."""
    key = current_app.config["SECRET_KEY"].encode()
    alphabet = codes.CODE_ALPHABET
    bound = 256 - 256 % len(alphabet)
    code: list[str] = []
    counter = 0
    while len(code) < codes.CODE_LENGTH:
        message = f"sdg-forum-demo-code:{counter}:{school}:{name}".encode()
        for byte in hmac.new(key, message, hashlib.sha256).digest():
            if byte < bound and len(code) < codes.CODE_LENGTH:
                code.append(alphabet[byte % len(alphabet)])
        counter += 1
    return "".join(code)


def get_or_add(model, lookup: dict[str, Any], **values: Any):
    row = db.session.scalar(sa.select(model).filter_by(**lookup))
    if row is None:
        row = model(**lookup, **values)
        db.session.add(row)
        db.session.flush()
    return row


def _ensure_code(student: User, code: str) -> None:
    active = db.session.scalar(
        sa.select(AccessCode).where(
            AccessCode.user_id == student.id, AccessCode.revoked_at.is_(None)
        )
    )
    if active is not None and active.code_hash == proofs.digest(code):
        return
    codes.revoke_codes(student)
    db.session.add(AccessCode(user_id=student.id, code_hash=proofs.digest(code)))


def _ensure_session(exchange: Exchange, s: dict[str, Any]) -> ForumSession:
    """A session of ``data.SESSIONS``: found by exchange and title, else made (a live
    one opened through the real action, so its log starts with session.opened)."""
    now = utcnow()
    live = s["status"] == SessionStatus.LIVE
    query = sa.select(ForumSession).where(
        ForumSession.exchange_id == exchange.id,
        ForumSession.title == s["title"],
        ForumSession.cancelled_at.is_(None),
    )
    if live:
        # A closed demo session stays closed (its record is sealed): open a new one.
        query = query.where(ForumSession.status == SessionStatus.LIVE)
    session = db.session.scalar(query.order_by(ForumSession.id.desc()))
    if session is None:
        # A scheduled session at a school hour: from "now" it could fall at night, where
        # Taipei and Seoul show different days.
        base = now if live else now.replace(hour=0, minute=0)
        start = (base + s["starts"]).replace(second=0, microsecond=0)
        session = ForumSession(
            exchange=exchange,
            title=s["title"],
            sdgs=s["sdgs"],
            status=SessionStatus.SCHEDULED,
            starts_at=start,
            ends_at=start + s["length"],
        )
        db.session.add(session)
        db.session.commit()
        if live:
            teacher = db.session.get_one(User, exchange.created_by_id)
            room.open_room(room.seat_for(teacher, session.id))
            db.session.refresh(session)
    elif live and session.ends_at < now + timedelta(minutes=30):
        session.ends_at = now.replace(second=0, microsecond=0) + timedelta(hours=2)
    return session


def _staff(schools: dict[str, School], out: list[dict[str, Any]]) -> dict[str, User]:
    staff: dict[str, User] = {}
    for s in data.STAFF:
        user = get_or_add(
            User,
            {"username": s["username"]},
            role=s["role"],
            display_name=s["display_name"],
            school=schools[s["school"]],
            locale=s["locale"],
        )
        if not user.password_hash or not signin.check_password_hash(
            user.password_hash, s["password"]
        ):
            signin.set_password(user, s["password"])
        staff[s["username"]] = user
        out.append(
            {
                "role": user.role.value,
                "school": s["school"],
                "username": s["username"],
                "password": s["password"],
                "display_name": user.display_name,
            }
        )
    return staff


def _class(c: dict[str, Any], school: School, teacher: User, out: list[dict]) -> SchoolClass:
    """A class of ``data.CLASSES`` with its teacher, students and their codes."""
    cls = get_or_add(SchoolClass, {"school_id": school.id, "name": c["name"]}, grade=c["grade"])
    if teacher not in cls.teachers:
        cls.teachers.append(teacher)
    for name in c["students"]:
        student = next((st for st in cls.students if st.display_name == name), None)
        if student is None:
            student = User(
                role=Role.STUDENT, display_name=name, school=school, locale=teacher.locale
            )
            cls.students.append(student)
            db.session.add(student)
            db.session.flush()
        code = demo_code(c["school"], name)
        _ensure_code(student, code)
        out.append(
            {
                "role": "student",
                "school": c["school"],
                "code": codes.format_code(code),
                "display_name": name,
            }
        )
    return cls


def _exchange(e: dict[str, Any], classes: dict[str, SchoolClass], by: User) -> Exchange:
    """An exchange of ``data.EXCHANGES``, agreed on by both classes and approved."""
    exchange = db.session.scalar(sa.select(Exchange).where(Exchange.title == e["title"]))
    if exchange is None:
        exchange = Exchange(
            title=e["title"],
            sdgs=e["sdgs"],
            mode=e["mode"],
            academic_year=academic_year_of(utcnow()),
            created_by_id=by.id,
            classes=[classes[s] for s in e["classes"]],
        )
        db.session.add(exchange)
        db.session.flush()
        exchange_actions.approve_outright(exchange)
    return exchange


def _alliance_records(admin: User) -> None:
    """The MOUs and the educator training of ``data``."""
    for m in data.MOUS:
        rest = {k: v for k, v in m.items() if k not in ("region", "country")}
        get_or_add(
            Mou, {"region": m["region"], "country": m["country"]}, **rest, created_by_id=admin.id
        )
    for t in data.TRAINING:
        if db.session.scalar(sa.select(TrainingEvent).where(TrainingEvent.title == t["title"])):
            continue
        event = TrainingEvent(
            **{k: v for k, v in t.items() if k != "participants"},
            academic_year=academic_year_of(t["held_on"]),
            created_by_id=admin.id,
        )
        event.participants = [TrainingParticipant(name=n, school=sc) for n, sc in t["participants"]]
        db.session.add(event)


def _past_session(
    exchange: Exchange, staff: dict[str, User], classes: dict[str, SchoolClass]
) -> ForumSession:
    """``data.PAST``: the Taiwan–Japan session two weeks ago, replayed and sealed."""
    now = utcnow()
    p = data.PAST
    length = timedelta(minutes=p["length"])
    start = data.at_school_hour((now - timedelta(days=14)).date())
    # From 1 to 14 August two weeks ago is last academic year, but the session belongs
    # to this year's exchange and this year's report: it is then on the year's first day
    # or, if that day's school hour is still to come, ends 20 minutes ago (before the
    # live session of the same exchange, which started 15 minutes ago).
    year = academic_year_of(now)
    if academic_year_of(start) != year:
        first = data.at_school_hour(academic_year_bounds(year)[0])
        start = min(first, (now - length - timedelta(minutes=20)).replace(second=0, microsecond=0))
    people = people_of(
        {"tw": staff["lin.teacher"], "jp": staff["sato.teacher"]},
        {"tw": classes["taipei-daan"].students, "jp": classes["shizuoka-aoi"].students},
    )
    return replay(exchange, p["title"], p["sdgs"], start, length, data.PAST_SCRIPT, people)


def session_json(s: ForumSession) -> dict[str, Any]:
    return {
        "id": s.id,
        "title": s.title,
        "status": s.status.value,
        "sdgs": list(s.sdgs),
        "exchange_id": s.exchange_id,
    }


def seed() -> dict[str, list[dict[str, Any]]]:
    """Create (or find) the demo data; return what ``seed-demo --json`` prints."""
    schools = {
        s["slug"]: get_or_add(
            School, {"slug": s["slug"]}, **{k: v for k, v in s.items() if k != "slug"}
        )
        for s in data.SCHOOLS
    }
    users_out: list[dict[str, Any]] = []
    staff = _staff(schools, users_out)
    classes_out: list[dict[str, Any]] = []
    classes: dict[str, SchoolClass] = {}
    for c in data.CLASSES:
        cls = _class(c, schools[c["school"]], staff[c["teacher"]], users_out)
        classes[c["school"]] = cls
        classes_out.append({"id": cls.id, "school": c["school"], "name": cls.name})
    exchanges = [_exchange(e, classes, staff["lin.teacher"]) for e in data.EXCHANGES]
    _alliance_records(staff["admin"])
    past = _past_session(exchanges[data.PAST["exchange"]], staff, classes)
    sessions = [_ensure_session(exchanges[s["exchange"]], s) for s in data.SESSIONS]
    sessions.append(past)
    db.session.commit()
    return {
        "users": users_out,
        "classes": classes_out,
        "sessions": [session_json(s) for s in sessions],
    }

"""Demo data: three schools, their teachers and classes, two exchanges, sessions.

Idempotent: running it again finds what is there and adds only what is missing.
Demo passwords and codes are fixed so that the printed credentials keep working.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from . import accounts
from .clock import academic_year_of
from .extensions import db
from .models import (
    AccessCode,
    Exchange,
    ExchangeMode,
    ForumSession,
    Role,
    School,
    SchoolClass,
    SessionStatus,
    User,
    utcnow,
)

SCHOOLS = [
    dict(slug="taipei-daan", country="TW", region="Taipei", timezone="Asia/Taipei",
         name_zh_tw="臺北市立大安國民中學", name_en="Taipei Da-An Junior High School",
         name_ja="台北市立大安国民中学", name_ko="타이베이 시립 다안 중학교"),
    dict(slug="shizuoka-aoi", country="JP", region="Shizuoka", timezone="Asia/Tokyo",
         name_zh_tw="靜岡市立葵中學", name_en="Shizuoka Aoi Junior High School",
         name_ja="静岡市立葵中学校", name_ko="시즈오카 시립 아오이 중학교"),
    dict(slug="seoul-hanbit", country="KR", region="Seoul", timezone="Asia/Seoul",
         name_zh_tw="首爾韓光中學", name_en="Seoul Hanbit Middle School",
         name_ja="ソウル・ハンビッ中学校", name_ko="서울한빛중학교"),
]

STAFF = [
    dict(username="lin.teacher", password="demo-lin-2024", role=Role.TEACHER,
         school="taipei-daan", display_name="林美華 老師", locale="zh_Hant_TW"),
    dict(username="sato.teacher", password="demo-sato-2024", role=Role.TEACHER,
         school="shizuoka-aoi", display_name="佐藤 健 先生", locale="ja"),
    dict(username="kim.teacher", password="demo-kim-2024", role=Role.TEACHER,
         school="seoul-hanbit", display_name="김지현 선생님", locale="ko"),
    dict(username="chen.reviewer", password="demo-review-2024", role=Role.REVIEWER,
         school="taipei-daan", display_name="陳怡君 (Alliance)", locale="zh_Hant_TW"),
    dict(username="admin", password="demo-admin-2024", role=Role.ADMIN,
         school="taipei-daan", display_name="Platform admin", locale="en"),
]

CLASSES = [
    dict(school="taipei-daan", name="八年三班", grade=8, teacher="lin.teacher",
         students=["王小明", "陳怡安", "李佳蓉", "張家豪"]),
    dict(school="shizuoka-aoi", name="2年1組", grade=8, teacher="sato.teacher",
         students=["山田 花子", "鈴木 大翔", "高橋 結衣", "伊藤 蓮"]),
    dict(school="seoul-hanbit", name="2학년 3반", grade=8, teacher="kim.teacher",
         students=["박서연", "이민준", "최지우", "정하준"]),
]

EXCHANGES = [
    dict(title="Climate action across the sea", classes=["taipei-daan", "shizuoka-aoi"],
         sdgs=[13, 14], mode=ExchangeMode.ONLINE),
    dict(title="Clean energy at our schools", classes=["taipei-daan", "seoul-hanbit"],
         sdgs=[7, 11], mode=ExchangeMode.ONLINE),
]


def _demo_code(school: str, name: str) -> str:
    """A fixed code per demo student, so re-seeding keeps printed codes valid."""
    raw = hashlib.sha256(f"sdg-forum-demo:{school}:{name}".encode()).digest()
    alphabet = accounts.CODE_ALPHABET
    return "".join(alphabet[b % len(alphabet)] for b in raw[: accounts.CODE_LENGTH])


def _get_or_add(model, lookup: dict[str, Any], **values: Any):
    row = db.session.scalar(sa.select(model).filter_by(**lookup))
    if row is None:
        row = model(**lookup, **values)
        db.session.add(row)
        db.session.flush()
    return row


def _ensure_code(student: User, code: str) -> None:
    active = db.session.scalar(sa.select(AccessCode).where(
        AccessCode.user_id == student.id, AccessCode.revoked_at.is_(None)))
    if active is not None and active.code_hash == accounts.digest(code):
        return
    accounts.revoke_codes(student)
    db.session.add(AccessCode(user_id=student.id, code_hash=accounts.digest(code)))


def _ensure_session(exchange: Exchange, title: str, sdgs: list[int], status: SessionStatus,
                    start_offset: timedelta, length: timedelta) -> ForumSession:
    now = utcnow()
    query = sa.select(ForumSession).where(
        ForumSession.exchange_id == exchange.id, ForumSession.title == title,
        ForumSession.cancelled_at.is_(None))
    if status == SessionStatus.LIVE:
        # A closed demo session stays closed (its record is sealed): open a new one.
        query = query.where(ForumSession.status == SessionStatus.LIVE)
    session = db.session.scalar(query.order_by(ForumSession.id.desc()))
    if session is None:
        start = (now + start_offset).replace(second=0, microsecond=0)
        session = ForumSession(
            exchange=exchange, title=title, sdgs=sdgs, status=SessionStatus.SCHEDULED,
            starts_at=start, ends_at=start + length,
        )
        db.session.add(session)
        db.session.commit()
        if status == SessionStatus.LIVE:
            # Opened through the real action, so its log starts with session.opened.
            from . import room

            teacher = db.session.get(User, exchange.created_by_id)
            room.open_room(room.seat_for(teacher, session.id))
            db.session.refresh(session)
    elif status == SessionStatus.LIVE and session.ends_at < now + timedelta(minutes=30):
        session.ends_at = now.replace(second=0, microsecond=0) + timedelta(hours=2)
    return session


def seed() -> dict[str, list[dict[str, Any]]]:
    """Create (or find) the demo data; return what ``seed-demo --json`` prints."""
    schools = {s["slug"]: _get_or_add(School, {"slug": s["slug"]},
                                      **{k: v for k, v in s.items() if k != "slug"})
               for s in SCHOOLS}
    users_out: list[dict[str, Any]] = []
    staff: dict[str, User] = {}
    for s in STAFF:
        user = _get_or_add(User, {"username": s["username"]}, role=s["role"],
                           display_name=s["display_name"], school=schools[s["school"]],
                           locale=s["locale"])
        if not user.password_hash or not accounts.check_password_hash(
                user.password_hash, s["password"]):
            accounts.set_password(user, s["password"])
        staff[s["username"]] = user
        users_out.append({"role": user.role.value, "school": s["school"],
                          "username": s["username"], "password": s["password"],
                          "display_name": user.display_name})

    classes_out: list[dict[str, Any]] = []
    classes: dict[str, SchoolClass] = {}
    for c in CLASSES:
        school = schools[c["school"]]
        cls = _get_or_add(SchoolClass, {"school_id": school.id, "name": c["name"]},
                          grade=c["grade"])
        teacher = staff[c["teacher"]]
        if teacher not in cls.teachers:
            cls.teachers.append(teacher)
        for name in c["students"]:
            student = next((st for st in cls.students if st.display_name == name), None)
            if student is None:
                student = User(role=Role.STUDENT, display_name=name, school=school,
                               locale=staff[c["teacher"]].locale)
                cls.students.append(student)
                db.session.add(student)
                db.session.flush()
            code = _demo_code(c["school"], name)
            _ensure_code(student, code)
            users_out.append({"role": "student", "school": c["school"],
                              "code": accounts.format_code(code), "display_name": name})
        classes[c["school"]] = cls
        classes_out.append({"id": cls.id, "school": c["school"], "name": cls.name})

    exchanges: list[Exchange] = []
    for e in EXCHANGES:
        exchange = db.session.scalar(sa.select(Exchange).where(Exchange.title == e["title"]))
        if exchange is None:
            exchange = Exchange(title=e["title"], sdgs=e["sdgs"], mode=e["mode"],
                                academic_year=academic_year_of(utcnow()),
                                created_by_id=staff["lin.teacher"].id,
                                classes=[classes[s] for s in e["classes"]])
            db.session.add(exchange)
            db.session.flush()
        exchanges.append(exchange)

    tw_jp, tw_kr = exchanges
    sessions = [
        _ensure_session(tw_jp, "Our rivers and the sea", [14], SessionStatus.LIVE,
                        timedelta(minutes=-15), timedelta(hours=2)),
        _ensure_session(tw_jp, "Typhoons, heavy rain and us", [13], SessionStatus.SCHEDULED,
                        timedelta(days=7, hours=2), timedelta(minutes=90)),
        _ensure_session(tw_kr, "Saving energy in our classrooms", [7], SessionStatus.SCHEDULED,
                        timedelta(days=3, hours=1), timedelta(hours=1)),
    ]
    db.session.commit()
    return {
        "users": users_out,
        "classes": classes_out,
        "sessions": [
            {"id": s.id, "title": s.title, "status": s.status.value, "sdgs": list(s.sdgs),
             "exchange_id": s.exchange_id}
            for s in sessions
        ],
    }

"""Demo data: three schools, their teachers and classes, two exchanges, sessions; the
Alliance's MOUs and educator training.

Idempotent: running it again finds what is there and adds only what is missing.
Demo passwords are fixed (the README prints them); students' codes are this instance's
own, derived from its secret key, so the same on every run (the printed codes keep
working) but not computable from the source.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from .clock import academic_year_of
from .extensions import db
from .models import (
    AccessCode,
    AllianceDecision,
    ClassPart,
    Exchange,
    ExchangeKind,
    ExchangeMode,
    ExchangeStatus,
    ForumSession,
    Mou,
    MouStatus,
    Role,
    School,
    SchoolClass,
    SessionStatus,
    TrainingEvent,
    TrainingKind,
    TrainingParticipant,
    User,
    exchange_classes,
    utcnow,
)
from .people import codes, proofs, signin
from .room import Clock

SCHOOLS: list[dict[str, Any]] = [
    dict(
        slug="taipei-daan",
        country="TW",
        region="Taipei",
        timezone="Asia/Taipei",
        name_zh_tw="臺北市立大安國民中學",
        name_en="Taipei Da-An Junior High School",
        name_ja="台北市立大安国民中学",
        name_ko="타이베이 시립 다안 중학교",
    ),
    dict(
        slug="shizuoka-aoi",
        country="JP",
        region="Shizuoka",
        timezone="Asia/Tokyo",
        name_zh_tw="靜岡市立葵中學",
        name_en="Shizuoka Aoi Junior High School",
        name_ja="静岡市立葵中学校",
        name_ko="시즈오카 시립 아오이 중학교",
    ),
    dict(
        slug="seoul-hanbit",
        country="KR",
        region="Seoul",
        timezone="Asia/Seoul",
        name_zh_tw="首爾韓光中學",
        name_en="Seoul Hanbit Middle School",
        name_ja="ソウル・ハンビッ中学校",
        name_ko="서울한빛중학교",
    ),
]

STAFF: list[dict[str, Any]] = [
    dict(
        username="lin.teacher",
        password="demo-lin-2024",
        role=Role.TEACHER,
        school="taipei-daan",
        display_name="林美華 老師",
        locale="zh_Hant_TW",
    ),
    dict(
        username="sato.teacher",
        password="demo-sato-2024",
        role=Role.TEACHER,
        school="shizuoka-aoi",
        display_name="佐藤 健 先生",
        locale="ja",
    ),
    dict(
        username="kim.teacher",
        password="demo-kim-2024",
        role=Role.TEACHER,
        school="seoul-hanbit",
        display_name="김지현 선생님",
        locale="ko",
    ),
    dict(
        username="chen.reviewer",
        password="demo-review-2024",
        role=Role.REVIEWER,
        school="taipei-daan",
        display_name="陳怡君 (Alliance)",
        locale="zh_Hant_TW",
    ),
    dict(
        username="admin",
        password="demo-admin-2024",
        role=Role.ADMIN,
        school="taipei-daan",
        display_name="Platform admin",
        locale="en",
    ),
]

CLASSES: list[dict[str, Any]] = [
    dict(
        school="taipei-daan",
        name="八年三班",
        grade=8,
        teacher="lin.teacher",
        students=["王小明", "陳怡安", "李佳蓉", "張家豪"],
    ),
    dict(
        school="shizuoka-aoi",
        name="2年1組",
        grade=8,
        teacher="sato.teacher",
        students=["山田 花子", "鈴木 大翔", "高橋 結衣", "伊藤 蓮"],
    ),
    dict(
        school="seoul-hanbit",
        name="2학년 3반",
        grade=8,
        teacher="kim.teacher",
        students=["박서연", "이민준", "최지우", "정하준"],
    ),
]

EXCHANGES: list[dict[str, Any]] = [
    dict(
        title="Climate action across the sea",
        classes=["taipei-daan", "shizuoka-aoi"],
        sdgs=[13, 14],
        mode=ExchangeMode.ONLINE,
    ),
    dict(
        title="Clean energy at our schools",
        classes=["taipei-daan", "seoul-hanbit"],
        sdgs=[7, 11],
        mode=ExchangeMode.ONLINE,
    ),
]

# The Alliance's 113th year as the demo tells it: MOUs with Shikoku, Chiba and Miyagi,
# one planned with Shizuoka for 114, and two educator-training events.
MOUS: list[dict[str, Any]] = [
    dict(
        region="Shikoku",
        country="JP",
        authority="四国4県教育委員会",
        status=MouStatus.SIGNED,
        signed_on=date(2024, 9, 20),
        academic_year=113,
    ),
    dict(
        region="Chiba",
        country="JP",
        authority="千葉県教育委員会",
        status=MouStatus.SIGNED,
        signed_on=date(2024, 11, 15),
        academic_year=113,
    ),
    dict(
        region="Miyagi",
        country="JP",
        authority="宮城県教育委員会",
        status=MouStatus.SIGNED,
        signed_on=date(2025, 3, 10),
        academic_year=113,
    ),
    dict(
        region="Shizuoka",
        country="JP",
        authority="静岡県教育委員会",
        status=MouStatus.PLANNED,
        signed_on=None,
        academic_year=114,
    ),
]
TRAINING: list[dict[str, Any]] = [
    dict(
        title="核心工作小組：規劃本學年的交流",
        kind=TrainingKind.TASK_FORCE,
        held_on=date(2024, 10, 19),
        online=False,
        place="臺北市立大安國民中學",
        head_count=120,
        participants=[],
    ),
    dict(
        title="接待靜岡來訪師生",
        kind=TrainingKind.HOST_FAMILY,
        held_on=date(2025, 3, 8),
        online=True,
        place=None,
        head_count=None,
        participants=[
            ("林美華", "臺北市立大安國民中學"),
            ("陳怡君", "臺北市立大安國民中學"),
            ("黃志明", "臺北市立大安國民中學"),
        ],
    ),
]


def _demo_code(school: str, name: str) -> str:
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


def _get_or_add(model, lookup: dict[str, Any], **values: Any):
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


def _ensure_session(
    exchange: Exchange,
    title: str,
    sdgs: list[int],
    status: SessionStatus,
    start_offset: timedelta,
    length: timedelta,
) -> ForumSession:
    now = utcnow()
    query = sa.select(ForumSession).where(
        ForumSession.exchange_id == exchange.id,
        ForumSession.title == title,
        ForumSession.cancelled_at.is_(None),
    )
    if status == SessionStatus.LIVE:
        # A closed demo session stays closed (its record is sealed): open a new one.
        query = query.where(ForumSession.status == SessionStatus.LIVE)
    session = db.session.scalar(query.order_by(ForumSession.id.desc()))
    if session is None:
        start = (now + start_offset).replace(second=0, microsecond=0)
        session = ForumSession(
            exchange=exchange,
            title=title,
            sdgs=sdgs,
            status=SessionStatus.SCHEDULED,
            starts_at=start,
            ends_at=start + length,
        )
        db.session.add(session)
        db.session.commit()
        if status == SessionStatus.LIVE:
            # Opened through the real action, so its log starts with session.opened.
            from . import room

            teacher = db.session.get_one(User, exchange.created_by_id)
            room.open_room(room.seat_for(teacher, session.id))
            db.session.refresh(session)
    elif status == SessionStatus.LIVE and session.ends_at < now + timedelta(minutes=30):
        session.ends_at = now.replace(second=0, microsecond=0) + timedelta(hours=2)
    return session


class _ScriptedClock(Clock):
    """A clock that starts in the past and moves on by the script's steps."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def now(self) -> datetime:
        return self.at

    def step(self, minutes: float) -> None:
        self.at += timedelta(minutes=minutes)


# (minutes after the previous line, who, what, payload): who is "tw"/"jp" teacher or
# a student index per school ("tw0", "jp1", …).
PAST_SCRIPT: list[tuple[float, str, str, dict[str, Any]]] = [
    (0, "tw", "open", {}),
    (1, "tw", "join", {}),
    (0.2, "jp", "join", {}),
    (0.5, "tw0", "join", {}),
    (0.1, "tw1", "join", {}),
    (0.1, "tw2", "join", {}),
    (0.2, "jp0", "join", {}),
    (0.1, "jp1", "join", {}),
    (0.1, "jp2", "join", {}),
    (
        1,
        "tw",
        "say",
        {
            "body": "Welcome! Today: plastic on our beaches. "
            "What did you find on your beach clean-up?"
        },
    ),
    (0.2, "tw", "pin", {}),
    (2, "tw0", "say", {"body": "我們在淡水的海邊撿到很多寶特瓶和吸管。"}),
    (1, "jp0", "say", {"body": "私たちは用宗海岸でペットボトルのふたをたくさん見つけました。"}),
    (0.5, "tw1", "react", {"emoji": "👍"}),
    (1, "tw2", "say", {"body": "Some bottles had Japanese and Korean labels on them!"}),
    (1, "jp1", "say", {"body": "海流で台湾から日本にも来るのかな？"}),
    (0.5, "tw0", "say", {"body": "lol this is boring"}),
    (0.3, "jp", "hide", {"reason": "Off topic"}),
    (1, "jp0", "note", {"column": "see", "text": "ペットボトルのふたが一番多い"}),
    (0.5, "tw0", "note", {"column": "see", "text": "吸管和塑膠袋很多"}),
    (1, "tw1", "note", {"column": "why", "text": "颱風把垃圾從河流帶到海裡"}),
    (1, "jp2", "note", {"column": "why", "text": "海流が国と国をつないでいる"}),
    (1, "tw2", "note", {"column": "do", "text": "Bring our own cups and bottles to school"}),
    (0.5, "jp1", "note", {"column": "do", "text": "月に一回、海岸清掃をする"}),
    (0.5, "jp0", "vote", {"note": 0}),
    (0.2, "tw1", "vote", {"note": 4}),
    (0.2, "jp2", "vote", {"note": 4}),
    (0.2, "tw0", "vote", {"note": 5}),
    (2, "jp", "say", {"body": "Great ideas. Let's each try one action before next month."}),
    (30, "tw", "close", {}),
]


def _replay_past_session(
    exchange: Exchange,
    title: str,
    sdgs: list[int],
    teachers: dict[str, User],
    students: dict[str, list[User]],
) -> ForumSession:
    """A closed, sealed session with a real conversation, made through the real actions
    at the times it would have happened two weeks ago."""
    from . import room
    from .room import board

    exists = db.session.scalar(
        sa.select(ForumSession).where(
            ForumSession.exchange_id == exchange.id, ForumSession.title == title
        )
    )
    if exists:
        return exists
    start = (utcnow() - timedelta(days=14)).replace(hour=6, minute=0, second=0, microsecond=0)
    session = ForumSession(
        exchange=exchange,
        title=title,
        sdgs=sdgs,
        status=SessionStatus.SCHEDULED,
        starts_at=start,
        ends_at=start + timedelta(minutes=50),
    )
    db.session.add(session)
    db.session.commit()
    scripted = _ScriptedClock(start)
    replaced = room.clock.replaced(scripted)
    replaced.__enter__()
    notes: list[int] = []
    last_message: int | None = None
    try:
        for minutes, who, what, payload in PAST_SCRIPT:
            scripted.step(minutes)
            user = teachers[who] if who in teachers else students[who[:2]][int(who[2:])]
            seat = room.seat_for(user, session.id)
            if what == "open":
                room.open_room(seat)
            elif what == "close":
                room.close_room(seat)
            elif what == "join":
                room.joined(seat)
            elif what == "say":
                last_message = room.send_message(
                    seat, {"client_id": f"demo-{scripted.at.timestamp()}", **payload}
                ).event.data["message_id"]
            elif what == "pin":
                room.pin(seat, {"message_id": last_message, "pinned": True})
            elif what == "react":
                room.react(seat, {"message_id": last_message, **payload})
            elif what == "hide":
                assert last_message is not None  # the script hides what was said before
                room.hide_message(seat, last_message, True, payload.get("reason"))
            elif what == "note":
                notes.append(
                    board.add(seat, {"client_id": f"demo-n{len(notes)}", **payload}).event.data[
                        "note"
                    ]["id"]
                )
            elif what == "vote":
                board.vote(seat, {"note_id": notes[payload["note"]]})
    finally:
        replaced.__exit__(None, None, None)
        room.rate_limiter.forget()
    db.session.refresh(session)
    return session


# An upcoming showcase (``forum.exchanges.showcases``) for ``seed-demo --with-showcase`` (``make
# run``): the Taipei class presents its exchange, the Seoul class has signed up as
# audience. Apart from ``seed``, so the demo that many tests read stays as it was.
SHOWCASE: dict[str, Any] = dict(
    title="Showcase: what our beach clean-up taught us",
    sdgs=[14],
    description="The Taipei class shares how its exchange with Shizuoka worked.",
    presenting=["taipei-daan"],
    audience=["seoul-hanbit"],
)


def seed_showcase() -> dict[str, Any]:
    """Add the demo's showcase (idempotent, after ``seed``); its session, as ``seed``
    lists sessions."""
    reviewer = db.session.scalars(sa.select(User).where(User.username == "chen.reviewer")).one()
    classes = {
        c["school"]: db.session.scalars(
            sa.select(SchoolClass)
            .join(School, School.id == SchoolClass.school_id)
            .where(School.slug == c["school"], SchoolClass.name == c["name"])
        ).one()
        for c in CLASSES
    }
    s = _ensure_showcase(reviewer, classes)
    return {
        "id": s.id,
        "title": s.title,
        "status": s.status.value,
        "sdgs": list(s.sdgs),
        "exchange_id": s.exchange_id,
    }


def _ensure_showcase(reviewer: User, classes: dict[str, SchoolClass]) -> ForumSession:
    """The demo's showcase and its session (idempotent)."""
    showcase = db.session.scalar(
        sa.select(Exchange).where(
            Exchange.title == SHOWCASE["title"], Exchange.kind == ExchangeKind.SHOWCASE.value
        )
    )
    if showcase is None:
        start = (utcnow() + timedelta(days=10)).replace(second=0, microsecond=0)
        showcase = Exchange(
            kind=ExchangeKind.SHOWCASE.value,
            title=SHOWCASE["title"],
            sdgs=SHOWCASE["sdgs"],
            mode=ExchangeMode.ONLINE,
            academic_year=academic_year_of(start),
            status=ExchangeStatus.APPROVED,
            alliance=AllianceDecision.APPROVED,
            goals=SHOWCASE["description"],
            created_by_id=reviewer.id,
        )
        db.session.add(showcase)
        db.session.flush()
        db.session.execute(
            sa.insert(exchange_classes),
            [
                {
                    "exchange_id": showcase.id,
                    "class_id": classes[school].id,
                    "accepted": True,
                    "part": part.value,
                }
                for part, schools in (
                    (ClassPart.PRESENTING, SHOWCASE["presenting"]),
                    (ClassPart.AUDIENCE, SHOWCASE["audience"]),
                )
                for school in schools
            ],
        )
        db.session.add(
            ForumSession(
                exchange=showcase,
                title=SHOWCASE["title"],
                sdgs=SHOWCASE["sdgs"],
                status=SessionStatus.SCHEDULED,
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                created_by_id=reviewer.id,
            )
        )
        db.session.commit()
    session = next(s for s in showcase.sessions if s.cancelled_at is None)
    return session


def seed() -> dict[str, list[dict[str, Any]]]:
    """Create (or find) the demo data; return what ``seed-demo --json`` prints."""
    schools = {
        s["slug"]: _get_or_add(
            School, {"slug": s["slug"]}, **{k: v for k, v in s.items() if k != "slug"}
        )
        for s in SCHOOLS
    }
    users_out: list[dict[str, Any]] = []
    staff: dict[str, User] = {}
    for s in STAFF:
        user = _get_or_add(
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
        users_out.append(
            {
                "role": user.role.value,
                "school": s["school"],
                "username": s["username"],
                "password": s["password"],
                "display_name": user.display_name,
            }
        )

    classes_out: list[dict[str, Any]] = []
    classes: dict[str, SchoolClass] = {}
    for c in CLASSES:
        school = schools[c["school"]]
        cls = _get_or_add(
            SchoolClass, {"school_id": school.id, "name": c["name"]}, grade=c["grade"]
        )
        teacher = staff[c["teacher"]]
        if teacher not in cls.teachers:
            cls.teachers.append(teacher)
        for name in c["students"]:
            student = next((st for st in cls.students if st.display_name == name), None)
            if student is None:
                student = User(
                    role=Role.STUDENT,
                    display_name=name,
                    school=school,
                    locale=staff[c["teacher"]].locale,
                )
                cls.students.append(student)
                db.session.add(student)
                db.session.flush()
            code = _demo_code(c["school"], name)
            _ensure_code(student, code)
            users_out.append(
                {
                    "role": "student",
                    "school": c["school"],
                    "code": codes.format_code(code),
                    "display_name": name,
                }
            )
        classes[c["school"]] = cls
        classes_out.append({"id": cls.id, "school": c["school"], "name": cls.name})

    exchanges: list[Exchange] = []
    for e in EXCHANGES:
        exchange = db.session.scalar(sa.select(Exchange).where(Exchange.title == e["title"]))
        if exchange is None:
            exchange = Exchange(
                title=e["title"],
                sdgs=e["sdgs"],
                mode=e["mode"],
                academic_year=academic_year_of(utcnow()),
                created_by_id=staff["lin.teacher"].id,
                classes=[classes[s] for s in e["classes"]],
            )
            db.session.add(exchange)
            db.session.flush()
            # Agreed on by both classes and approved by the Alliance.
            from .exchanges import approve_outright

            approve_outright(exchange)
        exchanges.append(exchange)

    for m in MOUS:
        _get_or_add(
            Mou,
            {"region": m["region"], "country": m["country"]},
            **{k: v for k, v in m.items() if k not in ("region", "country")},
            created_by_id=staff["admin"].id,
        )
    for t in TRAINING:
        if db.session.scalar(sa.select(TrainingEvent).where(TrainingEvent.title == t["title"])):
            continue
        event = TrainingEvent(
            **{k: v for k, v in t.items() if k != "participants"},
            academic_year=academic_year_of(t["held_on"]),
            created_by_id=staff["admin"].id,
        )
        event.participants = [TrainingParticipant(name=n, school=sc) for n, sc in t["participants"]]
        db.session.add(event)

    tw_jp, tw_kr = exchanges
    past = _replay_past_session(
        tw_jp,
        "Plastic on our beaches",
        [14, 12],
        teachers={"tw": staff["lin.teacher"], "jp": staff["sato.teacher"]},
        students={"tw": classes["taipei-daan"].students, "jp": classes["shizuoka-aoi"].students},
    )
    sessions = [
        _ensure_session(
            tw_jp,
            "Our rivers and the sea",
            [14],
            SessionStatus.LIVE,
            timedelta(minutes=-15),
            timedelta(hours=2),
        ),
        _ensure_session(
            tw_jp,
            "Typhoons, heavy rain and us",
            [13],
            SessionStatus.SCHEDULED,
            timedelta(days=7, hours=2),
            timedelta(minutes=90),
        ),
        _ensure_session(
            tw_kr,
            "Saving energy in our classrooms",
            [7],
            SessionStatus.SCHEDULED,
            timedelta(days=3, hours=1),
            timedelta(hours=1),
        ),
        past,
    ]
    db.session.commit()
    return {
        "users": users_out,
        "classes": classes_out,
        "sessions": [
            {
                "id": s.id,
                "title": s.title,
                "status": s.status.value,
                "sdgs": list(s.sdgs),
                "exchange_id": s.exchange_id,
            }
            for s in sessions
        ],
    }


# Applications still on their way, for ``seed-demo --with-applications`` (``make run``):
# one waiting for the Shizuoka teacher's answer, one accepted and waiting for the
# Alliance, one asking the Alliance to find a Korean partner class. Made through the
# real actions, so their history reads as it would.
APPLICATIONS: list[dict[str, Any]] = [
    dict(
        proposer="lin.teacher",
        school="taipei-daan",
        partners=["shizuoka-aoi"],
        accepted_by=None,
        title="Rivers that reach the sea",
        sdgs=[6, 14],
        mode="online",
        goals="Compare our rivers and what they carry to the sea.",
    ),
    dict(
        proposer="sato.teacher",
        school="shizuoka-aoi",
        partners=["taipei-daan"],
        accepted_by="lin.teacher",
        title="School lunches without waste",
        sdgs=[2, 12],
        mode="online",
        goals="Weigh what our lunches leave behind, and halve it.",
    ),
    dict(
        proposer="lin.teacher",
        school="taipei-daan",
        partners=[],
        partner_country="KR",
        accepted_by=None,
        title="A week in Seoul: urban heat",
        sdgs=[11, 13],
        mode="in_person",
        goals="Measure and map the heat of our streets, in person.",
    ),
]


def seed_applications() -> list[int]:
    """Add the demo's pending applications (idempotent); their ids."""
    from . import exchanges

    staff = {
        u.username: u
        for u in db.session.scalars(
            sa.select(User).where(
                User.username.in_(
                    {a[k] for a in APPLICATIONS for k in ("proposer", "accepted_by") if a[k]}
                )
            )
        )
    }
    classes = {c.school.slug: c for c in db.session.scalars(sa.select(SchoolClass))}
    starts = utcnow().date() + timedelta(days=60)
    ids = []
    for a in APPLICATIONS:
        found = db.session.scalar(sa.select(Exchange).where(Exchange.title == a["title"]))
        if found is None:
            found = exchanges.propose(
                staff[a["proposer"]],
                {
                    "class_id": classes[a["school"]].id,
                    "title": a["title"],
                    "sdgs": a["sdgs"],
                    "mode": a["mode"],
                    "goals": a["goals"],
                    "partner_class_ids": [classes[s].id for s in a["partners"]],
                    "partner_country": a.get("partner_country"),
                    "starts_on": starts.isoformat(),
                    "ends_on": (starts + timedelta(days=120)).isoformat(),
                },
            )
            if a["accepted_by"]:
                exchanges.accept(
                    staff[a["accepted_by"]],
                    found,
                    {"comment": "很樂意！我們班已經在秤午餐的剩食了。"},
                )
        ids.append(found.id)
    return ids

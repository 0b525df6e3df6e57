"""The data model: schools, classes, people, exchanges and their forum sessions.

Times are stored as UTC. ``UTCDateTime`` hands back aware datetimes on every
database, so nothing downstream has to guess what a naive value meant.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from .extensions import Model, db


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as naive UTC and returned as aware UTC."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC was expected")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Role(enum.StrEnum):
    STUDENT = "student"
    TEACHER = "teacher"
    REVIEWER = "reviewer"
    ADMIN = "admin"


class SessionStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    CLOSED = "closed"


class ExchangeMode(enum.StrEnum):
    ONLINE = "online"
    IN_PERSON = "in_person"


class ExchangeStatus(enum.StrEnum):
    """An exchange's life: an application (proposed) that pairs classes only once every
    partner class accepted and the Alliance approved it (protocol.md, "Exchanges")."""

    PROPOSED = "proposed"
    APPROVED = "approved"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    COMPLETED = "completed"
    # The names of before applications: an active exchange is an approved one, a
    # cancelled one was withdrawn (the migration turned their rows into these).
    ACTIVE = "approved"
    CANCELLED = "withdrawn"


class AllianceDecision(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    RETURNED = "returned"
    DECLINED = "declined"


class DecisionAction(enum.StrEnum):
    """What an ``ExchangeDecision`` records."""

    PROPOSE = "propose"
    ACCEPT = "accept"  # a partner class's teacher
    DECLINE = "decline"  # a partner class's teacher
    PAIR = "pair"  # the Alliance adds partner classes
    APPROVE = "approve"  # the Alliance
    RETURN = "return"  # the Alliance sends it back with a comment
    REJECT = "reject"  # the Alliance declines it
    WITHDRAW = "withdraw"  # its proposing teacher
    COMPLETE = "complete"  # a teacher of the exchange, with a summary


def _enum(cls: type[enum.Enum], name: str) -> sa.Enum:
    # Stored as plain strings with a CHECK, so PostgreSQL needs no enum type.
    return sa.Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda e: [m.value for m in e],
    )


class School(Model):
    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name_zh_tw: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200))
    name_ja: Mapped[str] = mapped_column(sa.String(200))
    name_ko: Mapped[str] = mapped_column(sa.String(200))
    country: Mapped[str] = mapped_column(sa.String(2))  # ISO 3166-1 alpha-2
    region: Mapped[str] = mapped_column(sa.String(100))
    city: Mapped[str | None] = mapped_column(sa.String(100))
    timezone: Mapped[str] = mapped_column(sa.String(64))

    classes: Mapped[list[SchoolClass]] = relationship(back_populates="school")

    def name_in(self, locale: str) -> str:
        """The school's name in a UI language, English when unknown."""
        lang = locale.split("_")[0].split("-")[0]
        return {
            "zh": self.name_zh_tw,
            "ja": self.name_ja,
            "ko": self.name_ko,
        }.get(lang) or self.name_en


class_teachers = sa.Table(
    "class_teachers",
    db.metadata,
    sa.Column("class_id", sa.ForeignKey("classes.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)

class_students = sa.Table(
    "class_students",
    db.metadata,
    sa.Column("class_id", sa.ForeignKey("classes.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class SchoolClass(Model):
    """A class of students at one school, taught by one or more teachers."""

    __tablename__ = "classes"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    grade: Mapped[int | None] = mapped_column(sa.SmallInteger)

    school: Mapped[School] = relationship(back_populates="classes")
    teachers: Mapped[list[User]] = relationship(
        secondary=class_teachers, back_populates="teaching", order_by="User.display_name"
    )
    students: Mapped[list[User]] = relationship(
        secondary=class_students, back_populates="enrolled", order_by="User.display_name"
    )


class User(UserMixin, Model):
    """A person: student (code sign-in, no e-mail, no password) or staff."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    # Staff only; students have neither a username nor a password.
    username: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    display_name: Mapped[str] = mapped_column(sa.String(100))
    school_id: Mapped[int | None] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    locale: Mapped[str | None] = mapped_column(sa.String(16))
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    is_active_account: Mapped[bool] = mapped_column(default=True)
    # Bumped to invalidate the user's calendar feed URL (derived, never stored).
    calendar_feed_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Students: a guardian agreed that their words may appear, under a pseudonym, in a
    # published case (``consent``; every change kept in ``consent_changes``).
    publish_consent: Mapped[bool] = mapped_column(default=False)
    # When ``forum retention`` replaced the student's name with a pseudonym.
    name_erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    school: Mapped[School | None] = relationship()
    teaching: Mapped[list[SchoolClass]] = relationship(
        secondary=class_teachers, back_populates="teachers"
    )
    enrolled: Mapped[list[SchoolClass]] = relationship(
        secondary=class_students, back_populates="students"
    )

    # Set by the user loader: which sign-in (LoginSession) this request belongs to.
    # A plain attribute, not a column: declared for mypy only, where SQLAlchemy won't see it.
    if TYPE_CHECKING:
        current_sid: str | None
    current_sid = None

    def get_id(self) -> str:
        """Flask-Login keeps the sign-in session id, not the user id, in the cookie."""
        return self.current_sid or ""

    @property
    def is_active(self) -> bool:
        return self.is_active_account

    @property
    def is_staff(self) -> bool:
        return self.role != Role.STUDENT

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value} {self.display_name!r}>"


class AccessCode(Model):
    """A student's personal sign-in code, kept only as a hash; revocable."""

    __tablename__ = "access_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class ApiToken(Model):
    """A bearer token for the JSON API and Socket.IO, kept only as a hash."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class LoginSession(Model):
    """One sign-in. A fresh id at every sign-in; ended at sign-out on every device."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    sid_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class SignInFailure(Model):
    """A failed sign-in, by throttle key; shared by every server process."""

    __tablename__ = "sign_in_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(128), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


exchange_classes = sa.Table(
    "exchange_classes",
    db.metadata,
    sa.Column("exchange_id", sa.ForeignKey("exchanges.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("class_id", sa.ForeignKey("classes.id", ondelete="CASCADE"), primary_key=True),
    # Has the class's teacher agreed to take part? None = not yet answered.
    sa.Column("accepted", sa.Boolean, nullable=True),
    # A showcase's class: presenting or audience (``ClassPart``); None in an exchange.
    sa.Column("part", sa.String(16), nullable=True),
)


class ExchangeKind(enum.StrEnum):
    """An exchange between classes, or a showcase (case-sharing) session the Alliance
    schedules: presenting classes share what worked with an audience of other schools'
    classes (``forum.exchanges.showcases``). Both pair classes, so every access rule holds."""

    EXCHANGE = "exchange"
    SHOWCASE = "showcase"


class ClassPart(enum.StrEnum):
    """A class's part in a showcase (``exchange_classes.part``)."""

    PRESENTING = "presenting"
    AUDIENCE = "audience"


class Exchange(Model):
    """Two or more classes from different schools paired around some SDGs; it starts
    as an application (``status`` proposed) and pairs them only once approved."""

    __tablename__ = "exchanges"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    # An exchange, or a showcase: never counted nor listed as an application.
    kind: Mapped[str] = mapped_column(
        sa.String(16), default=ExchangeKind.EXCHANGE.value, server_default="exchange"
    )
    sdgs: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    mode: Mapped[ExchangeMode] = mapped_column(_enum(ExchangeMode, "exchange_mode"))
    # ROC (Minguo) academic year, e.g. 113 for 1 Aug 2024 – 31 Jul 2025.
    academic_year: Mapped[int] = mapped_column(sa.SmallInteger, index=True)
    status: Mapped[ExchangeStatus] = mapped_column(
        _enum(ExchangeStatus, "exchange_status"), default=ExchangeStatus.PROPOSED
    )
    starts_on: Mapped[date | None] = mapped_column(sa.Date)
    ends_on: Mapped[date | None] = mapped_column(sa.Date)
    goals: Mapped[str | None] = mapped_column(sa.Text)
    # ISO 3166-1 alpha-2: where the Alliance should find a partner class.
    partner_country: Mapped[str | None] = mapped_column(sa.String(2))
    alliance: Mapped[AllianceDecision] = mapped_column(
        _enum(AllianceDecision, "alliance_decision"), default=AllianceDecision.PENDING
    )
    # The latest comment of a decision (the Alliance's, usually).
    comment: Mapped[str | None] = mapped_column(sa.Text)
    # The teacher's outcome summary, when completed.
    summary: Mapped[str | None] = mapped_column(sa.Text)
    # The proposing teacher's own class (None for exchanges made before applications).
    proposer_class_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("classes.id", ondelete="SET NULL")
    )
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    classes: Mapped[list[SchoolClass]] = relationship(
        secondary=exchange_classes, order_by="SchoolClass.id"
    )
    sessions: Mapped[list[ForumSession]] = relationship(
        back_populates="exchange", order_by="ForumSession.starts_at"
    )
    decisions: Mapped[list[ExchangeDecision]] = relationship(
        back_populates="exchange", order_by="ExchangeDecision.id"
    )

    @property
    def schools(self) -> list[School]:
        """The schools taking part, each once, in class order."""
        seen: dict[int, School] = {}
        for cls in self.classes:
            seen.setdefault(cls.school_id, cls.school)
        return list(seen.values())


class ExchangeDecision(Model):
    """One decision on an exchange: who, when, what, for which class, and why."""

    __tablename__ = "exchange_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    exchange_id: Mapped[int] = mapped_column(
        sa.ForeignKey("exchanges.id", ondelete="CASCADE"), index=True
    )
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    action: Mapped[DecisionAction] = mapped_column(_enum(DecisionAction, "decision_action"))
    # The class answered for (accept, decline) or added (pair).
    class_id: Mapped[int | None] = mapped_column(sa.ForeignKey("classes.id", ondelete="SET NULL"))
    comment: Mapped[str | None] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    exchange: Mapped[Exchange] = relationship(back_populates="decisions")
    by: Mapped[User | None] = relationship()


class ForumSession(Model):
    """One scheduled online forum of an exchange."""

    __tablename__ = "forum_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    exchange_id: Mapped[int] = mapped_column(sa.ForeignKey("exchanges.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    sdgs: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[SessionStatus] = mapped_column(
        _enum(SessionStatus, "session_status"), default=SessionStatus.SCHEDULED
    )
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A cancelled session disappears from lists and the API, but stays in calendars
    # as cancelled so that subscribed calendars drop it.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # The latest change of title, goals or times, and who made it: the other school's
    # teachers learn it on their home page (``needs``).
    rescheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rescheduled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The video call the classes talk in beside the chat (Jitsi, Meet, Teams …): an
    # https URL its members see in the room while it is live.
    video_url: Mapped[str | None] = mapped_column(sa.String(500))
    # Bumped at every change, for calendar SEQUENCE.
    revision: Mapped[int] = mapped_column(default=0)
    # The head of the session's event log: last seq and its chain hash.
    head_seq: Mapped[int] = mapped_column(default=0)
    head_hash: Mapped[str | None] = mapped_column(sa.String(64))
    # Room state folded from the log (see forum/room/fold.py).
    locked: Mapped[bool] = mapped_column(default=False)
    slow_mode: Mapped[int] = mapped_column(default=0)  # seconds between messages; 0 = off
    pinned_message_id: Mapped[int | None] = mapped_column()
    # "Teacher approves every message": every student message is held (``room.approval``).
    approve_all: Mapped[bool] = mapped_column(default=False)
    # The board's columns: a named template, or the teacher's own titles.
    board_template: Mapped[str] = mapped_column(sa.String(32), default="see-why-do")
    board_columns: Mapped[list | None] = mapped_column(sa.JSON)

    exchange: Mapped[Exchange] = relationship(back_populates="sessions")
    cancelled_by: Mapped[User | None] = relationship(foreign_keys=[cancelled_by_id])
    rescheduled_by: Mapped[User | None] = relationship(foreign_keys=[rescheduled_by_id])


class Event(Model):
    """One entry of a session's event log: the record everything else is folded from.

    ``seq`` runs 1, 2, 3 … per session with no gaps; ``hash`` chains each entry
    to the one before (protocol.md, "Transcript export").
    """

    __tablename__ = "events"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "seq", name="uq_events_session_seq"),
        # Idempotent sends: one event per (session, sender, client_id).
        sa.UniqueConstraint("session_id", "actor_id", "client_id", name="uq_events_client"),
    )

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True
    )
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_sessions.id"))
    seq: Mapped[int] = mapped_column()
    type: Mapped[str] = mapped_column(sa.String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    client_id: Mapped[str | None] = mapped_column(sa.String(64))
    data: Mapped[dict] = mapped_column(sa.JSON)
    hash: Mapped[str] = mapped_column(sa.String(64))


class Message(Model):
    """A chat message as the log leaves it; ``id`` is the seq of its message.posted."""

    __tablename__ = "messages"

    session_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_sessions.id"), primary_key=True)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    reply_to: Mapped[int | None] = mapped_column()
    lang: Mapped[str] = mapped_column(sa.String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    hidden: Mapped[bool] = mapped_column(default=False)
    # {"👍": [user ids], ...}
    reactions: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # The breakout group it was said in (None: the whole room).
    group_id: Mapped[int | None] = mapped_column()
    # Held for the teachers (``message.held``) and not yet released.
    held: Mapped[bool] = mapped_column(default=False)


class RoomMember(Model):
    """A person's standing in one session's room: attendance, mute, removal."""

    __tablename__ = "room_members"

    session_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_sessions.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    first_joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    present: Mapped[bool] = mapped_column(default=False)
    muted: Mapped[bool] = mapped_column(default=False)
    muted_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None = until unmuted
    removed: Mapped[bool] = mapped_column(default=False)
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Connection(Model):
    """A live Socket.IO connection in a room, so every process sees who is online
    and can reach (disconnect) a connection held by another process."""

    __tablename__ = "connections"

    sid: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("forum_sessions.id"), primary_key=True, index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # Which sign-in opened it, so signing out can end it (None for token connections).
    login_hash: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    connected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The server process that holds it (``live.servers``): when that process dies
    # without a word, its connections are swept.
    server_id: Mapped[str | None] = mapped_column(sa.String(32), index=True)


class Server(Model):
    """A server process serving live rooms, as last seen (its heartbeat)."""

    __tablename__ = "servers"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Note(Model):
    """A sticky note on a session's board; ``id`` is the seq of its note.added."""

    __tablename__ = "notes"

    session_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_sessions.id"), primary_key=True)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    column: Mapped[str] = mapped_column(sa.String(32))
    text: Mapped[str] = mapped_column(sa.Text)
    color: Mapped[str] = mapped_column(sa.String(16))
    x: Mapped[float] = mapped_column(sa.Float, default=0)
    y: Mapped[float] = mapped_column(sa.Float, default=0)
    version: Mapped[int] = mapped_column(default=1)
    votes: Mapped[int] = mapped_column(default=0)
    hidden: Mapped[bool] = mapped_column(default=False)
    removed: Mapped[bool] = mapped_column(default=False)
    lang: Mapped[str] = mapped_column(sa.String(16), default="zh-Hant-TW")
    # The breakout group whose board it is on (None: the whole room's).
    group_id: Mapped[int | None] = mapped_column()


class NoteVote(Model):
    """One person's vote on one note (toggled)."""

    __tablename__ = "note_votes"

    session_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_sessions.id"), primary_key=True)
    note_id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)


class Poll(Model):
    """A teacher's poll in a session's room; ``id`` is the seq of its poll.opened."""

    __tablename__ = "polls"

    session_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_sessions.id"), primary_key=True)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    question: Mapped[str] = mapped_column(sa.Text)
    options: Mapped[list] = mapped_column(sa.JSON)  # the answers' texts, in order
    multiple: Mapped[bool] = mapped_column(default=False)
    counts: Mapped[list] = mapped_column(sa.JSON)  # people who chose each answer
    closed: Mapped[bool] = mapped_column(default=False)


class PollVote(Model):
    """One person's current answer to one poll (a new vote replaces it)."""

    __tablename__ = "poll_votes"

    session_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_sessions.id"), primary_key=True)
    poll_id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    choices: Mapped[list] = mapped_column(sa.JSON)  # option indexes


class Flag(Model):
    """Someone's flag on a message or a note, for the teachers; ``id`` is the seq of
    its item.flagged. ``state``: open, hidden (the item was hidden) or dismissed."""

    __tablename__ = "flags"

    session_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_sessions.id"), primary_key=True)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    flagger_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    target: Mapped[str] = mapped_column(sa.String(16))  # "message" or "note"
    item_id: Mapped[int] = mapped_column()
    reason: Mapped[str | None] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(sa.String(16), default="open")
    resolved_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    resolved_seq: Mapped[int | None] = mapped_column()


class BreakoutGroup(Model):
    """A breakout group of a session, as ``groups.formed`` made it; ``ended_seq`` is
    the seq of the ``groups.ended`` that brought its members back (None: still
    formed). Ids count 1, 2, 3 … per session across every forming, so an id names one
    group for the whole record."""

    __tablename__ = "breakout_groups"

    session_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_sessions.id"), primary_key=True)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(sa.String(60))
    member_ids: Mapped[list] = mapped_column(sa.JSON)
    formed_seq: Mapped[int] = mapped_column()
    ended_seq: Mapped[int | None] = mapped_column()


class HeldWord(Model):
    """A word or phrase of the platform's word list for one language: a student
    message that contains it is held for the teachers (``forum.room.words``)."""

    __tablename__ = "held_words"
    __table_args__ = (sa.UniqueConstraint("lang", "normalized", name="uq_held_words_lang_word"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lang: Mapped[str] = mapped_column(sa.String(8))  # zh-TW, ja, ko, en
    word: Mapped[str] = mapped_column(sa.String(100))  # as the admin typed it
    normalized: Mapped[str] = mapped_column(sa.String(200))  # as it is matched
    added_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Seal(Model):
    """The signature over a closed session's head hash: its record is sealed."""

    __tablename__ = "seals"

    session_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_sessions.id"), primary_key=True)
    head_seq: Mapped[int] = mapped_column()
    head_hash: Mapped[str] = mapped_column(sa.String(64))
    signature: Mapped[str] = mapped_column(sa.String(128))
    key_fingerprint: Mapped[str] = mapped_column(sa.String(64))
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class NameReveal(Model):
    """A teacher's or admin's choice that reviewers read a session's students by name
    (``revealed``) or, again, under pseudonyms: every choice is kept, the latest holds."""

    __tablename__ = "name_reveals"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_sessions.id"), index=True)
    by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    revealed: Mapped[bool] = mapped_column()
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    by: Mapped[User] = relationship()


class ReviewState(enum.StrEnum):
    VERIFIED = "verified"
    FLAGGED = "flagged"


class Review(Model):
    """A reviewer's verdict on a sealed session. Kept beside the record, never in it."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_sessions.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    state: Mapped[ReviewState] = mapped_column(_enum(ReviewState, "review_state"))
    comment: Mapped[str | None] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    reviewer: Mapped[User] = relationship()


class MouStatus(enum.StrEnum):
    PLANNED = "planned"
    SIGNED = "signed"


class Mou(Model):
    """A memorandum of understanding between the Alliance and a partner authority of a
    region abroad (a prefecture's board of education, say): planned or signed."""

    __tablename__ = "mous"

    id: Mapped[int] = mapped_column(primary_key=True)
    region: Mapped[str] = mapped_column(sa.String(100))
    country: Mapped[str] = mapped_column(sa.String(2))  # ISO 3166-1 alpha-2
    authority: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[MouStatus] = mapped_column(_enum(MouStatus, "mou_status"))
    signed_on: Mapped[date | None] = mapped_column(sa.Date)
    # ROC academic year it was signed in, or is planned for.
    academic_year: Mapped[int] = mapped_column(sa.SmallInteger, index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TrainingKind(enum.StrEnum):
    """The kinds of educator training the Alliance runs."""

    TASK_FORCE = "task_force"  # core task-force training
    HOST_FAMILY = "host_family"  # host-family workshop
    SEMINAR = "seminar"  # international-education seminar
    OTHER = "other"


class TrainingEvent(Model):
    """One educator-training event: its participants by name (``participants``) or,
    where names are not kept, a head count."""

    __tablename__ = "training_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[TrainingKind] = mapped_column(_enum(TrainingKind, "training_kind"))
    title: Mapped[str | None] = mapped_column(sa.String(200))
    held_on: Mapped[date] = mapped_column(sa.Date)
    # ROC academic year of ``held_on``.
    academic_year: Mapped[int] = mapped_column(sa.SmallInteger, index=True)
    online: Mapped[bool] = mapped_column(default=False)
    place: Mapped[str | None] = mapped_column(sa.String(200))
    # Set only when names are not kept.
    head_count: Mapped[int | None] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    participants: Mapped[list[TrainingParticipant]] = relationship(
        back_populates="event",
        order_by="TrainingParticipant.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def educators(self) -> int:
        """How many educators took part: the names kept, else the head count."""
        return len(self.participants) if self.participants else (self.head_count or 0)


class TrainingParticipant(Model):
    """An educator who took part in a training event, and their school."""

    __tablename__ = "training_participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("training_events.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(100))
    school: Mapped[str] = mapped_column(sa.String(200))

    event: Mapped[TrainingEvent] = relationship(back_populates="participants")


class ConsentChange(Model):
    """A student's consent to publication, as a teacher (or an import) set it: who, when."""

    __tablename__ = "consent_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    consent: Mapped[bool] = mapped_column()
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseStatus(enum.StrEnum):
    """A case's life: a teacher's draft, submitted to the Alliance, then published in
    the public gallery or sent back (``returned``) with a comment to edit and resubmit."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    PUBLISHED = "published"
    RETURNED = "returned"


class CaseAction(enum.StrEnum):
    """What a ``CaseDecision`` records."""

    DRAFT = "draft"
    EDIT = "edit"
    SUBMIT = "submit"
    PUBLISH = "publish"
    REJECT = "reject"


case_sessions = sa.Table(
    "case_sessions",
    db.metadata,
    sa.Column("case_id", sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("session_id", sa.ForeignKey("forum_sessions.id"), primary_key=True),
)


class Case(Model):
    """What worked in a completed exchange, told by its teachers from the sealed
    records: texts in up to four languages, the sessions it draws on, excerpts."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    exchange_id: Mapped[int] = mapped_column(sa.ForeignKey("exchanges.id"), index=True)
    status: Mapped[CaseStatus] = mapped_column(
        _enum(CaseStatus, "case_status"), default=CaseStatus.DRAFT, index=True
    )
    sdgs: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    # The exchange's ROC academic year, kept so the gallery filters without a join.
    academic_year: Mapped[int] = mapped_column(sa.SmallInteger, index=True)
    # The language code (``i18n``: zh-TW, en, ja, ko) the teacher wrote it in.
    lang: Mapped[str] = mapped_column(sa.String(8))
    # The latest reviewer's comment (sent back), also kept in ``decisions``.
    comment: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    exchange: Mapped[Exchange] = relationship()
    texts: Mapped[list[CaseText]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseText.lang"
    )
    sessions: Mapped[list[ForumSession]] = relationship(
        secondary=case_sessions, order_by="ForumSession.starts_at"
    )
    excerpts: Mapped[list[CaseExcerpt]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseExcerpt.position"
    )
    decisions: Mapped[list[CaseDecision]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseDecision.id"
    )


class CaseText(Model):
    """A case's title and summary in one language."""

    __tablename__ = "case_texts"

    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    lang: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.Text)

    case: Mapped[Case] = relationship(back_populates="texts")


class CaseExcerpt(Model):
    """One quoted event of a sealed session: named by (session, seq), never copied —
    its words are read from the record, so they are what was said."""

    __tablename__ = "case_excerpts"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_sessions.id"))
    seq: Mapped[int] = mapped_column()
    position: Mapped[int] = mapped_column(default=0)

    case: Mapped[Case] = relationship(back_populates="excerpts")


class CaseDecision(Model):
    """One step of a case: drafted, edited, submitted, published or sent back; who,
    when and the comment."""

    __tablename__ = "case_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    action: Mapped[CaseAction] = mapped_column(_enum(CaseAction, "case_action"))
    comment: Mapped[str | None] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="decisions")
    by: Mapped[User | None] = relationship()

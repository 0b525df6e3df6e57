"""Who is who: schools, their classes, people and their roles, students' sign-in codes,
API tokens, sign-in sessions and failures, and guardians' consent to publication."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model, db
from .columns import UTCDateTime, enum_type, utcnow


class Role(enum.StrEnum):
    STUDENT = "student"
    TEACHER = "teacher"
    REVIEWER = "reviewer"
    ADMIN = "admin"


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
    role: Mapped[Role] = mapped_column(enum_type(Role, "role"))
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


class ConsentChange(Model):
    """A student's consent to publication, as a teacher (or an import) set it: who, when."""

    __tablename__ = "consent_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    consent: Mapped[bool] = mapped_column()
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

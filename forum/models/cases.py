"""Cases for the public gallery: their texts, the sessions they draw on, the excerpts
they quote from sealed records, and each step from draft to publication."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model, db
from .columns import UTCDateTime, enum_type, utcnow

if TYPE_CHECKING:
    from .exchanges import Exchange
    from .people import User
    from .sessions import ForumSession


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
        enum_type(CaseStatus, "case_status"), default=CaseStatus.DRAFT, index=True
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
    action: Mapped[CaseAction] = mapped_column(enum_type(CaseAction, "case_action"))
    comment: Mapped[str | None] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="decisions")
    by: Mapped[User | None] = relationship()

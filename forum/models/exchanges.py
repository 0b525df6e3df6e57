"""Exchanges (and showcases): the classes they pair, and every decision on an
application, from its proposal to the Alliance's approval and its completion."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model, db
from .columns import UTCDateTime, enum_type, utcnow

if TYPE_CHECKING:
    from .people import School, SchoolClass, User
    from .sessions import ForumSession


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
    mode: Mapped[ExchangeMode] = mapped_column(enum_type(ExchangeMode, "exchange_mode"))
    # ROC (Minguo) academic year, e.g. 113 for 1 Aug 2024 – 31 Jul 2025.
    academic_year: Mapped[int] = mapped_column(sa.SmallInteger, index=True)
    status: Mapped[ExchangeStatus] = mapped_column(
        enum_type(ExchangeStatus, "exchange_status"), default=ExchangeStatus.PROPOSED
    )
    starts_on: Mapped[date | None] = mapped_column(sa.Date)
    ends_on: Mapped[date | None] = mapped_column(sa.Date)
    goals: Mapped[str | None] = mapped_column(sa.Text)
    # ISO 3166-1 alpha-2: where the Alliance should find a partner class.
    partner_country: Mapped[str | None] = mapped_column(sa.String(2))
    alliance: Mapped[AllianceDecision] = mapped_column(
        enum_type(AllianceDecision, "alliance_decision"), default=AllianceDecision.PENDING
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
    action: Mapped[DecisionAction] = mapped_column(enum_type(DecisionAction, "decision_action"))
    # The class answered for (accept, decline) or added (pair).
    class_id: Mapped[int | None] = mapped_column(sa.ForeignKey("classes.id", ondelete="SET NULL"))
    comment: Mapped[str | None] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    exchange: Mapped[Exchange] = relationship(back_populates="decisions")
    by: Mapped[User | None] = relationship()

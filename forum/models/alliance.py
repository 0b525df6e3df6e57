"""The Alliance's own records beside the exchanges: MOUs with partner authorities
abroad, and educator-training events with their participants."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .columns import UTCDateTime, enum_type, utcnow


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
    status: Mapped[MouStatus] = mapped_column(enum_type(MouStatus, "mou_status"))
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
    kind: Mapped[TrainingKind] = mapped_column(enum_type(TrainingKind, "training_kind"))
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

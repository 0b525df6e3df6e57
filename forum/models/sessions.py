"""Forum sessions: their schedule and room settings, who is connected to their rooms
(and the server processes holding them), the seal over a closed session's record,
and what reviewers see and say of it (name reveals, reviews)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .columns import UTCDateTime, enum_type, utcnow

if TYPE_CHECKING:
    from .exchanges import Exchange
    from .people import User


class SessionStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    CLOSED = "closed"


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
        enum_type(SessionStatus, "session_status"), default=SessionStatus.SCHEDULED
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
    state: Mapped[ReviewState] = mapped_column(enum_type(ReviewState, "review_state"))
    comment: Mapped[str | None] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    reviewer: Mapped[User] = relationship()

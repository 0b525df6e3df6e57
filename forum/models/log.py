"""A session's event log and the room's state folded from it: messages, members,
notes and their votes, polls and their votes, flags, breakout groups; and the word
lists a student message is held by."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .columns import UTCDateTime, utcnow


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

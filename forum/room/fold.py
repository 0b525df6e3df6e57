"""The fold: each logged event applied to the room's state (messages, members, the
session's settings), registered in the event catalogue; and the rebuild of that state
from the log."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from .. import sql
from ..extensions import db
from ..log import eventlog, events
from ..log.eventlog import Head, Logged
from ..models import (
    Event,
    ForumSession,
    Message,
    RoomMember,
    SessionStatus,
)
from ..timeutil import parse_instant

# --- the fold -----------------------------------------------------------------


def _member(session_id: int, user_id: int) -> RoomMember:
    member = db.session.get(RoomMember, (session_id, user_id))
    if member is None:
        member = RoomMember(
            session_id=session_id, user_id=user_id, present=False, muted=False, removed=False
        )
        db.session.add(member)
    return member


def _post(run: sql.Statements, session_id: int, event: Event | Logged) -> None:
    """message.posted (and message.held): the message row, and its author's
    last_message_at."""
    data = event.data
    params = {"session_id": session_id, "user_id": event.actor_id, "at": run.instant(event.at)}
    run.run(
        "INSERT INTO messages (session_id, id, author_id, body, reply_to, lang, at, "
        "hidden, reactions, group_id, held) VALUES (:session_id, :id, :user_id, :body, "
        ":reply_to, :lang, :at, :hidden, :reactions, :group_id, :held)",
        {
            **params,
            "id": data["message_id"],
            "body": data["body"],
            "reply_to": data["reply_to"],
            "lang": data["lang"],
            "hidden": False,
            "reactions": sql.dumps({}),
            "group_id": data.get("group_id"),
            "held": event.type == "message.held",
        },
    )
    if not run.run(
        "UPDATE room_members SET last_message_at = :at "
        "WHERE session_id = :session_id AND user_id = :user_id",
        params,
    ):
        run.run(
            "INSERT INTO room_members (session_id, user_id, present, muted, removed, "
            "last_message_at) VALUES (:session_id, :user_id, :no, :no, :no, :at)",
            {**params, "no": False},
        )


@dataclass(slots=True)
class Standing:
    """A person's room_members row, as the rules read it."""

    present: bool
    muted: bool
    muted_until: datetime | None
    removed: bool
    last_message_at: datetime | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Standing | None:
        """From a row read by name that selected ``STANDING``; None when the row has
        no member (never been in)."""
        if row["present"] is None:
            return None
        return cls(
            present=bool(row["present"]),
            muted=bool(row["muted"]),
            muted_until=sql.moment(row["muted_until"]),
            removed=bool(row["removed"]),
            last_message_at=sql.moment(row["last_message_at"]),
        )


# room_members ``m``; ``present`` is never NULL in a stored row.
STANDING = sql.Columns(
    present="m.present",
    muted="m.muted",
    muted_until="m.muted_until",
    removed="m.removed",
    last_message_at="m.last_message_at",
)
_STANDING_SQL = (
    f"SELECT {STANDING.sql} FROM room_members m "  # noqa: S608
    "WHERE m.session_id = :session_id AND m.user_id = :user_id"
)


def standing(session_id: int, user_id: int) -> Standing | None:
    """The rules' view of one person in one room (None: never been in it)."""
    row = sql.reader().one(_STANDING_SQL, {"session_id": session_id, "user_id": user_id})
    return None if row is None else Standing.from_row(STANDING.read(row))


def _message(session_id: int, message_id: int) -> Message | None:
    return db.session.get(Message, (session_id, message_id))


def _logged_message(session_id: int, message_id: int) -> Message:
    """A message the log has posted: what the fold reads."""
    return db.session.get_one(Message, (session_id, message_id))


def apply(
    session: ForumSession | Head, event: Event | Logged, run: sql.Statements | None = None
) -> None:
    """Fold one event into the room state (the only writer of that state), through
    its type's fold in the catalogue (``events``).

    ``session`` is the ORM row (``rebuild``) or the locked head (``record``, which
    saves it); a message, the one event of every busy second, is written as plain
    SQL (``forum.sql``) on ``run`` (default: db.session's transaction), the rarer ones
    through the ORM (the catalogue's ``plain`` names the folds that need no ORM)."""
    events.fold(session, event, run)


# The room's folds; the board registers the notes' (``board``).


@events.folds("session.opened", "session.closed", plain=True)
def _fold_session(session: ForumSession | Head, event: Event | Logged, run=None) -> None:
    if event.type == "session.opened":
        session.status = SessionStatus.LIVE
        session.opened_at = event.at
    else:
        session.status = SessionStatus.CLOSED
        session.closed_at = event.at


@events.folds("member.joined", "member.left")
def _fold_attendance(session: ForumSession | Head, event: Event | Logged, run=None) -> None:
    assert event.actor_id is not None  # arrivals and departures have one
    member = _member(session.id, event.actor_id)
    if event.type == "member.joined":
        member.present = True
        member.first_joined_at = member.first_joined_at or event.at
    else:
        member.present = False
        member.last_left_at = event.at


@events.folds("message.posted", "message.held", plain=True)
def _fold_posted(
    session: ForumSession | Head, event: Event | Logged, run: sql.Statements | None = None
) -> None:
    _post(run or sql.statements(), session.id, event)


@events.folds("message.reacted")
def _fold_reacted(session: ForumSession | Head, event: Event | Logged, run=None) -> None:
    data = event.data
    message = _logged_message(session.id, data["message_id"])
    reactions = {k: list(v) for k, v in (message.reactions or {}).items()}
    users = [u for u in reactions.get(data["emoji"], []) if u != event.actor_id]
    if data["on"]:
        users.append(event.actor_id)
    if users:
        reactions[data["emoji"]] = users
    else:
        reactions.pop(data["emoji"], None)
    message.reactions = reactions


@events.folds("message.hidden", "message.unhidden")
def _fold_message_hidden(session: ForumSession | Head, event: Event | Logged, run=None) -> None:
    _logged_message(session.id, event.data["message_id"]).hidden = event.type == "message.hidden"


@events.folds("message.pinned", "room.locked", "room.slow", "room.approval", plain=True)
def _fold_room(session: ForumSession | Head, event: Event | Logged, run=None) -> None:
    """The room's own settings, all on the session's head."""
    data = event.data
    if event.type == "message.pinned":
        session.pinned_message_id = data["message_id"] if data["pinned"] else None
    elif event.type == "room.locked":
        session.locked = data["locked"]
    elif event.type == "room.approval":
        session.approve_all = data["on"]
    else:
        session.slow_mode = data["seconds"]


@events.folds("message.released")
def _fold_released(session: ForumSession | Head, event: Event | Logged, run=None) -> None:
    _logged_message(session.id, event.data["message_id"]).held = False


@events.folds("member.muted", "member.unmuted", "member.removed")
def _fold_member(session: ForumSession | Head, event: Event | Logged, run=None) -> None:
    data = event.data
    member = _member(session.id, data["user_id"])
    if event.type == "member.muted":
        member.muted = True
        member.muted_until = parse_instant(data["until"]) if data["until"] else None
    elif event.type == "member.unmuted":
        member.muted, member.muted_until = False, None
    else:
        member.removed, member.present = True, False


def rebuild(session_id: int) -> None:
    """Throw the room state away and fold it again from the log (tests, repairs)."""
    from ..models import Flag, Note, NoteVote, Poll, PollVote

    session = db.session.get_one(ForumSession, session_id)
    for table in (Flag, PollVote, Poll):
        db.session.execute(sa.delete(table).where(table.session_id == session_id))
    from ..models import BreakoutGroup

    session = db.session.get_one(ForumSession, session_id)
    db.session.execute(sa.delete(BreakoutGroup).where(BreakoutGroup.session_id == session_id))
    db.session.execute(sa.delete(NoteVote).where(NoteVote.session_id == session_id))
    db.session.execute(sa.delete(Note).where(Note.session_id == session_id))
    db.session.execute(sa.delete(Message).where(Message.session_id == session_id))
    db.session.execute(sa.delete(RoomMember).where(RoomMember.session_id == session_id))
    session.locked, session.slow_mode, session.pinned_message_id = False, 0, None
    session.approve_all = False
    session.status = SessionStatus.SCHEDULED
    db.session.flush()
    for event in eventlog.events_since(session_id):
        apply(session, event)
        db.session.flush()

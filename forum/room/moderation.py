"""Moderation: hiding and pinning messages, muting and removing students, locking the
room and slow mode (the teachers of the exchange, and admins)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_babel import gettext as _

from ..errors import ActionError
from ..extensions import db
from ..models import (
    Exchange,
    Role,
    RoomMember,
    User,
)
from ..people import access
from ..timeutil import iso_utc
from .chat import _existing_message, _int, _text, tagged
from .rules import check_manager
from .seat import MAX_MUTE_MINUTES, MAX_REASON, MAX_SLOW_SECONDS, Seat
from .write import Recorded, record

# --- moderation -----------------------------------------------------------------


def _reason(payload: dict[str, Any]) -> str | None:
    return _text(
        payload.get("reason"),
        "reason",
        MAX_REASON,
        required=False,
        too_long=lambda: _("A reason may have at most %(n)s characters.", n=MAX_REASON),
    )


def hide_request(payload: dict[str, Any], hidden: bool) -> tuple[str, int, str | None]:
    """mod.hide / mod.unhide's payload: its target ("message" or "note"), the item's
    id and, when hiding, the reason."""
    target = payload.get("target")
    if target not in ("message", "note"):
        raise ActionError("invalid", _("target must be message or note."))
    item_id = _int(payload.get("id"), "id")
    return target, item_id, _reason(payload) if hidden else None


def hide_message(seat: Seat, item_id: int, hidden: bool, reason: str | None) -> Recorded:
    """Hide (or show again) a message; the record keeps the text. (A note: ``board.hide``.)"""
    check_manager(seat)

    def check(seat, member, now) -> None:
        message = _existing_message(seat.session.id, item_id)
        if message.hidden == hidden:
            raise ActionError(
                "conflict",
                _("The message is already hidden.") if hidden else _("The message is not hidden."),
            )

    def build(session, member, now) -> dict[str, Any]:
        data = {"message_id": item_id, "reason": reason} if hidden else {"message_id": item_id}
        return tagged(data, _existing_message(session.id, item_id).group_id)

    return record(seat, "message.hidden" if hidden else "message.unhidden", build, check=check)


def pin(seat: Seat, payload: dict[str, Any]) -> Recorded:
    """mod.pin: pin (or unpin) a message as the room's prompt."""
    check_manager(seat)
    message_id = _int(payload.get("message_id"), "message_id")
    pinned = payload.get("pinned")
    if not isinstance(pinned, bool):
        raise ActionError("invalid", _("pinned must be true or false."))

    def check(seat, member, now) -> None:
        message = _existing_message(seat.session.id, message_id)
        if pinned and message.held:  # the pin is shown to all: the message is not, yet
            raise ActionError("conflict", _("This message is waiting for a teacher."))

    def build(session, member, now) -> dict[str, Any]:
        return {"message_id": message_id, "pinned": pinned}

    return record(seat, "message.pinned", build, check=check)


def _target_user(seat: Seat, payload: dict[str, Any]) -> User:
    user_id = _int(payload.get("user_id"), "user_id")
    user = db.session.get(User, user_id)
    if user is None or not access.is_member(
        user, db.session.get_one(Exchange, seat.session.exchange_id)
    ):
        raise ActionError("not_found", _("This person is not in this session."))
    if user.role != Role.STUDENT:
        raise ActionError("forbidden", _("Only students can be muted or removed."))
    return user


def mute(seat: Seat, payload: dict[str, Any], muted: bool) -> Recorded:
    """mod.mute (optionally for some minutes; ends by itself) / mod.unmute."""
    check_manager(seat)
    target = _target_user(seat, payload)
    minutes = payload.get("minutes")
    if muted and minutes is not None:
        minutes = _int(minutes, "minutes")
        if not 1 <= minutes <= MAX_MUTE_MINUTES:
            raise ActionError(
                "invalid", _("minutes must be between 1 and %(n)s.", n=MAX_MUTE_MINUTES)
            )

    def build(session, member, now) -> dict[str, Any]:
        if not muted:
            return {"user_id": target.id}
        until = iso_utc(now + timedelta(minutes=minutes), micro=True) if minutes else None
        return {"user_id": target.id, "minutes": minutes, "until": until}

    return record(seat, "member.muted" if muted else "member.unmuted", build)


def remove(seat: Seat, payload: dict[str, Any]) -> Recorded:
    """mod.remove: the student is disconnected and cannot rejoin this session."""
    check_manager(seat)
    target = _target_user(seat, payload)

    def check(seat, member, now) -> None:
        row = db.session.get(RoomMember, (seat.session.id, target.id))
        if row is not None and row.removed:
            raise ActionError("conflict", _("This student has already been removed."))

    return record(seat, "member.removed", lambda s, m, n: {"user_id": target.id}, check=check)


def lock(seat: Seat, payload: dict[str, Any]) -> Recorded:
    """mod.lock: students can no longer write (chat or board) until unlocked."""
    check_manager(seat)
    locked = payload.get("locked")
    if not isinstance(locked, bool):
        raise ActionError("invalid", _("locked must be true or false."))
    return record(seat, "room.locked", lambda s, m, n: {"locked": locked})


def slow(seat: Seat, payload: dict[str, Any]) -> Recorded:
    """mod.slow: at most one message per N seconds per student (0 = off)."""
    check_manager(seat)
    seconds = _int(payload.get("seconds"), "seconds")
    if seconds > MAX_SLOW_SECONDS:
        raise ActionError("invalid", _("seconds must be between 0 and %(n)s.", n=MAX_SLOW_SECONDS))
    return record(seat, "room.slow", lambda s, m, n: {"seconds": seconds})

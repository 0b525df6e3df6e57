"""Chat: posting, reacting and typing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _

from .. import sql
from ..errors import ActionError
from ..i18n import html_lang_of
from ..inputs import storable
from ..models import (
    Message,
)
from . import words
from .fold import _message, standing
from .read import groups_of
from .rules import check_can_contribute, check_can_post, check_live, rate_limiter
from .seat import MAX_BODY, MAX_INT, REACTIONS, Seat
from .write import Recorded, clock, record

# --- chat -----------------------------------------------------------------------


def _text(
    value: object,
    name: str,
    limit: int,
    *,
    required: bool = True,
    empty: Callable[[], str] | None = None,
    too_long: Callable[[], str] | None = None,
) -> str | None:
    """Trimmed text of 1..limit characters; ``empty`` and ``too_long`` give the messages
    a person sees for what they typed (the others only reach hand-made clients). They
    are called only on a refusal: translating them on every chat.send cost ~4 % of it."""
    if value is None and not required:
        return None
    if not isinstance(value, str) or not storable(value):
        raise ActionError("invalid", _("%(field)s must be text.", field=name))
    text = value.strip()
    if not text:
        if required:
            raise ActionError("invalid", empty() if empty else _("%(field)s is empty.", field=name))
        return None
    if len(text) > limit:
        raise ActionError(
            "too_large",
            too_long()
            if too_long
            else _("%(field)s may have at most %(n)s characters.", field=name, n=limit),
        )
    return text


def client_id_of(payload: dict[str, Any]) -> str:
    value = payload.get("client_id")
    if not isinstance(value, str) or not 1 <= len(value) <= 64 or not value.isprintable():
        raise ActionError("invalid", _("client_id must be 1 to 64 printable characters."))
    return value


def _int(value: object, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0 or value > MAX_INT:
        raise ActionError("invalid", _("%(field)s must be a number.", field=name))
    return value


def _existing_message(session_id: int, message_id: int) -> Message:
    message = _message(session_id, message_id)
    if message is None:
        raise ActionError("not_found", _("There is no such message."))
    return message


def _visible_message(seat: Seat, message_id: int) -> Message:
    """A message the caller may see: teachers every one; anyone else not another's
    message still held, nor one said in a group they were not in (not_found, as if it
    did not exist: a student learns nothing of it)."""
    message = _existing_message(seat.session.id, message_id)
    if seat.manager:
        return message
    if message.held and message.author_id != seat.user.id:
        raise ActionError("not_found", _("There is no such message."))
    if message.group_id is not None and message.group_id not in groups_of(
        seat.session.id, seat.user.id
    ):
        raise ActionError("not_found", _("There is no such message."))
    return message


def posting_group(payload: dict[str, Any]) -> int | None:
    """The group a message or note is for, from the payload's ``group_id`` (None or
    absent: the whole room); checked under the lock by ``check_group``."""
    value = payload.get("group_id")
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_INT:
        raise ActionError("invalid", _("group_id must be a number."))
    return value


def check_group(seat: Seat, group_id: int | None) -> None:
    """A student writes to their own group or to the whole room; a teacher to any group
    formed now. (Read under the writer's lock: the groups may have just ended.)"""
    if group_id is None:
        return
    # Plain SQL where the writer writes: a group's chat is most of a lesson's talk.
    group = sql.reader().one(
        "SELECT member_ids FROM breakout_groups "
        "WHERE session_id = :session_id AND id = :group_id AND ended_seq IS NULL",
        {"session_id": seat.session.id, "group_id": group_id},
    )
    if group is None:
        raise ActionError("not_found", _("This group is not formed."))
    if not seat.manager and seat.user.id not in sql.loads(group[0]):
        raise ActionError("forbidden", _("You can write only to your own group or to everyone."))


def tagged(data: dict[str, Any], group_id: int | None) -> dict[str, Any]:
    """An event's data with the group it was said in; without the key for the whole
    room, so a room without groups logs what it always did."""
    return {**data, "group_id": group_id} if group_id is not None else data


def _held_why(seat: Seat, body: str) -> str | None:
    """Why a message is held for the teachers ("words", "audience", "approval"), or
    None. Never a teacher's. Read with the seat (the session's head, as this event
    began); the writer's lock checks the switch again (``_check_approval``). A
    showcase's audience student (``access.is_audience``) asks through the teachers."""
    if seat.manager:
        return None
    if words.holds(body):
        return "words"
    if seat.audience:
        return "audience"
    return "approval" if seat.session.approve_all else None


def _check_approval(seat: Seat, held: str | None) -> None:
    """Under the writer's lock: a teacher switched on "teacher approves every message"
    since this message was read. Refused (nothing stored), so no message slips past the
    switch; sent again, it is held."""
    if held is None and not seat.manager and seat.session.approve_all:
        raise ActionError("conflict", _("A teacher now approves every message. Send it again."))


def send_message(seat: Seat, payload: dict[str, Any]) -> Recorded:
    """chat.send: post a message (idempotent on client_id). A student's message that
    the word lists match, or any while the teacher approves every message, is logged
    as ``message.held``: its author and the teachers see it until a teacher releases
    or hides it; nothing in it is changed."""
    client_id = client_id_of(payload)
    body = _text(
        payload.get("body"),
        "body",
        MAX_BODY,
        empty=lambda: _("Write a message first."),
        too_long=lambda: _("A message may have at most %(n)s characters.", n=MAX_BODY),
    )
    reply_to = payload.get("reply_to")
    if reply_to is not None:
        reply_to = _int(reply_to, "reply_to")
    group_id = posting_group(payload)
    rate_limiter.take(seat.user.id)
    assert body is not None  # required
    held = _held_why(seat, body)

    def check(seat: Seat, member, now) -> None:
        check_can_post(seat, member, now)
        _check_approval(seat, held)
        check_group(seat, group_id)
        if reply_to is not None:
            _visible_message(seat, reply_to)

    def build(session, member, now) -> dict[str, Any]:
        data = {
            "message_id": session.head_seq + 1,
            "client_id": client_id,
            "body": body,
            "reply_to": reply_to,
            "lang": html_lang_of(seat.user.locale),
        }
        data = tagged(data, group_id)
        return {**data, "reason": held} if held else data

    type_ = "message.held" if held else "message.posted"
    return record(seat, type_, build, client_id=client_id, check=check)


def react(seat: Seat, payload: dict[str, Any]) -> Recorded:
    """chat.react: toggle one of the offered reactions on a message."""
    message_id = _int(payload.get("message_id"), "message_id")
    emoji = payload.get("emoji")
    if emoji not in REACTIONS:
        raise ActionError("invalid", _("This reaction is not offered."))
    rate_limiter.take(seat.user.id)

    def check(seat, member, now) -> None:
        check_can_contribute(seat, member, now)
        message = _visible_message(seat, message_id)
        if message.hidden and not seat.manager:
            raise ActionError("not_found", _("There is no such message."))
        if message.held:  # a reaction is told to the room: the message is not, yet
            raise ActionError("conflict", _("This message is waiting for a teacher."))

    def build(session, member, now) -> dict[str, Any]:
        message = _existing_message(session.id, message_id)
        on = seat.user.id not in (message.reactions or {}).get(emoji, [])
        return tagged({"message_id": message_id, "emoji": emoji, "on": on}, message.group_id)

    return record(seat, "message.reacted", build, check=check)


def typing(seat: Seat) -> None:
    """typing: may the user tell the room they are typing? Nothing is logged, but the
    room sees it, so it takes the rules of every write (``check_can_contribute``)."""
    check_live(seat.session)
    check_can_contribute(seat, standing(seat.session.id, seat.user.id), clock.now())

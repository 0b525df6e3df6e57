"""Chat: posting, reacting and typing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _

from ..errors import ActionError
from ..i18n import html_lang_of
from ..inputs import storable
from ..models import (
    Message,
)
from .fold import _message, standing
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


def send_message(seat: Seat, payload: dict[str, Any]) -> Recorded:
    """chat.send: post a message (idempotent on client_id)."""
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
    rate_limiter.take(seat.user.id)

    def check(seat: Seat, member, now) -> None:
        check_can_post(seat, member, now)
        if reply_to is not None:
            _existing_message(seat.session.id, reply_to)

    def build(session, member, now) -> dict[str, Any]:
        return {
            "message_id": session.head_seq + 1,
            "client_id": client_id,
            "body": body,
            "reply_to": reply_to,
            "lang": html_lang_of(seat.user.locale),
        }

    return record(seat, "message.posted", build, client_id=client_id, check=check)


def react(seat: Seat, payload: dict[str, Any]) -> Recorded:
    """chat.react: toggle one of the offered reactions on a message."""
    message_id = _int(payload.get("message_id"), "message_id")
    emoji = payload.get("emoji")
    if emoji not in REACTIONS:
        raise ActionError("invalid", _("This reaction is not offered."))
    rate_limiter.take(seat.user.id)

    def check(seat, member, now) -> None:
        check_can_contribute(seat, member, now)
        message = _existing_message(seat.session.id, message_id)
        if message.hidden and not seat.manager:
            raise ActionError("not_found", _("There is no such message."))

    def build(session, member, now) -> dict[str, Any]:
        message = _existing_message(session.id, message_id)
        on = seat.user.id not in (message.reactions or {}).get(emoji, [])
        return {"message_id": message_id, "emoji": emoji, "on": on}

    return record(seat, "message.reacted", build, check=check)


def typing(seat: Seat) -> None:
    """typing: may the user tell the room they are typing? Nothing is logged, but the
    room sees it, so it takes the rules of every write (``check_can_contribute``)."""
    check_live(seat.session)
    check_can_contribute(seat, standing(seat.session.id, seat.user.id), clock.now())

"""Held messages: a student's message that the platform's word lists match (``words``),
or any student's message while the teacher approves every message, is logged as
``message.held`` (``room.chat``): only its author and the teachers see it. A teacher
releases it (``message.released``, which then shows it to everyone its words were for)
or hides it (``mod.hide``, as any message). Nothing in it is ever changed."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from ..errors import ActionError
from ..extensions import db
from ..models import Message
from .chat import _existing_message, _int, tagged
from .read import actors_for, serialize_event
from .rules import check_manager
from .seat import Seat
from .write import Recorded, record


def release(seat: Seat, payload: dict[str, Any]) -> Recorded:
    """mod.release: show a held message to the room (or to its group).

    ``message.released`` carries the message whole (author, body, reply, language,
    group): the students who were never told ``message.held`` learn it from this one
    event, live and when ``join`` or ``history`` replays it, without asking for the
    held event they may not read. The log keeps the text twice; both are the same
    words, hashed and sealed."""
    check_manager(seat)
    message_id = _int(payload.get("message_id"), "message_id")

    def check(seat: Seat, member, now) -> None:
        message = _existing_message(seat.session.id, message_id)
        if not message.held:
            raise ActionError("conflict", _("This message is not waiting for a teacher."))
        if message.hidden:
            raise ActionError("conflict", _("This message is hidden. Show it again first."))

    def build(session, member, now) -> dict[str, Any]:
        message = _existing_message(session.id, message_id)
        data = {
            "message_id": message.id,
            "author_id": message.author_id,
            "body": message.body,
            "reply_to": message.reply_to,
            "lang": message.lang,
        }
        return tagged(data, message.group_id)

    return record(seat, "message.released", build, check=check)


def approval(seat: Seat, payload: dict[str, Any]) -> Recorded:
    """mod.approve_all: switch "teacher approves every message" on or off."""
    check_manager(seat)
    on = payload.get("on")
    if not isinstance(on, bool):
        raise ActionError("invalid", _("on must be true or false."))
    return record(seat, "room.approval", lambda s, m, n: {"on": on})


def queue(seat: Seat) -> list[dict[str, Any]]:
    """The messages waiting for a teacher (held, not hidden), as their ``message.held``
    events: what a teacher's join shows however far back they were sent."""
    if not seat.manager:
        return []
    from ..log import eventlog

    ids = set(
        db.session.scalars(
            sa.select(Message.id).where(
                Message.session_id == seat.session.id,
                Message.held.is_(True),
                Message.hidden.is_(False),
            )
        )
    )
    held = eventlog.events_at(seat.session.id, ids)
    actors = actors_for(held)
    return [serialize_event(e, actors) for e in held]

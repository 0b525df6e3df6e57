"""Who is asking: a person's seat in one session's room, and the limits of what
the room takes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from ..errors import ActionError
from ..log.eventlog import Head
from ..models import (
    User,
)
from ..people import access
from ..people.proofs import Person

MAX_BODY = 2000
MAX_REASON = 500
MAX_MUTE_MINUTES = 24 * 60
MAX_SLOW_SECONDS = 600
MAX_INT = 2**53  # the largest id or count a payload may carry (JSON-safe, fits SQLite)
REACTIONS = ("👍", "❤️", "😂", "😮", "👏", "🌏", "💡", "❓")


# --- who is asking --------------------------------------------------------------


@dataclass
class Seat:
    """What one user may do in one session's room, worked out once per check."""

    user: User | Person
    session: Head  # as read for this check; ``record`` swaps in the locked head
    manager: bool  # teacher of the exchange, or admin: moderates
    member: bool  # student or teacher of the exchange: writes
    # A showcase's audience student: their messages wait for a teacher (``room.chat``).
    audience: bool = False

    @property
    def observer(self) -> bool:
        return not (self.member or self.manager)


def seat_for(user: User | Person, session_id: object) -> Seat:
    """The user's seat in the session, or not_found / invalid."""
    if not isinstance(session_id, int) or isinstance(session_id, bool):
        raise ActionError("invalid", _("session_id must be a number."))
    seat = access.live_seat(user, session_id)
    if seat is None:
        raise ActionError("not_found", _("This session does not exist or is not yours to see."))
    head, member, manager, audience = seat
    return Seat(user=user, session=head, manager=manager, member=member, audience=audience)


def actor_of(user: User | Person) -> dict[str, Any]:
    """How an event names who caused it."""
    return {
        "id": user.id,
        "name": user.display_name,
        "role": user.role.value,
        "school": user.school.slug if user.school else None,
        "country": user.school.country if user.school else None,
    }

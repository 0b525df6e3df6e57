"""The room's rules: who may write, post and moderate, and when; and the live rate
limit every write takes."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext

from ..errors import ActionError
from ..log.eventlog import Head
from ..models import (
    ForumSession,
    RoomMember,
    SessionStatus,
    utcnow,
)
from ..people import throttle
from .fold import Standing
from .seat import Seat

# --- rules ----------------------------------------------------------------------


def _is_muted(member: RoomMember | Standing, now: datetime | None = None) -> bool:
    if not member.muted:
        return False
    return member.muted_until is None or member.muted_until > (now or utcnow())


def check_live(session: ForumSession | Head) -> None:
    if session.status != SessionStatus.LIVE:
        raise ActionError("closed", _("This session is not live, so nothing can be added."))


def check_can_write(seat: Seat, member: Standing | None) -> None:
    """Members write; observers (reviewers) only read; removed people not at all."""
    if member is not None and member.removed:
        raise ActionError("removed", _("A teacher has removed you from this session."))
    if seat.observer:
        raise ActionError("forbidden", _("You are observing this session and cannot write."))


def check_can_contribute(seat: Seat, member: Standing | None, now: datetime) -> None:
    """The rule of every student write that others see — a message, a reaction,
    typing, a note added, edited, voted on or removed: a locked room takes none, and a
    muted student makes none until unmuted. Teachers are not held back."""
    check_can_write(seat, member)
    if seat.manager:
        return
    if seat.session.locked:
        raise ActionError("locked", _("The teacher has locked the room for now."))
    if member is not None and _is_muted(member, now):
        if member.muted_until:
            minutes = max(1, round((member.muted_until - now).total_seconds() / 60))
            raise ActionError(
                "muted",
                ngettext(
                    "A teacher has muted you for %(num)s more minute.",
                    "A teacher has muted you for %(num)s more minutes.",
                    minutes,
                ),
            )
        raise ActionError("muted", _("A teacher has muted you."))


def check_can_post(seat: Seat, member: Standing | None, now: datetime) -> None:
    """Chat messages: the rule of every write (``check_can_contribute``), then slow
    mode for students."""
    check_can_contribute(seat, member, now)
    if seat.manager:
        return
    session = seat.session
    if session.slow_mode and member is not None and member.last_message_at:
        wait = member.last_message_at + timedelta(seconds=session.slow_mode) - now
        if wait.total_seconds() > 0:
            retry = max(1, int(wait.total_seconds() + 0.999))
            raise ActionError(
                "slow_mode",
                ngettext(
                    "Slow mode is on: you can send again in %(num)s second.",
                    "Slow mode is on: you can send again in %(num)s seconds.",
                    retry,
                ),
                extra={"retry_after": retry},
            )


def check_manager(seat: Seat) -> None:
    if not seat.manager:
        raise ActionError("forbidden", _("Only the teachers of this exchange may do that."))


# Chat messages, reactions and notes: a burst of 10, then one a second per user, counted
# across every server process (``throttle``).
rate_limiter = throttle.Limiter("chat", burst=10, per_second=1.0)

"""Attendance and the session's life: who joined and left, opening the room, closing
it (and sealing its record)."""

from __future__ import annotations

from flask_babel import gettext as _

from ..errors import ActionError
from ..extensions import db
from ..log.eventlog import Head, Logged
from ..models import (
    SessionStatus,
)
from .fold import standing
from .rules import check_can_write, check_manager
from .seat import Seat
from .write import Recorded, record

# --- attendance and the session's life -----------------------------------------


def joined(seat: Seat) -> Recorded | None:
    """Log that a member came into the live room (first connection only)."""
    if seat.observer or seat.session.status != SessionStatus.LIVE:
        return None
    member = standing(seat.session.id, seat.user.id)
    if member is not None and member.present:
        return None

    def check(seat, member, now) -> None:
        if member is not None and member.present:
            raise _AlreadyThere()
        check_can_write(seat, member)

    try:
        return record(seat, "member.joined", lambda s, m, n: {}, check=check)
    except _AlreadyThere:
        return None


def left(seat: Seat) -> Recorded | None:
    """Log that a member's last connection to the live room went away."""
    if seat.observer or seat.session.status != SessionStatus.LIVE:
        return None

    def check(seat, member, now) -> None:
        if member is None or not member.present or member.removed:
            raise _AlreadyThere()

    try:
        return record(seat, "member.left", lambda s, m, n: {}, check=check)
    except (_AlreadyThere, ActionError):
        return None


class _AlreadyThere(Exception):
    """Nothing to log: attendance is already as it should be."""


def open_room(seat: Seat) -> Recorded:
    """session.open: scheduled → live, logged."""
    check_manager(seat)

    def check(seat, member, now) -> None:
        status = seat.session.status
        if status == SessionStatus.CLOSED:
            raise ActionError("closed", _("This session is closed."))
        if status == SessionStatus.LIVE:
            raise ActionError("conflict", _("This session is already open."))
        if seat.session.cancelled_at is not None:
            raise ActionError("closed", _("This session was cancelled."))

    return record(seat, "session.opened", lambda s, m, n: {}, check=check, require_live=False)


def close_room(seat: Seat) -> Recorded:
    """session.close: live → closed; the record is sealed and takes no more writes."""
    check_manager(seat)

    def check(seat, member, now) -> None:
        status = seat.session.status
        if status == SessionStatus.CLOSED:
            raise ActionError("closed", _("This session is already closed."))
        if status == SessionStatus.SCHEDULED:
            raise ActionError("conflict", _("This session has not been opened yet."))

    def seal_it(session: Head, event: Logged) -> None:
        # Sealed in the same transaction as the close: never closed and unsealed.
        from ..models import Seal
        from . import seal

        db.session.flush()
        assert session.head_hash is not None  # the close was just appended
        db.session.add(
            Seal(
                session_id=session.id,
                head_seq=session.head_seq,
                head_hash=session.head_hash,
                signature=seal.sign(session.head_hash),
                key_fingerprint=seal.fingerprint(),
                sealed_at=event.at,
            )
        )

    return record(
        seat,
        "session.closed",
        lambda s, m, n: {},
        check=check,
        require_live=False,
        before_commit=seal_it,
    )

"""Who is connected to which room: the connection rows (one per socket and session,
kept with the server process holding it), and the room's attendance that follows
from them — a person has left when their last connection to the room is gone.

The Socket.IO handlers call these on join, leave and disconnect; the heartbeat's
sweep (``servers``) calls ``end_connection`` for the connections of a dead process.
"""

from __future__ import annotations

import contextlib

import sqlalchemy as sa
from flask import current_app

from .. import room
from ..errors import ActionError
from ..extensions import db
from ..models import Connection, User
from ..people import proofs
from . import presence


def arrived(sid: str, seat: room.Seat, login_hash: str | None, server_id: str) -> bool:
    """A connection joined the room: note it (once); whether its person just came
    online. Someone online already through another connection (a reconnect within the
    grace, a second tab) does not change the room's presence, and nobody is told."""
    came_online = not db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Connection)
        .where(
            Connection.session_id == seat.session.id,
            Connection.user_id == seat.user.id,
            Connection.sid != sid,
        )
    )
    if db.session.get(Connection, (sid, seat.session.id)) is None:
        db.session.add(
            Connection(
                sid=sid,
                session_id=seat.session.id,
                user_id=seat.user.id,
                login_hash=login_hash,
                server_id=server_id,
            )
        )
        db.session.commit()
    return came_online


def end_connection(sid: str, user: User | proofs.Person | None, session_id: int) -> None:
    """One connection has left a room (left, dropped, or its server died): forget it,
    log that the person left if it was their last, and tell the room who is here."""
    db.session.execute(
        sa.delete(Connection).where(Connection.sid == sid, Connection.session_id == session_id)
    )
    db.session.commit()
    still_here = False
    if user is not None:
        still_here = bool(
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Connection)
                .where(Connection.session_id == session_id, Connection.user_id == user.id)
            )
        )
        if not still_here:
            with contextlib.suppress(ActionError):
                room.left(room.seat_for(user, session_id))
    if not still_here:  # someone went offline: the room hears of it
        presence_changed(session_id)


def presence_changed(session_id: int) -> None:
    """Someone came online or went offline: the room hears with the next snapshot."""
    presence.changed(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        session_id,
    )

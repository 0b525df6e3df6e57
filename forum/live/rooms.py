"""The names of the live rooms and what is told to them, shared by the modules of
``forum.live`` (which import them from here, never from the package)."""

from __future__ import annotations

import contextlib
from typing import Any

from ..extensions import socketio

NAMESPACE = "/live"
# Largest packet the protocol needs: a 2,000-character message in 4-byte UTF-8
# plus the envelope. Anything bigger is refused by the engine before parsing.
MAX_PACKET_BYTES = 16 * 1024


def session_room(session_id: int) -> str:
    """The Socket.IO room of everyone joined to one forum session."""
    return f"session:{session_id}"


def group_room(session_id: int, group_id: int) -> str:
    """The Socket.IO room of one breakout group's members (``live.breakout``)."""
    return f"session:{session_id}:group:{group_id}"


def login_room(user_id: int, sid: str) -> str:
    """The Socket.IO room holding every connection of one sign-in."""
    from ..accounts import digest

    return f"login:{digest(sid)[:32]}"


def publish(payload: dict[str, Any]) -> None:
    """Tell a stored event to its session's room, through the relay (``live.relay``)."""
    socketio.emit("event", payload, namespace=NAMESPACE, to=session_room(payload["session_id"]))


def events_after(session_id: int, after: int, through: int | None = None) -> list[dict[str, Any]]:
    """The session's logged events after seq ``after`` (through ``through``), as the
    room is told them: what the relay reads when one went missing on its way."""
    from .. import eventlog, room, sql

    with sql.admitted():
        events = eventlog.events_since(session_id, after, through)
        actors = room.actors_for(events)
        return [room.serialize_event(e, actors) for e in events]


def disconnect_login_session(user_id: int, sid: str) -> None:
    """End every live connection of a sign-in, on every process."""
    import sqlalchemy as sa

    from ..accounts import digest
    from ..extensions import db
    from ..models import Connection

    if getattr(socketio, "server", None) is None:
        return
    socketio.emit("signed_out", {}, namespace=NAMESPACE, to=login_room(user_id, sid))
    socket_ids = set(
        db.session.scalars(sa.select(Connection.sid).where(Connection.login_hash == digest(sid)))
    )
    with contextlib.suppress(KeyError, ValueError):
        socket_ids |= {
            s
            for s, _ in socketio.server.manager.get_participants(
                NAMESPACE, login_room(user_id, sid)
            )
        }
    for socket_id in socket_ids:
        socketio.server.disconnect(socket_id, namespace=NAMESPACE)

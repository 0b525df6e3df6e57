"""The names of the live rooms and what is told to them, shared by the modules of
``forum.live`` (which import them from here, never from the package)."""

from __future__ import annotations

import contextlib
import re
from typing import Any

from ..extensions import socketio
from ..log import events

NAMESPACE = "/live"
# Largest packet the protocol needs: a 2,000-character message in 4-byte UTF-8
# plus the envelope. Anything bigger is refused by the engine before parsing.
MAX_PACKET_BYTES = 16 * 1024


def session_room(session_id: int) -> str:
    """The Socket.IO room of everyone joined to one forum session."""
    return f"session:{session_id}"


_SESSION_OF = re.compile(r"session:(\d+)(?::|$)")


def session_of(room_name: object) -> int | None:
    """The session a room of ours belongs to (its members', teachers', a member's, a
    group's or its observers'), or None for any other room."""
    match = _SESSION_OF.match(room_name) if isinstance(room_name, str) else None
    return int(match.group(1)) if match else None


def teachers_room(session_id: int) -> str:
    """The room of a session's moderators (its exchange's teachers, admins)."""
    return f"session:{session_id}:teachers"


def user_room(session_id: int, user_id: int) -> str:
    """The room of one member's connections to a session (what is told to its author)."""
    return f"session:{session_id}:user:{user_id}"


def group_room(session_id: int, group_id: int) -> str:
    """The room of one breakout group's members."""
    return f"session:{session_id}:group:{group_id}"


def member_rooms(session_id: int, user_id: int, *, moderator: bool) -> list[str]:
    """The rooms a member's connection enters on ``join``, beside the session's."""
    rooms = [user_room(session_id, user_id)]
    if moderator:
        rooms.append(teachers_room(session_id))
    return rooms


def audience(payload: dict[str, Any]) -> list[str] | None:
    """Where one logged event goes live: ``None`` for the whole session's room (the
    common case), else the rooms that may hear it — the session's moderators, its
    author (``To.AUTHOR``), a breakout group (``data.group_id``). The catalogue's
    ``to`` decides, the same rule ``join`` and ``history`` replay by
    (``events.may_receive``)."""
    entry = events.CATALOGUE.get(payload["type"])
    to = entry.to if entry is not None else events.To.EVERYONE
    data = payload.get("data")
    group = data.get("group_id") if isinstance(data, dict) else None
    session_id = payload["session_id"]
    rooms = [teachers_room(session_id)]
    if to & events.To.MEMBERS:
        if group is None:
            return None
        rooms.append(group_room(session_id, int(group)))
    actor = payload.get("actor")
    if to & events.To.AUTHOR and isinstance(actor, dict) and actor.get("id") is not None:
        rooms.append(user_room(session_id, actor["id"]))
    return rooms


def login_room(user_id: int, sid: str) -> str:
    """The Socket.IO room holding every connection of one sign-in."""
    from ..people.proofs import digest

    return f"login:{digest(sid)[:32]}"


def publish(payload: dict[str, Any]) -> None:
    """Tell a stored event to its session's room, through the relay (``live.relay``)."""
    socketio.emit("event", payload, namespace=NAMESPACE, to=session_room(payload["session_id"]))


def events_after(session_id: int, after: int, through: int | None = None) -> list[dict[str, Any]]:
    """The session's logged events after seq ``after`` (through ``through``), as the
    room is told them: what the relay reads when one went missing on its way."""
    from .. import room, sql
    from ..log import eventlog

    with sql.admitted():
        events = eventlog.events_since(session_id, after, through)
        actors = room.actors_for(events)
        return [room.serialize_event(e, actors) for e in events]


def disconnect_login_session(user_id: int, sid: str) -> None:
    """End every live connection of a sign-in, on every process."""
    import sqlalchemy as sa

    from ..extensions import db
    from ..models import Connection
    from ..people.proofs import digest

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

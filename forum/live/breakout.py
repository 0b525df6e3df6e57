"""Breakout groups on the wire: which connections sit in which group's Socket.IO
room (``rooms.group_room``), so that the relay tells a group's events to its members
(and the teachers, who hear every group from their own room) and to nobody else.

A connection enters its group's room when it joins while groups are formed
(``enter_own_group``), and when ``groups.formed`` is delivered in its process (each
process moves its own connections, as the relay delivers there); it leaves when
``groups.ended`` is delivered. Both hooks run in the relay before the event is told
(``relay.on_delivered``), in seq order, so the first group message after the forming
already finds its members in the room.
"""

from __future__ import annotations

import contextlib
from typing import Any

from .. import room
from ..extensions import socketio
from . import relay
from .rooms import NAMESPACE, group_room, user_room


def _sids_of(manager: Any, session_id: int, user_id: int) -> list[str]:
    """This process's connections of one person joined to one session."""
    with contextlib.suppress(KeyError, ValueError):
        return [s for s, _ in manager.get_participants(NAMESPACE, user_room(session_id, user_id))]
    return []


def enter_own_group(sid: str, seat: room.Seat) -> None:
    """On join: a student in a group formed now hears that group (teachers hear every
    group already; observers none)."""
    if seat.manager or not seat.member:
        return
    group_id = room.current_group(seat.session.id, seat.user.id)
    if group_id is not None:
        socketio.server.enter_room(sid, group_room(seat.session.id, group_id), namespace=NAMESPACE)


def _formed(manager: Any, payload: dict[str, Any]) -> None:
    session_id = payload["session_id"]
    for group in payload["data"]["groups"]:
        name = group_room(session_id, group["id"])
        for user_id in group["member_ids"]:
            for sid in _sids_of(manager, session_id, user_id):
                manager.enter_room(sid, NAMESPACE, name)


def _ended(manager: Any, payload: dict[str, Any]) -> None:
    session_id = payload["session_id"]
    for group_id in payload["data"]["group_ids"]:
        with contextlib.suppress(KeyError, ValueError):
            manager.close_room(group_room(session_id, group_id), NAMESPACE)


relay.on_delivered("groups.formed", _formed)
relay.on_delivered("groups.ended", _ended)

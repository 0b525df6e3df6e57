"""The ``/live`` events that are one action of the room: chat, the board, moderation,
the live tools (polls, flags), breakout groups, held messages and the session's life.

Each is a row of ``ACTIONS``: the event, the action in ``room`` or ``board`` it calls
with the caller's seat and the payload, and, where it is not the stored event, what
its ack carries. ``register`` makes every row a handler (``dispatch.handler``: who is
asking, every failure an error ack). What does more than one action — typing, a
member's removal — is written out below the table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from .. import room
from ..errors import ActionError
from ..extensions import db, socketio
from ..models import Connection
from ..people import proofs, throttle
from ..room import board
from . import attendance
from .dispatch import _call, _seat, handler
from .rooms import NAMESPACE, session_room

Payload = dict[str, Any]
Action = Callable[[room.Seat, Payload], room.Recorded]
Answer = Callable[[room.Recorded], Payload]


def _event(recorded: room.Recorded) -> Payload:
    """The usual ack: the stored event, as the room hears it."""
    return {"event": recorded.payload()}


def _own_vote(recorded: room.Recorded) -> Payload:
    """A voter's ack carries their own choices; the room hears only the counts."""
    return {"event": recorded.own()}


def _flag_received(recorded: room.Recorded) -> Payload:
    """A flag's ack tells its author it was received, and nothing of the queue."""
    return {"flag_id": recorded.event.data["flag_id"]}


def _hide(hidden: bool) -> Action:
    def act(seat: room.Seat, payload: Payload) -> room.Recorded:
        target, item_id, reason = room.hide_request(payload, hidden)
        return (board.hide if target == "note" else room.hide_message)(
            seat, item_id, hidden, reason
        )

    return act


# event -> the action it calls (seat, payload), or (action, what its ack carries).
ACTIONS: dict[str, Action | tuple[Action, Answer]] = {
    # chat
    "chat.send": room.send_message,
    "chat.react": room.react,
    # the board
    "note.add": board.add,
    "note.edit": board.edit,
    "note.vote": board.vote,
    "note.remove": board.remove,
    # moderation
    "mod.hide": _hide(True),
    "mod.unhide": _hide(False),
    "mod.mute": lambda seat, payload: room.mute(seat, payload, True),
    "mod.unmute": lambda seat, payload: room.mute(seat, payload, False),
    "mod.lock": room.lock,
    "mod.slow": room.slow,
    "mod.pin": room.pin,
    # the live tools: polls and flags
    "poll.open": room.polls.open_poll,
    "poll.vote": (room.polls.vote, _own_vote),
    "poll.close": room.polls.close_poll,
    "flag": (room.flags.flag, _flag_received),
    "flag.dismiss": room.flags.dismiss,
    # breakout groups and held messages
    "groups.form": room.form_groups,
    "groups.end": lambda seat, _payload: room.end_groups(seat),
    "mod.release": room.release,
    "mod.approve_all": room.approval,
    # the session's life
    "session.open": lambda seat, _payload: room.open_room(seat),
    "session.close": lambda seat, _payload: room.close_room(seat),
}


def register(event: str, act: Action, answer: Answer = _event) -> None:
    """``event`` parses the caller's seat, calls ``act`` and acks what ``answer`` reads."""

    def run(user: proofs.Person, payload: Payload) -> Payload:
        return answer(act(_seat(user, payload), payload))

    run.__name__ = run.__qualname__ = "on_" + event.replace(".", "_")
    handler(event)(run)


for _name, _row in ACTIONS.items():
    if isinstance(_row, tuple):
        register(_name, *_row)
    else:
        register(_name, _row)


# --- typing ------------------------------------------------------------------------------


_typing_limiter = throttle.Limiter("typing", burst=3, per_second=0.5)


@handler("typing")
def on_typing(user: proofs.Person, payload: Payload) -> Payload:
    seat = _seat(user, payload)
    room.typing(seat)  # locked, muted, removed or observing: an error ack, nobody told
    try:
        _typing_limiter.take(user.id)
    except ActionError:
        return {}  # typing is a hint: extra ones are dropped quietly
    socketio.emit(
        "typing",
        {"session_id": seat.session.id, "user": {"id": user.id, "name": user.display_name}},
        namespace=NAMESPACE,
        to=session_room(seat.session.id),
        skip_sid=_call().sid,
    )
    return {}


# --- a member's removal ------------------------------------------------------------------


@handler("mod.remove")
def on_mod_remove(user: proofs.Person, payload: Payload) -> Payload:
    seat = _seat(user, payload)
    session_id = seat.session.id
    ack = _event(room.remove(seat, payload))
    # Read everything first: the disconnect runs the removed member's disconnect
    # handler right here, in this app context, and that ends this database session.
    disconnect_member(session_id, ack["event"]["data"]["user_id"])
    attendance.presence_changed(session_id)
    return ack


def disconnect_member(session_id: int, user_id: int) -> None:
    """Tell a removed student and end their connections to that room, on any process."""
    socketio.emit("removed", {"session_id": session_id}, namespace=NAMESPACE, to=f"user:{user_id}")
    sids = list(
        db.session.scalars(
            sa.select(Connection.sid).where(
                Connection.session_id == session_id, Connection.user_id == user_id
            )
        )
    )
    db.session.execute(
        sa.delete(Connection).where(
            Connection.session_id == session_id, Connection.user_id == user_id
        )
    )
    db.session.commit()
    for sid in sids:
        socketio.server.leave_room(sid, session_room(session_id), namespace=NAMESPACE)
        socketio.server.disconnect(sid, namespace=NAMESPACE)

"""Socket.IO handlers for ``/live``: connecting and disconnecting, joining a
session's room (with what it missed), scrolling back, leaving. The events that are
one action of the room are ``actions``'s.

Each handler parses its payload, works out who is asking (again, on every event)
and acks ``{"ok": true, ...}`` or ``{"ok": false, "error", "message"}``: no
exception leaves a handler, a bad payload gets an error ack, never a crash.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room

from .. import i18n, room, sql
from ..errors import UNAVAILABLE_RETRY_AFTER, ActionError
from ..extensions import db, socketio
from ..models import Connection, RoomMember, User
from ..people import proofs, pseudonyms
from ..room import board
from ..schedule import sessions
from . import attendance, breakout, presence, relay, servers
from .dispatch import _call, _join_room, _leave_room, _seat, arrivals, handler, unavailable_ack
from .observers import observer_room
from .rooms import NAMESPACE, login_room, member_rooms, session_room

log = logging.getLogger(__name__)


@socketio.on("connect", namespace=NAMESPACE)
def on_connect(auth=None):
    """Accept the sign-in cookie or ``auth: {"token": ...}``; refuse anyone else."""
    try:
        with arrivals.turn(), sql.admitted():
            _connect(auth)
    except sql.Unavailable:
        message = unavailable_ack()["message"]
        raise ConnectionRefusedError(
            message,
            {"code": "unavailable", "message": message, "retry_after": UNAVAILABLE_RETRY_AFTER},
        ) from None


def _connect(auth: object) -> None:
    try:
        user = None
        if current_user and current_user.is_authenticated:
            user = current_user._get_current_object()
        elif isinstance(auth, dict) and isinstance(auth.get("token"), str):
            user = proofs.user_for_token(auth["token"])
            if user is not None:
                request.environ["forum.token_hash"] = proofs.digest(auth["token"])
        if user is None:
            raise _refused(_("Please sign in first."))
        if user.current_sid:
            request.environ["forum.login_hash"] = proofs.digest(user.current_sid)
            join_room(login_room(user.id, user.current_sid))
        join_room(f"user:{user.id}")
        request.environ["forum.live"] = True  # its cookie session is read once (web.py)
        # The language of this connection's acks until an event reads the person's own
        # again: what an ack says when the database cannot be asked.
        request.environ["forum.language"] = i18n.current_language()
    except ConnectionRefusedError:
        raise
    except Exception as exc:
        if sql.unreachable(exc):
            log.warning("connect: database unavailable: %s", exc)
            ack = unavailable_ack()
            raise ConnectionRefusedError(
                ack["message"],
                {
                    "code": "unavailable",
                    "message": ack["message"],
                    "retry_after": ack["retry_after"],
                },
            ) from None
        log.exception("connect failed")
        raise _refused(_("Please sign in first.")) from None
    finally:
        db.session.remove()


def _refused(message: str) -> ConnectionRefusedError:
    """A refusal whose connect_error carries ``data: {"code": "unauthorized"}``: with a
    single argument python-socketio would send only a ``message`` string."""
    return ConnectionRefusedError(message, {"code": "unauthorized", "message": message})


@socketio.on("disconnect", namespace=NAMESPACE)
def on_disconnect(*_args):
    """A connection went away: its clean-up runs on its own, never in the caller.

    The caller may be anyone: a writer telling the room met this connection's ping
    timeout, a teacher's removal, a sign-out. Cleaning up logs ``member.left``, which
    waits for the session's lock and the database; done in place it would make the
    caller wait for that, or for itself."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a LocalProxy
    sid = request.sid  # type: ignore[attr-defined]  # set by Flask-SocketIO
    socketio.server.manager.observers.left(sid)
    if app.config["FORUM_LIVE_INLINE"]:
        _disconnect(app, sid)
    else:
        socketio.start_background_task(_disconnect, app, sid, LEFT_GRACE)


# A dropped connection is ended (its owner logged as having left, if it was their
# last) only this many seconds later: a network blip that drops a whole class, which
# reconnects at once (socket.io clients try again within 1-5 s), then logs nothing and
# costs the room no writes. Meanwhile its row stays, so if this process dies the
# heartbeat's sweep still ends it.
LEFT_GRACE = 10.0


def _disconnect(app: Flask, sid: str, grace: float = 0.0) -> None:
    """Whoever opened the connection leaves, even if their sign-in has just ended (a
    sign-out disconnects them): as the sweep, by the connection's own rows."""
    if grace:
        socketio.sleep(grace)
    try:
        with app.app_context(), sql.admitted():
            try:
                rows = db.session.execute(
                    sa.select(Connection.session_id, Connection.user_id).where(
                        Connection.sid == sid
                    )
                ).all()
                for session_id, user_id in rows:
                    attendance.end_connection(sid, db.session.get(User, user_id), session_id)
            finally:
                db.session.remove()
    except Exception:
        # Rows left behind (the database is down) are swept by the heartbeat.
        log.exception("disconnect cleanup of %s failed", sid)


# --- joining and leaving -------------------------------------------------------------


def _int_field(
    payload: dict[str, Any], name: str, default: int | None, low: int, high: int, message: str
) -> int | None:
    """An optional whole number of the payload within [low, high], else ``invalid``."""
    value = payload.get(name)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ActionError("invalid", message)
    return value


def _refuse_removed(seat: room.Seat, user: proofs.Person) -> None:
    member = db.session.get(RoomMember, (seat.session.id, user.id))
    if member is not None and member.removed:
        raise ActionError("removed", _("A teacher has removed you from this session."))


def _masked(seat: room.Seat, user: proofs.Person) -> bool:
    """Who reads the students under pseudonyms (reviewers): every copy they get is masked."""
    return seat.observer and pseudonyms.reads_pseudonyms(user, seat.session.id)


def _mask_page(events: list[dict[str, Any]], numbering: dict[int, int]) -> list[dict[str, Any]]:
    return [pseudonyms.mask_event(e, numbering) for e in events]


@handler("join", lane=arrivals)
def on_join(user: proofs.Person, payload: dict[str, Any]) -> dict[str, Any]:
    seat = _seat(user, payload)
    since = _int_field(payload, "since", None, 0, room.MAX_INT, _("since must be a number."))
    _refuse_removed(seat, user)
    # Who reads the students under pseudonyms (reviewers) hears the room in a room of
    # their own, each copy masked for them (``live.observers``), never the members' room.
    masked = _masked(seat, user)
    call = _call()
    _join_room(observer_room(seat.session.id) if masked else session_room(seat.session.id))
    if not masked:
        for name in member_rooms(seat.session.id, user.id, moderator=seat.manager):
            _join_room(name)
        breakout.enter_own_group(call.sid, seat)
    came_online = attendance.arrived(
        call.sid, seat, call.environ.get("forum.login_hash"), servers.SERVER_ID
    )
    room.joined(seat)
    # The joiner sees who is here at once; the room hears of it with the next snapshot.
    here = presence.snapshot(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        seat.session.id,
    )
    if came_online:
        attendance.presence_changed(seat.session.id)
    state = sessions.room_state(seat)
    # A first visit or a reload (no ``since``), or a gap too long to replay, gets the
    # latest page and ``history_before``; the ack's state describes the whole room.
    if since is None or seat.session.head_seq - since > room.SINCE_LIMIT:
        pinned = state.get("pinned_message_id")
        paged = room.page(seat, quote={pinned} if pinned else set())
        events, quoted, history_before = paged.events, paged.quoted, paged.history_before
    else:
        events, quoted, history_before = room.replay(seat, since), [], None
    if masked:
        feed = socketio.server.manager.observers
        feed.joined(call.sid, i18n.current_language().locale)
        numbering = feed.numbering(seat.session.id, fresh=True)
        here = pseudonyms.mask_presence(here, numbering)
        events, quoted = _mask_page(events, numbering), _mask_page(quoted, numbering)
    if masked:
        socketio.emit("presence", here, namespace=NAMESPACE, to=call.sid)
    else:
        presence.tell(call.sid, here)
    # The room may have gone on since the seat was read: the head covers the events.
    head = max(seat.session.head_seq, events[-1]["seq"] if events else 0)
    relay_of_this_process().joined(seat.session.id, head)
    ack = {
        "session": state,
        "you": room.you(seat),
        "head": head,
        "events": events,
        "board": board.state(
            seat.session.id, with_hidden_text=seat.manager, groups=room.readers_groups(seat)
        ),
        "held": room.held_queue(seat),
        "mutes": room.mutes(seat.session.id),
        "votes": board.votes_of(seat.session.id, user.id),
        "quoted": quoted,
        # The live tools: every poll with its counts and the caller's own answer; the
        # open flags for the teachers only (students never learn of a flag).
        "polls": room.polls.state(seat.session.id, user.id),
        "flags": room.flags.queue(seat.session.id) if seat.manager else [],
    }
    if history_before is not None:
        ack["history_before"] = history_before
    return ack


@handler("history")
def on_history(user: User, payload: dict[str, Any]) -> dict[str, Any]:
    """The visible events just before ``before``, for scrolling back (``join``'s rule)."""
    seat = _seat(user, payload)
    if payload.get("before") is None:
        raise ActionError("invalid", _("before must be a number."))
    before = _int_field(payload, "before", None, 1, room.MAX_INT, _("before must be a number."))
    assert before is not None  # refused above when absent
    limit = _int_field(
        payload,
        "limit",
        room.PAGE,
        1,
        room.HISTORY_LIMIT,
        _("limit must be a number from 1 to %(max)s.", max=room.HISTORY_LIMIT),
    )
    _refuse_removed(seat, user)
    paged = room.page(seat, before, limit or room.PAGE)
    events, quoted = paged.events, paged.quoted
    if _masked(seat, user):
        feed = socketio.server.manager.observers
        numbering = feed.numbering(seat.session.id)
        if any(pseudonyms.unknown(e, "event", numbering) for e in events + quoted):
            numbering = feed.numbering(seat.session.id, fresh=True)
        events, quoted = _mask_page(events, numbering), _mask_page(quoted, numbering)
    ack: dict[str, Any] = {"events": events, "quoted": quoted}
    if paged.history_before is not None:
        ack["history_before"] = paged.history_before
    return ack


@handler("leave")
def on_leave(user: proofs.Person, payload: dict[str, Any]) -> dict[str, Any]:
    seat = _seat(user, payload)
    sid = _call().sid
    _leave_room(session_room(seat.session.id))
    _leave_room(observer_room(seat.session.id))
    for name in member_rooms(seat.session.id, user.id, moderator=True):
        _leave_room(name)
    socketio.server.manager.observers.left(sid)
    attendance.end_connection(sid, user, seat.session.id)
    return {}


def relay_of_this_process() -> relay.Sequencer:
    """The sequencer that tells this process's rooms their events."""
    return socketio.server.manager.sequencer

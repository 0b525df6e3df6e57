"""Who is here: presence snapshots, coalesced per room.

A room's presence is its whole member list. Sent to the whole room on every join
and leave, a class of 300 re-joining at once after a network blip cost the room
300 × 300 lists (43,426 messages, 1.59 GB in one measured storm) and kept the
server busy for tens of seconds. So a change only marks the room: one snapshot
goes out per room and process at most every ``FORUM_PRESENCE_SECONDS`` (first one
soon after a quiet spell), read once and sent to everyone. The one who joins gets
a snapshot of their own at once (``handlers.on_join``), so nobody waits to see who
is there. The messages a storm costs grow with the room, not with its square.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask
from socketio.packet import EVENT

from .. import room, sql
from ..extensions import socketio
from .rooms import NAMESPACE, session_room

log = logging.getLogger(__name__)

# After a quiet spell the first snapshot goes this soon: joins that arrive together
# share it.
FIRST_DELAY = 0.1
# Rooms larger than this many members per FORUM_PRESENCE_SECONDS get their snapshots
# further apart (300 members: one every 3 s), so the snapshots a member receives in a
# storm stay a handful however big the room: the messages grow with the room, not with
# its square.
MEMBERS_PER_SECOND = 100

_pending: set[int] = set()
_last_sent: dict[int, float] = {}
_snapshots: dict[int, tuple[float, dict]] = {}  # session id -> (when read, presence)
_guard = threading.Lock()


def changed(app: Flask, session_id: int) -> None:
    """The room's presence changed: send it a snapshot, now or at its next turn."""
    window = app.config["FORUM_PRESENCE_SECONDS"]
    if window <= 0 or app.config["FORUM_LIVE_INLINE"]:
        send(session_id)
        return
    with _guard:
        if session_id in _pending:
            return  # the snapshot already due will show this change too
        _pending.add(session_id)
        now = time.monotonic()
        cached = _snapshots.get(session_id)
        if cached is not None:
            # A bigger room waits longer between snapshots: a storm's length grows with
            # the room, and so would the snapshots each member gets in it.
            window = max(window, len(cached[1]["members"]) / MEMBERS_PER_SECOND)
        due = max(now + FIRST_DELAY, _last_sent.get(session_id, 0.0) + window)
    socketio.start_background_task(_flush, app, session_id, due - now)


def send(session_id: int) -> None:
    """Read the room's presence and send it to everyone in the room (caller's
    database context)."""
    snapshot = room.presence(session_id)
    with _guard:
        _snapshots[session_id] = (time.monotonic(), snapshot)
    socketio.emit("presence", snapshot, namespace=NAMESPACE, to=session_room(session_id))


def snapshot(app: Flask, session_id: int) -> dict:
    """The room's presence for one who has just joined: the last snapshot sent, if it
    is younger than the window (a room's worth of joiners in a storm share one read;
    the room's next snapshot follows within the window), else read now."""
    window = app.config["FORUM_PRESENCE_SECONDS"]
    if window > 0 and not app.config["FORUM_LIVE_INLINE"]:
        with _guard:
            cached = _snapshots.get(session_id)
        if cached is not None and time.monotonic() - cached[0] < window:
            return cached[1]
    fresh = room.presence(session_id)
    with _guard:
        _snapshots[session_id] = (time.monotonic(), fresh)
    return fresh


class _Encoded:
    """A presence packet encoded once: what python-socketio's ``_send_packet`` asks
    of a packet (its ``encode``), for every joiner who gets the same snapshot."""

    __slots__ = ("encoded", "snapshot")

    def __init__(self, snapshot: dict, encoded: str) -> None:
        self.snapshot, self.encoded = snapshot, encoded  # holding it keeps its id

    def encode(self) -> str:
        return self.encoded


# The last snapshot encoded for a joiner. In a storm hundreds of joiners get the same
# snapshot (``snapshot`` shares one read), and encoding its member list for each
# (python-socketio walks it for binary data, then JSON) was a third of a re-join's CPU
# in a profile of 300 re-joining at once.
_last: _Encoded | None = None


def tell(sid: str, here: dict) -> None:
    """Send one connection (of this process) the presence snapshot ``here``, encoded
    once for every joiner who gets the same snapshot."""
    global _last
    server = socketio.server
    last = _last
    if last is None or last.snapshot is not here:
        encoded = server.packet_class(EVENT, namespace=NAMESPACE, data=["presence", here]).encode()
        if not isinstance(encoded, str):  # binary attachments (never in presence): as usual
            socketio.emit("presence", here, namespace=NAMESPACE, to=sid)
            return
        last = _last = _Encoded(here, encoded)
    eio_sid = server.manager.eio_sid_from_sid(sid, NAMESPACE)
    if eio_sid is not None:  # None: the connection has just gone
        server._send_packet(eio_sid, last)


def _flush(app: Flask, session_id: int, delay: float) -> None:
    socketio.sleep(delay)
    with _guard:
        _pending.discard(session_id)  # a change from now on needs another snapshot
        _last_sent[session_id] = time.monotonic()
    try:
        with app.app_context(), sql.admitted():
            send(session_id)
    except Exception as exc:
        # The next change sends a fresh snapshot; a database outage is logged elsewhere.
        log.warning("presence of session %s not sent: %s", session_id, exc)

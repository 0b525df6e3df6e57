"""The relay: how a stored event reaches the people in its room, in seq order.

A writer stores an event under the session's lock, releases the lock, and only
then tells the room (``room.record``). Nothing shared is held while a client is
written to, so a client that stops reading, or a message queue that stops
answering, costs its own connection and nothing else. Two writers of one session
may therefore hand their events over out of order (seq n+1 before seq n), and
with several processes an event may arrive late, twice, or never (the queue was
down). The ``Sequencer`` puts that right where the room is told: per session and
process it delivers seq n only after n-1, drops what was delivered already, and
reads a missing event from the log, where it surely is — the head lock is held
until commit, so once n+1 is stored, n is too.

Two client managers hook it into python-socketio, for the two ways a process is
set up:

- ``LocalManager`` (one process, here): an ``event`` emitted to a session's room
  goes through the sequencer, then to the local connections (``local_emit``);
- ``messagequeue.QueueManager`` (several processes on ``FORUM_MESSAGE_QUEUE``,
  Redis): the same for events arriving from the queue or from this process, with
  publishing and the queue's outages its own.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

import socketio
from flask import Flask

from . import observers

log = logging.getLogger("forum.live")

# How long a gap in seq may last before the missing events are read from the log.
# Two writers of one session publish microseconds apart; a gap that lasts longer
# was lost on its way (a queue outage, a process that died between commit and
# publish).
GAP_WAIT = 0.5
# The most events held back per session while a gap is filled.
MAX_HELD = 5000

Payload = dict[str, Any]

# What a process does when it delivers an event of a type, before telling it to its
# connections: (manager, payload) -> None (``live.breakout`` moves connections into
# and out of group rooms). Registered at import.
_ON_DELIVERED: dict[str, list[Callable[[Any, Payload], None]]] = {}


def on_delivered(type_: str, hook: Callable[[Any, Payload], None]) -> None:
    """Run ``hook`` whenever this process delivers an event of ``type_``."""
    _ON_DELIVERED.setdefault(type_, []).append(hook)


class Sequencer:
    """Per-session delivery in seq order, without gaps or repeats, for one process."""

    def __init__(
        self,
        app: Flask,
        deliver: Callable[[Payload], None],
        spawn: Callable[..., Any],
        sleep: Callable[[float], None],
    ) -> None:
        self.app = app
        self._deliver = deliver
        self._spawn, self._sleep = spawn, sleep
        self._last: dict[int, int] = {}  # session id -> last seq delivered here
        self._held: dict[int, dict[int, Payload]] = {}  # arrived early, by seq
        self._filling: set[int] = set()  # sessions with a fill under way
        self._to_head: set[int] = set()  # sessions to fill up to the log's head
        self._outq: dict[int, deque[Payload]] = {}  # in order, waiting to be delivered
        self._delivering: set[int] = set()  # sessions someone is delivering right now
        self._lock = threading.Lock()  # never held while delivering or reading

    def offer(self, payload: Payload) -> None:
        """An event for its session's room: delivered now if it is the next one,
        held if it is early, dropped if it was delivered already."""
        session_id, seq = payload["session_id"], payload["seq"]
        ready: list[Payload] = []
        fill = False
        with self._lock:
            last = self._last.get(session_id)
            if last is None:
                # The first this process hears of the session: nobody here has joined
                # it yet (``joined`` would have set the mark), so there is nothing to
                # be in order with.
                last = seq - 1
            if seq <= last:
                return
            if seq == last + 1:
                ready.append(payload)
                last = seq
                held = self._held.get(session_id)
                while held and last + 1 in held:
                    last += 1
                    ready.append(held.pop(last))
                if held is not None and not held:
                    del self._held[session_id]
                self._last[session_id] = last
            else:
                self._last[session_id] = last
                held = self._held.setdefault(session_id, {})
                if len(held) < MAX_HELD:
                    held[seq] = payload
                fill = session_id not in self._filling
                if fill:
                    self._filling.add(session_id)
        if ready:
            self._hand_out(session_id, ready)
        if fill:
            self._spawn(self._fill, session_id, GAP_WAIT)

    def _hand_out(self, session_id: int, ready: list[Payload]) -> None:
        """Deliver in order: one caller at a time delivers a session's events, taking
        along what others queued meanwhile; the others return at once (nobody waits
        for another's socket writes)."""
        with self._lock:
            self._outq.setdefault(session_id, deque()).extend(ready)
            if session_id in self._delivering:
                return
            self._delivering.add(session_id)
        while True:
            with self._lock:
                queue = self._outq.get(session_id)
                if not queue:
                    self._outq.pop(session_id, None)
                    self._delivering.discard(session_id)
                    return
                batch = list(queue)
                queue.clear()
            for event in batch:
                try:
                    self._deliver(event)
                except Exception:  # one event's failure must not stop the room's stream
                    log.exception(
                        "delivering seq %s of session %s failed", event.get("seq"), session_id
                    )

    def joined(self, session_id: int, head: int) -> None:
        """Someone here joined the session having read its log up to ``head``: if
        this process has not delivered anything of it yet, it starts there."""
        with self._lock:
            self._last.setdefault(session_id, head)

    def catch_up(self, session_ids: list[int]) -> None:
        """After an outage of the queue: deliver what each session logged since the
        last event delivered here."""
        for session_id in session_ids:
            with self._lock:
                if session_id not in self._last:
                    continue
                self._to_head.add(session_id)
                if session_id in self._filling:
                    continue  # the fill under way goes on to the head
                self._filling.add(session_id)
            self._spawn(self._fill, session_id, 0.0)

    def _fill(self, session_id: int, wait: float) -> None:
        """Read the missing events of a session from the log and deliver them; retried
        while the database cannot be reached."""
        from .rooms import events_after

        delay = wait
        try:
            while True:
                if delay:
                    self._sleep(delay)
                with self._lock:
                    last = self._last.get(session_id, 0)
                    held = self._held.get(session_id)
                    to_head = session_id in self._to_head
                    self._to_head.discard(session_id)
                    through = None if to_head or not held else min(held) - 1
                if not to_head and (through is None or through <= last):
                    return  # the gap closed by itself
                try:
                    with self.app.app_context():
                        missing = events_after(session_id, last, through)
                except Exception as exc:  # the database may be down too: try again
                    log.warning(
                        "could not read session %s's events after seq %s: %s", session_id, last, exc
                    )
                    if to_head:
                        with self._lock:
                            self._to_head.add(session_id)
                    delay = min(max(1.0, delay * 2), 30.0)
                    continue
                for payload in missing:
                    self.offer(payload)
                return
        finally:
            with self._lock:
                self._filling.discard(session_id)
                still_gap = bool(self._held.get(session_id))
                if still_gap:
                    self._filling.add(session_id)
            if still_gap:  # something arrived early meanwhile: go again
                self._spawn(self._fill, session_id, GAP_WAIT)


def told_to_a_room(event: str, namespace: str | None, room: Any, callback: Any) -> bool:
    """Is this what a session's members' room is told (an event, presence, typing),
    which goes through the relay: in seq order, and to the session's observers too?"""
    from .rooms import NAMESPACE

    return (
        event in observers.KINDS
        and namespace == NAMESPACE
        and not callback
        and isinstance(room, str)
        and room.startswith("session:")
        and room.count(":") == 1
    )


def local_emit(manager: socketio.Manager) -> Callable[[Payload], None]:
    """Deliver one event to this process's connections in its session's room, and to
    its observers (under pseudonyms)."""
    from .rooms import NAMESPACE, audience, session_room

    def deliver(payload: Payload) -> None:
        for hook in _ON_DELIVERED.get(payload.get("type", ""), ()):
            hook(manager, payload)
        rooms = audience(payload)
        if rooms is None:  # the whole room: one frame for everyone
            socketio.Manager.emit(
                manager, "event", payload, NAMESPACE, room=session_room(payload["session_id"])
            )
            manager.observers.tell("event", payload)
            return
        # Some may hear it, the rest are told only that its seq is not theirs, so
        # their sequencer moves on instead of waiting for a gap to fill. The event
        # goes first: a teacher gets it, then the skip (dropped as already seen).
        heard = [sid for sid, _ in manager.get_participants(NAMESPACE, rooms)]
        if heard:
            socketio.Manager.emit(manager, "event", payload, NAMESPACE, room=rooms)
        skip = {"session_id": payload["session_id"], "seq": payload["seq"]}
        socketio.Manager.emit(
            manager,
            "skip",
            skip,
            NAMESPACE,
            room=session_room(payload["session_id"]),
            skip_sid=heard,
        )
        manager.observers.tell("skip", skip)

    return deliver


class Relayed:
    """What both managers add: the sequencer and the observers of this process."""

    app: Flask
    sequencer: Sequencer | None
    observers: observers.Observers

    def _relay(self, event: str, data: Payload, told: Callable[[], None]) -> None:
        """An event goes through the sequencer (which tells the members and the
        observers); presence and typing are told to the members (``told``), then to
        the observers."""
        if event == "event" and self.sequencer is not None:
            self.sequencer.offer(data)
            return
        told()
        self.observers.tell(event, data)


class LocalManager(Relayed, socketio.Manager):
    """One process: room events go through the sequencer to the local connections."""

    def __init__(self, app: Flask) -> None:
        super().__init__()
        self.app = app
        self.sequencer = None
        self.observers = observers.Observers(app, self)

    def initialize(self) -> None:
        super().initialize()
        self.sequencer = Sequencer(
            self.app, local_emit(self), self.server.start_background_task, self.server.sleep
        )

    def emit(
        self, event, data, namespace, room=None, skip_sid=None, callback=None, to=None, **kwargs
    ):
        room = to or room
        if told_to_a_room(event, namespace, room, callback):
            self._relay(
                event,
                data,
                lambda: socketio.Manager.emit(
                    self, event, data, namespace, room=room, skip_sid=skip_sid
                ),
            )
            return None
        return super().emit(
            event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, **kwargs
        )

"""What reviewers hear live: the room, with its students under pseudonyms.

A reviewer observing a session sits in a room of their own,
``session:<id>:observers``, never in the members' room. Whatever the members' room
is told — its ``event``s (in seq order, after the relay), ``presence`` and
``typing`` — this process's observers are told too, each copy with the students
named as ``pseudonyms`` says, in the observer's own language. Reading who is who
may need the database (a student new to the log), so each session's observers are
told by a green thread of its own, in order; nothing that tells the members waits
for it.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Any

import socketio
from flask import Flask
from flask_babel import force_locale

from .. import sql
from ..people import pseudonyms

log = logging.getLogger(__name__)

# What the members' room is told that observers hear too (``skip``: a seq whose event
# only its audience hears, a moderator's or a group's, told so their sequencer moves on).
KINDS = ("event", "presence", "typing")


def observer_room(session_id: int) -> str:
    """The Socket.IO room of a session's observers who read pseudonyms."""
    return f"session:{session_id}:observers"


class Observers:
    """This process's pseudonym readers, and the copies they are told."""

    def __init__(self, app: Flask, manager: socketio.Manager) -> None:
        self.app, self.manager = app, manager
        self.locales: dict[str, str] = {}  # an observer's connection -> its locale
        self._numbering: dict[int, dict[int, int]] = {}  # session -> pseudonym numbers
        self._queues: dict[int, deque[tuple[str, dict[str, Any]]]] = {}
        self._running: set[int] = set()
        self._lock = threading.Lock()

    def joined(self, sid: str, locale: str) -> None:
        self.locales[sid] = locale

    def left(self, sid: str) -> None:
        self.locales.pop(sid, None)

    def numbering(self, session_id: int, *, fresh: bool = False) -> dict[int, int]:
        """The session's pseudonym numbers (the caller is in a unit of work)."""
        numbering = self._numbering.get(session_id)
        if numbering is None or fresh:
            numbering = self._numbering[session_id] = pseudonyms.session_numbers(session_id)
        return numbering

    def tell(self, kind: str, payload: dict[str, Any]) -> None:
        """The members' room of ``payload``'s session was told this: tell its observers
        here, on their session's own green thread."""
        from .rooms import NAMESPACE

        session_id = payload.get("session_id")
        if session_id is None or not self.manager.rooms.get(NAMESPACE, {}).get(
            observer_room(session_id)
        ):
            return  # nobody observing here
        with self._lock:
            self._queues.setdefault(session_id, deque()).append((kind, payload))
            if session_id in self._running:
                return
            self._running.add(session_id)
        if self.app.config["FORUM_LIVE_INLINE"]:
            self._drain(session_id)
        else:
            self.manager.server.start_background_task(self._drain, session_id)

    def _drain(self, session_id: int) -> None:
        while True:
            with self._lock:
                queue = self._queues.get(session_id)
                if not queue:
                    self._queues.pop(session_id, None)
                    self._running.discard(session_id)
                    return
                kind, payload = queue.popleft()
            try:
                with self.app.app_context():
                    self._send(session_id, kind, payload)
            except Exception:  # one copy lost must not stop the stream: say so
                log.exception("observers of session %s were not told a %s", session_id, kind)

    def _send(self, session_id: int, kind: str, payload: dict[str, Any]) -> None:
        from .rooms import NAMESPACE

        numbering = self._numbering.get(session_id)
        if numbering is None or pseudonyms.unknown(payload, kind, numbering):
            with sql.admitted():
                numbering = self.numbering(session_id, fresh=True)
        by_locale: dict[str, list[str]] = {}
        for sid, _eio in self.manager.get_participants(NAMESPACE, observer_room(session_id)):
            by_locale.setdefault(self.locales.get(sid, "en"), []).append(sid)
        for locale, sids in by_locale.items():
            with force_locale(locale):
                masked = mask(kind, payload, numbering)
            for sid in sids:
                socketio.Manager.emit(self.manager, kind, masked, NAMESPACE, room=sid)


def mask(kind: str, payload: dict[str, Any], numbering: dict[int, int]) -> dict[str, Any]:
    """A payload of ``kind`` as a pseudonym reader sees it (in the current locale)."""
    if kind == "skip":  # a seq that is not theirs: names nobody
        return payload
    if kind == "event":
        return pseudonyms.mask_event(payload, numbering)
    if kind == "presence":
        return pseudonyms.mask_presence(payload, numbering)
    return pseudonyms.mask_typing(payload, numbering)

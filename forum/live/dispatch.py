"""How a ``/live`` event is run: in an application context with its connection
(``LiveCall``), who is asking worked out again (``_current_user``), the handler's
action, and its ack — every failure an error ack (``_run``), the database's absence
``unavailable``; arrivals take turns (``Lane``). ``handler`` registers an event;
``bind`` binds them all to a server."""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

from flask import g
from flask_babel import gettext as _

from .. import i18n, room, sql
from ..errors import UNAVAILABLE_LIVE, UNAVAILABLE_RETRY_AFTER, ActionError
from ..extensions import db, socketio
from ..people import access, proofs
from .rooms import NAMESPACE

log = logging.getLogger(__name__)


# --- one event's connection -----------------------------------------------------------


class LiveCall:
    """The connection an event came on: its Socket.IO id and the environ of its
    handshake (where connect noted who proved what, and the connection's language)."""

    __slots__ = ("environ", "sid")

    def __init__(self, sid: str, environ: dict[str, Any]) -> None:
        self.sid, self.environ = sid, environ


def _call() -> LiveCall:
    return g.live_call


def _join_room(room_name: str) -> None:
    socketio.server.enter_room(_call().sid, room_name, namespace=NAMESPACE)


def _leave_room(room_name: str) -> None:
    socketio.server.leave_room(_call().sid, room_name, namespace=NAMESPACE)


# --- who is connected ----------------------------------------------------------------


def _current_user(session_id: object = None) -> proofs.Person | None:
    """The person behind this connection, checked again now: a sign-out, an expired
    sign-in or a revoked token ends what the connection may do at its next event.

    Asked by what the connection proved at connect, in one plain query: the hash of
    its API token (``forum.token_hash``) or of its sign-in (the cookie's sign-in id,
    ``forum.login_hash``); the same query reads their seat in ``session_id``
    (``access.caller_and_seat``). Their language is the one they chose, for every
    message an ack carries."""
    environ = _call().environ
    token_hash = environ.get("forum.token_hash")
    proof, key = (
        ("token", token_hash) if token_hash else ("sign_in", environ.get("forum.login_hash"))
    )
    if key is None:  # the connection proved no one at connect
        return None
    person = access.caller_and_seat(proof, key, session_id)
    if person is not None and person.locale in i18n.BY_LOCALE:
        g.language = i18n.BY_LOCALE[person.locale]
    return person


# --- the handler wrapper ---------------------------------------------------------------


def _error_ack(exc: ActionError) -> dict[str, Any]:
    ack = {"ok": False, "error": exc.code, "message": exc.message}
    ack.update(exc.extra)
    return ack


def _run(
    fn: Callable[[proofs.Person, dict[str, Any]], dict[str, Any]], event: str, payload: object
) -> dict[str, Any]:
    """One event: who is asking, the action, and its ack; every failure an error ack."""
    try:
        user = _current_user(payload.get("session_id") if isinstance(payload, dict) else None)
        if user is None:
            raise ActionError("unauthorized", _("Please sign in again."))
        if not isinstance(payload, dict):
            raise ActionError("invalid", _("The event needs an object payload."))
        return {"ok": True, **(fn(user, payload) or {})}
    except ActionError as exc:
        _rollback()
        return _error_ack(exc)
    except Exception as exc:
        _rollback()
        if sql.unreachable(exc):
            log.warning("handler %s: database unavailable: %s", event, exc)
            sql.discard_live()
            return unavailable_ack()
        log.exception("handler %s failed", event)
        return {
            "ok": False,
            "error": "invalid",
            "message": _("Something went wrong on our side. Please try again."),
        }
    finally:
        with contextlib.suppress(Exception):
            db.session.remove()


def _rollback() -> None:
    with contextlib.suppress(Exception):  # the connection may be gone with the database
        db.session.rollback()


def unavailable_ack() -> dict[str, Any]:
    """Nothing was stored: the database (or the way to it) is down just now."""
    return {
        "ok": False,
        "error": "unavailable",
        "retry_after": UNAVAILABLE_RETRY_AFTER,
        "message": str(UNAVAILABLE_LIVE),
    }


class Lane:
    """Lets a few units of one kind (arrivals) in at a time; the rest wait their turn,
    at most ``wait`` seconds (then ``sql.Unavailable``).

    A class that re-joins at once after a network blip is hundreds of connects and
    joins of a few milliseconds each. Let in together they would fill the server's
    run queue, and a message from someone already in the room would wait behind all
    of them; taking turns here, they queue apart and the message goes first."""

    def __init__(self, slots: int, wait: float) -> None:
        self._free = threading.BoundedSemaphore(slots)
        self.wait = wait

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        if not self._free.acquire(timeout=self.wait):
            raise sql.Unavailable("too many arrivals at once")
        try:
            yield
        finally:
            self._free.release()


# Connects and joins (the heavier events of arriving) take turns, two at a time.
arrivals = Lane(2, wait=8.0)


# The /live events and their wrapped handlers, bound to each server by ``bind``.
EVENTS: dict[str, Callable[..., dict[str, Any]]] = {}


def bind(server: Any) -> None:
    """Bind every /live event to ``server`` (python-socketio's, made by init_app).

    Each event runs in an application context with its connection (``LiveCall``),
    not in the Flask request context Flask-SocketIO would build from the handshake's
    environ for every event: these handlers read no request (connect noted what
    they need in the environ), and building, pushing and tearing that context down
    cost a fifth of a chat message's CPU. connect and disconnect keep it: connect
    reads the sign-in cookie through Flask-Login."""
    for event, wrapper in EVENTS.items():
        server.on(event, _dispatcher(server, wrapper), namespace=NAMESPACE)


def _dispatcher(server: Any, wrapper: Callable[..., dict[str, Any]]) -> Callable:
    def dispatch(sid: str, *args: Any) -> dict[str, Any] | None:
        environ = server.get_environ(sid, namespace=NAMESPACE)
        if not environ:  # the connection is already gone
            return None
        with environ["flask.app"].app_context():
            g.live_call = LiveCall(sid, environ)
            return wrapper(*args)

    return dispatch


def handler(event: str, *, lane: Lane | None = None) -> Callable:
    """Register a ``/live`` event whose function takes (user, payload) and returns
    the ack's extra fields; every failure becomes an error ack."""

    def decorate(fn: Callable[[proofs.Person, dict[str, Any]], dict[str, Any]]) -> Callable:
        @functools.wraps(fn)
        def wrapper(payload=None, *_extra):
            language = _call().environ.get("forum.language")
            if language is not None:
                g.language = language
            try:
                with lane.turn() if lane else contextlib.nullcontext(), sql.admitted():
                    return _run(fn, event, payload)
            except sql.Unavailable as exc:  # no slot came free in time
                log.warning("handler %s: %s", event, exc)
                return unavailable_ack()

        EVENTS[event] = wrapper
        return wrapper

    return decorate


def _seat(user: proofs.Person, payload: dict[str, Any]) -> room.Seat:
    return room.seat_for(user, payload.get("session_id"))

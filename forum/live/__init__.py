"""The live room over Socket.IO, namespace ``/live`` (protocol.md)."""

from __future__ import annotations

import contextlib
from typing import Any, NoReturn

from flask import Flask

from ..extensions import socketio

NAMESPACE = "/live"
# Largest packet the protocol needs: a 2,000-character message in 4-byte UTF-8
# plus the envelope. Anything bigger is refused by the engine before parsing.
MAX_PACKET_BYTES = 16 * 1024


def session_room(session_id: int) -> str:
    """The Socket.IO room of everyone joined to one forum session."""
    return f"session:{session_id}"


def login_room(user_id: int, sid: str) -> str:
    """The Socket.IO room holding every connection of one sign-in."""
    from ..accounts import digest

    return f"login:{digest(sid)[:32]}"


def _publish(payload: dict[str, Any]) -> None:
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


def init_socketio(app: Flask) -> None:
    """Bind Socket.IO with the configured async mode, queue and allowed origins."""
    from .. import room

    # Registered before init_app: handlers added while no server exists are kept in
    # socketio.handlers and bound to every server init_app makes. Imported after, they
    # would be bound only to the first app's server, and a second app in the same
    # process (tests, CLI + server) would refuse every /live connection.
    from . import handlers, relay  # noqa: F401  (handlers registers the event handlers)

    allowed = app.config["FORUM_ALLOWED_ORIGINS"]
    queue = app.config["FORUM_MESSAGE_QUEUE"]
    if queue and not queue.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError(f"FORUM_MESSAGE_QUEUE must be a redis:// URL, not {queue!r}")
    socketio.init_app(
        app,
        async_mode=app.config["FORUM_ASYNC_MODE"],
        client_manager=relay.QueueManager(app, queue) if queue else relay.LocalManager(app),
        ping_interval=app.config["FORUM_PING_INTERVAL"],
        ping_timeout=app.config["FORUM_PING_TIMEOUT"],
        # None = same origin only (python-engineio compares Origin with Host).
        cors_allowed_origins=allowed or None,
        max_http_buffer_size=MAX_PACKET_BYTES,
        manage_session=False,
        logger=False,
        engineio_logger=False,
    )
    handlers.bind(socketio.server)
    if app.config["FORUM_DIRECT_DELIVERY"]:
        from . import delivery

        delivery.install(socketio.server)
    if not app.config["FORUM_WS_DEFLATE"]:
        from .compression import DeclineDeflate

        # Outside Flask-SocketIO's middleware, so the offer is gone before the engine.
        # Flask's documented way to wrap its WSGI app; mypy takes it for a method.
        app.wsgi_app = DeclineDeflate(app.wsgi_app, SOCKETIO_PATH)  # type: ignore[method-assign]
    room.set_publisher(_publish)
    # Every event runs in a request context built from its connection's environ, whose
    # path is the Socket.IO endpoint. With no route there, each event raised and kept
    # a NotFound: ~60 objects in reference cycles per event for the garbage collector.
    app.add_url_rule(SOCKETIO_PATH, endpoint="socketio", view_func=_engine_path,
                     strict_slashes=False)


SOCKETIO_PATH = "/socket.io/"


def _engine_path() -> NoReturn:
    """Never served: the Socket.IO middleware answers this path before Flask does."""
    from flask import abort

    abort(404)


def disconnect_login_session(user_id: int, sid: str) -> None:
    """End every live connection of a sign-in, on every process."""
    import sqlalchemy as sa

    from ..accounts import digest
    from ..extensions import db
    from ..models import Connection

    if getattr(socketio, "server", None) is None:
        return
    socketio.emit("signed_out", {}, namespace=NAMESPACE, to=login_room(user_id, sid))
    socket_ids = set(db.session.scalars(
        sa.select(Connection.sid).where(Connection.login_hash == digest(sid))))
    with contextlib.suppress(KeyError, ValueError):
        socket_ids |= {s for s, _ in socketio.server.manager.get_participants(
            NAMESPACE, login_room(user_id, sid))}
    for socket_id in socket_ids:
        socketio.server.disconnect(socket_id, namespace=NAMESPACE)

"""The live room over Socket.IO, namespace ``/live`` (protocol.md)."""

from __future__ import annotations

from typing import NoReturn

from flask import Flask

from ..extensions import socketio
from .rooms import MAX_PACKET_BYTES, publish

__all__ = ["init_socketio"]


def init_socketio(app: Flask) -> None:
    """Bind Socket.IO with the configured async mode, queue and allowed origins."""
    from .. import room

    # Registered before init_app: handlers added while no server exists are kept in
    # socketio.handlers and bound to every server init_app makes. Imported after, they
    # would be bound only to the first app's server, and a second app in the same
    # process (tests, CLI + server) would refuse every /live connection.
    from . import actions, dispatch, handlers, messagequeue, relay  # noqa: F401  (registering)

    allowed = app.config["FORUM_ALLOWED_ORIGINS"]
    queue = app.config["FORUM_MESSAGE_QUEUE"]
    if queue and not queue.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError(f"FORUM_MESSAGE_QUEUE must be a redis:// URL, not {queue!r}")
    socketio.init_app(
        app,
        async_mode=app.config["FORUM_ASYNC_MODE"],
        client_manager=messagequeue.QueueManager(app, queue) if queue else relay.LocalManager(app),
        ping_interval=app.config["FORUM_PING_INTERVAL"],
        ping_timeout=app.config["FORUM_PING_TIMEOUT"],
        # None = same origin only (python-engineio compares Origin with Host).
        cors_allowed_origins=allowed or None,
        max_http_buffer_size=MAX_PACKET_BYTES,
        manage_session=False,
        logger=False,
        engineio_logger=False,
    )
    dispatch.bind(socketio.server)
    if app.config["FORUM_DIRECT_DELIVERY"]:
        from . import delivery

        delivery.install(socketio.server)
    if not app.config["FORUM_WS_DEFLATE"]:
        from .compression import DeclineDeflate

        # Outside Flask-SocketIO's middleware, so the offer is gone before the engine.
        # Flask's documented way to wrap its WSGI app; mypy takes it for a method.
        app.wsgi_app = DeclineDeflate(app.wsgi_app, SOCKETIO_PATH)  # type: ignore[method-assign]
    room.set_publisher(publish)
    # connect and disconnect run in a request context built from the connection's
    # environ, whose path is the Socket.IO endpoint. With no route there, each raised
    # and kept a NotFound: ~60 objects in reference cycles for the garbage collector.
    app.add_url_rule(
        SOCKETIO_PATH, endpoint="socketio", view_func=_engine_path, strict_slashes=False
    )


SOCKETIO_PATH = "/socket.io/"


def _engine_path() -> NoReturn:
    """Never served: the Socket.IO middleware answers this path before Flask does."""
    from flask import abort

    abort(404)

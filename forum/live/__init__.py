"""The live room over Socket.IO, namespace ``/live``."""

from __future__ import annotations

from flask import Flask

from ..extensions import socketio

NAMESPACE = "/live"
# Largest packet the protocol needs: a 2,000-character message in 4-byte UTF-8
# plus the envelope. Anything bigger is refused by the engine before parsing.
MAX_PACKET_BYTES = 16 * 1024


def init_socketio(app: Flask) -> None:
    """Bind Socket.IO with the configured async mode, queue and allowed origins."""
    allowed = app.config["FORUM_ALLOWED_ORIGINS"]
    socketio.init_app(
        app,
        async_mode=app.config["FORUM_ASYNC_MODE"],
        message_queue=app.config["FORUM_MESSAGE_QUEUE"],
        # None = same origin only (python-engineio compares Origin with Host).
        cors_allowed_origins=allowed or None,
        max_http_buffer_size=MAX_PACKET_BYTES,
        manage_session=False,
        logger=False,
        engineio_logger=False,
    )
    from . import handlers  # noqa: F401  (registers the event handlers)


def login_room(user_id: int, sid: str) -> str:
    """The Socket.IO room holding every connection of one sign-in."""
    from ..accounts import digest

    return f"login:{digest(sid)[:32]}"


def disconnect_login_session(user_id: int, sid: str) -> None:
    """Tell every connection of a sign-in, on every process, that it has ended."""
    socketio.emit("signed_out", {}, namespace=NAMESPACE, to=login_room(user_id, sid))
    server = getattr(socketio, "server", None)
    if server is None:
        return
    room = login_room(user_id, sid)
    try:
        participants = list(server.manager.get_participants(NAMESPACE, room))
    except (KeyError, ValueError):
        participants = []
    for socket_sid, _eio_sid in participants:
        server.disconnect(socket_sid, namespace=NAMESPACE)

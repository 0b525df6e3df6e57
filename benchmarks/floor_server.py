"""The floor for the live-room benchmark: a bare python-socketio broadcast server.

Same stack as ``python wsgi.py`` (eventlet, python-socketio, eventlet.wsgi) and the
same ``/live`` wire shapes, with everything the forum adds taken away: no auth,
no database, no hash chain, no rules. ``join`` puts the connection in the room
``session:<id>``; ``chat.send`` emits an ``event`` shaped like the forum's
``message.posted`` to that room and acks ``{"ok": true, "event": ...}``.

    .venv/bin/python benchmarks/floor_server.py --port 5099
"""

from __future__ import annotations

import argparse
import warnings

warnings.filterwarnings("ignore", message="Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import itertools  # noqa: E402
from datetime import UTC, datetime  # noqa: E402

import eventlet.wsgi  # noqa: E402
import socketio  # noqa: E402

NAMESPACE = "/live"
MAX_PACKET_BYTES = 16 * 1024  # as forum/live/__init__.py

sio = socketio.Server(
    async_mode="eventlet",
    cors_allowed_origins=None,
    max_http_buffer_size=MAX_PACKET_BYTES,
    logger=False,
    engineio_logger=False,
)
app = socketio.WSGIApp(sio)
_seqs: dict[int, itertools.count] = {}
_ids = itertools.count(1)
_actors: dict[str, dict] = {}


def _room(session_id: int) -> str:
    return f"session:{session_id}"


@sio.on("connect", namespace=NAMESPACE)
def on_connect(sid, environ, auth=None):
    _actors[sid] = {
        "id": next(_ids),
        "name": f"Student {sid[:6]}",
        "role": "student",
        "school": "floor-school",
        "country": "TW",
    }


@sio.on("disconnect", namespace=NAMESPACE)
def on_disconnect(sid, *_args):
    _actors.pop(sid, None)


@sio.on("join", namespace=NAMESPACE)
def on_join(sid, payload=None):
    if not isinstance(payload, dict) or not isinstance(payload.get("session_id"), int):
        return {"ok": False, "error": "invalid", "message": "session_id must be a number."}
    session_id = payload["session_id"]
    sio.enter_room(sid, _room(session_id), namespace=NAMESPACE)
    _seqs.setdefault(session_id, itertools.count(1))
    return {"ok": True, "head": 0, "events": []}


@sio.on("chat.send", namespace=NAMESPACE)
def on_chat_send(sid, payload=None):
    if not isinstance(payload, dict) or not isinstance(payload.get("session_id"), int):
        return {"ok": False, "error": "invalid", "message": "session_id must be a number."}
    session_id = payload["session_id"]
    seq = next(_seqs.setdefault(session_id, itertools.count(1)))
    event = {
        "session_id": session_id,
        "seq": seq,
        "type": "message.posted",
        "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor": _actors.get(sid),
        "data": {
            "message_id": seq,
            "client_id": payload.get("client_id"),
            "body": payload.get("body"),
            "reply_to": None,
            "lang": "zh-Hant-TW",
        },
    }
    sio.emit("event", event, to=_room(session_id), namespace=NAMESPACE)
    return {"ok": True, "event": event}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5099)
    parser.add_argument(
        "--nodelay",
        action="store_true",
        help="TCP_NODELAY on the connections (python wsgi.py does not set it)",
    )
    args = parser.parse_args()
    listener = eventlet.listen((args.host, args.port))
    if args.nodelay:  # accepted sockets inherit it from the listening one on Linux
        import socket

        listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    eventlet.wsgi.server(listener, app, log_output=False)


if __name__ == "__main__":
    main()

"""The floor for the live-room benchmark: a bare python-socketio broadcast server.

Same stack as ``python wsgi.py`` (eventlet, python-socketio, eventlet.wsgi) and the
same ``/live`` wire shapes, with everything the forum adds taken away: no auth,
no database, no hash chain, no rules. ``join`` puts the connection in the room
``session:<id>``; ``chat.send`` emits an ``event`` shaped like the forum's
``message.posted`` to that room and acks ``{"ok": true, "event": ...}``.

With ``--store FILE`` it first does what any durable, chained log must, and nothing
more: in one SQLite transaction (WAL, ``synchronous=FULL``, as the forum) it reads the
room's head, appends the event with its seq and SHA-256 chain hash (canonical JSON,
as protocol.md), moves the head and commits, before it tells anyone. That measures
what storing costs on this machine, apart from the rest of the application.

With ``--direct`` it delivers as the forum does (``forum/live/delivery.py``): the
forum's own cost can then be set against a floor on the same footing.

It serves as ``python wsgi.py`` does: ``eventlet.wsgi`` on a listening socket with
TCP_NODELAY, the same ``max_size`` (``FORUM_MAX_CONNECTIONS`` when set, else eventlet's
default of 1,024 connections) and the same permessage-deflate behaviour: eventlet
accepts it when a client offers it, as browsers and the socket.io JavaScript client do;
``--no-deflate`` (the forum's ``FORUM_WS_DEFLATE=0``) never negotiates it.

    .venv/bin/python benchmarks/floor_server.py --port 5099 [--store /tmp/log.sqlite3]
                                                [--direct] [--no-deflate]
"""

from __future__ import annotations

import argparse
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import hashlib  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import sqlite3  # noqa: E402
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
_log: sqlite3.Connection | None = None  # --store


def open_log(path: str) -> sqlite3.Connection:
    """The durable log: events with a unique client_id per sender, and each room's head."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.executescript(
        "CREATE TABLE IF NOT EXISTS events (session_id INTEGER NOT NULL, seq INTEGER NOT NULL, "
        "type TEXT NOT NULL, at TEXT NOT NULL, actor_id INTEGER, client_id TEXT, "
        "data TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (session_id, seq));"
        "CREATE UNIQUE INDEX IF NOT EXISTS events_client ON events (session_id, actor_id, "
        "client_id);"
        "CREATE TABLE IF NOT EXISTS heads (session_id INTEGER PRIMARY KEY, "
        "seq INTEGER NOT NULL, hash TEXT NOT NULL);"
    )
    return conn


def store(event: dict) -> None:
    """Give the event the room's next seq and chain hash, and commit it (--store)."""
    session_id = event["session_id"]
    _log.execute("BEGIN IMMEDIATE")
    try:
        head = _log.execute(
            "SELECT seq, hash FROM heads WHERE session_id = ?", (session_id,)
        ).fetchone()
        seq, previous = head or (0, hashlib.sha256(f"sdg-forum/{session_id}".encode()).hexdigest())
        seq += 1
        event["seq"] = event["data"]["message_id"] = seq
        actor_id = event["actor"]["id"]
        canonical = json.dumps(
            {
                "session_id": session_id,
                "seq": seq,
                "type": event["type"],
                "at": event["at"],
                "actor_id": actor_id,
                "data": event["data"],
            },
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode()
        digest = hashlib.sha256(bytes.fromhex(previous) + canonical).hexdigest()
        _log.execute(
            "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                session_id,
                seq,
                event["type"],
                event["at"],
                actor_id,
                event["data"]["client_id"],
                json.dumps(event["data"]),
                digest,
            ),
        )
        _log.execute(
            "INSERT INTO heads VALUES (?, ?, ?) ON CONFLICT (session_id) DO UPDATE "
            "SET seq = excluded.seq, hash = excluded.hash",
            (session_id, seq, digest),
        )
        _log.execute("COMMIT")
    except BaseException:
        _log.execute("ROLLBACK")
        raise


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
    seq = 0 if _log else next(_seqs.setdefault(session_id, itertools.count(1)))
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
    if _log is not None:
        try:
            store(event)
        except sqlite3.Error:
            return {"ok": False, "error": "invalid", "message": "not stored"}
    sio.emit("event", event, to=_room(session_id), namespace=NAMESPACE)
    return {"ok": True, "event": event}


def _direct_delivery() -> None:
    """Install the forum's direct delivery on this server. Loaded from its file, not
    as ``forum.live.delivery``: importing the forum package would bring Flask and the
    rest of the app into a server meant to have none of it."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "forum" / "live" / "delivery.py"
    spec = importlib.util.spec_from_file_location("forum_live_delivery", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not module.install(sio):
        raise SystemExit("direct delivery did not install")


def without_deflate(wsgi_app):
    """Never negotiate permessage-deflate on the Socket.IO path: the client's offer is
    dropped from the handshake before eventlet's WebSocket code reads it."""

    def serve(environ, start_response):
        if environ.get("PATH_INFO", "").startswith("/socket.io"):
            environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return wsgi_app(environ, start_response)

    return serve


def main() -> None:
    import os
    import socket

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5099)
    # TCP_NODELAY is always on now, as in python wsgi.py; the flag is kept for old commands.
    parser.add_argument("--nodelay", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--store", metavar="FILE", help="log every message durably first")
    parser.add_argument(
        "--direct",
        action="store_true",
        help="deliver as the forum does: forum/live/delivery.py (FORUM_DIRECT_DELIVERY)",
    )
    parser.add_argument(
        "--no-deflate",
        action="store_true",
        help="never negotiate permessage-deflate (as the forum's FORUM_WS_DEFLATE=0)",
    )
    parser.add_argument(
        "--max-size",
        type=int,
        default=int(os.environ.get("FORUM_MAX_CONNECTIONS") or 0) or None,
        help="eventlet.wsgi max_size: connections served at once (default: "
        "FORUM_MAX_CONNECTIONS, else eventlet's 1,024)",
    )
    args = parser.parse_args()
    if args.direct:
        _direct_delivery()
    if args.store:
        global _log
        _log = open_log(args.store)
    listener = eventlet.listen((args.host, args.port))
    # As wsgi.py: accepted sockets inherit it from the listening one on Linux.
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    served = without_deflate(app) if args.no_deflate else app
    options = {"max_size": args.max_size} if args.max_size else {}
    eventlet.wsgi.server(listener, served, log_output=False, **options)


if __name__ == "__main__":
    main()

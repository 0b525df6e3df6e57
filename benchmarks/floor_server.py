"""The floor for the live-room benchmark: a bare python-socketio broadcast server.

Same stack as ``python wsgi.py`` (eventlet, python-socketio, eventlet.wsgi) and the
same ``/live`` wire shapes, with everything the forum adds taken away: no auth,
no database, no hash chain, no rules. ``join`` puts the connection in the room
``session:<id>``; ``chat.send`` emits an ``event`` shaped like the forum's
``message.posted`` to that room and acks ``{"ok": true, "event": ...}``.

It carries the live tools too (protocol.md "Live tools"; ``live_room.py --tools`` runs
it as **floor+tools** with the same lesson as the forum's): ``poll.open`` / ``poll.vote``
/ ``poll.close`` (``poll.opened``; ``poll.voted`` told to the room with the counts only
and no actor, the voter's ack whole; ``poll.closed``), ``flag`` (``item.flagged`` to the
teachers only, acked with its ``flag_id``) and ``flag.dismiss`` (``flag.dismissed``, to
the teachers), ``groups.form {size}`` (the students joined now dealt into groups with
the schools mixed, as ``forum/room/groups.py`` ``mixed`` does; their connections put
in the group's room) and ``groups.end``, and ``chat.send`` with ``group_id`` (to the
group and the teachers). An event for some of the room is told as the forum's relay
tells it (``forum/live/relay.py`` ``local_emit``): the event to the rooms of its
audience, a ``skip {session_id, seq}`` to everyone else. Ids are seqs (a poll's, a
flag's) and group ids count on per session, as in the forum. There are no accounts: a
connection with ``auth: {"token": "teacher"}`` teaches every session it joins, anyone
else is a student (schools alternating between a TW and a JP class); ``join`` acks
the room's ``head`` and ``you`` (the actor, ``group_id``, ``can_moderate``). The
checks are the forum's, minus everything that needs the database (no rate limits, no
held messages, no approval, groups by size only).

With ``--store FILE`` it first does what any durable, chained log must, and nothing
more: in one SQLite transaction (WAL, ``synchronous=FULL``, as the forum) it reads the
room's head, appends the event with its seq and SHA-256 chain hash (canonical JSON,
as protocol.md), moves the head and commits, before it tells anyone: every event, the
live tools' as chat's (a vote whole, with its voter and choices, as the forum's log). That measures
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
import random  # noqa: E402
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
_ids = itertools.count(1)
_actors: dict[str, dict] = {}
_joined: dict[str, set[int]] = {}  # sid -> the sessions it joined
_log: sqlite3.Connection | None = None  # --store

TEACHER_TOKEN = "teacher"  # noqa: S105 - the floor's only "credential": who teaches
MIN_OPTIONS, MAX_OPTIONS = 2, 6  # as forum/room/polls.py
MIN_SIZE, MAX_SIZE = 2, 20  # as forum/room/groups.py


class Room:
    """What the floor keeps of one session: its head, and the live tools' state (the
    forum's folds of the log, kept in memory)."""

    def __init__(self) -> None:
        self.head = 0
        self.polls: dict[int, dict] = {}  # id -> {"options", "multiple", "counts", ...}
        self.flags: dict[int, bool] = {}  # flag id -> still open
        self.groups: dict[int, list[int]] = {}  # formed now: id -> member user ids
        self.last_group = 0  # group ids count on across formings, as the forum's


_rooms: dict[int, Room] = {}


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


def store(event: dict, build, client_id: object) -> None:
    """Give the event the room's next seq, its data (``build(seq)``) and chain hash,
    and commit it (--store)."""
    session_id = event["session_id"]
    _log.execute("BEGIN IMMEDIATE")
    try:
        head = _log.execute(
            "SELECT seq, hash FROM heads WHERE session_id = ?", (session_id,)
        ).fetchone()
        seq, previous = head or (0, hashlib.sha256(f"sdg-forum/{session_id}".encode()).hexdigest())
        seq += 1
        event["seq"] = seq
        event["data"] = build(seq)
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
                client_id,
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


def record(session_id: int, type_: str, actor: dict | None, build, client_id=None) -> dict:
    """One event of the room: its seq, then its data (``build(seq)``: a poll's or a
    flag's id is its seq, as in the forum); stored first with --store (which may raise
    sqlite3.Error: nothing changed)."""
    event = {
        "session_id": session_id,
        "seq": 0,
        "type": type_,
        "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor": actor,
        "data": None,
    }
    room = _rooms.setdefault(session_id, Room())
    if _log is not None:
        store(event, build, client_id)
    else:
        event["seq"] = room.head + 1
        event["data"] = build(event["seq"])
    room.head = event["seq"]
    return event


def _room(session_id: int) -> str:
    return f"session:{session_id}"


def _teachers_room(session_id: int) -> str:
    return f"session:{session_id}:teachers"


def _group_room(session_id: int, group_id: int) -> str:
    return f"session:{session_id}:group:{group_id}"


def tell(event: dict, rooms: list[str] | None = None) -> None:
    """Tell an event to the session's room, or, as the forum's relay does
    (``forum/live/relay.py`` ``local_emit``), to the rooms of its audience and a
    ``skip`` of its seq to everyone else in the session."""
    session_id = event["session_id"]
    if rooms is None:
        sio.emit("event", event, to=_room(session_id), namespace=NAMESPACE)
        return
    heard = [sid for sid, _ in sio.manager.get_participants(NAMESPACE, rooms)]
    if heard:
        sio.emit("event", event, to=rooms, namespace=NAMESPACE)
    skip = {"session_id": session_id, "seq": event["seq"]}
    sio.emit("skip", skip, to=_room(session_id), skip_sid=heard, namespace=NAMESPACE)


def refused(error: str, message: str) -> dict:
    return {"ok": False, "error": error, "message": message}


def _int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@sio.on("connect", namespace=NAMESPACE)
def on_connect(sid, environ, auth=None):
    # No accounts: a connection whose auth token is "teacher" teaches every session it
    # joins (the benchmark's teachers); everyone else is a student. Students' schools
    # alternate between two classes, as an exchange of a TW and a JP class.
    actor_id = next(_ids)
    teacher = isinstance(auth, dict) and auth.get("token") == TEACHER_TOKEN
    country = "TW" if actor_id % 2 else "JP"
    _actors[sid] = {
        "id": actor_id,
        "name": f"{'Teacher' if teacher else 'Student'} {sid[:6]}",
        "role": "teacher" if teacher else "student",
        "school": f"floor-school-{country.lower()}",
        "country": country,
    }


@sio.on("disconnect", namespace=NAMESPACE)
def on_disconnect(sid, *_args):
    _actors.pop(sid, None)
    _joined.pop(sid, None)


@sio.on("join", namespace=NAMESPACE)
def on_join(sid, payload=None):
    if not isinstance(payload, dict) or not _int(payload.get("session_id")):
        return refused("invalid", "session_id must be a number.")
    session_id = payload["session_id"]
    actor = _actors.get(sid) or {}
    room = _rooms.setdefault(session_id, Room())
    sio.enter_room(sid, _room(session_id), namespace=NAMESPACE)
    _joined.setdefault(sid, set()).add(session_id)
    group_id = None
    if actor.get("role") == "teacher":
        sio.enter_room(sid, _teachers_room(session_id), namespace=NAMESPACE)
    else:
        for gid, members in room.groups.items():
            if actor.get("id") in members:
                group_id = gid
                sio.enter_room(sid, _group_room(session_id, gid), namespace=NAMESPACE)
    you = {**actor, "group_id": group_id, "can_moderate": actor.get("role") == "teacher"}
    return {"ok": True, "head": room.head, "events": [], "you": you}


def _seat(sid, payload) -> tuple[int, Room, dict] | dict:
    """The session of an action and who acts, or the refusal."""
    if not isinstance(payload, dict) or not _int(payload.get("session_id")):
        return refused("invalid", "session_id must be a number.")
    session_id = payload["session_id"]
    if session_id not in _joined.get(sid, ()):
        return refused("forbidden", "Join the session first.")
    return session_id, _rooms[session_id], _actors[sid]


def _teacher(sid, payload) -> tuple[int, Room, dict] | dict:
    seat = _seat(sid, payload)
    if isinstance(seat, tuple) and seat[2]["role"] != "teacher":
        return refused("forbidden", "Only a teacher may do this.")
    return seat


@sio.on("chat.send", namespace=NAMESPACE)
def on_chat_send(sid, payload=None):
    if not isinstance(payload, dict) or not _int(payload.get("session_id")):
        return refused("invalid", "session_id must be a number.")
    session_id = payload["session_id"]
    group_id = payload.get("group_id")
    actor = _actors.get(sid)
    if group_id is not None:  # a breakout group's (the live tools)
        room = _rooms.get(session_id)
        if not _int(group_id):
            return refused("invalid", "group_id must be a number.")
        if room is None or group_id not in room.groups:
            return refused("not_found", "This group is not formed.")
        if actor["role"] != "teacher" and actor["id"] not in room.groups[group_id]:
            return refused("forbidden", "You can write only to your own group or to everyone.")

    def build(seq: int) -> dict:
        data = {
            "message_id": seq,
            "client_id": payload.get("client_id"),
            "body": payload.get("body"),
            "reply_to": None,
            "lang": "zh-Hant-TW",
        }
        if group_id is not None:
            data["group_id"] = group_id
        return data

    try:
        event = record(session_id, "message.posted", actor, build, payload.get("client_id"))
    except sqlite3.Error:
        return refused("invalid", "not stored")
    if group_id is None:
        tell(event)
    else:
        tell(event, [_teachers_room(session_id), _group_room(session_id, group_id)])
    return {"ok": True, "event": event}


# --- the live tools (protocol.md "Live tools"): polls, flags, breakout groups ----------


def live_tool(name: str, *, teachers_only: bool = False):
    """Register a live tool's handler: who is asking first (a member of the session, or
    one of its teachers), then ``handler(session_id, room, actor, payload)``. An event
    the store refused answers ``not stored``; the handlers change the room only after
    ``record``, so nothing of it changed."""
    seat_of = _teacher if teachers_only else _seat

    def register(handler):
        def on_event(sid, payload=None):
            seat = seat_of(sid, payload)
            if isinstance(seat, dict):
                return seat
            try:
                return handler(*seat, payload)
            except sqlite3.Error:
                return refused("invalid", "not stored")

        sio.on(name, namespace=NAMESPACE)(on_event)
        return handler

    return register


@live_tool("poll.open", teachers_only=True)
def on_poll_open(session_id, room, actor, payload):
    question, options = payload.get("question"), payload.get("options")
    multiple = payload.get("multiple", False)
    if not isinstance(question, str) or not question.strip():
        return refused("invalid", "Write a question first.")
    if (
        not isinstance(options, list)
        or not MIN_OPTIONS <= len(options) <= MAX_OPTIONS
        or not all(isinstance(o, str) and o.strip() for o in options)
    ):
        return refused("invalid", "Give between 2 and 6 answers.")
    if not isinstance(multiple, bool):
        return refused("invalid", "multiple must be true or false.")

    def build(seq: int) -> dict:
        poll = {"id": seq, "question": question, "options": options, "multiple": multiple}
        return {"poll": poll}

    event = record(session_id, "poll.opened", actor, build, payload.get("client_id"))
    room.polls[event["seq"]] = {
        "options": len(options),
        "multiple": multiple,
        "counts": [0] * len(options),
        "closed": False,
        "votes": {},
    }
    tell(event)
    return {"ok": True, "event": event}


@live_tool("poll.vote")
def on_poll_vote(session_id, room, actor, payload):
    choices, poll_id = payload.get("choices"), payload.get("poll_id")
    if (
        not isinstance(choices, list)
        or not choices
        or not all(_int(c) for c in choices)
        or len(set(choices)) != len(choices)
    ):
        return refused("invalid", "choices must be a list of answer numbers.")
    poll = room.polls.get(poll_id) if _int(poll_id) else None
    if poll is None:
        return refused("not_found", "There is no such poll.")
    if poll["closed"]:
        return refused("closed", "This poll is closed.")
    if not all(0 <= c < poll["options"] for c in choices):
        return refused("invalid", "There is no such answer.")
    if not poll["multiple"] and len(choices) != 1:
        return refused("invalid", "Choose exactly one answer.")
    counts = list(poll["counts"])
    for c in poll["votes"].get(actor["id"], []):
        counts[c] -= 1
    for c in choices:
        counts[c] += 1
    mine = sorted(choices)
    event = record(
        session_id,
        "poll.voted",
        actor,
        lambda _seq: {"poll_id": poll_id, "counts": counts, "choices": mine},
    )
    poll["counts"], poll["votes"][actor["id"]] = counts, mine
    # The room hears the counts only, with no actor; the voter's ack has the whole vote.
    tell({**event, "actor": None, "data": {"poll_id": poll_id, "counts": counts}})
    return {"ok": True, "event": event}


@live_tool("poll.close", teachers_only=True)
def on_poll_close(session_id, room, actor, payload):
    poll_id = payload.get("poll_id")
    poll = room.polls.get(poll_id) if _int(poll_id) else None
    if poll is None:
        return refused("not_found", "There is no such poll.")
    if poll["closed"]:
        return refused("conflict", "This poll is already closed.")
    counts = list(poll["counts"])
    event = record(
        session_id, "poll.closed", actor, lambda _seq: {"poll_id": poll_id, "counts": counts}
    )
    poll["closed"] = True
    tell(event)
    return {"ok": True, "event": event}


@live_tool("flag")
def on_flag(session_id, room, actor, payload):
    target, item_id, reason = payload.get("target"), payload.get("id"), payload.get("reason")
    if target not in ("message", "note") or not _int(item_id):
        return refused("invalid", "Flag a message or a note by its id.")
    if not 1 <= item_id <= room.head:
        return refused("not_found", "There is no such message.")
    if reason is not None and not isinstance(reason, str):
        return refused("invalid", "reason must be a text.")

    def build(seq: int) -> dict:
        return {"flag_id": seq, "target": target, "id": item_id, "reason": reason}

    event = record(session_id, "item.flagged", actor, build)
    room.flags[event["seq"]] = True
    tell(event, [_teachers_room(session_id)])  # the teachers only
    return {"ok": True, "flag_id": event["seq"]}


@live_tool("flag.dismiss", teachers_only=True)
def on_flag_dismiss(session_id, room, actor, payload):
    flag_id = payload.get("flag_id")
    if not _int(flag_id) or flag_id not in room.flags:
        return refused("not_found", "There is no such flag.")
    if not room.flags[flag_id]:
        return refused("conflict", "This flag has already been resolved.")
    event = record(session_id, "flag.dismissed", actor, lambda _seq: {"flag_id": flag_id})
    room.flags[flag_id] = False
    tell(event, [_teachers_room(session_id)])
    return {"ok": True, "event": event}


def _letter(index: int) -> str:
    """A, B, … Z, AA, AB …: a group's name by size (as forum/room/groups.py)."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("A") + rest) + name
    return name


def mixed(students: list[dict], size: int, seed: str) -> list[list[int]]:
    """Students dealt into groups of at most ``size``, each school spread over every
    group: forum/room/groups.py ``mixed``, on the floor's actors."""
    count = max(1, -(-len(students) // size))
    by_school: dict[tuple[str, str], list[dict]] = {}
    for student in sorted(students, key=lambda a: a["id"]):
        by_school.setdefault((student["country"], student["school"]), []).append(student)
    shuffle = random.Random(seed)  # noqa: S311 - fairness, not secrecy
    dealt: list[list[int]] = [[] for _ in range(count)]
    turn = 0
    for school in sorted(by_school, key=lambda s: (-len(by_school[s]), s)):
        members = by_school[school]
        shuffle.shuffle(members)
        for student in members:
            dealt[turn % count].append(student["id"])
            turn += 1
    return [sorted(group) for group in dealt]


def _students_here(session_id: int) -> dict[int, list[str]]:
    """The students joined to the session now: user id -> their connections."""
    here: dict[int, list[str]] = {}
    for sid, _ in sio.manager.get_participants(NAMESPACE, _room(session_id)):
        actor = _actors.get(sid)
        if actor is not None and actor["role"] == "student":
            here.setdefault(actor["id"], []).append(sid)
    return here


@live_tool("groups.form", teachers_only=True)
def on_groups_form(session_id, room, actor, payload):
    size = payload.get("size")
    if not _int(size) or not MIN_SIZE <= size <= MAX_SIZE:
        return refused("invalid", "size must be between 2 and 20.")  # by hand: not here
    if room.groups:
        return refused("conflict", "Groups are formed already. End them first.")
    here = _students_here(session_id)
    if len(here) < 2:
        return refused("conflict", "At least two students must be here to form groups.")
    students = [_actors[sids[0]] for sids in here.values()]

    def build(seq: int) -> dict:
        dealt = mixed(students, size, f"{session_id}:{seq}")
        return {
            "groups": [
                {"id": room.last_group + 1 + i, "name": _letter(i), "member_ids": members}
                for i, members in enumerate(dealt)
            ]
        }

    event = record(session_id, "groups.formed", actor, build)
    for group in event["data"]["groups"]:
        room.groups[group["id"]] = group["member_ids"]
        room.last_group = max(room.last_group, group["id"])
        for user_id in group["member_ids"]:
            for member_sid in here.get(user_id, ()):
                sio.enter_room(member_sid, _group_room(session_id, group["id"]), NAMESPACE)
    tell(event)
    return {"ok": True, "event": event}


@live_tool("groups.end", teachers_only=True)
def on_groups_end(session_id, room, actor, payload):
    if not room.groups:
        return refused("conflict", "No groups are formed.")
    group_ids = sorted(room.groups)
    event = record(session_id, "groups.ended", actor, lambda _seq: {"group_ids": group_ids})
    room.groups.clear()
    for group_id in group_ids:
        sio.close_room(_group_room(session_id, group_id), NAMESPACE)
    tell(event)
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

"""Helpers for the ``/live`` tests: the protocol's error codes and envelope checks,
and a wrapper around Flask-SocketIO's in-process test client for one user.

    people = People(app, demo)
    teacher = people.live("tw_teacher")        # token auth
    student = people.live("tw_student")        # signs in over HTTP, cookie auth
    ack = student.call("join", {"session_id": sid})
    student.events()                           # every `event` pushed so far, checked
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from forum.log.events import check_told

NS = "/live"

ERROR_CODES = frozenset(
    (
        "unauthorized",
        "forbidden",
        "not_found",
        "invalid",
        "not_member",
        "closed",
        "locked",
        "muted",
        "slow_mode",
        "rate_limited",
        "conflict",
        "too_large",
        "removed",
        "not_approved",
        "unavailable",
    )
)
# The teachers' events (protocol.md: ``mod.*`` and ``session.*``).
MOD_EVENTS = (
    "mod.hide",
    "mod.unhide",
    "mod.mute",
    "mod.unmute",
    "mod.lock",
    "mod.slow",
    "mod.remove",
    "mod.pin",
    "session.open",
    "session.close",
)
CLIENT_EVENTS = (
    "join",
    "leave",
    "chat.send",
    "chat.react",
    "typing",
    "note.add",
    "note.edit",
    "note.vote",
    "note.remove",
    *MOD_EVENTS,
)
ACTOR_KEYS = {"id", "name", "role", "school", "country"}
EVENT_KEYS = {"session_id", "seq", "type", "at", "actor", "data"}
AT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def check_event(event: Any) -> None:
    """One server→client ``event`` against protocol.md and the event catalogue
    (``forum.log.events``: its shape strictly, the text withheld where it is hidden)."""
    assert isinstance(event, dict), event
    assert set(event) == EVENT_KEYS, event
    assert isinstance(event["seq"], int) and event["seq"] >= 1, event
    assert isinstance(event["session_id"], int), event
    assert AT.match(event["at"]), event
    if event["actor"] is not None:
        assert set(event["actor"]) >= ACTOR_KEYS, event
    data = event["data"]
    assert isinstance(data, dict), event
    problems = check_told(event["type"], data)
    assert problems == [], (event, problems)


def check_ack(ack: Any) -> None:
    """Any ack against the protocol's ack rules."""
    assert isinstance(ack, dict), ack
    assert isinstance(ack.get("ok"), bool), ack
    if ack["ok"]:
        if "event" in ack:
            check_event(ack["event"])
        for event in ack.get("events", []):
            check_event(event)
        return
    assert ack["error"] in ERROR_CODES, ack
    assert isinstance(ack.get("message"), str) and ack["message"], ack
    if ack["error"] in ("slow_mode", "rate_limited", "unavailable"):
        assert isinstance(ack.get("retry_after"), int) and ack["retry_after"] >= 1, ack


def check_seqs(events: list[dict[str, Any]]) -> None:
    """Events one client heard: in seq order with no gap and no repeat."""
    seqs = [e["seq"] for e in events]
    if seqs:
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs


class Live:
    """One user's in-process Socket.IO connection to ``/live``."""

    def __init__(self, app, user: dict, *, http=None, token: str | None = None) -> None:
        from forum.extensions import socketio

        self.app, self.user, self.http, self.token = app, user, http, token
        self.sio = socketio.test_client(
            app, namespace=NS, flask_test_client=http, auth={"token": token} if token else None
        )
        self.seen: list[dict[str, Any]] = []

    @property
    def connected(self) -> bool:
        return self.sio.is_connected(NS)

    @property
    def id(self) -> int:
        return self.user["id"]

    def call(self, event: str, *args: Any) -> dict[str, Any]:
        """Emit with an ack and return the ack, checked against the protocol."""
        ack = self.sio.emit(event, *args, namespace=NS, callback=True)
        check_ack(ack)
        return ack

    def ok(self, event: str, payload: dict[str, Any]) -> dict[str, Any]:
        ack = self.call(event, payload)
        assert ack["ok"], (event, payload, ack)
        return ack

    def error(self, event: str, payload: Any, code: str) -> dict[str, Any]:
        ack = self.call(event, payload)
        assert not ack["ok"] and ack["error"] == code, (event, payload, ack)
        return ack

    def _drain(self) -> None:
        self.seen.extend(p for p in self.sio.queue if p["namespace"] == NS)
        self.sio.queue = [p for p in self.sio.queue if p["namespace"] != NS]

    def received(self, name: str) -> list[Any]:
        """Every ``name`` message pushed to this client so far (first argument)."""
        self._drain()
        return [p["args"][0] for p in self.seen if p["name"] == name]

    def events(self) -> list[dict[str, Any]]:
        """Every ``event`` pushed so far: each checked, in seq order without gaps."""
        events = self.received("event")
        for event in events:
            check_event(event)
        # A seq whose event was for others (the teachers', another group's) comes as a
        # ``skip``: together they count on with no gap, and never both for one seq.
        skipped = [{"seq": s["seq"]} for s in self.received("skip")]
        check_seqs(sorted(events + skipped, key=lambda e: e["seq"]))
        return events

    def forget(self) -> None:
        self._drain()
        self.seen.clear()

    def reconnect(self) -> None:
        """A new connection with the same sign-in (cookie or token)."""
        from forum.extensions import socketio

        self.sio = socketio.test_client(
            self.app,
            namespace=NS,
            flask_test_client=self.http,
            auth={"token": self.token} if self.token else None,
        )

    def disconnect(self) -> None:
        if self.connected:
            self.sio.disconnect(NS)


def sign_in(app, user: dict):
    """A Flask test client signed in as a demo user over HTTP, as a browser would."""
    http = app.test_client()
    path = "/auth/code" if "code" in user else "/auth/login"
    html = http.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
    form = (
        {"code": user["code"]}
        if "code" in user
        else {"username": user["username"], "password": user["password"]}
    )
    response = http.post(path, data={**form, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return http


SCHOOLS = {"tw": "taipei-daan", "jp": "shizuoka-aoi", "kr": "seoul-hanbit"}


class People:
    """The demo's people by short name: ``tw_teacher``, ``jp_student2``, ``reviewer``…"""

    def __init__(self, app, demo: dict) -> None:
        from forum.extensions import db
        from forum.models import User

        self.app, self.demo = app, demo
        live = next(s for s in demo["sessions"] if s["status"] == "live")
        self.live_session = live["id"]
        self.scheduled_session = next(
            s["id"]
            for s in demo["sessions"]
            if s["status"] == "scheduled" and s["exchange_id"] == live["exchange_id"]
        )
        self.kr_session = next(
            s["id"] for s in demo["sessions"] if s["exchange_id"] != live["exchange_id"]
        )
        self.users: dict[str, dict] = {}
        self.clients: list[Live] = []
        counts: dict[tuple[str, str], int] = {}
        with app.app_context():
            by_name = {u.display_name: u.id for u in db.session.scalars(sa.select(User))}
        for user in demo["users"]:
            user = {**user, "id": by_name[user["display_name"]]}
            if user["role"] in ("reviewer", "admin"):
                self.users[user["role"]] = user
                continue
            short = next(k for k, v in SCHOOLS.items() if v == user["school"])
            key = (short, user["role"])
            counts[key] = counts.get(key, 0) + 1
            suffix = "" if counts[key] == 1 else str(counts[key])
            self.users[f"{short}_{user['role']}{suffix}"] = user

    def token(self, name: str) -> str:
        from forum.extensions import db
        from forum.models import User
        from forum.people import proofs

        with self.app.app_context():
            user = db.session.get(User, self.users[name]["id"])
            value = proofs.issue_token(user)
            db.session.commit()
            return value

    def check_everything_heard(self) -> None:
        """Every message any client of this test was sent, against the protocol."""
        for client in self.clients:
            for message in client.received("event"):
                check_event(message)
            for message in client.received("presence"):
                assert set(message) == {"session_id", "members"}, message
                for member in message["members"]:
                    assert set(member) >= ACTOR_KEYS | {"online"}, member
            for message in client.received("skip"):
                assert set(message) == {"session_id", "seq"}, message
            for message in client.received("typing"):
                assert set(message) == {"session_id", "user"}, message
                assert set(message["user"]) == {"id", "name"}, message

    def live(self, name: str, *, cookie: bool | None = None) -> Live:
        """Connect as ``name``: staff by API token, students by their sign-in cookie
        (``cookie=True`` signs staff in over HTTP instead)."""
        user = self.users[name]
        if cookie or "code" in user:
            client = Live(self.app, user, http=sign_in(self.app, user))
        else:
            client = Live(self.app, user, token=self.token(name))
        self.clients.append(client)
        return client

    def joined(self, name: str, session_id: int | None = None, **kw) -> Live:
        client = self.live(name, **kw)
        assert client.connected, name
        client.ok("join", {"session_id": session_id or self.live_session})
        return client


def fresh_limits() -> None:
    """Start the in-process live limits afresh: they live in the process, and user ids
    repeat from test to test (chat, typing, votes, flags, showcase questions; the held
    words' cache too)."""
    from forum import room
    from forum.exchanges import showcases
    from forum.live import actions
    from forum.room import flags, polls, words

    limiters = (
        room.rate_limiter,
        actions._typing_limiter,
        polls.vote_limiter,
        flags.flag_limiter,
        showcases.limiter,
    )
    for limiter in limiters:
        limiter.forget()
    words.forget()

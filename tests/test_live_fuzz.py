"""Malformed payloads at every client→server ``/live`` event (protocol.md), as a
teacher and as a student: the ack is always a protocol ack — ``ok: false`` with one
of the protocol's error codes, or ``ok: true`` when the junk happens to be valid —
never an exception, never the catch-all "something went wrong"; and afterwards the
room still serves.
"""

from __future__ import annotations

import string
import traceback

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from livekit import CLIENT_EVENTS, NS, People, check_ack

from forum import room
from forum.live import actions, dispatch
from forum.room import flags as room_flags
from forum.room import polls as room_polls

# --- payloads ------------------------------------------------------------------------

ints = st.one_of(
    st.integers(min_value=-3, max_value=40),  # often a real id
    st.integers(min_value=-(2**63), max_value=2**63),  # database limits
    st.integers(min_value=-(2**80), max_value=2**80),  # beyond them
    st.sampled_from([2**53, 2**53 + 1, 2**31, 2**31 - 1, 2**63 - 1, -(2**63)]),
)
texts = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=string.printable, max_size=8),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "a\x00b",
            "\u200b",
            "👍",
            "🦄",
            "see",
            "why",
            "do",
            "message",
            "note",
            "yellow",
            "❤️",
            "\ufeff",
            "\r\n",
            "\ud800",
            "a\udfffb",
            "\U0010ffff",
        ]
    ),
    st.builds(
        lambda c, n: c * n,
        st.sampled_from(["x", "字", "👍", "\x00"]),
        st.sampled_from([499, 500, 501, 1999, 2000, 2001, 20000]),
    ),
)
scalars = st.one_of(
    st.none(), st.booleans(), ints, texts, st.floats(allow_nan=True, allow_infinity=True)
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(texts, children, max_size=4)
    ),
    max_leaves=8,
)
# The keys each event reads (protocol.md), with values that are nearly right.
near = {
    "session_id": ints,
    "since": ints,
    "reply_to": ints,
    "message_id": ints,
    "note_id": ints,
    "version": ints,
    "id": ints,
    "user_id": ints,
    "minutes": ints,
    "seconds": ints,
    "client_id": texts,
    "body": texts,
    "text": texts,
    "reason": texts,
    "emoji": st.sampled_from(room.REACTIONS + ("", "👍🏽", ":)")),
    "column": st.sampled_from(["see", "why", "do", "ideas", "c1", "", "SEE"]),
    "color": st.sampled_from(["yellow", "pink", "black", ""]),
    "x": st.one_of(ints, st.floats()),
    "y": st.one_of(ints, st.floats()),
    "target": st.sampled_from(["message", "note", "user", ""]),
    "locked": st.booleans(),
    "pinned": st.booleans(),
    # the live tools
    "question": texts,
    "options": st.one_of(
        st.lists(texts, max_size=8), st.lists(scalars, max_size=8), st.sampled_from([[], ["a"]])
    ),
    "multiple": st.one_of(st.booleans(), scalars),
    "poll_id": ints,
    "choices": st.one_of(st.lists(ints, max_size=8), st.lists(scalars, max_size=4)),
    "flag_id": ints,
}
READS = {  # the keys besides session_id
    "join": ("since",),
    "leave": (),
    "typing": (),
    "chat.send": ("client_id", "body", "reply_to"),
    "chat.react": ("message_id", "emoji"),
    "note.add": ("client_id", "column", "text", "color", "x", "y"),
    "note.edit": ("note_id", "version", "text", "column", "color", "x", "y"),
    "note.vote": ("note_id",),
    "note.remove": ("note_id",),
    "mod.hide": ("target", "id", "reason"),
    "mod.unhide": ("target", "id"),
    "mod.mute": ("user_id", "minutes"),
    "mod.unmute": ("user_id",),
    "mod.lock": ("locked",),
    "mod.slow": ("seconds",),
    "mod.remove": ("user_id",),
    "mod.pin": ("message_id", "pinned"),
    "session.open": (),
    "session.close": (),
    "poll.open": ("client_id", "question", "options", "multiple"),
    "poll.vote": ("poll_id", "choices"),
    "poll.close": ("poll_id",),
    "flag": ("target", "id", "reason"),
    "flag.dismiss": ("flag_id",),
}
TOOL_EVENTS = ("poll.open", "poll.vote", "poll.close", "flag", "flag.dismiss")
MISSING = object()


def payloads(event: str, valid: dict):
    """The event's payload with each key right, nearly right, junk or missing — or not
    an object at all, or no argument, or more than one."""

    def mostly_right(key):  # right 2 times in 3: most examples have one fault or two
        wrong = st.one_of(near[key], scalars, json_values, st.just(MISSING))
        return weighted(valid[key], wrong, 2 / 3)

    keys = ("session_id", *READS[event])
    structured = st.fixed_dictionaries({k: mostly_right(k) for k in keys}).map(
        lambda d: {k: v for k, v in d.items() if v is not MISSING}
    )
    junk = st.one_of(json_values, st.dictionaries(texts, scalars, max_size=4))
    top = weighted(structured, junk, 0.8)
    odd = st.one_of(st.just(()), st.tuples(top, scalars), st.tuples(st.binary(max_size=20)))
    return weighted(st.tuples(top), odd, 0.85)


def weighted(usual, rare, p: float):
    """``usual`` with probability about p, else ``rare``."""
    return st.sampled_from(range(20)).flatmap(lambda n: usual if n < p * 20 else rare)


# --- the test -------------------------------------------------------------------------

FUZZ = settings(
    max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


@pytest.fixture
def fuzz_people(app, demo, monkeypatch):
    crashes: list[tuple] = []
    # The handlers' catch-all logs and acks "invalid"; junk must never get that far.
    monkeypatch.setattr(
        dispatch.log,
        "exception",
        lambda *args, **kw: crashes.append((args, traceback.format_exc())),
    )
    room.rate_limiter.forget()
    actions._typing_limiter.forget()
    people = People(app, demo)
    people.crashes = crashes
    yield people
    room.rate_limiter.forget()
    actions._typing_limiter.forget()


def _fuzz(client, event: str, valid: dict, crashes: list, restore=None) -> None:
    @FUZZ
    @given(args=payloads(event, valid))
    def run(args):
        room.rate_limiter.forget()
        actions._typing_limiter.forget()
        room_polls.vote_limiter.forget()
        room_flags.flag_limiter.forget()
        crashes.clear()
        if not client.connected:  # a disconnect is a fair answer to leave/remove
            client.reconnect()
        ack = client.sio.emit(event, *args, namespace=NS, callback=True)
        check_ack(ack)
        assert not crashes, (event, args, ack, crashes)

    run()
    if restore:
        restore()


def test_malformed_payloads_get_protocol_errors_and_the_room_still_serves(
    fuzz_people, app, schedule
):
    people = fuzz_people
    live, other = people.live_session, people.scheduled_session
    student = people.joined("tw_student")
    teacher = people.joined("tw_teacher")
    message = teacher.ok("chat.send", {"session_id": live, "client_id": "m", "body": "a message"})[
        "event"
    ]["seq"]
    note = student.ok(
        "note.add", {"session_id": live, "client_id": "n", "column": "see", "text": "a note"}
    )["event"]["seq"]
    other_note = teacher.ok(
        "note.add",
        {"session_id": live, "client_id": "n", "column": "do", "text": "the teacher's note"},
    )["event"]["seq"]
    valid = {
        "session_id": st.sampled_from([live, live, live, other, people.kr_session]),
        "since": st.sampled_from([0, 1, 3]),
        "client_id": st.uuids().map(str),
        "body": st.just("hello"),
        "text": st.just("hi"),
        "reply_to": st.just(message),
        "message_id": st.just(message),
        "emoji": st.sampled_from(room.REACTIONS),
        "column": st.sampled_from(["see", "do"]),
        "color": st.just("blue"),
        "note_id": st.sampled_from([note, other_note]),
        "version": st.integers(1, 4),
        "x": st.just(10),
        "y": st.just(20.5),
        "target": st.sampled_from(["message", "note"]),
        "id": st.sampled_from([message, note, other_note]),
        "reason": st.just("off topic"),
        "user_id": st.just(people.users["jp_student2"]["id"]),
        "minutes": st.just(1),
        "locked": st.booleans(),
        "seconds": st.sampled_from([0, 1]),
        "pinned": st.booleans(),
    }

    def restore() -> None:  # undo what the teacher's junk may have done to the room
        for event, payload in (
            ("mod.lock", {"locked": False}),
            ("mod.slow", {"seconds": 0}),
            ("mod.unmute", {"user_id": student.id}),
        ):
            teacher.sio.emit(event, {"session_id": live, **payload}, namespace=NS, callback=True)

    # The student first (they cannot change the room), then the teacher, who may
    # lock, slow, mute, remove and close; session.close goes last.
    order = [e for e in CLIENT_EVENTS if e != "session.close"] + ["session.close"]
    for event in order:
        _fuzz(student, event, valid, people.crashes)
    for event in order:
        _fuzz(teacher, event, valid, people.crashes, restore)

    # Still serving: a new session opens, and valid messages go through.
    room.rate_limiter.forget()
    new = schedule()["id"]
    teacher.ok("session.open", {"session_id": new})
    for client in (teacher, student, people.live("jp_student")):
        if not client.connected:  # the student may have been removed from the old one
            client.reconnect()
        client.ok("join", {"session_id": new})
        sent = client.ok(
            "chat.send", {"session_id": new, "client_id": "after-the-storm", "body": "still here"}
        )
        assert sent["event"]["data"]["body"] == "still here"
    assert not people.crashes


def test_malformed_live_tool_payloads_get_protocol_errors_and_the_tools_still_work(fuzz_people):
    """poll.open, poll.vote, poll.close, flag and flag.dismiss (issue 18) with junk, as
    a student and as a teacher; then a valid poll and flag still go through."""
    people = fuzz_people
    live = people.live_session
    student = people.joined("tw_student")
    teacher = people.joined("tw_teacher")
    message = teacher.ok("chat.send", {"session_id": live, "client_id": "m", "body": "a message"})[
        "event"
    ]["seq"]
    note = student.ok(
        "note.add", {"session_id": live, "client_id": "n", "column": "see", "text": "a note"}
    )["event"]["seq"]
    poll = teacher.ok(
        "poll.open",
        {"session_id": live, "client_id": "p", "question": "Q?", "options": ["a", "b", "c"]},
    )["event"]["seq"]
    several = teacher.ok(
        "poll.open",
        {
            "session_id": live,
            "client_id": "p2",
            "question": "Q2?",
            "options": ["a", "b"],
            "multiple": True,
        },
    )["event"]["seq"]
    flag = student.ok("flag", {"session_id": live, "target": "note", "id": note})["flag_id"]
    valid = {
        "session_id": st.sampled_from([live, live, live, people.scheduled_session]),
        "client_id": st.uuids().map(str),
        "question": st.just("Which one?"),
        "options": st.lists(
            st.sampled_from(["yes", "no", "はい", "아니요"]), min_size=2, max_size=6
        ),
        "multiple": st.booleans(),
        "poll_id": st.sampled_from([poll, several]),
        "choices": st.lists(st.integers(0, 2), min_size=1, max_size=3, unique=True),
        "target": st.sampled_from(["message", "note"]),
        "id": st.sampled_from([message, note]),
        "reason": st.just("not kind"),
        "flag_id": st.just(flag),
    }
    for client in (student, teacher):
        for event in TOOL_EVENTS:
            _fuzz(client, event, valid, people.crashes)

    # Still working: a new poll is answered, a message is flagged.
    for limiter in (room_polls.vote_limiter, room_flags.flag_limiter, room.rate_limiter):
        limiter.forget()
    fresh = teacher.ok(
        "poll.open",
        {"session_id": live, "client_id": "after", "question": "Still?", "options": ["y", "n"]},
    )["event"]["seq"]
    voted = student.ok("poll.vote", {"session_id": live, "poll_id": fresh, "choices": [0]})
    assert voted["event"]["data"]["counts"] == [1, 0]
    other = people.joined("jp_student")
    text = other.ok("chat.send", {"session_id": live, "client_id": "late", "body": "late"})
    student.ok("flag", {"session_id": live, "target": "message", "id": text["event"]["seq"]})
    assert not people.crashes

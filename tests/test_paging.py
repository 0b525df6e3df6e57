"""Paging a long room (issue 17, protocol.md "Delivery rules"): ``join`` without
``since`` gives the room's state and the latest page, ``history`` pages back, and
together they give exactly what a full replay gives, hidden text withheld and students
masked as before, for a student, a teacher and an observing reviewer.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from livekit import check_seqs

from forum import room
from forum.extensions import db
from forum.log import eventlog

_spec = importlib.util.spec_from_file_location(
    "long_session", Path(__file__).resolve().parent.parent / "benchmarks" / "long_session.py"
)
long_session = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(long_session)

READERS = ("tw_student", "tw_teacher", "reviewer")


@pytest.fixture
def long_room(app, people):
    """The live session with some 700 events: replies far back, reactions to old
    messages, hidden messages, notes and votes (through the real record path)."""
    with app.app_context():
        long_session.build(people.live_session, 700)
        # One more hidden message near the start, one hidden and shown again, a pin far back.
        assert any(kind == "message" for kind, _m in eventlog.hidden_items(people.live_session))
        seat = room.seat_for(_user(people, "tw_teacher"), people.live_session)
        posted = [e.seq for e in _log(people.live_session) if e.type == "message.posted"]
        room.hide_message(seat, posted[3], True, None)
        room.hide_message(seat, posted[5], True, None)
        room.hide_message(seat, posted[5], False, None)
        room.pin(seat, {"message_id": posted[1], "pinned": True})
    return people.live_session


def _user(people, name):
    from forum.models import User

    return db.session.get(User, people.users[name]["id"])


def _log(session_id):
    from forum.log import eventlog

    return eventlog.events_since(session_id)


def paged_log(client, session_id: int, limit: int | None = None) -> tuple[dict, list[dict]]:
    """Join without ``since``, then ``history`` back to the start: the join ack and every
    event in seq order."""
    ack = client.ok("join", {"session_id": session_id})
    events = list(ack["events"])
    before = ack.get("history_before")
    while before is not None:
        payload = {"session_id": session_id, "before": before}
        if limit:
            payload["limit"] = limit
        page = client.ok("history", payload)
        assert page["events"], page
        assert page["events"][-1]["seq"] < before
        events = page["events"] + events
        before = page.get("history_before")
    return ack, events


@pytest.mark.parametrize("reader", READERS)
def test_latest_page_and_history_give_the_full_replay(people, long_room, reader):
    client = people.live(reader)
    ack, events = paged_log(client, long_room)
    assert len(ack["events"]) == room.PAGE
    assert ack["history_before"] == ack["events"][0]["seq"]
    assert ack["events"][-1]["seq"] == ack["head"]
    check_seqs(events)
    assert events[0]["seq"] == 1
    # The full replay, read afterwards, as far as the paged join's head.
    full = client.ok("join", {"session_id": long_room, "since": 0})["events"]
    assert events == [e for e in full if e["seq"] <= ack["head"]]
    # The same with odd page sizes.
    _ack, odd = paged_log(client, long_room, limit=37)
    assert odd == [e for e in full if e["seq"] <= _ack["head"]]


def test_hidden_text_stays_withheld_on_every_path(people, long_room, app):
    with app.app_context():
        hidden = {m for kind, m in eventlog.hidden_items(long_room) if kind == "message"}
        bodies = {
            e.data["body"]
            for e in _log(long_room)
            if e.type == "message.posted" and e.seq in hidden
        }
    assert hidden and bodies
    student = people.live("jp_student")
    ack, events = paged_log(student, long_room)
    told = events + ack["quoted"]
    for event in told:
        if event["type"] == "message.posted" and event["seq"] in hidden:
            assert event["data"]["body"] is None and event["data"]["hidden"] is True
    assert not bodies & {e["data"].get("body") for e in told}
    # A teacher reads them.
    teacher = people.live("tw_teacher")
    _ack, theirs = paged_log(teacher, long_room)
    assert bodies <= {e["data"].get("body") for e in theirs}


def test_reviewer_reads_pseudonyms_on_every_page(people, long_room):
    reviewer = people.live("reviewer")
    ack, events = paged_log(reviewer, long_room)
    names = {u["display_name"] for k, u in people.users.items() if "student" in k}
    told = events + ack["quoted"]
    assert not names & {e["actor"]["name"] for e in told if e["actor"]}
    students = {e["actor"]["name"] for e in told if e["actor"] and e["actor"]["role"] == "student"}
    assert students and all(name[-1].isdigit() for name in students), students


def test_the_join_page_carries_the_rooms_state(people, long_room):
    student = people.live("tw_student")
    ack = student.ok("join", {"session_id": long_room})
    assert {
        "session",
        "you",
        "head",
        "events",
        "board",
        "mutes",
        "votes",
        "quoted",
        "history_before",
    } <= set(ack)
    assert ack["board"], "the builder adds notes"
    pinned = ack["session"]["pinned_message_id"]
    page = {e["seq"] for e in ack["events"]}
    quoted = {e["seq"]: e for e in ack["quoted"]}
    # The pinned message and every message a reply in the page answers are there.
    assert pinned not in page and pinned in quoted
    answers = {
        e["data"]["reply_to"]
        for e in ack["events"]
        if e["type"] == "message.posted" and e["data"]["reply_to"]
    }
    assert answers - page, "the builder replies far back"
    assert answers - page <= set(quoted)
    assert all(e["type"] == "message.posted" for e in quoted.values())


def test_rejoin_with_since_after_a_short_and_a_long_gap(people, long_room, monkeypatch):
    student = people.live("tw_student")
    full = student.ok("join", {"session_id": long_room, "since": 0})
    head = full["head"]
    # A short gap: exactly what was missed, no page.
    ack = student.ok("join", {"session_id": long_room, "since": head - 30})
    assert "history_before" not in ack
    assert [e["seq"] for e in ack["events"]] == list(range(head - 29, ack["head"] + 1))
    assert ack["events"][:30] == full["events"][-30:]
    # A long gap: a fresh page; history fills the rest back to `since`.
    monkeypatch.setattr(room, "SINCE_LIMIT", 300)
    since = head - 500
    ack = student.ok("join", {"session_id": long_room, "since": since})
    assert len(ack["events"]) == room.PAGE and ack["history_before"] > since + 1
    events, before = list(ack["events"]), ack["history_before"]
    while events[0]["seq"] > since + 1:
        events = (
            student.ok("history", {"session_id": long_room, "before": before})["events"] + events
        )
        before = events[0]["seq"]
    events = [e for e in events if e["seq"] > since]
    assert events == [e for e in full["events"] if since < e["seq"] <= ack["head"]] + [
        e for e in ack["events"] if e["seq"] > head
    ]


def test_a_short_room_is_not_paged(people):
    student = people.live("tw_student")
    ack = student.ok("join", {"session_id": people.live_session})
    assert "history_before" not in ack
    assert [e["seq"] for e in ack["events"]] == list(range(1, ack["head"] + 1))
    assert (
        student.ok("history", {"session_id": people.live_session, "before": 3})["events"]
        == ack["events"][:2]
    )


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"before": None},
        {"before": "10"},
        {"before": 0},
        {"before": -1},
        {"before": True},
        {"before": 1.5},
        {"before": 2**60},
        {"before": 10, "limit": 0},
        {"before": 10, "limit": 100000},
        {"before": 10, "limit": "5"},
        {"before": 10, "limit": False},
    ],
)
def test_history_refuses_bad_input_with_a_clear_message(people, payload):
    student = people.live("jp_student")
    ack = student.error("history", {"session_id": people.live_session, **payload}, "invalid")
    assert ack["message"] and "Something went wrong" not in ack["message"]


def test_history_answers_in_the_readers_language(people):
    student = people.live("jp_student")
    ack = student.error("history", {"session_id": people.live_session, "before": "x"}, "invalid")
    assert ack["message"] != "before must be a number.", ack  # the Japanese reader's words
    ack = student.error(
        "history", {"session_id": people.live_session, "before": 5, "limit": 0}, "invalid"
    )
    assert "limit" in ack["message"] and "1000" in ack["message"]


def test_history_is_for_members_and_observers_only(people, long_room):
    kr = people.live("kr_student")
    kr.error("history", {"session_id": long_room, "before": 100}, "not_found")

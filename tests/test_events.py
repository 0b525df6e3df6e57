"""The event catalogue (``forum.log.events``): every type the protocol names, each with
its fold; shapes checked strictly, when an event is recorded and when it is told;
hidden text withheld by what the catalogue says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from livekit import People

from forum import room
from forum.extensions import db
from forum.log import events
from forum.models import Event
from forum.room import chat as room_chat

ROOT = Path(__file__).resolve().parent.parent
PROTOCOL = ROOT.parent / "shared" / "protocol.md"

pytestmark = pytest.mark.usefixtures("demo_snapshot")

NOTE = {
    "id": 1,
    "column": "see",
    "text": "Plastic",
    "color": "yellow",
    "x": 10,
    "y": 20.5,
    "version": 1,
    "votes": 0,
    "author_id": 3,
    "lang": "ja",
}


# Logged types the product names beyond protocol.md (README: "Breakout groups and
# held messages").
BEYOND_PROTOCOL = {"room.approval"}
# The live tools this branch has built (protocol.md, "Live tools"): breakout groups
# and held messages.
LIVE_TOOLS = {"groups.formed", "groups.ended", "message.held", "message.released"}
# …and polls and flags.
LIVE_TOOLS |= {"poll.opened", "poll.voted", "poll.closed", "item.flagged", "flag.dismissed"}


def test_every_type_the_protocol_names_is_in_the_catalogue_with_one_fold(app):
    listed = set(events.CATALOGUE)
    assert listed >= LIVE_TOOLS
    if PROTOCOL.exists():
        text = PROTOCOL.read_text(encoding="utf-8")
        types = text.split("Types:", 1)[1].split("`message.posted` data", 1)[0]
        named = set(re.findall(r"`([a-z]+\.[a-z]+)`", types))
        assert named <= listed
        # The live tools: their table and the rules under it.
        tools = text.split("## Live tools", 1)[1].split("\n## ", 1)[0]
        logged = set(re.findall(r"`([a-z]+\.[a-z]+)`", tools))
        assert logged >= LIVE_TOOLS
        assert listed - named - logged <= BEYOND_PROTOCOL
    assert events.unfolded() == []  # create_app refuses to start otherwise
    assert {"message.hidden", "member.muted", "room.locked"} <= events.MODERATION
    assert "message.posted" not in events.MODERATION


@pytest.mark.parametrize(
    ("type_", "data", "problem"),
    [
        (
            "message.posted",
            {
                "message_id": 1,
                "client_id": "c",
                "body": "hi",
                "reply_to": None,
                "lang": "ja",
                "extra": 1,
            },
            "unknown key extra",
        ),
        (
            "message.posted",
            {"message_id": 1, "client_id": "c", "body": "hi", "reply_to": None},
            "missing lang",
        ),
        (
            "message.posted",
            {"message_id": True, "client_id": "c", "body": "hi", "reply_to": None, "lang": "ja"},
            "message_id is bool",
        ),
        ("room.locked", {"locked": 1}, "locked is int"),
        ("note.added", {"note": {**NOTE, "secret": "x"}}, "note: unknown key secret"),
        (
            "note.edited",
            {"note": {k: v for k, v in NOTE.items() if k != "votes"}},
            "note: missing votes",
        ),
        ("note.added", {"note": [1]}, "note: not an object"),
        ("member.muted", {"user_id": 3, "minutes": "5", "until": None}, "minutes is str"),
        ("no.such", {}, "unknown type no.such"),
    ],
)
def test_shapes_are_checked_strictly(type_, data, problem):
    problems = events.check(type_, data)
    assert any(problem in p for p in problems), problems
    with pytest.raises(ValueError):
        events.require(type_, data)


def test_what_fits_passes_and_old_notes_without_lang_still_fit():
    assert events.check("note.added", {"note": NOTE}) == []
    assert (
        events.check("note.added", {"note": {k: v for k, v in NOTE.items() if k != "lang"}}) == []
    )
    assert events.check("member.muted", {"user_id": 3, "minutes": None, "until": None}) == []
    assert events.check("session.opened", {}) == []


def test_hidden_text_is_withheld_as_the_catalogue_says_and_still_fits_when_told():
    posted = {"message_id": 7, "client_id": "c", "body": "secret", "reply_to": None, "lang": "ja"}
    told = events.withheld("message.posted", posted, {("message", 7)})
    assert told["body"] is None and told["hidden"] is True and posted["body"] == "secret"
    assert events.check("message.posted", told) != []  # not as stored…
    assert events.check_told("message.posted", told) == []  # …but as told to a student
    assert events.withheld("message.posted", posted, {("message", 8)}) is posted
    assert events.withheld("message.posted", posted, {("note", 7)}) is posted
    note = events.withheld("note.edited", {"note": NOTE}, {("note", 1)})
    assert note["note"]["text"] is None and note["note"]["hidden"] is True
    assert events.check_told("note.edited", note) == []
    assert events.withheld("room.locked", {"locked": True}, {("message", 1)}) == {"locked": True}


def test_who_may_receive_what():
    teachers_only = {"item.flagged", "flag.dismissed"}  # flags: never to students
    for type_ in events.CATALOGUE:
        assert events.may_receive(type_, moderator=True, author=False)
    assert not events.may_receive("item.flagged", moderator=False, author=True)
    for type_ in events.CATALOGUE:  # everything goes to the whole room but held messages
        if type_ in teachers_only:
            assert not events.may_receive(type_, moderator=False, author=False)
        elif type_ == "message.held":
            assert not events.may_receive(type_, moderator=False, author=False)
            assert events.may_receive(type_, moderator=False, author=True)
            assert events.may_receive(type_, moderator=True, author=False)
        else:
            assert events.may_receive(type_, moderator=False, author=False)
    teachers = events.EventType("x.teachers", {}, to=events.To.TEACHERS)
    events.CATALOGUE["x.teachers"] = teachers
    try:
        assert events.may_receive("x.teachers", moderator=True, author=False)
        assert not events.may_receive("x.teachers", moderator=False, author=True)
    finally:
        del events.CATALOGUE["x.teachers"]


def test_a_votes_choices_and_voter_are_told_only_to_its_author_and_the_teachers():
    voted = {"poll_id": 4, "counts": [1, 0], "choices": [0]}
    assert events.check("poll.voted", voted) == []
    told = events.told("poll.voted", voted)
    assert told == {"poll_id": 4, "counts": [1, 0]}
    assert events.check("poll.voted", told) != []  # not as stored…
    assert events.check_told("poll.voted", told) == []  # …but as told to the room
    assert events.check_told("poll.voted", {"poll_id": 4}) != []
    assert events.private_parts("poll.voted", moderator=False, author=False) is not None
    assert events.private_parts("poll.voted", moderator=True, author=False) is None
    assert events.private_parts("poll.voted", moderator=False, author=True) is None
    assert events.told("message.reacted", {"x": 1}) == {"x": 1}


def test_a_fold_is_registered_once():
    with pytest.raises(RuntimeError, match="already has a fold"):
        events.folds("message.posted")(lambda session, event, run=None: None)


def test_an_event_that_does_not_fit_is_never_stored(app, demo, monkeypatch):
    """A build that adds a key the catalogue does not know: the write is refused
    (an error ack, nothing stored, the log's head unchanged)."""
    people = People(app, demo)
    teacher = people.live("tw_teacher")
    sid = people.live_session
    teacher.ok("join", {"session_id": sid})
    with app.app_context():
        before = db.session.scalar(
            sa.select(sa.func.count()).select_from(Event).where(Event.session_id == sid)
        )
    real = room.record

    def sloppy(seat, type_, build, **kwargs):
        return real(seat, type_, lambda *a: {**build(*a), "debug": True}, **kwargs)

    monkeypatch.setattr(room_chat, "record", sloppy)  # where chat.send finds it
    ack = teacher.call("chat.send", {"session_id": sid, "client_id": "x1", "body": "hi"})
    assert ack["ok"] is False and ack["error"] == "invalid", ack
    with app.app_context():
        after = db.session.scalar(
            sa.select(sa.func.count()).select_from(Event).where(Event.session_id == sid)
        )
    assert after == before
    monkeypatch.setattr(room_chat, "record", real)  # the same message, built as it should be
    assert (
        teacher.call("chat.send", {"session_id": sid, "client_id": "x1", "body": "hi"})["ok"]
        is True
    )


def test_every_event_of_the_demo_log_fits(app, demo):
    """The demo's sessions were recorded through the real actions (chat, reactions,
    a pin, a hidden message, notes, votes, open and close): each logged event fits."""
    with app.app_context():
        logged = db.session.scalars(sa.select(Event)).all()
    assert {e.type for e in logged} >= {"message.posted", "note.added", "session.closed"}
    for event in logged:
        assert events.check(event.type, event.data) == [], (event.type, event.data)


def test_the_compiled_check_and_the_explained_check_agree():
    """``require`` answers from a check compiled per type and explains only refusals
    with ``check``: over each type's fields set to every kind of value, or left out,
    or joined by an unknown key, the two always agree."""
    from itertools import product

    samples = {
        "message.posted": {
            "message_id": 1,
            "client_id": "c",
            "body": "hi",
            "reply_to": None,
            "lang": "ja",
        },
        "note.added": {"note": dict(NOTE)},
        "member.muted": {"user_id": 3, "minutes": 5, "until": None},
        "room.locked": {"locked": True},
        "session.opened": {},
        "poll.voted": {"poll_id": 4, "counts": [1, 0], "choices": [0]},
        "poll.opened": {"poll": {"id": 4, "question": "Q", "options": ["a"], "multiple": False}},
        "item.flagged": {"flag_id": 5, "target": "note", "id": 3, "reason": None},
    }
    values = [1, True, 0.5, "x", None, {}, [], {"id": 1}]
    for type_, good in samples.items():
        variants = [good, {**good, "extra": 1}]
        variants += [{k: v for k, v in good.items() if k != key} for key in good]
        variants += [{**good, key: value} for key, value in product(good, values)]
        if "note" in good:
            variants += [{"note": {**NOTE, key: value}} for key, value in product(NOTE, values)]
            variants += [{"note": {k: v for k, v in NOTE.items() if k != key}} for key in NOTE]
        for data in variants:
            explained = events.check(type_, data) == []
            try:
                events.require(type_, data)
                compiled = True
            except ValueError:
                compiled = False
            assert compiled == explained, (type_, data)

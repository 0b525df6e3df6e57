"""The live room in process: every ``/live`` event and every error code of
protocol.md, through Flask-SocketIO's test client (threading mode, one process).

The real eventlet server (concurrency, crashes, several processes) is covered by
test_live_server.py; malformed payloads by test_live_fuzz.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from conftest import FakeClock
from livekit import MOD_EVENTS, Live, People, check_event, check_seqs

from forum import room
from forum.extensions import db
from forum.room import rules as room_rules


def send(client, body: str, cid: str, **extra):
    """chat.send into the session the client joined (see ``joined``)."""
    payload = {"session_id": client.session_id, "client_id": cid, "body": body, **extra}
    return client.call("chat.send", payload)


def joined(people: People, name: str, session_id: int | None = None, **kw):
    client = people.joined(name, session_id, **kw)
    client.session_id = session_id or people.live_session
    return client


def writes_refused(client, session_id: int, code: str) -> None:
    """A message, a note and typing are each refused with ``code``."""
    client.error("chat.send", {"session_id": session_id, "client_id": "w", "body": "hi"}, code)
    client.error(
        "note.add",
        {"session_id": session_id, "client_id": "w", "column": "see", "text": "hi"},
        code,
    )
    client.error("typing", {"session_id": session_id}, code)


def head(app, session_id: int) -> int:
    from forum.models import ForumSession

    with app.app_context():
        return db.session.get(ForumSession, session_id).head_seq


# --- join and leave ---------------------------------------------------------------------


def test_join_ack_has_the_session_you_head_and_every_event(people):
    teacher = people.live("tw_teacher")
    ack = teacher.ok("join", {"session_id": people.live_session})
    assert set(ack) >= {"ok", "session", "you", "head", "events", "board"}
    session = ack["session"]
    assert {
        "id",
        "exchange_id",
        "title",
        "sdgs",
        "status",
        "starts_at",
        "ends_at",
        "schools",
        "locked",
        "slow_mode",
        "columns",
    } <= set(session)
    assert session["id"] == people.live_session and session["status"] == "live"
    assert session["locked"] is False and session["slow_mode"] == 0
    assert [set(c) for c in session["columns"]] == [{"id", "title"}] * len(session["columns"])
    assert len(session["columns"]) >= 1
    assert {s["country"] for s in session["schools"]} == {"TW", "JP"}
    you = ack["you"]
    assert you["id"] == teacher.id and you["role"] == "teacher" and you["can_moderate"]
    assert you["can_write"] and you["muted"] is False
    events = ack["events"]
    assert [e["seq"] for e in events] == list(range(1, ack["head"] + 1))
    assert events[0]["type"] == "session.opened"
    assert events[-1]["type"] == "member.joined" and events[-1]["actor"]["id"] == teacher.id
    assert ack["board"] == []
    # `since` gives only what came after; the pushed copy of member.joined came too.
    again = teacher.ok("join", {"session_id": people.live_session, "since": ack["head"]})
    assert again["events"] == [] and again["head"] == ack["head"]
    assert [e["type"] for e in teacher.events()] == ["member.joined"]


def test_join_refuses_bad_input_and_strangers(people):
    teacher = people.live("tw_teacher")
    teacher.error("join", {}, "invalid")
    teacher.error("join", {"session_id": "1"}, "invalid")
    teacher.error("join", {"session_id": people.live_session, "since": -1}, "invalid")
    teacher.error("join", {"session_id": people.live_session, "since": "0"}, "invalid")
    teacher.error("join", {"session_id": 999999}, "not_found")
    teacher.error("join", ["not", "an", "object"], "invalid")
    # Another exchange's session does not exist for them, nor for its students.
    kr_student = people.live("kr_student")
    kr_student.error("join", {"session_id": people.live_session}, "not_found")
    send_ack = kr_student.call(
        "chat.send", {"session_id": people.live_session, "client_id": "x", "body": "hi"}
    )
    assert send_ack["error"] in ("not_found", "not_member")
    kr_teacher = people.live("kr_teacher")
    kr_teacher.error("join", {"session_id": people.live_session}, "not_found")
    kr_teacher.error("mod.lock", {"session_id": people.live_session, "locked": True}, "not_found")


def test_leave_stops_the_room_events_and_logs_member_left(people, app):
    student = joined(people, "tw_student")
    teacher = joined(people, "tw_teacher")
    student.ok("leave", {"session_id": people.live_session})
    student.forget()
    send(teacher, "after you left", "t1")
    assert student.events() == []
    types = [e["type"] for e in teacher.events()]
    assert types == ["member.joined", "member.left", "message.posted"]
    left = teacher.events()[1]
    assert left["actor"]["id"] == student.id


def test_connections_of_a_dead_server_are_swept_and_their_people_logged_as_left(people, app):
    from forum.live import servers
    from forum.models import Connection, Server

    student = joined(people, "tw_student")
    teacher = joined(people, "tw_teacher")
    with app.app_context():
        servers.beat()  # this process is alive
        # The student's connection was held by a process that has not beaten for
        # longer than three beats (killed, say); another's died before servers were noted.
        stale = servers.utcnow() - timedelta(seconds=4 * app.config["FORUM_HEARTBEAT_SECONDS"])
        db.session.add(Server(id="dead-process", started_at=stale, seen_at=stale))
        db.session.execute(
            sa.update(Connection)
            .where(Connection.user_id == student.id)
            .values(server_id="dead-process")
        )
        db.session.commit()
        assert servers.sweep() == 1
        assert servers.sweep() == 0  # nothing twice
        holders = db.session.scalars(sa.select(Connection.user_id)).all()
        assert holders == [teacher.id]
        assert db.session.get(Server, "dead-process") is None
        assert db.session.get(Server, servers.SERVER_ID) is not None
    student.forget()
    types = [e["type"] for e in teacher.events()]
    assert types == ["member.joined", "member.left"]  # the teacher's join, the student leaving
    assert teacher.events()[-1]["actor"]["id"] == student.id
    online = {m["id"]: m["online"] for m in teacher.received("presence")[-1]["members"]}
    assert online[student.id] is False and online[teacher.id] is True
    # Back on a live server, the student is logged as joining again.
    student.ok("join", {"session_id": people.live_session})
    assert teacher.events()[-1]["type"] == "member.joined"


def test_unauthenticated_connections_are_refused(app, people):
    assert not Live(app, {"id": None}).connected
    assert not Live(app, {"id": None}, token="sdgf_not-a-token").connected
    assert not Live(app, {"id": None}, http=app.test_client()).connected
    assert people.live("tw_teacher").connected
    assert people.live("tw_student").connected


# --- chat ------------------------------------------------------------------------------


def test_chat_send_is_stored_broadcast_in_order_and_idempotent(people, app):
    a = joined(people, "tw_student")
    b = joined(people, "jp_student")
    ack = a.ok(
        "chat.send",
        {"session_id": people.live_session, "client_id": "m1", "body": "  我們的河流  "},
    )
    event = ack["event"]
    assert event["type"] == "message.posted"
    assert event["data"] == {
        "message_id": event["seq"],
        "client_id": "m1",
        "body": "我們的河流",
        "reply_to": None,
        "lang": "zh-Hant-TW",
    }
    assert event["actor"]["id"] == a.id and event["actor"]["country"] == "TW"
    assert head(app, people.live_session) == event["seq"]
    # The same client_id again: the first event, nothing new stored or sent.
    again = a.ok(
        "chat.send",
        {"session_id": people.live_session, "client_id": "m1", "body": "something else"},
    )
    assert again["event"] == event
    assert head(app, people.live_session) == event["seq"]
    # Another sender may use the same client_id.
    other = b.ok(
        "chat.send",
        {
            "session_id": people.live_session,
            "client_id": "m1",
            "body": "川と海",
            "reply_to": event["data"]["message_id"],
        },
    )
    assert other["event"]["seq"] == event["seq"] + 1
    assert other["event"]["data"]["reply_to"] == event["seq"]
    assert other["event"]["data"]["lang"] == "ja"
    for client in (a, b):
        posted = [e for e in client.events() if e["type"] == "message.posted"]
        assert [e["data"]["body"] for e in posted] == ["我們的河流", "川と海"]


def test_chat_send_checks_the_body_and_the_ids(people):
    a = joined(people, "tw_student")
    sid = people.live_session
    assert (
        a.ok("chat.send", {"session_id": sid, "client_id": "max", "body": "字" * 2000})["event"][
            "data"
        ]["body"]
        == "字" * 2000
    )
    a.error("chat.send", {"session_id": sid, "client_id": "big", "body": "字" * 2001}, "too_large")
    a.error("chat.send", {"session_id": sid, "client_id": "e", "body": ""}, "invalid")
    a.error("chat.send", {"session_id": sid, "client_id": "e", "body": " \n\t "}, "invalid")
    a.error("chat.send", {"session_id": sid, "client_id": "e", "body": 42}, "invalid")
    # Text no database can keep as sent: NUL (PostgreSQL), a lone surrogate (not UTF-8).
    a.error("chat.send", {"session_id": sid, "client_id": "e", "body": "a\x00b"}, "invalid")
    a.error("chat.send", {"session_id": sid, "client_id": "e", "body": "a\ud800b"}, "invalid")
    a.error("chat.send", {"session_id": sid, "client_id": "e"}, "invalid")
    a.error("chat.send", {"session_id": sid, "body": "no client id"}, "invalid")
    a.error("chat.send", {"session_id": sid, "client_id": "x" * 65, "body": "hi"}, "invalid")
    a.error("chat.send", {"session_id": sid, "client_id": 7, "body": "hi"}, "invalid")
    a.error(
        "chat.send", {"session_id": sid, "client_id": "r", "body": "hi", "reply_to": "1"}, "invalid"
    )
    a.error(
        "chat.send",
        {"session_id": sid, "client_id": "r", "body": "hi", "reply_to": 99999},
        "not_found",
    )
    a.error("chat.send", {"client_id": "s", "body": "hi"}, "invalid")
    a.error("chat.send", "hello", "invalid")


def test_chat_send_to_a_session_that_is_not_live_is_closed(people):
    student = joined(people, "tw_student", people.scheduled_session)
    ack = student.ok("join", {"session_id": people.scheduled_session})
    assert ack["session"]["status"] == "scheduled" and ack["events"] == []
    student.error(
        "chat.send",
        {"session_id": people.scheduled_session, "client_id": "a", "body": "too early"},
        "closed",
    )
    student.error("typing", {"session_id": people.scheduled_session}, "closed")
    teacher = joined(people, "tw_teacher", people.scheduled_session)
    teacher.error(
        "chat.send",
        {"session_id": people.scheduled_session, "client_id": "a", "body": "too early"},
        "closed",
    )


def test_locked_room_stops_students_but_not_teachers(people):
    student = joined(people, "tw_student")
    jp_teacher = joined(people, "jp_teacher")
    ack = jp_teacher.ok("mod.lock", {"session_id": people.live_session, "locked": True})
    assert ack["event"]["type"] == "room.locked" and ack["event"]["data"] == {"locked": True}
    assert student.events()[-1]["type"] == "room.locked"
    student.error(
        "chat.send",
        {"session_id": people.live_session, "client_id": "l1", "body": "let me in"},
        "locked",
    )
    student.error(
        "note.add",
        {"session_id": people.live_session, "client_id": "n1", "column": "see", "text": "a note"},
        "locked",
    )
    assert send(jp_teacher, "teachers still talk", "t1")["ok"]
    assert student.ok("join", {"session_id": people.live_session})["session"]["locked"]
    jp_teacher.error("mod.lock", {"session_id": people.live_session, "locked": "no"}, "invalid")
    jp_teacher.ok("mod.lock", {"session_id": people.live_session, "locked": False})
    assert send(student, "back again", "l2")["ok"]


def test_muted_student_cannot_post_until_the_mute_ends(people, app):
    student = joined(people, "tw_student")
    teacher = joined(people, "jp_teacher")
    sid = people.live_session
    ack = teacher.ok("mod.mute", {"session_id": sid, "user_id": student.id, "minutes": 1})
    data = ack["event"]["data"]
    assert data["user_id"] == student.id and data["minutes"] == 1 and data["until"]
    muted = student.error(
        "chat.send", {"session_id": sid, "client_id": "m", "body": "hello?"}, "muted"
    )
    assert "1" in muted["message"]
    you = student.ok("join", {"session_id": sid})["you"]
    assert you["muted"] is True and you["muted_until"]
    # The mute ends by itself: a minute later the same member is not muted any more.
    from forum.models import RoomMember

    with app.app_context():
        member = db.session.get(RoomMember, (sid, student.id))
        assert room_rules._is_muted(member)
        assert room_rules._is_muted(member, member.muted_until - timedelta(seconds=1))
        assert not room_rules._is_muted(member, member.muted_until + timedelta(seconds=1))
    # Muted with no end, then unmuted.
    teacher.ok("mod.mute", {"session_id": sid, "user_id": student.id})
    student.error("chat.send", {"session_id": sid, "client_id": "m", "body": "hi"}, "muted")
    with app.app_context():
        member = db.session.get(RoomMember, (sid, student.id))
        assert room_rules._is_muted(member, member.muted_until or room.utcnow() + timedelta(days=9))
    teacher.ok("mod.unmute", {"session_id": sid, "user_id": student.id})
    assert send(student, "free again", "m2")["ok"]
    # Only students, only members, only sensible durations.
    teacher.error("mod.mute", {"session_id": sid, "user_id": teacher.id}, "forbidden")
    teacher.error(
        "mod.mute", {"session_id": sid, "user_id": people.users["kr_student"]["id"]}, "not_found"
    )
    teacher.error("mod.mute", {"session_id": sid, "user_id": student.id, "minutes": 0}, "invalid")
    teacher.error(
        "mod.mute", {"session_id": sid, "user_id": student.id, "minutes": 24 * 60 + 1}, "invalid"
    )
    teacher.error("mod.mute", {"session_id": sid, "user_id": "6"}, "invalid")


def test_slow_mode_spaces_a_students_messages(people):
    student = joined(people, "tw_student")
    teacher = joined(people, "tw_teacher")
    sid = people.live_session
    ack = teacher.ok("mod.slow", {"session_id": sid, "seconds": 30})
    assert ack["event"]["data"] == {"seconds": 30}
    assert send(student, "first", "s1")["ok"]
    slow = student.error(
        "chat.send", {"session_id": sid, "client_id": "s2", "body": "second"}, "slow_mode"
    )
    assert 1 <= slow["retry_after"] <= 30
    assert send(teacher, "teachers are not slowed", "t1")["ok"]
    assert send(teacher, "not at all", "t2")["ok"]
    assert student.ok("join", {"session_id": sid})["session"]["slow_mode"] == 30
    teacher.error("mod.slow", {"session_id": sid, "seconds": 601}, "invalid")
    teacher.error("mod.slow", {"session_id": sid, "seconds": -1}, "invalid")
    teacher.error("mod.slow", {"session_id": sid}, "invalid")
    teacher.ok("mod.slow", {"session_id": sid, "seconds": 0})
    assert send(student, "second", "s2")["ok"]


def test_rate_limit_after_a_burst(people, monkeypatch):
    clock = FakeClock()  # the limiter's time moves only when told: no waiting, no flakes
    monkeypatch.setattr(room.rate_limiter, "clock", clock)
    student = joined(people, "tw_student")
    sid = people.live_session
    for i in range(10):
        assert send(student, f"burst {i}", f"b{i}")["ok"]
    limited = student.error(
        "chat.send", {"session_id": sid, "client_id": "b10", "body": "one too many"}, "rate_limited"
    )
    assert limited["retry_after"] == 1
    assert limited["message"]  # in the student's language (test_i18n checks the words)
    # Nothing was stored for the refused one; someone else is not held back.
    other = joined(people, "tw_student2")
    assert send(other, "me too", "o1")["ok"]
    # Then one a second: after half a second still refused, after one second one more.
    clock.advance(0.5)
    assert (
        student.error(
            "chat.send", {"session_id": sid, "client_id": "b10", "body": "x"}, "rate_limited"
        )["retry_after"]
        == 1
    )
    clock.advance(0.5)
    assert send(student, "one a second", "b10")["ok"]
    student.error("chat.send", {"session_id": sid, "client_id": "b11", "body": "x"}, "rate_limited")
    # A pause refills the burst, and no more than the burst.
    clock.advance(60)
    for i in range(10):
        assert send(student, f"again {i}", f"c{i}")["ok"]
    student.error("chat.send", {"session_id": sid, "client_id": "c10", "body": "x"}, "rate_limited")


def test_chat_react_toggles(people):
    a = joined(people, "tw_student")
    b = joined(people, "jp_student")
    sid = people.live_session
    message_id = send(a, "react to me", "r")["event"]["data"]["message_id"]
    on = b.ok("chat.react", {"session_id": sid, "message_id": message_id, "emoji": "👍"})
    assert on["event"]["type"] == "message.reacted"
    assert on["event"]["data"] == {"message_id": message_id, "emoji": "👍", "on": True}
    off = b.ok("chat.react", {"session_id": sid, "message_id": message_id, "emoji": "👍"})
    assert off["event"]["data"]["on"] is False
    assert a.events()[-1]["data"]["on"] is False
    b.error("chat.react", {"session_id": sid, "message_id": message_id, "emoji": "🦄"}, "invalid")
    b.error("chat.react", {"session_id": sid, "message_id": 99999, "emoji": "👍"}, "not_found")
    b.error("chat.react", {"session_id": sid, "message_id": "1", "emoji": "👍"}, "invalid")


def test_typing_reaches_the_others_but_not_the_typist(people):
    a = joined(people, "tw_student")
    b = joined(people, "jp_student")
    assert a.ok("typing", {"session_id": people.live_session}) == {"ok": True}
    assert b.received("typing") == [
        {"session_id": people.live_session, "user": {"id": a.id, "name": a.user["display_name"]}}
    ]
    assert a.received("typing") == []
    a.error("typing", {"session_id": "x"}, "invalid")


# --- the board ---------------------------------------------------------------------------


def test_notes_add_edit_vote_remove(people):
    a = joined(people, "tw_student")
    b = joined(people, "jp_student")
    teacher = joined(people, "tw_teacher")
    sid = people.live_session
    added = a.ok(
        "note.add",
        {
            "session_id": sid,
            "client_id": "n1",
            "column": "see",
            "text": "plastic on the beach",
            "color": "blue",
        },
    )["event"]
    note = added["data"]["note"]
    assert added["type"] == "note.added" and note["id"] == added["seq"]
    assert note["version"] == 1 and note["author_id"] == a.id and note["color"] == "blue"
    assert (
        a.ok("note.add", {"session_id": sid, "client_id": "n1", "column": "see", "text": "again"})[
            "event"
        ]
        == added
    )
    a.error(
        "note.add", {"session_id": sid, "client_id": "n2", "column": "nope", "text": "x"}, "invalid"
    )
    a.error(
        "note.add",
        {"session_id": sid, "client_id": "n2", "column": "see", "text": "x" * 501},
        "too_large",
    )
    a.error(
        "note.add",
        {"session_id": sid, "client_id": "n2", "column": "see", "text": "\x00"},
        "invalid",
    )
    a.error(
        "note.add",
        {"session_id": sid, "client_id": "n2", "column": "see", "text": "x", "color": "black"},
        "invalid",
    )
    edited = a.ok(
        "note.edit",
        {
            "session_id": sid,
            "note_id": note["id"],
            "version": 1,
            "text": "plastic bottles",
            "column": "why",
        },
    )["event"]
    assert edited["data"]["note"]["version"] == 2 and edited["data"]["note"]["column"] == "why"
    stale = b.call(
        "note.edit", {"session_id": sid, "note_id": note["id"], "version": 1, "text": "mine"}
    )
    assert stale["error"] == "forbidden"  # not the author
    stale = teacher.error(
        "note.edit", {"session_id": sid, "note_id": note["id"], "version": 1, "x": 10}, "conflict"
    )
    assert stale["note"]["version"] == 2 and stale["note"]["text"] == "plastic bottles"
    a.error("note.edit", {"session_id": sid, "note_id": note["id"], "version": 2}, "invalid")
    a.error("note.edit", {"session_id": sid, "note_id": 99999, "version": 1, "x": 1}, "not_found")
    voted = b.ok("note.vote", {"session_id": sid, "note_id": note["id"]})["event"]
    assert voted["data"] == {"note_id": note["id"], "on": True, "votes": 1}
    assert b.ok("note.vote", {"session_id": sid, "note_id": note["id"]})["event"]["data"] == {
        "note_id": note["id"],
        "on": False,
        "votes": 0,
    }
    b.error("note.remove", {"session_id": sid, "note_id": note["id"]}, "forbidden")
    removed = teacher.ok("note.remove", {"session_id": sid, "note_id": note["id"]})["event"]
    assert removed["type"] == "note.removed"
    a.error("note.vote", {"session_id": sid, "note_id": note["id"]}, "not_found")
    own = a.ok(
        "note.add", {"session_id": sid, "client_id": "n3", "column": "do", "text": "bring a bag"}
    )["event"]["data"]["note"]
    a.ok("note.remove", {"session_id": sid, "note_id": own["id"]})
    assert a.ok("join", {"session_id": sid})["board"] == []
    for client in (a, b, teacher):
        client.events()


# --- moderation ---------------------------------------------------------------------------


def test_students_and_reviewers_may_not_moderate(people):
    student = joined(people, "tw_student")
    teacher = joined(people, "tw_teacher")
    message_id = send(teacher, "a prompt", "p")["event"]["data"]["message_id"]
    sid = people.live_session
    other = people.users["jp_student"]["id"]
    payloads = {
        "mod.hide": {"target": "message", "id": message_id},
        "mod.unhide": {"target": "message", "id": message_id},
        "mod.mute": {"user_id": other},
        "mod.unmute": {"user_id": other},
        "mod.lock": {"locked": True},
        "mod.slow": {"seconds": 5},
        "mod.remove": {"user_id": other},
        "mod.pin": {"message_id": message_id, "pinned": True},
        "session.open": {},
        "session.close": {},
    }
    reviewer = people.live("reviewer")
    for event in MOD_EVENTS:
        student.error(event, {"session_id": sid, **payloads[event]}, "forbidden")
        reviewer.error(event, {"session_id": sid, **payloads[event]}, "forbidden")
    assert student.ok("join", {"session_id": sid})["session"]["status"] == "live"


def test_teachers_of_either_school_moderate(people):
    student = joined(people, "jp_student")
    tw = joined(people, "tw_teacher")
    jp = joined(people, "jp_teacher")
    sid = people.live_session
    message_id = send(student, "something unkind", "u")["event"]["data"]["message_id"]
    for teacher in (tw, jp):
        hidden = teacher.ok(
            "mod.hide",
            {"session_id": sid, "target": "message", "id": message_id, "reason": "unkind"},
        )["event"]
        assert hidden["data"] == {"message_id": message_id, "reason": "unkind"}
        teacher.error(
            "mod.hide", {"session_id": sid, "target": "message", "id": message_id}, "conflict"
        )
        teacher.ok("mod.unhide", {"session_id": sid, "target": "message", "id": message_id})
        pinned = teacher.ok(
            "mod.pin", {"session_id": sid, "message_id": message_id, "pinned": True}
        )["event"]
        assert pinned["data"] == {"message_id": message_id, "pinned": True}
        teacher.ok("mod.pin", {"session_id": sid, "message_id": message_id, "pinned": False})
        teacher.ok("mod.slow", {"session_id": sid, "seconds": 10})
        teacher.ok("mod.slow", {"session_id": sid, "seconds": 0})
        teacher.ok("mod.lock", {"session_id": sid, "locked": True})
        teacher.ok("mod.lock", {"session_id": sid, "locked": False})
        teacher.ok("mod.mute", {"session_id": sid, "user_id": student.id, "minutes": 5})
        teacher.ok("mod.unmute", {"session_id": sid, "user_id": student.id})
    tw.error("mod.hide", {"session_id": sid, "target": "user", "id": message_id}, "invalid")
    tw.error("mod.hide", {"session_id": sid, "target": "message", "id": 99999}, "not_found")
    tw.error("mod.hide", {"session_id": sid, "target": "note", "id": 99999}, "not_found")
    tw.error("mod.unhide", {"session_id": sid, "target": "message", "id": message_id}, "conflict")
    tw.error("mod.pin", {"session_id": sid, "message_id": message_id}, "invalid")
    tw.error("mod.pin", {"session_id": sid, "message_id": 99999, "pinned": True}, "not_found")
    assert jp.ok("join", {"session_id": sid})["session"]["pinned_message_id"] is None
    for client in (student, tw, jp):
        client.events()


def test_an_admin_moderates_too(people):
    admin = joined(people, "admin")
    ack = admin.ok("mod.lock", {"session_id": people.live_session, "locked": True})
    assert ack["event"]["actor"]["role"] == "admin"


def test_hidden_text_is_withheld_from_students_but_not_teachers(people):
    author = joined(people, "tw_student")
    teacher = joined(people, "jp_teacher")
    sid = people.live_session
    message = send(author, "unkind words", "h")["event"]
    note = author.ok(
        "note.add", {"session_id": sid, "client_id": "hn", "column": "see", "text": "unkind note"}
    )["event"]
    teacher.ok("mod.hide", {"session_id": sid, "target": "message", "id": message["seq"]})
    teacher.ok("mod.hide", {"session_id": sid, "target": "note", "id": note["seq"]})
    reader = joined(people, "jp_student")
    ack = reader.ok("join", {"session_id": sid})
    seen = {e["seq"]: e for e in ack["events"]}
    assert seen[message["seq"]]["data"]["body"] is None
    assert seen[message["seq"]]["data"]["hidden"] is True
    assert seen[note["seq"]]["data"]["note"]["text"] is None
    assert [n["text"] for n in ack["board"]] == [None]
    # Students cannot react to or vote on what is hidden.
    reader.error(
        "chat.react", {"session_id": sid, "message_id": message["seq"], "emoji": "👍"}, "not_found"
    )
    reader.error("note.vote", {"session_id": sid, "note_id": note["seq"]}, "not_found")
    full = teacher.ok("join", {"session_id": sid, "since": 0})
    seen = {e["seq"]: e for e in full["events"]}
    assert seen[message["seq"]]["data"]["body"] == "unkind words"
    assert seen[note["seq"]]["data"]["note"]["text"] == "unkind note"
    assert [n["text"] for n in full["board"]] == ["unkind note"]
    # Unhidden, the text is back for everyone.
    teacher.ok("mod.unhide", {"session_id": sid, "target": "message", "id": message["seq"]})
    teacher.ok("mod.unhide", {"session_id": sid, "target": "note", "id": note["seq"]})
    seen = {e["seq"]: e for e in reader.ok("join", {"session_id": sid})["events"]}
    assert seen[message["seq"]]["data"]["body"] == "unkind words"
    assert seen[note["seq"]]["data"]["note"]["text"] == "unkind note"


def test_an_event_for_teachers_and_its_author_reaches_only_them(people, monkeypatch):
    """An event whose catalogue audience is the teachers and its author (as a held
    message or a flag will be): they hear it live, the other students hear only that
    its seq is not theirs (``skip``) and never its content, on ``join`` as live."""
    import dataclasses

    from forum.log import events

    restricted = dataclasses.replace(
        events.CATALOGUE["message.reacted"], to=events.To.TEACHERS | events.To.AUTHOR
    )
    monkeypatch.setitem(events.CATALOGUE, "message.reacted", restricted)
    author = joined(people, "tw_student")
    other = joined(people, "jp_student")
    teacher = joined(people, "jp_teacher")
    sid = people.live_session
    said = send(other, "react to me", "rr")["event"]
    reacted = author.ok(
        "chat.react", {"session_id": sid, "message_id": said["seq"], "emoji": "👍"}
    )["event"]
    after = send(other, "still here", "rr2")["event"]
    assert reacted["seq"] in [e["seq"] for e in teacher.events()]
    assert reacted["seq"] in [e["seq"] for e in author.events()]
    heard = other.events()  # checks: no gap once the skips are counted
    assert reacted["seq"] not in [e["seq"] for e in heard]
    assert after["seq"] in [e["seq"] for e in heard]
    assert other.received("skip") == [{"session_id": sid, "seq": reacted["seq"]}]
    assert teacher.received("skip") == [] and author.received("skip") == []
    # Replayed by the same rule.
    assert reacted["seq"] not in [
        e["seq"] for e in other.ok("join", {"session_id": sid, "since": 0})["events"]
    ]
    assert reacted["seq"] in [
        e["seq"] for e in author.ok("join", {"session_id": sid, "since": 0})["events"]
    ]
    assert reacted["seq"] in [
        e["seq"] for e in teacher.ok("join", {"session_id": sid, "since": 0})["events"]
    ]
    # Having left, nobody is told anything more of the room.
    author.ok("leave", {"session_id": sid})
    author.forget()
    other.ok("chat.react", {"session_id": sid, "message_id": said["seq"], "emoji": "👍"})
    assert author.received("event") == [] and author.received("skip") == []


def test_removed_student_is_disconnected_and_cannot_rejoin(people):
    student = joined(people, "tw_student")
    other = joined(people, "tw_student2")
    teacher = joined(people, "jp_teacher")
    sid = people.live_session
    ack = teacher.ok("mod.remove", {"session_id": sid, "user_id": student.id})
    assert ack["event"]["type"] == "member.removed"
    assert ack["event"]["data"] == {"user_id": student.id}
    assert student.received("removed") == [{"session_id": sid}]
    assert not student.connected
    assert other.connected and other.events()[-1]["type"] == "member.removed"
    presence = other.received("presence")[-1]
    assert student.id not in {m["id"] for m in presence["members"]}
    # A new connection with the same sign-in: still removed from this session.
    again = Live(student.app, student.user, http=student.http)
    assert again.connected
    again.error("join", {"session_id": sid}, "removed")
    again.error("chat.send", {"session_id": sid, "client_id": "back", "body": "hi"}, "removed")
    again.error("typing", {"session_id": sid}, "removed")
    teacher.error("mod.remove", {"session_id": sid, "user_id": student.id}, "conflict")
    teacher.error("mod.remove", {"session_id": sid, "user_id": teacher.id}, "forbidden")


def test_reviewer_observes_read_only(people):
    student = joined(people, "tw_student")
    send(student, "hello observers", "o")
    reviewer = people.live("reviewer")
    ack = reviewer.ok("join", {"session_id": people.live_session})
    assert ack["you"]["can_write"] is False and ack["you"]["can_moderate"] is False
    assert "hello observers" in [e["data"].get("body") for e in ack["events"]]
    # Observing is not attending.
    assert reviewer.id not in {e["actor"]["id"] for e in ack["events"] if e["actor"]}
    sid = people.live_session
    writes_refused(reviewer, sid, "forbidden")
    message_id = ack["events"][-1]["seq"]
    reviewer.error(
        "chat.react", {"session_id": sid, "message_id": message_id, "emoji": "👍"}, "forbidden"
    )
    send(student, "still heard", "o2")
    assert reviewer.events()[-1]["data"]["body"] == "still heard"


# --- the session's life ---------------------------------------------------------------------


def test_session_open_and_close(people):
    sid = people.scheduled_session
    teacher = joined(people, "jp_teacher", sid)
    student = joined(people, "tw_student", sid)
    teacher.error("session.close", {"session_id": sid}, "conflict")
    opened = teacher.ok("session.open", {"session_id": sid})["event"]
    assert opened["type"] == "session.opened" and opened["seq"] == 1
    assert student.events()[-1]["type"] == "session.opened"
    teacher.error("session.open", {"session_id": sid}, "conflict")
    assert send(student, "we are live", "l")["ok"]
    closed = teacher.ok("session.close", {"session_id": sid})["event"]
    assert closed["type"] == "session.closed"
    assert student.events()[-1]["type"] == "session.closed"
    writes_refused(student, sid, "closed")
    teacher.error("chat.send", {"session_id": sid, "client_id": "late", "body": "hi"}, "closed")
    teacher.error("mod.lock", {"session_id": sid, "locked": True}, "closed")
    teacher.error("session.close", {"session_id": sid}, "closed")
    teacher.error("session.open", {"session_id": sid}, "closed")
    # A resend of something stored before the close still gets its first event.
    assert send(student, "we are live", "l")["ok"]
    final = student.ok("join", {"session_id": sid, "since": 0})
    assert final["session"]["status"] == "closed"
    assert final["events"][-1]["type"] == "session.closed"


# --- signing out ----------------------------------------------------------------------------


def _logout(http) -> None:
    import re

    html = http.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
    assert http.post("/auth/logout", data={"csrf_token": token}).status_code == 302


def test_sign_out_ends_the_live_connection(people):
    student = joined(people, "tw_student")
    teacher = joined(people, "tw_teacher")
    _logout(student.http)
    assert student.received("signed_out") == [{}]
    assert not student.connected
    assert teacher.events()[-1]["type"] == "member.left"


def test_sign_out_makes_the_next_event_unauthorized(people, monkeypatch):
    """Even a connection the sign-out could not reach is refused at its next event."""
    from forum.live import rooms

    student = joined(people, "tw_student")
    monkeypatch.setattr(rooms, "disconnect_login_session", lambda *a: None)
    _logout(student.http)
    assert student.connected
    student.error(
        "chat.send",
        {"session_id": people.live_session, "client_id": "after", "body": "still here?"},
        "unauthorized",
    )
    student.error("join", {"session_id": people.live_session}, "unauthorized")


def test_revoked_token_is_refused_at_the_next_event(people, app):
    from forum.models import ApiToken

    teacher = joined(people, "tw_teacher")
    with app.app_context():
        db.session.execute(sa.update(ApiToken).values(revoked_at=room.utcnow()))
        db.session.commit()
    teacher.error("mod.lock", {"session_id": people.live_session, "locked": True}, "unauthorized")


def test_an_expired_sign_in_is_refused_at_the_next_event(people, app):
    from datetime import timedelta

    from forum.models import LoginSession

    student = joined(people, "tw_student")
    send(student, "before the bell", "e1")
    lifetime = timedelta(seconds=app.config["PERMANENT_SESSION_LIFETIME"])
    with app.app_context():
        db.session.execute(
            sa.update(LoginSession)
            .where(LoginSession.user_id == people.users["tw_student"]["id"])
            .values(created_at=room.utcnow() - lifetime - timedelta(minutes=1))
        )
        db.session.commit()
    student.error(
        "chat.send",
        {"session_id": people.live_session, "client_id": "e2", "body": "after it"},
        "unauthorized",
    )


def test_a_student_taken_out_of_the_class_is_refused_at_the_next_event(people, app):
    from forum.models import class_students

    # The seat is asked again, in one plain query, on every event.
    student = joined(people, "tw_student")
    send(student, "still here", "k1")
    with app.app_context():
        db.session.execute(
            sa.delete(class_students).where(
                class_students.c.user_id == people.users["tw_student"]["id"]
            )
        )
        db.session.commit()
    student.error(
        "chat.send",
        {"session_id": people.live_session, "client_id": "k2", "body": "and now?"},
        "not_found",
    )


# --- the record ------------------------------------------------------------------------------


def _mixed_session(people) -> list:
    """A bit of everything that a live session logs."""
    sid = people.live_session
    a = joined(people, "tw_student")
    b = joined(people, "jp_student")
    c = joined(people, "tw_student2")
    tw = joined(people, "tw_teacher")
    jp = joined(people, "jp_teacher")
    m1 = send(a, "Our river is dirty", "a1")["event"]["seq"]
    m2 = send(b, "Ours too", "b1", reply_to=m1)["event"]["seq"]
    b.ok("chat.react", {"session_id": sid, "message_id": m1, "emoji": "👍"})
    tw.ok("chat.react", {"session_id": sid, "message_id": m1, "emoji": "👍"})
    a.ok("chat.react", {"session_id": sid, "message_id": m2, "emoji": "💡"})
    a.ok("chat.react", {"session_id": sid, "message_id": m2, "emoji": "💡"})
    n1 = a.ok(
        "note.add", {"session_id": sid, "client_id": "n1", "column": "see", "text": "bottles"}
    )["event"]["seq"]
    n2 = b.ok(
        "note.add",
        {
            "session_id": sid,
            "client_id": "n2",
            "column": "why",
            "text": "rain",
            "color": "pink",
            "x": 10.5,
            "y": 20,
        },
    )["event"]["seq"]
    a.ok("note.edit", {"session_id": sid, "note_id": n1, "version": 1, "column": "do", "x": 3})
    b.ok("note.vote", {"session_id": sid, "note_id": n1})
    c.ok("note.vote", {"session_id": sid, "note_id": n1})
    c.ok("note.vote", {"session_id": sid, "note_id": n2})
    c.ok("note.vote", {"session_id": sid, "note_id": n2})
    jp.ok("mod.hide", {"session_id": sid, "target": "note", "id": n2, "reason": "off topic"})
    jp.ok("mod.hide", {"session_id": sid, "target": "message", "id": m2})
    tw.ok("mod.pin", {"session_id": sid, "message_id": m1, "pinned": True})
    tw.ok("mod.slow", {"session_id": sid, "seconds": 5})
    tw.ok("mod.mute", {"session_id": sid, "user_id": b.id, "minutes": 10})
    tw.ok("mod.mute", {"session_id": sid, "user_id": c.id})
    tw.ok("mod.unmute", {"session_id": sid, "user_id": c.id})
    jp.ok("mod.lock", {"session_id": sid, "locked": True})
    n3 = tw.ok(
        "note.add", {"session_id": sid, "client_id": "n3", "column": "see", "text": "teacher note"}
    )["event"]["seq"]
    tw.ok("note.remove", {"session_id": sid, "note_id": n3})
    c.ok("leave", {"session_id": sid})
    tw.ok("mod.remove", {"session_id": sid, "user_id": a.id})
    return [a, b, c, tw, jp]


def test_every_event_matches_its_declared_shape(people):
    clients = _mixed_session(people)
    teacher = clients[3]
    replay = teacher.ok("join", {"session_id": people.live_session, "since": 0})["events"]
    for event in replay:
        check_event(event)
    check_seqs(replay)
    types = {e["type"] for e in replay}
    assert types >= {
        "session.opened",
        "member.joined",
        "member.left",
        "message.posted",
        "message.reacted",
        "message.hidden",
        "message.pinned",
        "note.added",
        "note.edited",
        "note.voted",
        "note.removed",
        "note.hidden",
        "member.muted",
        "member.unmuted",
        "member.removed",
        "room.locked",
        "room.slow",
    }
    for client in clients:
        pushed = client.events()  # each checked, consecutive
        assert pushed == [e for e in replay if e["seq"] >= pushed[0]["seq"]][: len(pushed)]


def _state(session_id: int) -> dict:
    from forum.models import ForumSession, Message, Note, NoteVote, RoomMember

    def rows(model, *order):
        result = (
            db.session.execute(
                sa.select(model.__table__)
                .where(model.__table__.c.session_id == session_id)
                .order_by(*order)
            )
            .mappings()
            .all()
        )
        return [dict(r) for r in result]

    session = (
        db.session.execute(sa.select(ForumSession.__table__).where(ForumSession.id == session_id))
        .mappings()
        .one()
    )
    return {
        "messages": rows(Message, Message.id),
        "room_members": rows(RoomMember, RoomMember.user_id),
        "notes": rows(Note, Note.id),
        "note_votes": rows(NoteVote, NoteVote.note_id, NoteVote.user_id),
        "session": {
            k: session[k]
            for k in (
                "status",
                "opened_at",
                "closed_at",
                "locked",
                "slow_mode",
                "pinned_message_id",
                "head_seq",
                "head_hash",
            )
        },
    }


def test_folding_the_log_again_gives_the_same_state(people, app):
    _mixed_session(people)
    sid = people.live_session
    teacher = people.users["tw_teacher"]
    with app.app_context():
        before = _state(sid)
        assert before["messages"] and before["notes"] and before["note_votes"]
        assert before["session"]["locked"] and before["session"]["pinned_message_id"]
        room.rebuild(sid)
        db.session.commit()
        db.session.expire_all()
        after = _state(sid)
    assert after == before
    # And once closed, too.
    closer = people.live("tw_teacher")
    assert closer.user == teacher
    closer.ok("session.close", {"session_id": sid})
    with app.app_context():
        before = _state(sid)
        assert before["session"]["status"] == "closed"
        room.rebuild(sid)
        db.session.commit()
        db.session.expire_all()
        assert _state(sid) == before


def test_the_chain_of_hashes_is_sound(people, app):
    from forum.log import eventlog
    from forum.models import ForumSession

    _mixed_session(people)
    with app.app_context():
        events = eventlog.events_since(people.live_session)
        assert eventlog.first_bad_seq(people.live_session, events) is None
        assert events[-1].hash == db.session.get(ForumSession, people.live_session).head_hash


@pytest.mark.parametrize("name", ["jp_teacher", "jp_student"])
def test_acks_speak_the_language_the_person_chose(people, app, name):
    """Token (teacher) or sign-in cookie (student): the ack's message is in the
    person's own language, whatever the connection's Accept-Language says."""
    from flask_babel import force_locale
    from flask_babel import gettext as translate

    from forum.models import User

    with app.app_context():
        assert db.session.get(User, people.users[name]["id"]).locale == "ja"
    text = "This session does not exist or is not yours to see."
    with app.test_request_context("/"):
        with force_locale("ja"):
            japanese = translate(text)
        with force_locale("zh_Hant_TW"):
            assert translate(text) != japanese
    client = people.live(name)
    ack = client.error("join", {"session_id": 987654}, "not_found")
    assert ack["message"] == japanese


def test_every_room_of_a_session_is_known_as_that_sessions():
    """After a queue outage a process catches up every session it has a room of — the
    members', the teachers', a member's own, a group's, the observers' — and nothing
    else (a room name that is not ours must not stop the catch-up)."""
    from forum.live import observers, rooms

    for name in (
        rooms.session_room(7),
        rooms.teachers_room(7),
        rooms.user_room(7, 12),
        rooms.group_room(7, 3),
        observers.observer_room(7),
    ):
        assert rooms.session_of(name) == 7, name
    for other in ("login:abc", "session:", "session:x", "sessions:7", "xsession:7", None, 7):
        assert rooms.session_of(other) is None, other

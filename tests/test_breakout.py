"""Breakout groups (issue 18, part 2): a teacher forms groups by hand or by size with
the schools mixed, students talk and put notes in their own group, nobody else's
group reaches them — live, on ``join`` or in ``history`` — and ending the groups
brings everyone back while the record keeps each group's talk."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from livekit import check_event

from forum import room
from forum.extensions import db
from forum.models import BreakoutGroup, ForumSession, Message, Note, RoomMember

TW = ("tw_student", "tw_student2", "tw_student3")
JP = ("jp_student", "jp_student2", "jp_student3")


@pytest.fixture
def classroom(people):
    """The live session with a Taipei teacher and three students of each school in."""
    teacher = people.joined("tw_teacher")
    students = {name: people.joined(name) for name in TW + JP}
    return teacher, students


def heard(client) -> list[dict]:
    """Every ``event`` pushed to a client so far, each checked against the catalogue
    (a student may skip the seqs of what they do not hear)."""
    events = client.received("event")
    for event in events:
        check_event(event)
    return events


def form_by_size(people, teacher, size: int = 3) -> list[dict]:
    ack = teacher.ok("groups.form", {"session_id": people.live_session, "size": size})
    assert ack["event"]["type"] == "groups.formed"
    return ack["event"]["data"]["groups"]


def say(client, session_id: int, body: str, cid: str, group_id: int | None = None) -> dict:
    payload = {"session_id": session_id, "client_id": cid, "body": body}
    if group_id is not None:
        payload["group_id"] = group_id
    return client.ok("chat.send", payload)["event"]


def group_of(groups: list[dict], people, name: str) -> dict:
    return next(g for g in groups if people.users[name]["id"] in g["member_ids"])


# --- forming -------------------------------------------------------------------------


def test_groups_by_size_mix_the_schools_and_leave_the_teachers_out(people, classroom):
    teacher, students = classroom
    groups = form_by_size(people, teacher, 3)
    assert [g["name"] for g in groups] == ["A", "B"]
    assert len({g["id"] for g in groups}) == 2
    schools = {people.users[n]["id"]: n[:2] for n in TW + JP}
    for group in groups:
        assert len(group["member_ids"]) == 3
        # Both schools in each group: a Taipei and a Shizuoka student at least.
        assert {schools[uid] for uid in group["member_ids"]} == {"tw", "jp"}
    members = [uid for g in groups for uid in g["member_ids"]]
    assert sorted(members) == sorted(schools)  # every student once, no teacher
    assert people.users["tw_teacher"]["id"] not in members
    # Everyone heard the forming; a new join sees the groups and its own.
    for client in (teacher, *students.values()):
        assert any(e["type"] == "groups.formed" for e in heard(client))
    ack = students["jp_student"].ok("join", {"session_id": people.live_session})
    assert ack["session"]["groups"] == groups
    assert ack["you"]["group_id"] == group_of(groups, people, "jp_student")["id"]
    assert teacher.ok("join", {"session_id": people.live_session})["you"]["group_id"] is None


def test_mixing_is_deterministic_and_balanced():
    from types import SimpleNamespace

    from forum.room.groups import mixed

    def student(uid, country, slug):
        return SimpleNamespace(id=uid, school=SimpleNamespace(country=country, slug=slug))

    tw = [student(i, "TW", "taipei") for i in range(1, 7)]
    jp = [student(i, "JP", "shizuoka") for i in range(11, 15)]
    first = mixed(tw + jp, 4, "7:12")
    assert first == mixed(list(reversed(tw + jp)), 4, "7:12")  # the log replays it
    assert sorted(len(g) for g in first) == [3, 3, 4]
    for group in first:  # every group has both schools
        assert any(uid < 10 for uid in group) and any(uid > 10 for uid in group)


def test_groups_by_hand_and_every_refusal(people, classroom):
    teacher, students = classroom
    sid = people.live_session
    u = {n: people.users[n]["id"] for n in TW + JP}
    student = students["tw_student"]
    student.error("groups.form", {"session_id": sid, "size": 2}, "forbidden")
    teacher.error("groups.end", {"session_id": sid}, "conflict")  # none formed
    teacher.error("groups.form", {"session_id": sid}, "invalid")  # neither
    teacher.error("groups.form", {"session_id": sid, "size": 2, "groups": []}, "invalid")
    teacher.error("groups.form", {"session_id": sid, "size": 1}, "invalid")
    teacher.error("groups.form", {"session_id": sid, "size": True}, "invalid")
    bad_groups = [
        [],
        [{"name": "", "member_ids": [u["tw_student"]]}],
        [{"name": "x" * 61, "member_ids": [u["tw_student"]]}],
        [{"name": "A", "member_ids": []}],
        [{"name": "A", "member_ids": ["1"]}],
        [{"name": "A", "member_ids": [u["tw_student"]], "extra": 1}],
        [
            {"name": "A", "member_ids": [u["tw_student"]]},
            {"name": "B", "member_ids": [u["tw_student"]]},
        ],
        "A",
    ]
    for groups in bad_groups:
        ack = teacher.call("groups.form", {"session_id": sid, "groups": groups})
        assert not ack["ok"] and ack["error"] in ("invalid", "too_large"), (groups, ack)
    # A teacher, or someone of another exchange, is in no group.
    for outsider in ("tw_teacher", "kr_student"):
        teacher.error(
            "groups.form",
            {
                "session_id": sid,
                "groups": [{"name": "A", "member_ids": [people.users[outsider]["id"]]}],
            },
            "not_found",
        )
    groups = [
        {"name": "海洋 Ocean", "member_ids": [u["tw_student"], u["jp_student"]]},
        {"name": "森 Forest", "member_ids": [u["tw_student2"], u["jp_student2"]]},
    ]
    formed = teacher.ok("groups.form", {"session_id": sid, "groups": groups})["event"]
    assert [(g["name"], g["member_ids"]) for g in formed["data"]["groups"]] == [
        (g["name"], g["member_ids"]) for g in groups
    ]
    # Forming again while groups are formed: a conflict (end them first).
    teacher.error("groups.form", {"session_id": sid, "size": 2}, "conflict")
    ended = teacher.ok("groups.end", {"session_id": sid})["event"]
    assert ended["type"] == "groups.ended"
    assert ended["data"]["group_ids"] == [g["id"] for g in formed["data"]["groups"]]
    teacher.error("groups.end", {"session_id": sid}, "conflict")
    # Formed again: new ids, so each id names one group for the whole record.
    again = form_by_size(people, teacher, 2)
    assert min(g["id"] for g in again) > max(g["id"] for g in formed["data"]["groups"])


# --- who hears what ------------------------------------------------------------------


def test_a_group_hears_itself_and_the_room_never_another_group(people, classroom):
    teacher, students = classroom
    sid = people.live_session
    groups = form_by_size(people, teacher, 3)
    mine = group_of(groups, people, "tw_student")
    other = next(g for g in groups if g is not mine)
    name_of = {people.users[n]["id"]: n for n in TW + JP}
    partner = next(name_of[uid] for uid in mine["member_ids"] if name_of[uid].startswith("jp"))
    outsider = name_of[other["member_ids"][0]]
    for client in students.values():
        client.forget()
    teacher.forget()

    said = say(students["tw_student"], sid, "我們覺得海洋很重要", "g1", mine["id"])
    assert said["data"]["group_id"] == mine["id"]
    answer = say(students[partner], sid, "海の話をしましょう", "g2", mine["id"])
    note = students[partner].ok(
        "note.add",
        {
            "session_id": sid,
            "client_id": "n1",
            "column": "see",
            "text": "海",
            "group_id": mine["id"],
        },
    )["event"]
    assert note["data"]["group_id"] == mine["id"]
    to_all = say(teacher, sid, "Five more minutes, everyone", "t1")
    to_group = say(teacher, sid, "Group B: good idea", "t2", other["id"])
    whole_room = say(students["tw_student"], sid, "We are done!", "g3")  # to the room

    def seqs(client) -> set[int]:
        return {e["seq"] for e in heard(client)}

    group_talk = {said["seq"], answer["seq"], note["seq"]}
    # Live: the group and the teachers hear the group; the other group does not.
    assert group_talk <= seqs(students[partner])
    assert group_talk | {to_group["seq"]} <= seqs(teacher)
    assert not group_talk & seqs(students[outsider])
    assert to_group["seq"] in seqs(students[outsider])
    assert to_group["seq"] not in seqs(students["tw_student"])
    for client in students.values():
        assert {to_all["seq"], whole_room["seq"]} <= seqs(client)

    # On join, and in history: the same rule.
    def replayed(client, **extra) -> set[int]:
        ack = client.ok("join", {"session_id": sid, **extra})
        return {e["seq"] for e in ack["events"]}

    assert not group_talk & replayed(students[outsider])
    assert not group_talk & replayed(students[outsider], since=0)
    assert group_talk <= replayed(students[partner], since=0)
    assert group_talk | {to_group["seq"]} <= replayed(teacher)
    history = students[outsider].ok("history", {"session_id": sid, "before": whole_room["seq"] + 1})
    assert not group_talk & {e["seq"] for e in history["events"]}
    # The board: each group's notes on its own board; the other group's not sent.
    board = students[outsider].ok("join", {"session_id": sid})["board"]
    assert note["data"]["note"]["id"] not in {n["id"] for n in board}
    board = students[partner].ok("join", {"session_id": sid})["board"]
    assert {"id": note["data"]["note"]["id"], "group_id": mine["id"]}.items() <= next(
        n for n in board if n["id"] == note["data"]["note"]["id"]
    ).items()

    # A student writes only to their own group (or to all); the other group's
    # message and note are not there for them.
    students[outsider].error(
        "chat.send",
        {"session_id": sid, "client_id": "x", "body": "hi", "group_id": mine["id"]},
        "forbidden",
    )
    students[outsider].error(
        "chat.react", {"session_id": sid, "message_id": said["seq"], "emoji": "👍"}, "not_found"
    )
    students[outsider].error(
        "chat.send",
        {"session_id": sid, "client_id": "r", "body": "re", "reply_to": said["seq"]},
        "not_found",
    )
    students[outsider].error(
        "note.vote", {"session_id": sid, "note_id": note["data"]["note"]["id"]}, "not_found"
    )
    students["tw_student"].error(
        "chat.send",
        {"session_id": sid, "client_id": "y", "body": "hi", "group_id": 9999},
        "not_found",
    )
    students["tw_student"].error(
        "chat.send",
        {"session_id": sid, "client_id": "z", "body": "hi", "group_id": "A"},
        "invalid",
    )
    # A reaction in the group is the group's.
    react = students[partner].ok(
        "chat.react", {"session_id": sid, "message_id": said["seq"], "emoji": "👍"}
    )["event"]
    assert react["data"]["group_id"] == mine["id"]

    # Ending brings everyone back: group_id refused, the room's talk reaches all, and
    # the record keeps each group's talk (the teachers read it, with group names).
    teacher.ok("groups.end", {"session_id": sid})
    students["tw_student"].error(
        "chat.send",
        {"session_id": sid, "client_id": "after", "body": "hi", "group_id": mine["id"]},
        "not_found",
    )
    for client in students.values():
        client.forget()
    back = say(students[outsider], sid, "Hello again, everyone", "back")
    for client in students.values():
        assert back["seq"] in seqs(client)
    assert not group_talk & replayed(students[outsider], since=0)  # still not theirs
    assert group_talk <= replayed(students["tw_student"], since=0)  # still theirs


def test_rebuilding_the_room_from_the_log_equals_its_live_state_with_groups(app, people, classroom):
    teacher, students = classroom
    sid = people.live_session
    groups = form_by_size(people, teacher, 3)
    a = group_of(groups, people, "tw_student")
    say(students["tw_student"], sid, "group talk", "r1", a["id"])
    students["tw_student"].ok(
        "note.add",
        {
            "session_id": sid,
            "client_id": "rn",
            "column": "why",
            "text": "因為",
            "group_id": a["id"],
        },
    )
    teacher.ok("mod.approve_all", {"session_id": sid, "on": True})
    held = say(students["jp_student"], sid, "waiting", "r2")
    assert held["type"] == "message.held"
    teacher.ok("groups.end", {"session_id": sid})
    form_by_size(people, teacher, 2)  # formed again, still formed

    def state() -> dict:
        with app.app_context():
            return {
                "groups": [
                    (g.id, g.name, list(g.member_ids), g.formed_seq, g.ended_seq)
                    for g in db.session.scalars(
                        sa.select(BreakoutGroup)
                        .where(BreakoutGroup.session_id == sid)
                        .order_by(BreakoutGroup.id)
                    )
                ],
                "messages": [
                    (m.id, m.author_id, m.body, m.group_id, m.held, m.hidden)
                    for m in db.session.scalars(
                        sa.select(Message).where(Message.session_id == sid).order_by(Message.id)
                    )
                ],
                "notes": [
                    (n.id, n.text, n.group_id, n.votes)
                    for n in db.session.scalars(
                        sa.select(Note).where(Note.session_id == sid).order_by(Note.id)
                    )
                ],
                "members": [
                    (r.user_id, r.present, r.muted, r.removed)
                    for r in db.session.scalars(
                        sa.select(RoomMember)
                        .where(RoomMember.session_id == sid)
                        .order_by(RoomMember.user_id)
                    )
                ],
                "approval": db.session.get(ForumSession, sid).approve_all,
            }

    live = state()
    assert live["approval"] is True and any(g[4] is None for g in live["groups"])
    with app.app_context():
        room.rebuild(sid)
        db.session.commit()
    assert state() == live

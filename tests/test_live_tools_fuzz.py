"""Malformed payloads at the live tools of breakout groups and held messages
(``groups.form``, ``groups.end``, ``mod.release``, ``mod.approve_all``), as a teacher
and as a student: always a protocol ack, never the catch-all, and the room serves
after."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from livekit import NS, check_ack
from test_live_fuzz import FUZZ, MISSING, fuzz_people, ints, json_values, scalars, texts, weighted

from forum import room
from forum.live import actions

__all__ = ["fuzz_people"]  # the fixture, shared

EVENTS = ("groups.form", "groups.end", "mod.release", "mod.approve_all")


def _payloads(event: str, valid: dict):
    group = st.fixed_dictionaries(
        {
            "name": weighted(valid["name"], st.one_of(texts, scalars), 0.7),
            "member_ids": weighted(
                valid["member_ids"], st.one_of(st.lists(ints, max_size=5), json_values), 0.7
            ),
        }
    )
    near = {
        "session_id": ints,
        "size": st.one_of(ints, st.sampled_from([0, 1, 2, 3, 21, True])),
        "groups": st.one_of(st.lists(group, max_size=4), json_values),
        "message_id": ints,
        "on": st.one_of(st.booleans(), scalars),
    }
    keys = {
        "groups.form": ("session_id", "size", "groups"),
        "groups.end": ("session_id",),
        "mod.release": ("session_id", "message_id"),
        "mod.approve_all": ("session_id", "on"),
    }[event]

    def mostly_right(key):
        wrong = st.one_of(near[key], scalars, json_values, st.just(MISSING))
        return weighted(valid[key], wrong, 2 / 3)

    structured = st.fixed_dictionaries({k: mostly_right(k) for k in keys}).map(
        lambda d: {k: v for k, v in d.items() if v is not MISSING}
    )
    top = weighted(structured, st.one_of(json_values, st.dictionaries(texts, scalars)), 0.8)
    return weighted(st.tuples(top), st.one_of(st.just(()), st.tuples(top, scalars)), 0.9)


@pytest.mark.parametrize("who", ["tw_student", "tw_teacher"])
def test_malformed_live_tools_payloads_get_protocol_errors(fuzz_people, who):
    people = fuzz_people
    live = people.live_session
    teacher = people.joined("tw_teacher")
    for name in ("tw_student", "jp_student", "tw_student2", "jp_student2"):
        people.joined(name)
    client = teacher if who == "tw_teacher" else people.joined(who)
    room.rate_limiter.forget()
    held = teacher.ok("mod.approve_all", {"session_id": live, "on": True})
    student = people.joined("jp_student3")
    message = student.ok("chat.send", {"session_id": live, "client_id": "h", "body": "hold me"})
    assert message["event"]["type"] == "message.held"
    teacher.ok("mod.approve_all", {"session_id": live, "on": False})
    assert held["ok"]
    ids = [people.users[n]["id"] for n in ("tw_student", "jp_student", "tw_student2")]
    valid = {
        "session_id": st.sampled_from([live, live, live, people.kr_session]),
        "size": st.sampled_from([2, 3]),
        "groups": st.just(
            [{"name": "A", "member_ids": ids[:2]}, {"name": "B", "member_ids": ids[2:]}]
        ),
        "name": st.sampled_from(["A", "海", "グループ"]),
        "member_ids": st.just(ids[:1]),
        "message_id": st.just(message["event"]["seq"]),
        "on": st.booleans(),
    }
    for event in EVENTS:

        @FUZZ
        @given(args=_payloads(event, valid))
        def run(args):
            room.rate_limiter.forget()
            actions._typing_limiter.forget()
            people.crashes.clear()
            ack = client.sio.emit(event, *args, namespace=NS, callback=True)
            check_ack(ack)
            assert not people.crashes, (event, args, ack, people.crashes)
            if who == "tw_student":
                assert ack["ok"] is False
            # Leave the room together and without approval for the next example.
            teacher.sio.emit("groups.end", {"session_id": live}, namespace=NS, callback=True)
            teacher.sio.emit(
                "mod.approve_all", {"session_id": live, "on": False}, namespace=NS, callback=True
            )

        run()
    room.rate_limiter.forget()
    sent = teacher.ok("chat.send", {"session_id": live, "client_id": "after", "body": "still here"})
    assert sent["event"]["type"] == "message.posted"
    assert not people.crashes

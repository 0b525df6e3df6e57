"""Live tools (protocol.md, "Live tools"; issue 18): polls and flags, through the
Socket.IO test client — each event and error, who hears what, ``join``'s state, and
the room rebuilt from the log."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from forum import room
from forum.extensions import db
from forum.room import polls as room_polls


def _open(teacher, sid: int, **extra):
    payload = {
        "session_id": sid,
        "client_id": "p1",
        "question": "Which SDG matters most to you?",
        "options": ["Climate", "Oceans", "Cities"],
        **extra,
    }
    return teacher.ok("poll.open", payload)["event"]


def _types(client) -> list[str]:
    return [e["type"] for e in client.events()]


# --- polls -------------------------------------------------------------------------


def test_a_poll_is_opened_answered_changed_and_closed_and_everyone_sees_counts(people):
    sid = people.live_session
    teacher = people.joined("tw_teacher")
    jp_teacher = people.joined("jp_teacher")
    tw = people.joined("tw_student")
    jp = people.joined("jp_student")
    opened = _open(teacher, sid)
    assert opened["type"] == "poll.opened"
    poll = opened["data"]["poll"]
    assert poll == {
        "id": opened["seq"],
        "question": "Which SDG matters most to you?",
        "options": ["Climate", "Oceans", "Cities"],
        "multiple": False,
    }
    # The same client_id again: the first event, nothing new.
    again = teacher.ok(
        "poll.open",
        {"session_id": sid, "client_id": "p1", "question": "Other?", "options": ["a", "b"]},
    )
    assert again["event"]["seq"] == opened["seq"]

    mine = tw.ok("poll.vote", {"session_id": sid, "poll_id": poll["id"], "choices": [1]})["event"]
    assert mine["type"] == "poll.voted"
    assert mine["data"] == {"poll_id": poll["id"], "counts": [0, 1, 0], "choices": [1]}
    assert mine["actor"]["id"] == tw.id  # the voter's own ack names them
    jp.ok("poll.vote", {"session_id": sid, "poll_id": poll["id"], "choices": [1]})
    # tw changes their mind: the old vote is replaced, not added to.
    changed = tw.ok("poll.vote", {"session_id": sid, "poll_id": poll["id"], "choices": [0]})
    assert changed["event"]["data"]["counts"] == [1, 1, 0]

    for client in (teacher, jp_teacher, tw, jp):
        voted = [e for e in client.events() if e["type"] == "poll.voted"]
        assert [e["data"] for e in voted] == [
            {"poll_id": poll["id"], "counts": [0, 1, 0]},
            {"poll_id": poll["id"], "counts": [0, 2, 0]},
            {"poll_id": poll["id"], "counts": [1, 1, 0]},
        ]
        # Nobody in the room learns who voted (counts beside a name would say what).
        assert all(e["actor"] is None for e in voted)

    closed = teacher.ok("poll.close", {"session_id": sid, "poll_id": poll["id"]})["event"]
    assert closed["type"] == "poll.closed"
    assert closed["data"] == {"poll_id": poll["id"], "counts": [1, 1, 0]}
    assert "poll.closed" in _types(jp)
    # Closed: no more answers (``closed``), no second close (``conflict``).
    tw.error("poll.vote", {"session_id": sid, "poll_id": poll["id"], "choices": [2]}, "closed")
    teacher.error("poll.close", {"session_id": sid, "poll_id": poll["id"]}, "conflict")


def test_join_returns_polls_with_counts_and_only_the_callers_own_answer(people):
    sid = people.live_session
    teacher = people.joined("tw_teacher")
    tw = people.joined("tw_student")
    jp = people.joined("jp_student")
    poll = _open(teacher, sid, multiple=True)["data"]["poll"]
    tw.ok("poll.vote", {"session_id": sid, "poll_id": poll["id"], "choices": [0, 2]})
    jp.ok("poll.vote", {"session_id": sid, "poll_id": poll["id"], "choices": [2]})

    fresh = people.live("tw_student").ok("join", {"session_id": sid})
    assert fresh["polls"] == [
        {
            "id": poll["id"],
            "question": poll["question"],
            "options": poll["options"],
            "multiple": True,
            "counts": [1, 0, 2],
            "closed": False,
            "mine": [0, 2],
        }
    ]
    assert fresh["flags"] == []
    # A student's replay: counts only, their own vote whole, the other's without
    # choices or voter.
    voted = [e for e in fresh["events"] if e["type"] == "poll.voted"]
    own = [e for e in voted if e["actor"]]
    assert [e["data"]["choices"] for e in own] == [[0, 2]] and own[0]["actor"]["id"] == tw.id
    others = [e for e in voted if not e["actor"]]
    assert others and all("choices" not in e["data"] for e in others)
    # The same with ``since`` (a reconnect's replay).
    since = people.live("jp_student").ok("join", {"session_id": sid, "since": poll["id"]})
    for event in since["events"]:
        if event["type"] == "poll.voted" and event["actor"] is None:
            assert "choices" not in event["data"]
    # Teachers' replay keeps who voted what.
    teacher_view = people.live("jp_teacher").ok("join", {"session_id": sid})
    assert teacher_view["polls"][0]["mine"] == []
    full = [e for e in teacher_view["events"] if e["type"] == "poll.voted"]
    assert {(e["actor"]["id"], tuple(e["data"]["choices"])) for e in full} == {
        (tw.id, (0, 2)),
        (jp.id, (2,)),
    }


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"client_id": "x", "question": "", "options": ["a", "b"]}, "invalid"),
        ({"client_id": "x", "question": "Q", "options": ["a"]}, "invalid"),
        ({"client_id": "x", "question": "Q", "options": ["a"] * 7}, "invalid"),
        ({"client_id": "x", "question": "Q", "options": "ab"}, "invalid"),
        ({"client_id": "x", "question": "Q", "options": ["a", " "]}, "invalid"),
        ({"client_id": "x", "question": "Q", "options": ["a", 2]}, "invalid"),
        ({"client_id": "x", "question": "Q", "options": ["a", "b" * 101]}, "too_large"),
        ({"client_id": "x", "question": "Q" * 301, "options": ["a", "b"]}, "too_large"),
        ({"client_id": "x", "question": "Q", "options": ["a", "b"], "multiple": "yes"}, "invalid"),
        ({"question": "Q", "options": ["a", "b"]}, "invalid"),
    ],
)
def test_poll_open_refuses_bad_payloads(people, payload, code):
    teacher = people.joined("tw_teacher")
    teacher.error("poll.open", {"session_id": people.live_session, **payload}, code)


def test_poll_votes_that_do_not_fit_are_refused(people):
    sid = people.live_session
    teacher = people.joined("tw_teacher")
    student = people.joined("tw_student")
    poll = _open(teacher, sid)["data"]["poll"]
    pid = poll["id"]
    for choices in ([], [0, 1], [3], [-1], [True], ["0"], None, [0, 0]):
        student.error(
            "poll.vote", {"session_id": sid, "poll_id": pid, "choices": choices}, "invalid"
        )
    student.error("poll.vote", {"session_id": sid, "poll_id": 999999, "choices": [0]}, "not_found")
    student.error("poll.vote", {"session_id": sid, "poll_id": "1", "choices": [0]}, "invalid")
    # Students may not open or close polls; reviewers (observers) may not vote.
    student.error(
        "poll.open",
        {"session_id": sid, "client_id": "s", "question": "Q", "options": ["a", "b"]},
        "forbidden",
    )
    student.error("poll.close", {"session_id": sid, "poll_id": pid}, "forbidden")
    teacher.error("poll.close", {"session_id": sid, "poll_id": 999999}, "not_found")
    reviewer = people.joined("reviewer")
    reviewer.error("poll.vote", {"session_id": sid, "poll_id": pid, "choices": [0]}, "forbidden")
    # A session of an exchange that is not theirs: not found.
    people.joined("jp_student").error(
        "poll.vote", {"session_id": people.kr_session, "poll_id": pid, "choices": [0]}, "not_found"
    )


def test_a_locked_room_and_a_mute_do_not_stop_an_answer(people):
    sid = people.live_session
    teacher = people.joined("tw_teacher")
    student = people.joined("tw_student")
    poll = _open(teacher, sid)["data"]["poll"]
    teacher.ok("mod.lock", {"session_id": sid, "locked": True})
    teacher.ok("mod.mute", {"session_id": sid, "user_id": student.id})
    student.ok("poll.vote", {"session_id": sid, "poll_id": poll["id"], "choices": [2]})
    student.ok("flag", {"session_id": sid, "target": "message", "id": _message(teacher, sid)})


def test_votes_are_rate_limited(people):
    sid = people.live_session
    teacher = people.joined("tw_teacher")
    student = people.joined("tw_student")
    poll = _open(teacher, sid)["data"]["poll"]
    codes = set()
    for i in range(14):
        ack = student.call(
            "poll.vote", {"session_id": sid, "poll_id": poll["id"], "choices": [i % 3]}
        )
        codes.add("ok" if ack["ok"] else ack["error"])
    assert codes == {"ok", "rate_limited"}


# --- flags -------------------------------------------------------------------------


def _message(client, sid: int, body: str = "Something unkind") -> int:
    ack = client.ok("chat.send", {"session_id": sid, "client_id": f"m-{body}", "body": body})
    return ack["event"]["data"]["message_id"]


def test_a_flag_reaches_the_teachers_of_both_schools_never_the_students(people):
    sid = people.live_session
    tw_teacher = people.joined("tw_teacher")
    jp_teacher = people.joined("jp_teacher")
    author = people.joined("jp_student")
    flagger = people.joined("tw_student")
    bystander = people.joined("tw_student2")
    mid = _message(author, sid)
    ack = flagger.ok("flag", {"session_id": sid, "target": "message", "id": mid, "reason": "rude"})
    assert set(ack) == {"ok", "flag_id"}  # received; nothing of the queue
    for teacher in (tw_teacher, jp_teacher):
        flagged = [e for e in teacher.events() if e["type"] == "item.flagged"]
        assert [e["data"] for e in flagged] == [
            {"flag_id": ack["flag_id"], "target": "message", "id": mid, "reason": "rude"}
        ]
        assert flagged[0]["actor"]["id"] == flagger.id  # teachers may know who flagged
    # Live, the students — the flagger, the author, a bystander — hear nothing of it:
    # its seq reaches them as a skip, so their sequencer moves on.
    for student in (author, flagger, bystander):
        assert all(e["type"] not in ("item.flagged",) for e in student.events())
        assert ack["flag_id"] in {s["seq"] for s in student.received("skip")}
    # Joining, the teachers find it in their queue, the students nowhere.
    queue = people.live("jp_teacher").ok("join", {"session_id": sid})["flags"]
    assert queue == [
        {
            "flag_id": ack["flag_id"],
            "target": "message",
            "id": mid,
            "reason": "rude",
            "flagger": {**queue[0]["flagger"], "id": flagger.id},
            "excerpt": "Something unkind",
            "lang": queue[0]["lang"],
        }
    ]
    for name in ("tw_student", "jp_student", "tw_student2"):
        joined = people.live(name).ok("join", {"session_id": sid})
        assert joined["flags"] == []
        assert all(e["type"] not in ("item.flagged", "flag.dismissed") for e in joined["events"])


def test_hiding_a_flagged_item_resolves_its_flags_and_dismissing_resolves_one(people, app):
    from forum.models import Flag

    sid = people.live_session
    teacher = people.joined("jp_teacher")
    author = people.joined("tw_student2")
    a, b = people.joined("tw_student"), people.joined("jp_student")
    mid = _message(author, sid)
    note = author.ok(
        "note.add", {"session_id": sid, "client_id": "n1", "column": "see", "text": "Hmm"}
    )["event"]["data"]["note"]["id"]
    f1 = a.ok("flag", {"session_id": sid, "target": "message", "id": mid})["flag_id"]
    f2 = b.ok("flag", {"session_id": sid, "target": "message", "id": mid, "reason": "mean"})[
        "flag_id"
    ]
    f3 = a.ok("flag", {"session_id": sid, "target": "note", "id": note})["flag_id"]
    # The same person again while it is open: conflict.
    a.error("flag", {"session_id": sid, "target": "message", "id": mid}, "conflict")
    teacher.ok("mod.hide", {"session_id": sid, "target": "message", "id": mid})
    with app.app_context():
        states = dict(db.session.execute(sa.select(Flag.id, Flag.state)).all())
    assert states == {f1: "hidden", f2: "hidden", f3: "open"}
    # A hidden item can't be flagged; a resolved flag can't be dismissed.
    b.error("flag", {"session_id": sid, "target": "message", "id": mid}, "conflict")
    teacher.error("flag.dismiss", {"session_id": sid, "flag_id": f1}, "conflict")
    dismissed = teacher.ok("flag.dismiss", {"session_id": sid, "flag_id": f3})["event"]
    assert dismissed["type"] == "flag.dismissed" and dismissed["data"] == {"flag_id": f3}
    assert people.live("tw_teacher").ok("join", {"session_id": sid})["flags"] == []


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"target": "board", "id": 1}, "invalid"),
        ({"target": "message", "id": "1"}, "invalid"),
        ({"target": "message", "id": -1}, "invalid"),
        ({"target": "message", "id": 999999}, "not_found"),
        ({"target": "note", "id": 999999}, "not_found"),
        ({"target": "message", "id": 1, "reason": 5}, "invalid"),
        ({"target": "message", "id": 1, "reason": "x" * 501}, "too_large"),
    ],
)
def test_flag_refuses_bad_payloads(people, payload, code):
    student = people.joined("tw_student")
    student.error("flag", {"session_id": people.live_session, **payload}, code)


def test_flag_dismiss_is_for_teachers_and_needs_a_flag(people):
    sid = people.live_session
    teacher = people.joined("tw_teacher")
    student = people.joined("tw_student")
    mid = _message(teacher, sid)
    fid = student.ok("flag", {"session_id": sid, "target": "message", "id": mid})["flag_id"]
    student.error("flag.dismiss", {"session_id": sid, "flag_id": fid}, "forbidden")
    teacher.error("flag.dismiss", {"session_id": sid, "flag_id": 999999}, "not_found")
    teacher.error("flag.dismiss", {"session_id": sid, "flag_id": "x"}, "invalid")
    reviewer = people.joined("reviewer")
    reviewer.error("flag", {"session_id": sid, "target": "message", "id": mid}, "forbidden")


def test_flags_are_rate_limited(people):
    sid = people.live_session
    teacher = people.joined("tw_teacher")
    student = people.joined("tw_student")
    codes = set()
    for i in range(7):
        mid = _message(teacher, sid, f"message {i}")
        ack = student.call("flag", {"session_id": sid, "target": "message", "id": mid})
        codes.add("ok" if ack["ok"] else ack["error"])
    assert codes == {"ok", "rate_limited"}


def test_a_closed_session_takes_no_poll_or_flag(people):
    sid = people.live_session
    teacher = people.joined("tw_teacher")
    student = people.joined("tw_student")
    poll = _open(teacher, sid)["data"]["poll"]
    mid = _message(teacher, sid)
    teacher.ok("session.close", {"session_id": sid})
    student.error("poll.vote", {"session_id": sid, "poll_id": poll["id"], "choices": [0]}, "closed")
    student.error("flag", {"session_id": sid, "target": "message", "id": mid}, "closed")


# --- the room from the log -----------------------------------------------------------


def _tools_state(session_id: int) -> dict:
    from forum.models import Flag, Poll, PollVote

    def rows(model, *order):
        table = model.__table__
        result = db.session.execute(
            sa.select(table).where(table.c.session_id == session_id).order_by(*order)
        )
        return [dict(r) for r in result.mappings().all()]

    return {
        "polls": rows(Poll, Poll.id),
        "poll_votes": rows(PollVote, PollVote.poll_id, PollVote.user_id),
        "flags": rows(Flag, Flag.id),
    }


def test_rebuilding_the_room_from_the_log_gives_its_live_state_with_polls_and_flags(people, app):
    sid = people.live_session
    teacher = people.joined("tw_teacher")
    tw, jp = people.joined("tw_student"), people.joined("jp_student")
    p1 = _open(teacher, sid)["data"]["poll"]["id"]
    p2 = _open(teacher, sid, client_id="p2", multiple=True)["data"]["poll"]["id"]
    tw.ok("poll.vote", {"session_id": sid, "poll_id": p1, "choices": [0]})
    jp.ok("poll.vote", {"session_id": sid, "poll_id": p1, "choices": [2]})
    tw.ok("poll.vote", {"session_id": sid, "poll_id": p1, "choices": [1]})
    jp.ok("poll.vote", {"session_id": sid, "poll_id": p2, "choices": [0, 1]})
    teacher.ok("poll.close", {"session_id": sid, "poll_id": p1})
    m1, m2 = _message(jp, sid, "one"), _message(jp, sid, "two")
    tw.ok("flag", {"session_id": sid, "target": "message", "id": m1, "reason": "why"})
    f2 = tw.ok("flag", {"session_id": sid, "target": "message", "id": m2})["flag_id"]
    teacher.ok("mod.hide", {"session_id": sid, "target": "message", "id": m1})
    teacher.ok("flag.dismiss", {"session_id": sid, "flag_id": f2})
    with app.app_context():
        before = _tools_state(sid)
        live_polls = room_polls.state(sid, tw.id)
        assert len(before["polls"]) == 2 and len(before["poll_votes"]) == 3
        assert [f["state"] for f in before["flags"]] == ["hidden", "dismissed"]
        room.rebuild(sid)
        db.session.commit()
        db.session.expire_all()
        assert _tools_state(sid) == before
        assert room_polls.state(sid, tw.id) == live_polls
    assert live_polls[0]["counts"] == [0, 1, 1] and live_polls[0]["closed"]
    assert live_polls[1]["counts"] == [1, 1, 0] and live_polls[1]["mine"] == []


# --- the record: transcript, review page, report --------------------------------------


def _lesson(people) -> dict:
    """A poll answered by two students, a flag hidden and one dismissed, then closed."""
    sid = people.live_session
    teacher = people.joined("tw_teacher")
    tw, jp = people.joined("tw_student"), people.joined("jp_student")
    poll = _open(teacher, sid, question="Rivers or seas?", options=["Rivers", "Seas"])
    pid = poll["data"]["poll"]["id"]
    tw.ok("poll.vote", {"session_id": sid, "poll_id": pid, "choices": [0]})
    jp.ok("poll.vote", {"session_id": sid, "poll_id": pid, "choices": [1]})
    teacher.ok("poll.close", {"session_id": sid, "poll_id": pid})
    m1, m2 = _message(jp, sid, "mean words"), _message(jp, sid, "fine words")
    f1 = tw.ok("flag", {"session_id": sid, "target": "message", "id": m1, "reason": "unkind"})
    f2 = tw.ok("flag", {"session_id": sid, "target": "message", "id": m2})
    teacher.ok("mod.hide", {"session_id": sid, "target": "message", "id": m1})
    teacher.ok("flag.dismiss", {"session_id": sid, "flag_id": f2["flag_id"]})
    teacher.ok("session.close", {"session_id": sid})
    return {"sid": sid, "poll": pid, "tw": tw, "jp": jp, "flags": (f1["flag_id"], f2["flag_id"])}


def _signed_in(people, name: str):
    from livekit import sign_in

    return sign_in(people.app, people.users[name])


def test_the_sealed_record_keeps_who_voted_what_and_every_flag_and_still_verifies(people, app):
    from forum.evidence import verification
    from forum.models import ForumSession

    lesson = _lesson(people)
    sid = lesson["sid"]
    reviewer = _signed_in(people, "reviewer")
    doc = reviewer.get(f"/sessions/{sid}/transcript.json").get_json()
    with app.app_context():
        assert verification.verify_document(doc).valid
        assert verification.verify_stored(db.session.get(ForumSession, sid)).valid
    votes = [e for e in doc["events"] if e["type"] == "poll.voted"]
    assert {(e["actor_id"], tuple(e["data"]["choices"])) for e in votes} == {
        (lesson["tw"].id, (0,)),
        (lesson["jp"].id, (1,)),
    }
    flagged = [e for e in doc["events"] if e["type"] == "item.flagged"]
    assert [e["actor_id"] for e in flagged] == [lesson["tw"].id] * 2
    assert any(e["type"] == "flag.dismissed" for e in doc["events"])

    # A student's own copy: no flags, only their own vote's choices.
    student = _signed_in(people, "jp_student")
    theirs = student.get(f"/sessions/{sid}/transcript.json").get_json()
    types = {e["type"] for e in theirs["events"]}
    assert "item.flagged" not in types and "flag.dismissed" not in types
    for event in theirs["events"]:
        if event["type"] == "poll.voted":
            if event["actor_id"] == lesson["jp"].id:
                assert event["data"]["choices"] == [1]
            else:
                assert event["actor_id"] is None and "choices" not in event["data"]
    page = student.get(f"/sessions/{sid}/transcript.html?lang=en").get_data(as_text=True)
    assert "Rivers or seas?" in page and 'id="flags"' not in page
    assert "unkind" not in page


def test_the_review_page_shows_polls_with_pseudonymous_answers_and_flags(people, app):
    lesson = _lesson(people)
    sid = lesson["sid"]
    reviewer = _signed_in(people, "reviewer")
    page = reviewer.get(f"/review/sessions/{sid}?lang=en").get_data(as_text=True)
    assert "Rivers or seas?" in page and "Who answered what" in page
    for name in ("tw_student", "jp_student"):
        assert people.users[name]["display_name"] not in page  # pseudonyms for reviewers
    answers = re.findall(r"(Student \d+) <span[^>]*>\([^)]*\)</span>: (Rivers|Seas)", page)
    assert len(answers) == 2 and {a[1] for a in answers} == {"Rivers", "Seas"}, answers
    assert "unkind" in page and 'id="flags"' in page
    assert "hidden by" in page and "dismissed by" in page
    # The teachers' record names the students.
    teacher = _signed_in(people, "tw_teacher")
    html = teacher.get(f"/sessions/{sid}/transcript.html?lang=en").get_data(as_text=True)
    assert people.users["tw_student"]["display_name"] in html and "Who answered what" in html


def test_the_years_report_counts_polls_and_flags(people, app):
    from forum.clock import academic_year_of
    from forum.evidence import report
    from forum.models import ForumSession

    lesson = _lesson(people)
    with app.app_context():
        year = academic_year_of(db.session.get(ForumSession, lesson["sid"]).starts_at)
        data = report.report(year)
        rows = report.report_rows(data)
    assert data["polls"] >= 1 and data["flags"] >= 2
    assert ("polls", "", data["polls"]) in rows and ("flags", "", data["flags"]) in rows
    reviewer = _signed_in(people, "reviewer")
    served = reviewer.get(f"/review/report?year={year}&format=json").get_json()
    assert served["polls"] == data["polls"] and served["flags"] == data["flags"]
    assert "messages" in served and "notes" in served  # the keys it had are kept


def test_the_polls_csv_has_counts_for_everyone_and_answers_for_reviewers(people, app):
    import csv
    import io

    lesson = _lesson(people)
    sid = lesson["sid"]

    def rows(name: str) -> list[dict]:
        response = _signed_in(people, name).get(f"/sessions/{sid}/polls.csv?lang=en")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))

    theirs = rows("reviewer")
    counts = {(r["answer"], r["count"]) for r in theirs if r["row"] == "count"}
    assert counts == {("Rivers", "1"), ("Seas", "1")}
    answers = [r for r in theirs if r["row"] == "answer"]
    assert sorted(r["answer"] for r in answers) == ["Rivers", "Seas"]
    assert all(r["person"].startswith("Student ") for r in answers)  # pseudonyms
    student = rows("tw_student")
    assert {r["row"] for r in student} == {"count"}

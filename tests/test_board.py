"""The shared board over ``/live``: concurrent edits and votes, who may do what, the
board folded from the log equal to the stored one, idempotent adds, custom columns
and column titles in the reader's language."""

from __future__ import annotations

import threading
from pathlib import Path

import sqlalchemy as sa

from forum import room
from forum.extensions import db
from forum.room import board

ROOT = Path(__file__).resolve().parent.parent


def sealed_session(demo: dict) -> int:
    return next(s["id"] for s in demo["sessions"] if s["status"] == "closed")


def add(client, sid: int, cid: str, text: str, column: str = "see", **extra) -> dict:
    ack = client.ok(
        "note.add", {"session_id": sid, "client_id": cid, "column": column, "text": text, **extra}
    )
    return ack["event"]["data"]["note"]


def at_once(calls: list) -> list:
    """Run each zero-argument call in its own thread, released together; their results."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list = []

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    if errors:
        raise errors[0]
    return results


def fold(events: list[dict]) -> list[dict]:
    """The board from note.* events, in plain Python: live notes by id."""
    notes: dict[int, dict] = {}
    for event in events:
        kind, data = event["type"], event["data"]
        if kind in ("note.added", "note.edited"):
            before = notes.get(data["note"]["id"], {"hidden": False, "removed": False})
            notes[data["note"]["id"]] = {
                **data["note"],
                "hidden": before["hidden"],
                "removed": before["removed"],
            }
        elif kind == "note.voted":
            notes[data["note_id"]]["votes"] = data["votes"]
        elif kind == "note.removed":
            notes[data["note_id"]]["removed"] = True
        elif kind in ("note.hidden", "note.unhidden"):
            notes[data["note_id"]]["hidden"] = kind == "note.hidden"
    return [
        {k: v for k, v in n.items() if k != "removed"}
        for _id, n in sorted(notes.items())
        if not n["removed"]
    ]


def voters(events: list[dict]) -> set[tuple[int, int]]:
    """(note id, user id) of every vote standing at the end of the log."""
    standing: set[tuple[int, int]] = set()
    for event in events:
        if event["type"] == "note.voted":
            key = (event["data"]["note_id"], event["actor"]["id"])
            (standing.add if event["data"]["on"] else standing.discard)(key)
    return standing


def stored_board(app, sid: int, **kw) -> list[dict]:
    with app.app_context():
        try:
            return board.state(sid, **kw)
        finally:
            db.session.remove()


# --- concurrency -------------------------------------------------------------------------


def test_two_edits_from_the_same_version_one_wins_one_conflicts(people):
    sid = people.live_session
    author = people.joined("tw_student")
    teacher = people.joined("jp_teacher")
    note = add(author, sid, "n1", "plastic bottles")
    assert note["version"] == 1

    acks = at_once(
        [
            lambda: author.call(
                "note.edit",
                {"session_id": sid, "note_id": note["id"], "version": 1, "text": "bottle caps"},
            ),
            lambda: teacher.call(
                "note.edit",
                {
                    "session_id": sid,
                    "note_id": note["id"],
                    "version": 1,
                    "text": "straws",
                    "column": "why",
                },
            ),
        ]
    )
    won = [a for a in acks if a["ok"]]
    lost = [a for a in acks if not a["ok"]]
    assert len(won) == 1 and len(lost) == 1, acks
    winner = won[0]["event"]["data"]["note"]
    assert winner["version"] == 2 and winner["text"] in ("bottle caps", "straws")
    assert lost[0]["error"] == "conflict"
    theirs = lost[0]["note"]
    assert theirs == winner  # the loser sees the winner's note
    assert (theirs["text"], theirs["version"]) == (winner["text"], 2)

    # The loser retries on the winner's version, and that goes through.
    loser = teacher if winner["text"] == "bottle caps" else author
    ack = loser.ok(
        "note.edit", {"session_id": sid, "note_id": note["id"], "version": 2, "text": "both"}
    )
    assert ack["event"]["data"]["note"]["version"] == 3
    # A stale version again is refused with the current note.
    stale = author.error(
        "note.edit", {"session_id": sid, "note_id": note["id"], "version": 2, "x": 10}, "conflict"
    )
    assert stale["note"]["text"] == "both" and stale["note"]["version"] == 3
    assert [n["text"] for n in stored_board(people.app, sid)] == ["both"]


def test_votes_toggle_and_count_under_concurrent_voters(people, app):
    from forum.models import Note, NoteVote

    sid = people.live_session
    teacher = people.joined("tw_teacher")
    note = add(teacher, sid, "n1", "Bring our own cups")
    plan = {
        "tw_student": 1,
        "tw_student2": 2,
        "tw_student3": 3,
        "jp_student": 1,
        "jp_student2": 2,
        "jp_student3": 4,
        "jp_teacher": 3,
        "tw_teacher": 1,
    }
    clients = {name: (teacher if name == "tw_teacher" else people.joined(name)) for name in plan}

    def voting(name: str):
        def run() -> list[dict]:
            return [
                clients[name].call("note.vote", {"session_id": sid, "note_id": note["id"]})
                for _ in range(plan[name])
            ]

        return run

    results = dict(zip(plan, at_once([voting(name) for name in plan]), strict=True))
    odd = {name for name, times in plan.items() if times % 2}
    for name, acks in results.items():
        assert all(a["ok"] for a in acks), (name, acks)
        # Each of a person's votes toggles their own vote: on, off, on, …
        assert [a["event"]["data"]["on"] for a in acks] == [i % 2 == 0 for i in range(len(acks))]

    ack = teacher.ok("join", {"session_id": sid})
    votes = [e for e in ack["events"] if e["type"] == "note.voted"]
    assert len(votes) == sum(plan.values())
    count = 0
    for event in votes:  # in seq order each vote moves the count by one
        count += 1 if event["data"]["on"] else -1
        assert event["data"]["votes"] == count, event
    assert count == len(odd)
    assert next(n for n in ack["board"] if n["id"] == note["id"])["votes"] == len(odd)
    with app.app_context():
        assert db.session.get(Note, (sid, note["id"])).votes == len(odd)
        rows = set(
            db.session.scalars(
                sa.select(NoteVote.user_id).where(
                    NoteVote.session_id == sid, NoteVote.note_id == note["id"]
                )
            )
        )
        assert rows == {people.users[name]["id"] for name in odd}
        db.session.remove()


# --- permissions ---------------------------------------------------------------------------


def test_who_may_change_which_note(people):
    sid = people.live_session
    author = people.joined("tw_student")
    other = people.joined("jp_student")
    teacher = people.joined("tw_teacher")
    a = add(author, sid, "a", "note A")
    b = add(author, sid, "b", "note B")
    c = add(author, sid, "c", "note C", column="why")
    s = {"session_id": sid}

    other.error("note.edit", {**s, "note_id": a["id"], "version": 1, "text": "mine"}, "forbidden")
    other.error("note.remove", {**s, "note_id": a["id"]}, "forbidden")
    other.error("mod.hide", {**s, "target": "note", "id": a["id"]}, "forbidden")
    author.error("mod.hide", {**s, "target": "note", "id": a["id"]}, "forbidden")
    author.ok("note.edit", {**s, "note_id": a["id"], "version": 1, "text": "note A2"})
    teacher.ok("note.edit", {**s, "note_id": a["id"], "version": 2, "y": 40})
    author.ok("note.remove", {**s, "note_id": a["id"]})
    teacher.ok("note.remove", {**s, "note_id": b["id"]})
    author.error("note.remove", {**s, "note_id": b["id"]}, "not_found")

    # Hiding: teachers only; students then see the note without its text.
    teacher.ok("mod.hide", {**s, "target": "note", "id": c["id"], "reason": "off topic"})
    other.error("mod.unhide", {**s, "target": "note", "id": c["id"]}, "forbidden")
    author.error("mod.unhide", {**s, "target": "note", "id": c["id"]}, "forbidden")
    for client, sees_text in ((other, False), (author, False), (teacher, True)):
        ack = client.ok("join", s)
        added = next(
            e
            for e in ack["events"]
            if e["type"] == "note.added" and e["data"]["note"]["id"] == c["id"]
        )
        shown = next(n for n in ack["board"] if n["id"] == c["id"])
        assert shown["hidden"] is True
        if sees_text:
            assert added["data"]["note"]["text"] == "note C" and shown["text"] == "note C"
        else:
            assert added["data"]["note"]["text"] is None and added["data"]["note"]["hidden"] is True
            assert shown["text"] is None
            assert "note C" not in repr(ack)
    other.error("note.vote", {**s, "note_id": c["id"]}, "not_found")
    teacher.ok("mod.unhide", {**s, "target": "note", "id": c["id"]})
    shown = next(n for n in other.ok("join", s)["board"] if n["id"] == c["id"])
    assert shown["text"] == "note C" and shown["hidden"] is False


def test_locked_room_and_closed_session(people, demo):
    sid = people.live_session
    student = people.joined("tw_student")
    teacher = people.joined("jp_teacher")
    s = {"session_id": sid}
    mine = add(student, sid, "m", "before the lock")
    teacher.ok("mod.lock", {**s, "locked": True})
    student.error("note.add", {**s, "client_id": "x", "column": "see", "text": "no"}, "locked")
    student.error("note.edit", {**s, "note_id": mine["id"], "version": 1, "text": "no"}, "locked")
    student.error("note.vote", {**s, "note_id": mine["id"]}, "locked")
    theirs = add(teacher, sid, "t", "teachers may")
    teacher.ok("note.edit", {**s, "note_id": mine["id"], "version": 1, "text": "edited"})
    teacher.ok("note.vote", {**s, "note_id": theirs["id"]})
    teacher.ok("mod.lock", {**s, "locked": False})
    student.ok("note.vote", {**s, "note_id": theirs["id"]})
    add(student, sid, "after", "after the lock")

    closed = sealed_session(demo)
    c = {"session_id": closed}
    note_id = next(
        e["data"]["note"]["id"]
        for e in student.ok("join", c)["events"]
        if e["type"] == "note.added"
    )
    teacher.ok("join", c)
    for client in (student, teacher):
        client.error("note.add", {**c, "client_id": "late", "column": "see", "text": "x"}, "closed")
        client.error("note.edit", {**c, "note_id": note_id, "version": 1, "text": "x"}, "closed")
        client.error("note.vote", {**c, "note_id": note_id}, "closed")
        client.error("note.remove", {**c, "note_id": note_id}, "closed")
    teacher.error("mod.hide", {**c, "target": "note", "id": note_id}, "closed")


# --- the fold -------------------------------------------------------------------------------


def test_board_folded_from_events_equals_the_stored_board(people, app):
    from forum.models import NoteVote

    sid = people.live_session
    s = {"session_id": sid}
    tw = people.joined("tw_student")
    jp = people.joined("jp_student")
    tw2 = people.joined("tw_student2")
    teacher = people.joined("tw_teacher")
    a = add(tw, sid, "a", "吸管和塑膠袋很多", color="pink", x=12.5, y=30)
    b = add(jp, sid, "b", "ペットボトルのふた", column="why")
    c = add(tw2, sid, "c", "Bring cups", column="do", color="green")
    d = add(jp, sid, "d", "海流")
    tw.ok("note.edit", {**s, "note_id": a["id"], "version": 1, "text": "吸管", "column": "why"})
    teacher.ok("note.edit", {**s, "note_id": a["id"], "version": 2, "x": 300, "y": 120.25})
    jp.ok("note.edit", {**s, "note_id": b["id"], "version": 1, "color": "blue"})
    for client, note in ((tw, b), (jp, a), (tw2, a), (teacher, a), (tw2, a), (tw, c), (jp, d)):
        client.ok("note.vote", {**s, "note_id": note["id"]})
    jp.ok("note.remove", {**s, "note_id": d["id"]})
    teacher.ok("mod.hide", {**s, "target": "note", "id": c["id"]})
    teacher.ok("mod.unhide", {**s, "target": "note", "id": c["id"]})
    teacher.ok("mod.hide", {**s, "target": "note", "id": b["id"]})
    tw.ok("chat.send", {**s, "client_id": "m1", "body": "a message between notes"})
    e = add(teacher, sid, "e", "What will we try first?", column="do")
    tw.ok("note.vote", {**s, "note_id": e["id"]})

    ack = teacher.ok("join", s)
    folded = fold(ack["events"])
    assert [n["id"] for n in folded] == [a["id"], b["id"], c["id"], e["id"]]
    assert ack["board"] == folded
    assert stored_board(app, sid) == folded
    # Students read the same board with the hidden note's text withheld.
    hidden_for_students = [{**n, "text": None} if n["hidden"] else n for n in folded]
    assert tw.ok("join", s)["board"] == hidden_for_students
    assert stored_board(app, sid, with_hidden_text=False) == hidden_for_students

    by_id = {n["id"]: n for n in folded}
    assert by_id[a["id"]]["votes"] == 2 and by_id[a["id"]]["version"] == 3
    assert (by_id[a["id"]]["column"], by_id[a["id"]]["x"], by_id[a["id"]]["y"]) == (
        "why",
        300,
        120.25,
    )
    assert by_id[b["id"]]["color"] == "blue" and by_id[b["id"]]["hidden"] is True

    with app.app_context():

        def votes_stored():
            return {
                (v.note_id, v.user_id)
                for v in db.session.scalars(sa.select(NoteVote).where(NoteVote.session_id == sid))
            }

        assert votes_stored() == voters(ack["events"])
        # Throw the state away and fold it again from the log: the same board.
        room.rebuild(sid)
        db.session.commit()
        assert board.state(sid) == folded
        assert votes_stored() == voters(ack["events"])
        db.session.remove()
    assert teacher.ok("join", s)["board"] == folded


def test_note_add_is_idempotent_on_client_id(people, app):
    from forum.models import ForumSession

    sid = people.live_session
    student = people.joined("tw_student")
    other = people.joined("jp_student")
    payload = {"session_id": sid, "client_id": "same-id", "column": "see", "text": "once"}
    first = student.ok("note.add", payload)
    with app.app_context():
        head = db.session.get(ForumSession, sid).head_seq
        db.session.remove()
    again = student.ok("note.add", {**payload, "text": "twice?"})
    assert again["event"] == first["event"]
    with app.app_context():
        assert db.session.get(ForumSession, sid).head_seq == head
        db.session.remove()
    assert [n["text"] for n in stored_board(app, sid)] == ["once"]
    # Another sender's client_id is their own.
    theirs = other.ok("note.add", payload)
    assert theirs["event"]["seq"] == head + 1
    assert theirs["event"]["data"]["note"]["id"] != first["event"]["data"]["note"]["id"]
    assert len(stored_board(app, sid)) == 2


# --- columns ----------------------------------------------------------------------------------


def test_custom_columns_from_the_api(people, app, schedule, bearer):
    created = schedule(title="Our own board", board_template="custom", board_columns=["A", "B"])
    sid = created["id"]
    opened = app.test_client().post(f"/api/v1/sessions/{sid}/open", headers=bearer())
    assert opened.status_code == 200, opened.get_data(as_text=True)
    teacher = people.live("tw_teacher")
    ack = teacher.ok("join", {"session_id": sid})
    assert ack["session"]["columns"] == [{"id": "c1", "title": "A"}, {"id": "c2", "title": "B"}]
    student = people.live("jp_student")
    student.ok("join", {"session_id": sid})
    s = {"session_id": sid}
    student.error("note.add", {**s, "client_id": "x", "column": "see", "text": "?"}, "invalid")
    student.error("note.add", {**s, "client_id": "y", "column": "A", "text": "?"}, "invalid")
    note = add(student, sid, "z", "in A", column="c1")
    student.error(
        "note.edit", {**s, "note_id": note["id"], "version": 1, "column": "c3"}, "invalid"
    )
    moved = student.ok("note.edit", {**s, "note_id": note["id"], "version": 1, "column": "c2"})
    assert moved["event"]["data"]["note"]["column"] == "c2"


def test_template_columns_are_named_in_the_readers_language(app):
    from babel.support import Translations

    from forum.models import ForumSession

    session = ForumSession(board_template="see-why-do")
    english = ["What we see", "Why it happens", "What we will do"]
    with app.test_request_context("/?lang=en"):
        columns = board.columns_of(session)
        assert [c["id"] for c in columns] == ["see", "why", "do"]
        assert [c["title"] for c in columns] == english
    for lang, locale in (("ja", "ja"), ("ko", "ko"), ("zh-TW", "zh_Hant_TW")):
        catalog = Translations.load(str(ROOT / "translations"), [locale])
        expected = [catalog.gettext(title) for title in english]
        with app.test_request_context(f"/?lang={lang}"):
            assert [c["title"] for c in board.columns_of(session)] == expected, lang
    custom = ForumSession(board_template="custom", board_columns=[{"id": "c1", "title": "海洋"}])
    with app.test_request_context("/?lang=ja"):
        assert board.columns_of(custom) == [{"id": "c1", "title": "海洋"}]  # as typed

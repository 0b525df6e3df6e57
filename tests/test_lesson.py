"""A whole lesson with the live tools in one session (issue 18's "done when"): a poll,
mixed breakout groups, back together, a flag handled — with the teacher working in
each of the four languages — then the session closes, and the sealed record shows all
of it, in that language, and still verifies."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from flask_babel import gettext as translate
from livekit import People, sign_in

from forum.extensions import db
from forum.models import ForumSession, User

TW = ("tw_student", "tw_student2", "tw_student3")
JP = ("jp_student", "jp_student2", "jp_student3")


def _speaks(app, people: People, name: str, locale: str) -> None:
    with app.app_context():
        db.session.get(User, people.users[name]["id"]).locale = locale
        db.session.commit()


def _in(app, locale: str, text: str, **values) -> str:
    with app.test_request_context("/"), force_locale(locale):
        return translate(text, **values)


@pytest.mark.parametrize(
    ("locale", "lang"), [("zh_Hant_TW", "zh-TW"), ("en", "en"), ("ja", "ja"), ("ko", "ko")]
)
def test_a_teacher_runs_a_whole_lesson_and_the_sealed_record_shows_it(people, app, locale, lang):
    from forum.evidence import verification

    sid = people.live_session
    _speaks(app, people, "tw_teacher", locale)
    teacher = people.joined("tw_teacher")
    partner = people.joined("jp_teacher")  # the Shizuoka teacher moderates too
    students = {name: people.joined(name) for name in TW + JP}

    # 1. A poll: two answers, one changed, then closed; everyone saw the counts.
    poll = teacher.ok(
        "poll.open",
        {
            "session_id": sid,
            "client_id": "lesson-poll",
            "question": "Which matters most to our river?",
            "options": ["Less plastic", "Cleaner water", "More trees"],
        },
    )["event"]["data"]["poll"]
    students["tw_student"].ok(
        "poll.vote", {"session_id": sid, "poll_id": poll["id"], "choices": [0]}
    )
    students["jp_student"].ok(
        "poll.vote", {"session_id": sid, "poll_id": poll["id"], "choices": [2]}
    )
    students["jp_student"].ok(
        "poll.vote", {"session_id": sid, "poll_id": poll["id"], "choices": [1]}
    )
    closed = teacher.ok("poll.close", {"session_id": sid, "poll_id": poll["id"]})["event"]
    assert closed["data"]["counts"] == [1, 1, 0]
    late = students["tw_student2"].error(
        "poll.vote", {"session_id": sid, "poll_id": poll["id"], "choices": [0]}, "closed"
    )
    assert late["message"]  # in the student's language, as every ack

    # 2. Mixed groups by size: each has both schools; a group's talk stays in it.
    groups = teacher.ok("groups.form", {"session_id": sid, "size": 3})["event"]["data"]["groups"]
    ids = {name: people.users[name]["id"] for name in TW + JP}
    for group in groups:
        schools = {name[:2] for name, uid in ids.items() if uid in group["member_ids"]}
        assert schools == {"tw", "jp"}, group
    first = groups[0]
    speaker = next(n for n in TW if ids[n] in first["member_ids"])
    listener = next(n for n in JP if ids[n] in first["member_ids"])
    outsider = next(n for n in TW + JP if ids[n] not in first["member_ids"])
    said = students[speaker].ok(
        "chat.send",
        {"session_id": sid, "client_id": "g1", "body": "我們的河流好髒", "group_id": first["id"]},
    )["event"]
    assert said["seq"] in [e["seq"] for e in students[listener].events()]
    assert said["seq"] not in [e["seq"] for e in students[outsider].events()]
    assert said["seq"] in [e["seq"] for e in partner.events()]

    # 3. Back together, and everyone hears the whole room again.
    teacher.ok("groups.end", {"session_id": sid})
    together = students[outsider].ok(
        "chat.send", {"session_id": sid, "client_id": "all", "body": "Everyone: look at this"}
    )["event"]
    assert together["seq"] in [e["seq"] for e in students[listener].events()]

    # 4. A flag: the Shizuoka teacher sees it at once, hides the message; the
    # students never hear who flagged.
    unkind = students["jp_student2"].ok(
        "chat.send", {"session_id": sid, "client_id": "mean", "body": "That idea is stupid"}
    )["event"]
    students["tw_student3"].ok(
        "flag", {"session_id": sid, "target": "message", "id": unkind["seq"], "reason": "unkind"}
    )
    flagged = [e for e in partner.events() if e["type"] == "item.flagged"]
    assert flagged and flagged[-1]["data"]["id"] == unkind["seq"]
    for client in students.values():
        assert "item.flagged" not in {e["type"] for e in client.events()}
    partner.ok("mod.hide", {"session_id": sid, "target": "message", "id": unkind["seq"]})
    assert teacher.ok("join", {"session_id": sid})["flags"] == []  # handled: the queue is empty

    # The teacher's own refusals come in their language.
    refused = teacher.error("groups.end", {"session_id": sid}, "conflict")
    assert refused["message"] == _in(app, locale, "No groups are formed.")

    # 5. Closed and sealed: the record has every step and verifies.
    teacher.ok("session.close", {"session_id": sid})
    reviewer = sign_in(app, people.users["reviewer"])
    doc = reviewer.get(f"/sessions/{sid}/transcript.json").get_json()
    with app.app_context():
        assert verification.verify_document(doc).valid
        assert verification.verify_stored(db.session.get(ForumSession, sid)).valid
    types = [e["type"] for e in doc["events"]]
    for step in (
        "poll.opened",
        "poll.voted",
        "poll.closed",
        "groups.formed",
        "groups.ended",
        "item.flagged",
        "message.hidden",
        "session.closed",
    ):
        assert step in types, step
    grouped = next(e for e in doc["events"] if e["seq"] == said["seq"])
    assert grouped["data"]["group_id"] == first["id"]

    # The review page, in the teacher's language, shows the poll, the groups and the flag.
    page = reviewer.get(f"/review/sessions/{sid}?lang={lang}").get_data(as_text=True)
    assert "Which matters most to our river?" in page
    assert _in(app, locale, "Who answered what") in page
    assert _in(app, locale, "Flags") in page and "unkind" in page
    assert _in(app, locale, "formed breakout groups") in page
    assert _in(app, locale, "brought the groups back together") in page
    for name in TW + JP:  # reviewers read pseudonyms
        assert people.users[name]["display_name"] not in page

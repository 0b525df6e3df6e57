"""Long records (issue 17, point 3): the evidence export and the CSV are streamed a
batch at a time with the bytes the whole document had, holding no database slot
while the client reads; the stored log verifies in batches; the printable record and
the review page are read a page at a time, every page keeping the reader's
pseudonyms and withheld text."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import Auth

from forum import room
from forum.evidence import read, readers, transcript, verification
from forum.extensions import db
from forum.log import eventlog, events
from forum.people import pseudonyms
from forum.schedule import sessions

_spec = importlib.util.spec_from_file_location(
    "long_session", Path(__file__).resolve().parent.parent / "benchmarks" / "long_session.py"
)
long_session = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(long_session)

READERS = (
    ("reviewer", None),
    ("teacher", "taipei-daan"),
    ("student", "taipei-daan"),
    ("admin", None),
)


def _signed_in(app, demo, role, school):
    client = app.test_client()
    Auth(client, demo).login(role, school)
    client.get("/?lang=en")  # read in English from now on (remembered)
    return client


def _sid(demo, status):
    return next(s["id"] for s in demo["sessions"] if s["status"] == status)


@pytest.fixture
def long_record(app, demo):
    """The demo's live session with some 600 events (replies, reactions, hidden
    messages, notes, a pin, a mute), then closed: a sealed record."""
    from forum.models import User

    room.rate_limiter.forget()
    sid = _sid(demo, "live")
    with app.app_context():
        long_session.build(sid, 600)
        teacher = db.session.scalar(sa.select(User).where(User.username == "lin.teacher"))
        seat = room.seat_for(teacher, sid)
        posted = [e for e in eventlog.events_since(sid) if e.type == "message.posted"]
        room.hide_message(seat, posted[2].data["message_id"], True, None)
        room.pin(seat, {"message_id": posted[1].data["message_id"], "pinned": True})
        student = next(
            e.actor_id for e in posted if db.session.get(User, e.actor_id).role.value == "student"
        )
        room.mute(seat, {"user_id": student, "minutes": 5}, True)
        db.session.remove()
    room.rate_limiter.forget()
    return sid


# --- what the export was before it streamed ------------------------------------------


def whole_export(session, reading) -> dict:
    """The export as it was built before streaming: the whole log as ORM objects,
    actors by first appearance over it, hidden text withheld."""
    from forum.models import Seal, User

    log = eventlog.record_of(session)
    order = pseudonyms.appearance_order(pseudonyms.mentions_of(log))
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(order)))}
    numbering = pseudonyms.numbers(order, {uid: u.role for uid, u in users.items()})
    actors = {}
    for uid in order:
        user = users.get(uid)
        if user is None:
            continue
        name = user.display_name
        if numbering.get(uid) and not reading.names:
            name = pseudonyms.label(numbering[uid])
        actors[str(uid)] = {
            "name": name,
            "role": user.role.value,
            "school": user.school.slug if user.school else None,
            "country": user.school.country if user.school else None,
        }
    withhold = None if reading.hidden_text else eventlog.hidden_items(session.id)
    from forum.timeutil import iso_utc

    sealed = db.session.get(Seal, session.id)
    from forum.room import seal

    return {
        "format": readers.FORMAT,
        "session": sessions.serialize(session),
        "actors": actors,
        "events": [
            {
                "seq": e.seq,
                "type": e.type,
                "at": iso_utc(e.at, micro=True),
                "actor_id": e.actor_id,
                "data": events.withheld(e.type, e.data, withhold),
                "hash": e.hash,
            }
            for e in log
        ],
        "head_hash": session.head_hash or eventlog.genesis_hash(session.id),
        "sealed_at": iso_utc(sealed.sealed_at, micro=True) if sealed else None,
        "signature": sealed.signature if sealed else None,
        "public_key": seal.public_key_pem(),
    }


def whole_csv(doc) -> bytes:
    import io

    from forum import csvfile

    hidden: set[int] = set()
    released: set[int] = set()
    groups: dict[int, str] = {}
    for event in doc["events"]:
        if event["type"] == "message.hidden":
            hidden.add(event["data"]["message_id"])
        elif event["type"] == "message.unhidden":
            hidden.discard(event["data"]["message_id"])
        elif event["type"] == "message.released":
            released.add(event["data"]["message_id"])
        elif event["type"] == "groups.formed":
            groups.update((g["id"], g["name"]) for g in event["data"]["groups"])
    buffer = io.StringIO()
    writer = csvfile.writer(buffer)
    writer.writerow(transcript.CSV_HEADER)
    for event in doc["events"]:
        if event["type"] not in ("message.posted", "message.held"):
            continue
        actor = doc["actors"].get(str(event["actor_id"]), {})
        data = event["data"]
        if data.get("hidden") and data["message_id"] not in hidden:
            continue  # withheld from a student: not theirs to read at all
        held = ""
        if event["type"] == "message.held":
            held = "released" if data["message_id"] in released else "held"
        writer.writerow(
            [
                event["seq"],
                event["at"],
                actor.get("name", ""),
                actor.get("role", ""),
                actor.get("school", ""),
                actor.get("country", ""),
                data.get("lang", ""),
                data.get("reply_to") or "",
                "yes" if data["message_id"] in hidden else "",
                data.get("body") or "",
                groups.get(data.get("group_id") or 0, ""),
                held,
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


@pytest.mark.parametrize("batch", [7, 2000])
def test_streamed_exports_are_the_bytes_of_the_whole_document(
    app, demo, long_record, monkeypatch, batch
):
    """For every reader, with and without pseudonyms asked for, sealed and live: the
    streamed JSON is byte for byte ``jsonify`` of the whole document, the CSV the
    whole CSV, however many batches they take; staff's copies verify."""
    from flask_login import login_user

    from forum.models import ForumSession, User

    monkeypatch.setattr(read, "BATCH", batch)
    sealed_demo = next(s["id"] for s in demo["sessions"] if s["status"] == "closed")
    with app.app_context():
        room.close_room(
            room.seat_for(
                db.session.scalar(sa.select(User).where(User.username == "lin.teacher")),
                long_record,
            )
        )
        db.session.remove()
    for role, school in READERS:
        client = _signed_in(app, demo, role, school)
        for sid in (long_record, sealed_demo):
            for query in ("", "?pseudonyms=1"):
                got_json = client.get(f"/sessions/{sid}/transcript.json{query}")
                got_csv = client.get(f"/sessions/{sid}/transcript.csv{query}")
                assert got_json.status_code == got_csv.status_code == 200
                assert got_json.mimetype == "application/json"
                assert got_json.headers["Content-Disposition"].endswith(f'-{sid}.json"')
                with app.test_request_context(f"/sessions/{sid}/transcript.json{query}"):
                    user = db.session.scalar(
                        sa.select(User).where(
                            User.id == int(client.get("/api/v1/me").get_json()["id"])
                        )
                    )
                    login_user(user)
                    session = db.session.get(ForumSession, sid)
                    reading = readers.reading_for(user, session, pseudonyms=bool(query))
                    doc = whole_export(session, reading)
                    expected = app.json.response(doc).get_data()
                    assert transcript.export(session, reading) == doc
                    db.session.remove()
                assert got_json.get_data() == expected, (role, sid, query)
                # The API's transcript is the same stream, the same bytes.
                got_api = client.get(f"/api/v1/sessions/{sid}/transcript{query}")
                assert got_api.status_code == 200 and got_api.get_data() == expected
                assert got_csv.get_data() == whole_csv(doc), (role, sid, query)
                if role != "student":  # a student's copy withholds hidden text
                    with app.app_context():
                        assert verification.verify_bytes(got_json.get_data()).valid
                else:
                    hidden = [e for e in json.loads(expected)["events"] if e["data"].get("hidden")]
                    assert hidden and all(
                        e["data"]["body"] is None for e in hidden if e["type"] == "message.posted"
                    )


def test_a_stream_holds_no_database_slot_while_the_client_reads(
    app, demo, long_record, monkeypatch
):
    """Between batches, with the client not reading, the stream holds no admission
    slot and no session: a slow reader starves nobody."""
    monkeypatch.setattr(read, "BATCH", 50)
    gate = app.extensions["forum.sql.gate"]
    client = _signed_in(app, demo, "reviewer", None)
    for form in ("json", "csv"):
        response = client.get(f"/sessions/{long_record}/transcript.{form}", buffered=False)
        chunks = iter(response.response)
        parts = [next(chunks), next(chunks)]
        # Mid-stream: every slot is free, as before the request.
        assert gate._free._value == gate.slots
        parts.extend(chunks)
        response.close()
        assert len(parts) > 3
        assert gate._free._value == gate.slots
        body = b"".join(parts)
        if form == "json":
            assert len(json.loads(body)["events"]) >= 600


def test_verify_stored_names_the_first_bad_seq_and_a_head_beyond_the_log(
    app, demo, long_record, monkeypatch
):
    from forum.models import Event, ForumSession

    monkeypatch.setattr(read, "BATCH", 64)
    with app.app_context():
        session = db.session.get(ForumSession, long_record)
        verdict = verification.verify_stored(session)
        assert verdict.valid and verdict.events == session.head_seq
        assert verdict.line.startswith(
            f"valid: {session.head_seq} events, head {session.head_hash}"
        )
        event = db.session.scalar(
            sa.select(Event).where(Event.session_id == long_record, Event.seq == 333)
        )
        event.data = {**event.data, "body": "rewritten"}
        db.session.commit()
        verdict = verification.verify_stored(session)
        assert not verdict.valid and verdict.bad_seq == 333
        assert verdict.line == "invalid: seq 333: hash does not match the event's content"
        db.session.execute(
            sa.delete(Event).where(Event.session_id == long_record, Event.seq >= 333)
        )
        db.session.commit()
        verdict = verification.verify_stored(db.session.get(ForumSession, long_record))
        assert not verdict.valid and verdict.bad_seq == 333
        db.session.remove()


# --- the printable record and the review page, a page at a time ----------------------


def _articles(html: str) -> dict[int, str]:
    """Each message's article on a record page, by message id."""
    import re

    return {
        int(mid): body
        for mid, body in re.findall(
            r'<article class="record-message[^"]*" id="m(\d+)">(.*?)</article>', html, re.S
        )
    }


@pytest.mark.parametrize("path", ["/sessions/{sid}/transcript.html", "/review/sessions/{sid}"])
def test_every_page_of_a_long_record_keeps_pseudonyms_and_withholding(
    app, demo, long_record, monkeypatch, path
):
    """A record of some 300 messages read 40 at a time: together the pages show every
    message once, in order; on every page a reviewer reads students under pseudonyms
    and hidden text in full, a student (on the printable record) has it withheld;
    each page says which it is; a reply to a message on another page links there."""
    from markupsafe import escape

    from forum.evidence import record

    monkeypatch.setattr(record, "PER_PAGE", 40)
    with app.app_context():
        from forum.models import User

        teacher = db.session.scalar(sa.select(User).where(User.username == "lin.teacher"))
        seat = room.seat_for(teacher, long_record)
        posted = [e for e in eventlog.events_since(long_record) if e.type == "message.posted"]
        for index in (45, 130, len(posted) - 3):  # hidden text on several pages
            room.hide_message(seat, posted[index].data["message_id"], True, None)
        db.session.remove()
    reviewer = _signed_in(app, demo, "reviewer", None)
    full = reviewer.get(f"/sessions/{long_record}/transcript.json").get_json()
    messages = [e for e in full["events"] if e["type"] == "message.posted"]
    hidden = {e["data"]["message_id"] for e in full["events"] if e["type"] == "message.hidden"}
    hidden -= {e["data"]["message_id"] for e in full["events"] if e["type"] == "message.unhidden"}
    body_of = {e["data"]["message_id"]: e["data"]["body"] for e in messages}
    pages = -(-len(messages) // 40)
    assert pages >= 7
    real_names = [u["display_name"] for u in demo["users"] if u["role"] == "student"]
    readers = [("reviewer", reviewer)]
    if path.startswith("/sessions"):
        readers.append(("student", _signed_in(app, demo, "student", "taipei-daan")))
    for who, client in readers:
        seen: list[int] = []
        for page in range(1, pages + 1):
            response = client.get(path.format(sid=long_record) + f"?page={page}")
            assert response.status_code == 200, (who, page)
            html = response.get_data(as_text=True)
            assert f"Page {page} of {pages}" in html
            articles = _articles(html)
            ids = list(articles)
            assert ids == [
                e["data"]["message_id"] for e in messages[(page - 1) * 40 : page * 40]
            ], (who, page)
            seen += ids
            for mid, article in articles.items():
                withheld = "Hidden by a teacher" in article
                if who == "student" and mid in hidden:
                    assert withheld and str(escape(body_of[mid])) not in article
                else:
                    assert not withheld and str(escape(body_of[mid])) in article
            if who == "reviewer":
                assert not [n for n in real_names if n in html], page
                assert "Student 1" in html
            assert ('id="board"' in html) == (page == pages)
            if path.startswith("/review"):
                # The whole log is checked on the first page; the others link to it.
                assert ('class="wrap">valid: ' in html) == (page == 1)
                assert ("checked on its first page" in html) == (page > 1)
        assert seen == [e["data"]["message_id"] for e in messages]
        assert hidden & set(seen)
    # A reply to a message on an earlier page links to that page, scrolled to it.
    html = reviewer.get(path.format(sid=long_record) + f"?page={pages}").get_data(as_text=True)
    import re

    far = re.search(r'<p class="reply-ref"><a href="([^"#]*message=(\d+)[^"#]*)#m\2"', html)
    assert far, "no reply to an earlier page on the last page"
    target = reviewer.get(far.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert f'id="m{far.group(2)}"' in target
    # Out of range is the nearest page; the first page keeps the figures.
    last = reviewer.get(path.format(sid=long_record) + "?page=9999").get_data(as_text=True)
    assert f"Page {pages} of {pages}" in last


def test_a_short_record_is_one_page_as_before(app, demo):
    """A session shorter than a page shows no pager and no page statement."""
    client = _signed_in(app, demo, "reviewer", None)
    sid = next(s["id"] for s in demo["sessions"] if s["status"] == "closed")
    for path in (f"/sessions/{sid}/transcript.html", f"/review/sessions/{sid}"):
        html = client.get(path).get_data(as_text=True)
        assert "record-message" in html and 'id="board"' in html
        assert "Page 1 of" not in html and 'class="pager' not in html


def test_forum_verify_session_checks_a_long_log_in_batches(
    app, demo, long_record, runner, monkeypatch
):
    """``forum verify --session`` over many batches: valid as a whole, and the first bad
    seq named when an event deep in the log is rewritten."""
    from forum.models import Event, User

    monkeypatch.setattr(read, "BATCH", 50)
    with app.app_context():
        teacher = db.session.scalar(sa.select(User).where(User.username == "lin.teacher"))
        room.close_room(room.seat_for(teacher, long_record))
        db.session.remove()
    result = runner.invoke(args=["forum", "verify", "--session", str(long_record)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("valid: ") and "sealed, signed by" in result.output
    with app.app_context():
        event = db.session.scalar(
            sa.select(Event).where(Event.session_id == long_record, Event.seq == 421)
        )
        event.at = event.at.replace(microsecond=(event.at.microsecond + 1) % 1_000_000)
        db.session.commit()
        db.session.remove()
    result = runner.invoke(args=["forum", "verify", "--session", str(long_record)])
    assert result.exit_code == 1
    assert result.output.strip() == "invalid: seq 421: hash does not match the event's content"

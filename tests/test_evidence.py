"""The session record as evidence: exports checked by a verifier written here from
protocol.md alone, tampering caught by ``forum verify`` and the review desk, sealed
sessions refusing writes on every path, the academic-year report's figures, who may
read which record in which form, the review desk, and the CSV."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from conftest import Auth, csrf_token
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from forum.extensions import db

FORMAT = "sdg-forum-transcript/1"
AT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
HIDDEN_BODY = "lol this is boring"
CJK_BODIES = (
    "我們在淡水的海邊撿到很多寶特瓶和吸管。",
    "私たちは用宗海岸でペットボトルのふたをたくさん見つけました。",
)


# --- a verifier from protocol.md alone ------------------------------------------------


def canonical(session_id: int, event: dict) -> bytes:
    return json.dumps(
        {
            "session_id": session_id,
            "seq": event["seq"],
            "type": event["type"],
            "at": event["at"],
            "actor_id": event["actor_id"],
            "data": event["data"],
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode("utf-8")


def genesis(session_id: int) -> str:
    return hashlib.sha256(f"sdg-forum/{session_id}".encode()).hexdigest()


def link(previous: str, session_id: int, event: dict) -> str:
    return hashlib.sha256(bytes.fromhex(previous) + canonical(session_id, event)).hexdigest()


def signature_ok(pem: str, head: str, signature: str) -> bool:
    key = serialization.load_pem_public_key(pem.encode())
    assert isinstance(key, Ed25519PublicKey)
    try:
        key.verify(base64.b64decode(signature, validate=True), head.encode("ascii"))
    except InvalidSignature:
        return False
    return True


def unverifiable(doc: dict) -> list[int]:
    """Seqs whose stated hash is not SHA-256(previous stated hash + canonical bytes).

    Each link is checked against the previous event's *stated* hash, so an event
    whose content cannot be checked (withheld text) does not hide the rest."""
    sid = doc["session"]["id"]
    previous, bad = genesis(sid), []
    for position, event in enumerate(doc["events"], start=1):
        if event["seq"] != position or link(previous, sid, event) != event["hash"]:
            bad.append(position)
        previous = event["hash"]
    return bad


def verify(doc: dict, key_pem: str | None = None) -> None:
    """Assert that an export is sound, from genesis to head and signature."""
    assert doc["format"] == FORMAT
    assert set(doc) >= {
        "format",
        "session",
        "actors",
        "events",
        "head_hash",
        "sealed_at",
        "signature",
        "public_key",
    }
    sid = doc["session"]["id"]
    previous = genesis(sid)
    for position, event in enumerate(doc["events"], start=1):
        assert set(event) == {"seq", "type", "at", "actor_id", "data", "hash"}, event
        assert event["seq"] == position, event
        assert AT.match(event["at"]), event
        previous = link(previous, sid, event)
        assert previous == event["hash"], event
    assert doc["head_hash"] == previous
    if doc["signature"] is not None:
        assert doc["sealed_at"] and AT.match(doc["sealed_at"])
        assert signature_ok(key_pem or doc["public_key"], previous, doc["signature"])
    else:
        assert doc["sealed_at"] is None


# --- helpers ----------------------------------------------------------------------------


def sessions_of(demo: dict) -> dict[str, int]:
    by_title = {s["title"]: s for s in demo["sessions"]}
    return {
        "sealed": by_title["Plastic on our beaches"]["id"],
        "live": by_title["Our rivers and the sea"]["id"],
        "later": by_title["Typhoons, heavy rain and us"]["id"],
        "kr": by_title["Saving energy in our classrooms"]["id"],
    }


def signed_in(app, demo: dict, role: str, school: str | None = "taipei-daan"):
    client = app.test_client()
    Auth(client, demo).login(role, school)
    return client


def student_names(demo: dict) -> list[str]:
    return [u["display_name"] for u in demo["users"] if u["role"] == "student"]


def names_in(text: str, names: list[str]) -> list[str]:
    """Which of the names appear in a body, literally or JSON-escaped."""
    return [n for n in names if n in text or json.dumps(n)[1:-1] in text]


def head_of(app, session_id: int) -> tuple:
    from forum.models import Event, ForumSession, Seal

    with app.app_context():
        session = db.session.get(ForumSession, session_id)
        seal = db.session.get(Seal, session_id)
        hashes = list(
            db.session.scalars(
                sa.select(Event.hash).where(Event.session_id == session_id).order_by(Event.seq)
            )
        )
        result = (
            session.status.value,
            session.head_seq,
            session.head_hash,
            hashes,
            seal and (seal.head_seq, seal.head_hash, seal.signature),
        )
        db.session.remove()
        return result


def in_english(client) -> None:
    client.get("/?lang=en")


# --- exports verify ---------------------------------------------------------------------


def test_every_export_verifies_against_protocol_alone(app, demo, client):
    ids = sessions_of(demo)
    served = client.get("/evidence/public-key")
    assert served.status_code == 200
    key_pem = served.get_data(as_text=True)
    assert key_pem.startswith("-----BEGIN PUBLIC KEY-----")

    reviewer = signed_in(app, demo, "reviewer")
    teacher = signed_in(app, demo, "teacher", "taipei-daan")
    docs = {}
    for name, sid in ids.items():
        doc = reviewer.get(f"/sessions/{sid}/transcript.json").get_json()
        verify(doc)
        verify(doc, key_pem)
        assert doc["public_key"].strip() == key_pem.strip()
        mine = teacher.get(f"/sessions/{sid}/transcript.json").get_json()
        verify(mine, key_pem)
        # Pseudonyms or names, the hashed record is the same.
        assert mine["events"] == doc["events"] and mine["head_hash"] == doc["head_hash"]
        docs[name] = doc

    sealed = docs["sealed"]
    assert sealed["session"]["status"] == "closed" and sealed["signature"]
    assert sealed["events"][-1]["type"] == "session.closed"
    assert any(
        e["type"] == "message.posted" and e["data"]["body"] == HIDDEN_BODY for e in sealed["events"]
    )  # the record keeps hidden text
    assert docs["live"]["signature"] is None and docs["live"]["events"]
    for name in ("later", "kr"):  # no events: the head is hash_0
        assert docs[name]["events"] == []
        assert docs[name]["head_hash"] == genesis(ids[name])

    # The API gives the same body as transcript.json.
    api = app.test_client().get(
        f"/api/v1/sessions/{ids['sealed']}/transcript",
        headers={"Authorization": "Bearer " + _token(app, "chen.reviewer")},
    )
    assert api.status_code == 200 and api.get_json() == sealed

    # A student's copy withholds the hidden text: only those events fail to verify,
    # and they differ from the full record only in the withheld text.
    student = signed_in(app, demo, "student", "taipei-daan")
    theirs = student.get(f"/sessions/{ids['sealed']}/transcript.json").get_json()
    withheld = [e["seq"] for e in theirs["events"] if e["data"].get("hidden")]
    assert withheld and unverifiable(theirs) == withheld
    assert unverifiable(sealed) == []
    assert [e["hash"] for e in theirs["events"]] == [e["hash"] for e in sealed["events"]]
    for mine, full in zip(theirs["events"], sealed["events"], strict=True):
        if mine["seq"] in withheld:
            assert full["data"]["body"] == HIDDEN_BODY and mine["data"]["body"] is None
            assert {k: v for k, v in mine["data"].items() if k not in ("body", "hidden")} == {
                k: v for k, v in full["data"].items() if k != "body"
            }
        else:
            assert mine == full
    assert theirs["head_hash"] == sealed["head_hash"]
    assert signature_ok(key_pem, theirs["head_hash"], theirs["signature"])


def _token(app, username: str) -> str:
    from forum.models import User
    from forum.people import proofs

    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        value = proofs.issue_token(user)
        db.session.commit()
        return value


# --- tampering --------------------------------------------------------------------------


def _run_verify(runner, *args):
    result = runner.invoke(args=["forum", "verify", *map(str, args)])
    lines = result.output.strip().splitlines()
    assert lines, result.output
    return result.exit_code, lines[-1]


def test_forum_verify_names_the_first_bad_seq(app, demo, runner, tmp_path):
    ids = sessions_of(demo)
    reviewer = signed_in(app, demo, "reviewer")
    raw = reviewer.get(f"/sessions/{ids['sealed']}/transcript.json").get_data()
    doc = json.loads(raw)
    n = len(doc["events"])
    assert n > 10

    path = tmp_path / "untouched.json"
    path.write_bytes(raw)
    code, line = _run_verify(runner, path)
    assert code == 0 and line.startswith("valid"), line

    def check(name: str, tampered: dict, expect: str) -> None:
        file = tmp_path / f"{name}.json"
        file.write_text(json.dumps(tampered, ensure_ascii=False), encoding="utf-8")
        code, line = _run_verify(runner, file)
        assert code == 1 and line.startswith("invalid"), (name, line)
        assert expect in line, (name, line)

    def copy() -> dict:
        return json.loads(raw)

    body_seq = next(
        e["seq"]
        for e in doc["events"]
        if e["type"] == "message.posted" and e["data"]["body"] == CJK_BODIES[0]
    )
    t = copy()
    event = t["events"][body_seq - 1]
    event["data"]["body"] = "他" + event["data"]["body"][1:]
    check("body", t, f"seq {body_seq}:")

    t = copy()
    t["events"][5], t["events"][6] = t["events"][6], t["events"][5]
    check("swap", t, "seq 6:")

    t = copy()
    del t["events"][7]
    check("drop-middle", t, "seq 8:")

    t = copy()
    del t["events"][-1]
    check("drop-last", t, f"seq {n}:")

    t = copy()  # drop the last and move the head back: only the seal can tell
    del t["events"][-1]
    t["head_hash"] = t["events"][-1]["hash"]
    check("drop-last-and-head", t, "signature")

    t = copy()
    sig = bytearray(base64.b64decode(t["signature"]))
    sig[0] ^= 1
    t["signature"] = base64.b64encode(bytes(sig)).decode()
    check("signature", t, "signature")

    t = copy()
    t["head_hash"] = hashlib.sha256(b"something else").hexdigest()
    file = tmp_path / "head.json"
    file.write_text(json.dumps(t), encoding="utf-8")
    code, line = _run_verify(runner, file)
    assert code == 1 and line.startswith("invalid")
    assert "head_hash" in line or "signature" in line, line

    t = copy()  # a different actor on one event
    t["events"][2]["actor_id"] = t["events"][3]["actor_id"] + 1000
    check("actor", t, "seq 3:")

    # --public-key: the platform's key is trusted; another key is not.
    served = reviewer.get("/evidence/public-key")
    key = tmp_path / "key.pem"
    key.write_text(served.get_data(as_text=True))
    assert _run_verify(runner, path, "--public-key", key)[0] == 0
    other = tmp_path / "other.pem"
    other.write_bytes(
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    code, line = _run_verify(runner, path, "--public-key", other)
    assert code == 1 and line.startswith("invalid") and "signature" in line

    # A forger who changes a body and recomputes every hash and the head...
    def forged() -> dict:
        t = copy()
        t["events"][body_seq - 1]["data"]["body"] = "forged"
        previous = genesis(t["session"]["id"])
        for event in t["events"]:
            event["hash"] = previous = link(previous, t["session"]["id"], event)
        t["head_hash"] = previous
        return t

    # ... cannot pass a closed session off as unsealed by dropping the signature,
    t = forged()
    t["signature"] = None
    check("unsigned", t, "signature")
    t["sealed_at"] = None
    check("unsigned-unsealed", t, "signature")
    # ... and re-signing with another key is caught by the platform's key.
    forger = Ed25519PrivateKey.generate()
    t = forged()
    t["signature"] = base64.b64encode(forger.sign(t["head_hash"].encode())).decode()
    t["public_key"] = (
        forger.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    file = tmp_path / "resigned.json"
    file.write_text(json.dumps(t), encoding="utf-8")
    code, line = _run_verify(runner, file)
    assert served.headers["X-Key-Fingerprint"] not in line, line  # not the platform's key
    code, line = _run_verify(runner, file, "--public-key", key)
    assert code == 1 and line.startswith("invalid") and "signature" in line, line

    # A live session's export is valid but unsealed.
    live = tmp_path / "live.json"
    live.write_bytes(reviewer.get(f"/sessions/{ids['live']}/transcript.json").get_data())
    code, line = _run_verify(runner, live)
    assert code == 0 and line.startswith("valid")


def test_forum_verify_session_checks_the_database(app, demo, runner):
    from forum.models import Event

    ids = sessions_of(demo)
    for sid in (ids["sealed"], ids["live"], ids["later"]):
        code, line = _run_verify(runner, "--session", sid)
        assert code == 0 and line.startswith("valid"), line

    with app.app_context():
        row = db.session.scalar(
            sa.select(Event)
            .where(
                Event.session_id == ids["sealed"], Event.type == "message.posted", Event.seq > 12
            )
            .order_by(Event.seq)
        )
        seq, data = row.seq, {**row.data, "body": row.data["body"] + "!"}
        db.session.execute(
            sa.update(Event.__table__)
            .where(Event.__table__.c.session_id == ids["sealed"], Event.__table__.c.seq == seq)
            .values(data=data)
        )
        db.session.commit()
        db.session.remove()
    code, line = _run_verify(runner, "--session", ids["sealed"])
    assert code == 1 and line.startswith("invalid") and f"seq {seq}:" in line, line

    # The review desk's page for the session says so too.
    reviewer = signed_in(app, demo, "reviewer")
    html = reviewer.get(f"/review/sessions/{ids['sealed']}").get_data(as_text=True)
    assert f"seq {seq}:" in html


def test_review_desk_upload_verifies_files(app, demo):
    ids = sessions_of(demo)
    reviewer = signed_in(app, demo, "reviewer")
    in_english(reviewer)
    raw = reviewer.get(f"/sessions/{ids['sealed']}/transcript.json").get_data()

    def upload(data: bytes):
        token = csrf_token(reviewer, "/review/verify")
        return reviewer.post(
            "/review/verify",
            content_type="multipart/form-data",
            data={"csrf_token": token, "file": (io.BytesIO(data), "transcript.json")},
        )

    response = upload(raw)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<code lang="en" class="wrap">valid:' in html and "Not valid" not in html

    doc = json.loads(raw)
    seq = next(e["seq"] for e in doc["events"] if e["type"] == "message.posted")
    doc["events"][seq - 1]["data"]["body"] += "."
    response = upload(json.dumps(doc).encode())
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Not valid" in html and f'<code lang="en" class="wrap">invalid: seq {seq}:' in html

    teacher = signed_in(app, demo, "teacher")
    assert teacher.get("/review/verify").status_code == 403


# --- sealed sessions take no writes -----------------------------------------------------


def test_a_sealed_session_refuses_every_write(app, demo):
    from livekit import People

    from forum import room
    from forum.models import Message, Note

    ids = sessions_of(demo)
    sid = ids["sealed"]
    before = head_of(app, sid)
    assert before[0] == "closed" and before[4] is not None
    with app.app_context():
        message = db.session.scalar(
            sa.select(Message).where(Message.session_id == sid, Message.hidden.is_(False))
        )
        hidden = db.session.scalar(
            sa.select(Message).where(Message.session_id == sid, Message.hidden.is_(True))
        )
        note = db.session.scalar(sa.select(Note).where(Note.session_id == sid))
        mid, hid, nid, author = message.id, hidden.id, note.id, hidden.author_id
        db.session.remove()

    room.rate_limiter.forget()
    people = People(app, demo)
    teacher = people.live("tw_teacher")
    student = people.live("tw_student")
    teacher.ok("join", {"session_id": sid})
    student.ok("join", {"session_id": sid})
    s = {"session_id": sid}
    for client, event, payload in [
        (teacher, "chat.send", {**s, "client_id": "t1", "body": "late"}),
        (teacher, "chat.react", {**s, "message_id": mid, "emoji": "👍"}),
        (teacher, "note.add", {**s, "client_id": "t2", "column": "see", "text": "late"}),
        (teacher, "note.edit", {**s, "note_id": nid, "version": 1, "text": "changed"}),
        (teacher, "note.vote", {**s, "note_id": nid}),
        (teacher, "note.remove", {**s, "note_id": nid}),
        (teacher, "mod.hide", {**s, "target": "message", "id": mid}),
        (teacher, "mod.unhide", {**s, "target": "message", "id": hid}),
        (teacher, "mod.hide", {**s, "target": "note", "id": nid}),
        (teacher, "mod.mute", {**s, "user_id": author}),
        (teacher, "mod.unmute", {**s, "user_id": author}),
        (teacher, "mod.lock", {**s, "locked": True}),
        (teacher, "mod.slow", {**s, "seconds": 30}),
        (teacher, "mod.pin", {**s, "message_id": mid, "pinned": True}),
        (teacher, "mod.remove", {**s, "user_id": author}),
        (teacher, "session.open", s),
        (teacher, "session.close", s),
        (student, "chat.send", {**s, "client_id": "s1", "body": "late"}),
        (student, "note.add", {**s, "client_id": "s2", "column": "see", "text": "late"}),
        (student, "note.vote", {**s, "note_id": nid}),
        (student, "chat.react", {**s, "message_id": mid, "emoji": "👍"}),
    ]:
        client.error(event, payload, "closed")
    teacher.disconnect()
    student.disconnect()
    room.rate_limiter.forget()

    headers = {"Authorization": "Bearer " + _token(app, "lin.teacher")}
    api = app.test_client()
    for method, path, body in [
        ("post", f"/api/v1/sessions/{sid}/open", None),
        ("post", f"/api/v1/sessions/{sid}/close", None),
        ("patch", f"/api/v1/sessions/{sid}", {"title": "Rewritten"}),
        ("delete", f"/api/v1/sessions/{sid}", None),
    ]:
        response = getattr(api, method)(path, json=body, headers=headers)
        assert response.status_code == 409, (method, path, response.get_data(as_text=True))
        assert response.get_json()["error"]["code"] == "closed"

    teacher_http = signed_in(app, demo, "teacher")
    in_english(teacher_http)
    for action, message in [
        ("open", "This session is closed."),
        ("close", "This session is already closed."),
        ("cancel", "Only a session that has not started can be cancelled."),
    ]:
        token = csrf_token(teacher_http, f"/sessions/{sid}")
        response = teacher_http.post(
            f"/sessions/{sid}/{action}", data={"csrf_token": token}, follow_redirects=True
        )
        assert response.status_code == 200
        assert message in response.get_data(as_text=True), action

    assert head_of(app, sid) == before
    with app.app_context():
        from forum.models import ForumSession

        assert db.session.get(ForumSession, sid).title == "Plastic on our beaches"
        db.session.remove()


# --- the academic-year report -----------------------------------------------------------


class Script:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture
def year_boundary(app, demo, monkeypatch):
    """Sessions either side of 1 August 2025 (Taiwan time), made through the real actions."""
    from forum import room
    from forum.models import (
        Exchange,
        ExchangeMode,
        ExchangeStatus,
        ForumSession,
        School,
        SchoolClass,
        SessionStatus,
        User,
    )
    from forum.room import board

    clock = Script(_utc("2024-07-01T00:00:00+00:00"))
    monkeypatch.setattr(room.clock, "_source", clock)
    room.rate_limiter.forget()
    with app.app_context():
        people = {u.display_name: u for u in db.session.scalars(sa.select(User))}
        lin = people["林美華 老師"]
        classes = {c.school.slug: c for c in db.session.scalars(sa.select(SchoolClass))}
        taipei = db.session.scalar(sa.select(School).where(School.slug == "taipei-daan"))
        club = SchoolClass(school_id=taipei.id, name="Eco club", grade=8)
        club.teachers.append(lin)
        club.students.append(people["張家豪"])
        db.session.add(club)
        tw, jp, kr = classes["taipei-daan"], classes["shizuoka-aoi"], classes["seoul-hanbit"]

        def exchange(title, members, mode, year):
            # Paired exchanges, as approved applications are.
            row = Exchange(
                title=title,
                sdgs=[13],
                mode=mode,
                academic_year=year,
                status=ExchangeStatus.APPROVED,
                created_by_id=lin.id,
                classes=members,
            )
            db.session.add(row)
            return row

        e1 = exchange("Y113 TW-JP online", [tw, jp], ExchangeMode.ONLINE, 113)
        exchange("Y113 TW-JP visit", [tw, jp], ExchangeMode.IN_PERSON, 113)
        e2 = exchange("Y114 TW-KR visit", [tw, club, kr], ExchangeMode.IN_PERSON, 114)
        e3 = exchange("Y114 JP-KR online", [jp, kr], ExchangeMode.ONLINE, 114)
        exchange("Y114 TW-KR online", [tw, kr], ExchangeMode.ONLINE, 114)
        db.session.commit()

        def session(ex, title, sdgs, starts):
            row = ForumSession(
                exchange=ex,
                title=title,
                sdgs=sdgs,
                status=SessionStatus.SCHEDULED,
                starts_at=_utc(starts),
                ends_at=_utc(starts) + timedelta(hours=1),
            )
            db.session.add(row)
            db.session.commit()
            return row.id

        def run(session_id, starts, steps, close_by=None):
            clock.at = _utc(starts)
            for who, what, *args in steps:
                clock.at += timedelta(minutes=1)
                seat = room.seat_for(people[who], session_id)
                if what == "open":
                    room.open_room(seat)
                elif what == "join":
                    room.joined(seat)
                elif what == "say":
                    room.send_message(
                        seat, {"client_id": f"c{clock.at.timestamp()}", "body": args[0]}
                    )
                elif what == "note":
                    board.add(
                        seat,
                        {"client_id": f"n{clock.at.timestamp()}", "column": "see", "text": args[0]},
                    )
            if close_by:
                clock.at += timedelta(minutes=30)
                room.close_room(room.seat_for(people[close_by], session_id))

        # 1 August 2024 00:00 Taipei: the first instant of ROC 113.
        start = "2024-08-01T00:00:00+08:00"
        s0 = session(e1, "Y113 first minute", [13], start)
        run(s0, start, [("林美華 老師", "open"), ("李佳蓉", "join")], close_by="林美華 老師")
        # 31 July 2024 23:59 Taipei (15:59 UTC): still ROC 112.
        start = "2024-07-31T23:59:00+08:00"
        s112 = session(e1, "Y112 last minute", [13], start)
        run(
            s112,
            start,
            [("林美華 老師", "open"), ("陳怡安", "join"), ("陳怡安", "say", "ROC 112")],
            close_by="林美華 老師",
        )
        # 31 July 2025 23:30 Taipei = 15:30 UTC: ROC 113.
        start = "2025-07-31T23:30:00+08:00"
        s1 = session(e1, "Y113 last evening", [13, 14], start)
        run(
            s1,
            start,
            [
                ("林美華 老師", "open"),
                ("林美華 老師", "join"),
                ("佐藤 健 先生", "join"),
                ("王小明", "join"),
                ("陳怡安", "join"),
                ("山田 花子", "join"),
                ("王小明", "say", "我們的海灘有很多垃圾"),
                ("山田 花子", "say", "こんばんは"),
                ("林美華 老師", "say", "Welcome"),
                ("陳怡安", "note", "寶特瓶"),
            ],
            close_by="林美華 老師",
        )
        # A session of ROC 113 that was never opened does not count as held.
        session(e1, "Y113 never opened", [15], "2025-07-31T22:00:00+08:00")
        # 1 August 2025 00:30 Taipei = 31 July 16:30 UTC: ROC 114.
        start = "2025-08-01T00:30:00+08:00"
        s2 = session(e2, "Y114 first night", [7], start)
        run(
            s2,
            start,
            [
                ("林美華 老師", "open"),
                ("林美華 老師", "join"),
                ("김지현 선생님", "join"),
                ("王小明", "join"),
                ("박서연", "join"),
                ("張家豪", "join"),
                ("박서연", "say", "안녕하세요"),
                ("박서연", "say", "태양광 패널"),
                ("張家豪", "say", "節能"),
                ("王小明", "note", "關燈"),
                ("王小明", "note", "冷氣 26 度"),
                ("박서연", "note", "에어컨"),
            ],
            close_by="김지현 선생님",
        )
        start = "2025-08-01T10:00:00+08:00"
        s3 = session(e3, "Y114 JP-KR", [7, 13], start)
        run(
            s3,
            start,
            [
                ("佐藤 健 先生", "open"),
                ("佐藤 健 先生", "join"),
                ("鈴木 大翔", "join"),
                ("鈴木 大翔", "say", "省エネ"),
            ],
            close_by="佐藤 健 先生",
        )
        # Still live: not held (yet).
        start = "2025-08-02T10:00:00+08:00"
        s4 = session(e1, "Y114 still live", [1], start)
        run(s4, start, [("林美華 老師", "open"), ("李佳蓉", "join"), ("李佳蓉", "say", "hi")])
        db.session.remove()
    room.rate_limiter.forget()
    return {"s0": s0, "s1": s1, "s2": s2, "s3": s3, "s4": s4, "s112": s112}


def _zero_sdgs(**counts: int) -> dict[str, int]:
    return {str(n): counts.get(f"g{n}", 0) for n in range(1, 18)}


DEMO_MOUS = {
    "Shikoku": {
        "region": "Shikoku",
        "country": "JP",
        "status": "signed",
        "signed_on": "2024-09-20",
    },
    "Chiba": {"region": "Chiba", "country": "JP", "status": "signed", "signed_on": "2024-11-15"},
    "Miyagi": {"region": "Miyagi", "country": "JP", "status": "signed", "signed_on": "2025-03-10"},
    "Shizuoka": {"region": "Shizuoka", "country": "JP", "status": "planned", "signed_on": None},
}
EXPECTED = {
    113: {
        "academic_year": 113,
        "from": "2024-08-01",
        "to": "2025-07-31",
        "exchanges": {"online": 1, "in_person": 1, "total": 2, "completed": 0},
        "applications": {"total": 2, "online": 1, "in_person": 1, "approved": 2, "declined": 0},
        "sessions_held": 2,
        "schools_by_country": {"JP": 1, "TW": 1},
        "classes_by_country": {"JP": 1, "TW": 1},
        "students": 4,
        "teachers": 2,
        "messages": 3,
        "held_messages": 0,
        "groups": 0,
        "notes": 1,
        "polls": 0,  # the live tools (issue 18): none in these sessions
        "flags": 0,
        "sessions_by_sdg": _zero_sdgs(g13=2, g14=1),
        "schools_paired": {"total": 2, "by_region": {"Shizuoka": 1, "Taipei": 1}},
        "exchanges_by_region": {"Shizuoka": 2, "Taipei": 2},
        "sessions_by_region": {"Shizuoka": 2, "Taipei": 2},
        "students_by_region": {"Shizuoka": 1, "Taipei": 3},
        # The demo's MOUs and training tell the Alliance's 113th year.
        "mous": [
            DEMO_MOUS["Shikoku"],
            DEMO_MOUS["Chiba"],
            DEMO_MOUS["Miyagi"],
            DEMO_MOUS["Shizuoka"],
        ],
        "educators_trained": 123,
        "educators_trained_by_kind": {
            "task_force": 120,
            "host_family": 3,
            "seminar": 0,
            "other": 0,
        },
        "training_events_by_kind": {"task_force": 1, "host_family": 1, "seminar": 0, "other": 0},
        # Showcases are counted apart; the demo holds none.
        "showcases": {"held": 0, "presenting_schools": 0, "audience_schools": 0},
    },
    114: {
        "academic_year": 114,
        "from": "2025-08-01",
        "to": "2026-07-31",
        "exchanges": {"online": 2, "in_person": 1, "total": 3, "completed": 0},
        "applications": {"total": 3, "online": 2, "in_person": 1, "approved": 3, "declined": 0},
        "sessions_held": 2,
        "schools_by_country": {"JP": 1, "KR": 1, "TW": 1},
        "classes_by_country": {"JP": 1, "KR": 1, "TW": 2},
        "students": 4,
        "teachers": 3,
        "messages": 4,
        "held_messages": 0,
        "groups": 0,
        "notes": 3,
        "polls": 0,  # the live tools (issue 18): none in these sessions
        "flags": 0,
        "sessions_by_sdg": _zero_sdgs(g7=2, g13=1),
        "schools_paired": {"total": 3, "by_region": {"Seoul": 1, "Shizuoka": 1, "Taipei": 1}},
        "exchanges_by_region": {"Seoul": 3, "Shizuoka": 1, "Taipei": 2},
        "sessions_by_region": {"Seoul": 2, "Shizuoka": 1, "Taipei": 1},
        "students_by_region": {"Seoul": 1, "Shizuoka": 1, "Taipei": 2},
        "mous": [DEMO_MOUS["Shizuoka"]],  # planned for 114
        "educators_trained": 0,
        "educators_trained_by_kind": {"task_force": 0, "host_family": 0, "seminar": 0, "other": 0},
        "training_events_by_kind": {"task_force": 0, "host_family": 0, "seminar": 0, "other": 0},
        # Showcases are counted apart; the demo holds none.
        "showcases": {"held": 0, "presenting_schools": 0, "audience_schools": 0},
    },
}


def test_report_counts_across_the_academic_year_boundary(app, demo, runner, year_boundary):
    for year, expected in EXPECTED.items():
        result = runner.invoke(args=["forum", "report", "--year", str(year), "--format", "json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output) == expected, year

    result = runner.invoke(args=["forum", "report", "--year", "114", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0] == ["figure", "key", "value"]
    body = {(figure, key): value for figure, key, value in rows[1:]}
    assert len(body) == len(rows) - 1  # no figure twice
    for row in [
        ("academic_year", "", "114"),
        ("from", "", "2025-08-01"),
        ("to", "", "2026-07-31"),
        ("exchanges", "online", "2"),
        ("exchanges", "in_person", "1"),
        ("exchanges", "total", "3"),
        ("sessions_held", "", "2"),
        ("schools_by_country", "TW", "1"),
        ("classes_by_country", "TW", "2"),
        ("classes_by_country", "KR", "1"),
        ("students", "", "4"),
        ("teachers", "", "3"),
        ("messages", "", "4"),
        ("notes", "", "3"),
        ("polls", "", "0"),
        ("flags", "", "0"),
        ("sessions_by_sdg", "7", "2"),
        ("sessions_by_sdg", "13", "1"),
        ("sessions_by_sdg", "14", "0"),
    ]:
        assert body[row[:2]] == row[2], row
    assert sum(1 for f, _k in body if f == "sessions_by_sdg") == 17

    result = runner.invoke(args=["forum", "report", "--year", "112"])
    data = json.loads(result.output)
    assert data["sessions_held"] == 1 and data["messages"] == 1

    # The sessions were recorded at the scripted times, and sealed.
    from forum.models import ForumSession, Seal

    with app.app_context():
        s1 = db.session.get(ForumSession, year_boundary["s1"])
        s2 = db.session.get(ForumSession, year_boundary["s2"])
        assert s1.starts_at == datetime(2025, 7, 31, 15, 30, tzinfo=UTC)
        assert s2.starts_at == datetime(2025, 7, 31, 16, 30, tzinfo=UTC)
        assert s1.opened_at == datetime(2025, 7, 31, 15, 31, tzinfo=UTC)
        assert db.session.get(Seal, s2.id) is not None
        db.session.remove()

    # The page, with its charts, is for reviewers and admins.
    reviewer = signed_in(app, demo, "reviewer")
    response = reviewer.get("/review/report?year=114")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<svg" in html
    as_json = reviewer.get("/review/report?year=113&format=json")
    assert as_json.status_code == 200 and as_json.get_json() == EXPECTED[113]
    as_csv = reviewer.get("/review/report?year=114&format=csv")
    assert as_csv.status_code == 200 and as_csv.get_data().startswith(b"\xef\xbb\xbf")
    assert "sessions_held,,2" in as_csv.get_data(as_text=True)
    admin = signed_in(app, demo, "admin")
    assert admin.get("/review/report?year=114").status_code == 200
    for role, school in (("teacher", "taipei-daan"), ("student", "taipei-daan")):
        assert signed_in(app, demo, role, school).get("/review/report").status_code == 403
    anonymous = app.test_client().get("/review/report")
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]


# --- who reads which record --------------------------------------------------------------

FORMS = ("json", "csv", "html")


def _get(client, sid: int, form: str, query: str = ""):
    return client.get(f"/sessions/{sid}/transcript.{form}{query}")


def test_transcript_access_matrix(app, demo):
    ids = sessions_of(demo)
    sealed = ids["sealed"]
    students = student_names(demo)
    tw_students = [
        u["display_name"]
        for u in demo["users"]
        if u["role"] == "student" and u["school"] == "taipei-daan"
    ]

    def actor_names(doc: dict) -> set[str]:
        return {a["name"] for a in doc["actors"].values() if a["role"] == "student"}

    # Reviewers: every session, students under pseudonyms, no real names anywhere.
    reviewer = signed_in(app, demo, "reviewer")
    for sid in ids.values():
        for form in FORMS:
            response = _get(reviewer, sid, form)
            assert response.status_code == 200, (sid, form)
            assert names_in(response.get_data(as_text=True), students) == [], (sid, form)
            assert _get(reviewer, sid, form, "?names=1").status_code == 403, (sid, form)
    doc = _get(reviewer, sealed, "json").get_json()
    assert actor_names(doc) and all(re.fullmatch(r"\S+ \d+", n) for n in actor_names(doc))
    assert HIDDEN_BODY in _get(reviewer, sealed, "html").get_data(as_text=True)
    token = _token(app, "chen.reviewer")
    api = app.test_client().get(
        f"/api/v1/sessions/{sealed}/transcript?names=1",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert api.status_code in (200, 403)
    if api.status_code == 200:
        assert names_in(api.get_data(as_text=True), students) == []

    # Admins: names.
    admin = signed_in(app, demo, "admin")
    doc = _get(admin, sealed, "json").get_json()
    assert "王小明" in actor_names(doc)
    assert "王小明" in _get(admin, sealed, "html").get_data(as_text=True)

    # A teacher of the exchange: names, or pseudonyms when asked.
    teacher = signed_in(app, demo, "teacher", "taipei-daan")
    doc = _get(teacher, sealed, "json").get_json()
    assert {"王小明", "山田 花子"} <= actor_names(doc)
    assert HIDDEN_BODY in json.dumps(doc, ensure_ascii=False)
    for form in FORMS:
        response = _get(teacher, sealed, form, "?pseudonyms=1")
        assert response.status_code == 200
        assert names_in(response.get_data(as_text=True), students) == [], form
    headers = {"Authorization": "Bearer " + _token(app, "lin.teacher")}
    api = app.test_client()
    assert "王小明" in actor_names(
        api.get(f"/api/v1/sessions/{sealed}/transcript", headers=headers).get_json()
    )
    pseudo = api.get(f"/api/v1/sessions/{sealed}/transcript?pseudonyms=1", headers=headers)
    assert names_in(pseudo.get_data(as_text=True), students) == []

    # A teacher of another exchange: not found, in every form.
    other = signed_in(app, demo, "teacher", "seoul-hanbit")
    for form in FORMS:
        assert _get(other, sealed, form).status_code == 404, form
    assert _get(other, ids["kr"], "json").status_code == 200
    response = api.get(
        f"/api/v1/sessions/{sealed}/transcript",
        headers={"Authorization": "Bearer " + _token(app, "kim.teacher")},
    )
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"

    # A student of the exchange: their own sessions, hidden text withheld.
    student = signed_in(app, demo, "student", "taipei-daan")
    for form in FORMS:
        response = _get(student, sealed, form)
        assert response.status_code == 200, form
        assert HIDDEN_BODY not in response.get_data(as_text=True), form
    doc = _get(student, sealed, "json").get_json()
    assert set(tw_students[:3]) <= actor_names(doc)  # students read names
    assert _get(student, ids["kr"], "json").status_code == 200  # TW is in both exchanges

    # A student of another exchange: not found.
    kr_student = signed_in(app, demo, "student", "seoul-hanbit")
    for form in FORMS:
        assert _get(kr_student, sealed, form).status_code == 404, form
        assert _get(kr_student, ids["live"], form).status_code == 404, form
    assert _get(kr_student, ids["kr"], "json").status_code == 200

    # Nobody signed in: the sign-in page, or 401 from the API.
    anonymous = app.test_client()
    for form in FORMS:
        response = _get(anonymous, sealed, form)
        assert response.status_code == 302, form
        assert "/auth/login" in response.headers["Location"]
    response = anonymous.get(f"/api/v1/sessions/{sealed}/transcript")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


# --- the review desk --------------------------------------------------------------------


def _desk_ids(client, query: str = "") -> set[int]:
    response = client.get(f"/review/{query}")
    assert response.status_code == 200, query
    return {
        int(i)
        for i in re.findall(r'href="/review/sessions/(\d+)"', response.get_data(as_text=True))
    }


def test_review_desk_filters_and_verdicts(app, demo):
    from forum.clock import academic_year_of
    from forum.models import ForumSession, Review, User

    ids = sessions_of(demo)
    headers = {"Authorization": "Bearer " + _token(app, "lin.teacher")}
    api = app.test_client()
    assert api.post(f"/api/v1/sessions/{ids['live']}/close", headers=headers).status_code == 200
    assert api.post(f"/api/v1/sessions/{ids['kr']}/open", headers=headers).status_code == 200
    assert api.post(f"/api/v1/sessions/{ids['kr']}/close", headers=headers).status_code == 200
    plastic, rivers, energy = ids["sealed"], ids["live"], ids["kr"]

    for role, school in (("teacher", "taipei-daan"), ("student", "taipei-daan")):
        client = signed_in(app, demo, role, school)
        assert client.get("/review/").status_code == 403
        assert client.get("/review", follow_redirects=True).status_code == 403
        assert client.get(f"/review/sessions/{plastic}").status_code == 403

    reviewer = signed_in(app, demo, "reviewer")
    in_english(reviewer)
    assert _desk_ids(reviewer) == {plastic, rivers, energy}  # sealed ones only
    assert _desk_ids(reviewer, "?country=KR") == {energy}
    assert _desk_ids(reviewer, "?country=jp") == {plastic, rivers}
    assert _desk_ids(reviewer, "?country=TW") == {plastic, rivers, energy}
    assert _desk_ids(reviewer, "?school=seoul-hanbit") == {energy}
    assert _desk_ids(reviewer, "?school=shizuoka-aoi") == {plastic, rivers}
    assert _desk_ids(reviewer, "?sdg=12") == {plastic}
    assert _desk_ids(reviewer, "?sdg=7") == {energy}
    assert _desk_ids(reviewer, "?sdg=14") == {plastic, rivers}
    assert _desk_ids(reviewer, "?sdg=1") == set()
    assert _desk_ids(reviewer, "?country=KR&sdg=14") == set()
    with app.app_context():
        years = {
            sid: academic_year_of(db.session.get(ForumSession, sid).starts_at)
            for sid in (plastic, rivers, energy)
        }
        reviewer_id = db.session.scalar(sa.select(User.id).where(User.username == "chen.reviewer"))
        db.session.remove()
    for year in set(years.values()):
        assert _desk_ids(reviewer, f"?year={year}") == {s for s, y in years.items() if y == year}
    assert _desk_ids(reviewer, "?year=100") == set()
    assert _desk_ids(reviewer, "?state=unreviewed") == {plastic, rivers, energy}
    assert _desk_ids(reviewer, "?state=verified") == set()

    record_before = {sid: head_of(app, sid) for sid in (plastic, rivers)}

    def mark(sid: int, **form):
        token = csrf_token(reviewer, f"/review/sessions/{sid}")
        return reviewer.post(f"/review/sessions/{sid}", data={"csrf_token": token, **form})

    started = datetime.now(UTC) - timedelta(seconds=1)
    response = mark(plastic, state="verified", comment="")
    assert response.status_code == 302
    response = mark(rivers, state="flagged", comment="   ")
    assert response.status_code == 422
    assert "Say what is wrong when you flag a session." in response.get_data(as_text=True)
    response = mark(rivers, state="bogus", comment="x")
    assert response.status_code == 422
    response = mark(rivers, state="flagged", comment="The board is missing a column.")
    assert response.status_code == 302
    page = reviewer.get(f"/review/sessions/{rivers}").get_data(as_text=True)
    assert "The board is missing a column." in page

    with app.app_context():
        reviews = list(db.session.scalars(sa.select(Review).order_by(Review.id)))
        assert [(r.session_id, r.state.value, r.comment, r.reviewer_id) for r in reviews] == [
            (plastic, "verified", None, reviewer_id),
            (rivers, "flagged", "The board is missing a column.", reviewer_id),
        ]
        assert all(started <= r.at <= datetime.now(UTC) for r in reviews)
        db.session.remove()

    assert _desk_ids(reviewer, "?state=verified") == {plastic}
    assert _desk_ids(reviewer, "?state=flagged") == {rivers}
    assert _desk_ids(reviewer, "?state=unreviewed") == {energy}
    assert _desk_ids(reviewer, "?state=flagged&country=KR") == set()
    # The verdicts sit beside the sealed record; the record is unchanged.
    assert {sid: head_of(app, sid) for sid in (plastic, rivers)} == record_before
    from forum.evidence import verification

    with app.app_context():
        for sid in (plastic, rivers):
            assert verification.verify_stored(db.session.get(ForumSession, sid)).valid
        db.session.remove()
    # A teacher cannot mark.
    teacher = signed_in(app, demo, "teacher")
    token = csrf_token(teacher, "/")
    response = teacher.post(
        f"/review/sessions/{plastic}", data={"csrf_token": token, "state": "verified"}
    )
    assert response.status_code == 403


def test_a_live_sessions_export_matches_its_head_while_the_room_goes_on(app, demo):
    """Exported or checked mid-conversation, the record is the log as far as the head
    that was read, not a head with more events after it."""
    from forum import room
    from forum.evidence import readers, transcript, verification
    from forum.models import ForumSession, User

    sid = sessions_of(demo)["live"]
    with app.app_context(), app.test_request_context("/"):
        session = db.session.get(ForumSession, sid)
        head = session.head_seq
        reader = db.session.scalar(sa.select(User).where(User.username == "chen.reviewer"))
        reading = readers.reading_for(reader, session)
        # Someone writes in the room between reading the session and reading its log.
        with app.app_context():
            teacher = db.session.scalar(sa.select(User).where(User.username == "lin.teacher"))
            room.send_message(
                room.seat_for(teacher, sid), {"client_id": "mid-export", "body": "still talking"}
            )
            db.session.remove()
        doc = transcript.export(session, reading)
        assert [e["seq"] for e in doc["events"]] == list(range(1, head + 1))
        assert verification.verify_document(doc).valid
        assert verification.verify_stored(session).valid
        db.session.remove()


# --- the CSV ---------------------------------------------------------------------------


def test_csv_has_one_row_per_message_with_bom_and_cjk(app, demo):
    ids = sessions_of(demo)
    for role, school in (
        ("reviewer", None),
        ("teacher", "taipei-daan"),
        ("student", "taipei-daan"),
    ):
        client = signed_in(app, demo, role, school)
        response = _get(client, ids["sealed"], "csv")
        assert response.status_code == 200
        assert response.mimetype == "text/csv"
        raw = response.get_data()
        assert raw.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        header, rows = rows[0], rows[1:]
        assert header[0] == "seq" and "body" in header
        doc = _get(client, ids["sealed"], "json").get_json()
        posted = [e for e in doc["events"] if e["type"] == "message.posted"]
        assert [int(r[0]) for r in rows] == [e["seq"] for e in posted]
        bodies = [r[header.index("body")] for r in rows]
        for text in CJK_BODIES:
            assert text in bodies, role
        hidden = {r[0]: r for r in rows if r[header.index("hidden")]}
        assert len(hidden) == 1
        shown = next(iter(hidden.values()))[header.index("body")]
        assert shown == ("" if role == "student" else HIDDEN_BODY), role
    # An empty session: just the header.
    client = signed_in(app, demo, "teacher")
    raw = _get(client, ids["later"], "csv").get_data()
    assert len(list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))) == 1


def test_a_review_needs_a_chosen_verdict_and_the_page_speaks_the_readers_language(app, demo):
    """No verdict is chosen for the reviewer: a review sent without one is refused
    (nothing recorded), in their language; the integrity box names the signing key
    in that language, and the CLI's English line is marked as such."""
    from forum.models import Review

    closed = sessions_of(demo)["sealed"]
    reviewer = signed_in(app, demo, "reviewer")
    page = reviewer.get(f"/review/sessions/{closed}?lang=ja").get_data(as_text=True)
    select = re.search(r'<select id="state".*?</select>', page, re.S).group(0)
    assert (
        select.index('<option value="">判定を選んでください…</option>')
        < select.index('value="verified"')
        and "selected" not in select
    )  # nothing chosen for them
    assert "で署名されています" in page
    assert '<code lang="en" class="wrap">valid:' in page
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(Review))
    token = csrf_token(reviewer, f"/review/sessions/{closed}")
    response = reviewer.post(
        f"/review/sessions/{closed}", data={"csrf_token": token, "state": "", "comment": "ok"}
    )
    assert response.status_code == 422
    assert "判定を選んでください。" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Review)) == before


def test_the_reports_year_picker_names_the_year_shown_and_the_key_is_named(app, demo):
    reviewer = signed_in(app, demo, "reviewer")
    page = reviewer.get("/review/report?year=113&lang=en").get_data(as_text=True)
    assert re.search(r'<option value="113"\s+selected>', page), page[:3000]
    from forum.room import seal

    with app.app_context():
        assert f"<code>{seal.fingerprint()}</code>" in page

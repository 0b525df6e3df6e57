"""Showcase sessions (issue 19, part 3): the Alliance schedules a case-sharing session
with presenting classes; any school's teacher signs a class up as audience; audience
students' questions wait for a teacher; the session has its own sealed record and the
year's report counts it apart from the exchanges.

The demo's showcase (``seed-demo --with-showcase``) is upcoming: the Taipei class
presents, the Seoul class is in the audience, the Shizuoka class is in neither."""

from __future__ import annotations

import re

import pytest
from conftest import csrf_token, when
from livekit import sign_in

from forum.extensions import db
from forum.models import ForumSession


@pytest.fixture
def showcase(app, demo) -> dict:
    """The demo showcase's session (``seed-demo --with-showcase``)."""
    from forum import demo as demo_module

    with app.app_context():
        session = demo_module.seed_showcase()
    assert session["title"].startswith("Showcase") and session["status"] == "scheduled"
    return session


def class_id(demo, school: str) -> int:
    return next(c["id"] for c in demo["classes"] if c["school"] == school)


def api(app, people, name: str):
    """A test client and headers that act as ``name`` through the API."""
    user = people.users[name]
    if "code" in user:
        http = sign_in(app, user)
        return http, {"X-CSRFToken": csrf_token(http, "/")}
    return app.test_client(), {"Authorization": f"Bearer {people.token(name)}"}


def body_for(demo, **extra) -> dict:
    return {
        "title": "How our beach clean-up worked",
        "sdgs": [14],
        "starts_at": when(5, 6),
        "ends_at": when(5, 7),
        "description": "Two classes share what they learned.",
        "presenting_class_ids": [class_id(demo, "taipei-daan"), class_id(demo, "shizuoka-aoi")],
        **extra,
    }


# --- scheduling -----------------------------------------------------------------------


def test_the_alliance_schedules_a_showcase_and_no_one_else(app, people, demo):
    http, headers = api(app, people, "reviewer")
    made = http.post("/api/v1/showcases", json=body_for(demo), headers=headers)
    assert made.status_code == 201, made.get_data(as_text=True)
    body = made.get_json()
    assert made.headers["Location"] == f"/api/v1/showcases/{body['id']}"
    assert {c["school"] for c in body["presenting"]} == {"taipei-daan", "shizuoka-aoi"}
    assert body["audience"] == [] and body["ended"] is False
    assert body["session"]["status"] == "scheduled" and body["session"]["sdgs"] == [14]
    assert body["description"] == "Two classes share what they learned."

    # A teacher, even of a presenting class, cannot; the message in their language.
    for name, words in (("tw_teacher", "聯盟"), ("kr_teacher", "연맹")):
        client, auth = api(app, people, name)
        refused = client.post("/api/v1/showcases", json=body_for(demo), headers=auth)
        assert refused.status_code == 403
        assert refused.get_json()["error"]["code"] == "forbidden"
        assert words in refused.get_json()["error"]["message"]
    # Bad input: every field named at once.
    bad = http.post(
        "/api/v1/showcases",
        json={"title": "", "sdgs": [99], "presenting_class_ids": [999999]},
        headers=headers,
    )
    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["fields"]) >= {
        "title",
        "sdgs",
        "starts_at",
        "ends_at",
        "presenting_class_ids",
    }
    assert (
        http.post(
            "/api/v1/showcases", json=body_for(demo, presenting_class_ids=[]), headers=headers
        ).status_code
        == 422
    )
    # A cookie write without the CSRF header is refused.
    staff = sign_in(app, people.users["admin"])
    assert staff.post("/api/v1/showcases", json=body_for(demo)).status_code == 403

    # The presenting classes see it like any session; the others do not.
    tw, tw_auth = api(app, people, "tw_student")
    listed = {s["id"] for s in tw.get("/api/v1/sessions", headers=tw_auth).get_json()["sessions"]}
    assert body["session"]["id"] in listed
    kr, kr_auth = api(app, people, "kr_student")
    listed = {s["id"] for s in kr.get("/api/v1/sessions", headers=kr_auth).get_json()["sessions"]}
    assert body["session"]["id"] not in listed


def test_the_alliance_schedules_on_its_page_and_teachers_see_the_list(app, people, demo, showcase):
    reviewer = sign_in(app, people.users["reviewer"])
    page = reviewer.get("/showcases/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'href="/showcases/"' in reviewer.get("/").get_data(as_text=True)
    assert "Showcase: what our beach clean-up taught us" in html
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    form = {
        "csrf_token": token,
        "title": "Energy savers show and tell",
        "sdgs": ["7"],
        "starts_at": "2031-03-12T14:00",
        "ends_at": "2031-03-12T15:00",
        "description": "",
        "presenting_class_ids": [str(class_id(demo, "seoul-hanbit"))],
    }
    done = reviewer.post("/showcases/", data=form)
    assert done.status_code == 302, done.get_data(as_text=True)
    assert "Energy savers show and tell" in reviewer.get("/showcases/").get_data(as_text=True)
    # Without the CSRF token: refused.
    assert reviewer.post("/showcases/", data={**form, "csrf_token": ""}).status_code == 400

    teacher = sign_in(app, people.users["jp_teacher"])
    html = teacher.get("/showcases/").get_data(as_text=True)
    assert "Energy savers show and tell" in html and "join-audience" in html
    assert 'name="presenting_class_ids"' not in html  # no form to schedule
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    assert teacher.post("/showcases/", data={**form, "csrf_token": token}).status_code == 403
    student = sign_in(app, people.users["jp_student"])
    assert student.get("/showcases/").status_code == 403


def test_showcases_stay_out_of_exchanges_applications_and_their_figures(app, people, demo):
    http, headers = api(app, people, "reviewer")
    with app.app_context():
        from forum.clock import academic_year_of
        from forum.evidence import report
        from forum.models import utcnow

        roc = academic_year_of(utcnow())
        before = report.report(roc)
    made = http.post("/api/v1/showcases", json=body_for(demo), headers=headers).get_json()
    listed = http.get("/api/v1/exchanges", headers=headers).get_json()["exchanges"]
    assert made["id"] not in {e["id"] for e in listed}
    assert http.get(f"/api/v1/exchanges/{made['id']}", headers=headers).status_code == 404
    assert (
        http.post(f"/api/v1/exchanges/{made['id']}/complete", json={}, headers=headers).status_code
        == 404
    )
    desk = sign_in(app, people.users["reviewer"]).get("/desk/").get_data(as_text=True)
    assert "How our beach clean-up worked" not in desk
    with app.app_context():
        after = report.report(roc)
    assert after["exchanges"] == before["exchanges"]
    assert after["applications"] == before["applications"]
    # A presenting teacher schedules no other session in it, nor changes its session.
    tw, tw_auth = api(app, people, "tw_teacher")
    refused = tw.post(
        "/api/v1/sessions",
        json={
            "exchange_id": made["id"],
            "title": "Extra",
            "sdgs": [14],
            "starts_at": when(6, 6),
            "ends_at": when(6, 7),
        },
        headers=tw_auth,
    )
    assert refused.status_code == 403
    sid = made["session"]["id"]
    assert (
        tw.patch(f"/api/v1/sessions/{sid}", json={"title": "Mine"}, headers=tw_auth).status_code
        == 403
    )
    assert tw.delete(f"/api/v1/sessions/{sid}", headers=tw_auth).status_code == 403


# --- the audience -----------------------------------------------------------------------


def test_teachers_sign_their_own_classes_up_and_withdraw_them(app, people, demo, showcase):
    sid, xid = showcase["id"], showcase["exchange_id"]
    jp_class = class_id(demo, "shizuoka-aoi")
    student, s_auth = api(app, people, "jp_student")
    # Before: the Shizuoka students see nothing of it.
    assert student.get(f"/api/v1/showcases/{xid}", headers=s_auth).status_code == 404
    assert student.get("/api/v1/showcases", headers=s_auth).get_json()["showcases"] == []
    assert student.get(f"/api/v1/sessions/{sid}", headers=s_auth).status_code == 404
    assert student.get(f"/sessions/{sid}").status_code == 404
    assert showcase["title"] not in student.get("/").get_data(as_text=True)
    live = people.live("jp_student")
    live.error("join", {"session_id": sid}, "not_found")

    teacher, t_auth = api(app, people, "jp_teacher")
    upcoming = teacher.get("/api/v1/showcases?upcoming=1", headers=t_auth).get_json()
    assert xid in {s["id"] for s in upcoming["showcases"]}
    # Not another school's class; not a presenting class; a student signs up nothing.
    other = teacher.post(
        f"/api/v1/showcases/{xid}/audience",
        json={"class_id": class_id(demo, "seoul-hanbit")},
        headers=t_auth,
    )
    assert other.status_code == 404 and other.get_json()["error"]["code"] == "not_found"
    tw, tw_auth = api(app, people, "tw_teacher")
    presenting = tw.post(
        f"/api/v1/showcases/{xid}/audience",
        json={"class_id": class_id(demo, "taipei-daan")},
        headers=tw_auth,
    )
    assert presenting.status_code == 409
    refused = student.post(
        f"/api/v1/showcases/{xid}/audience", json={"class_id": jp_class}, headers=s_auth
    )
    assert refused.status_code == 404  # a student who may not see it learns nothing
    missing = teacher.post(f"/api/v1/showcases/{xid}/audience", json={}, headers=t_auth)
    assert missing.status_code == 422 and "class_id" in missing.get_json()["error"]["fields"]
    assert (
        teacher.post(
            "/api/v1/showcases/999999/audience", json={"class_id": jp_class}, headers=t_auth
        ).status_code
        == 404
    )

    joined = teacher.post(
        f"/api/v1/showcases/{xid}/audience", json={"class_id": jp_class}, headers=t_auth
    )
    assert joined.status_code == 200, joined.get_data(as_text=True)
    assert jp_class in {c["class_id"] for c in joined.get_json()["audience"]}
    assert joined.get_json()["my_audience_class_ids"] == [jp_class]
    # Now its students see it at home, in the API, and may join the room.
    assert showcase["title"] in student.get("/").get_data(as_text=True)
    assert student.get(f"/api/v1/showcases/{xid}", headers=s_auth).status_code == 200
    assert student.get(f"/sessions/{sid}").status_code == 200
    live.ok("join", {"session_id": sid})
    # A student of an audience class still cannot sign up or withdraw a class.
    assert (
        student.delete(
            f"/api/v1/showcases/{xid}/audience", json={"class_id": jp_class}, headers=s_auth
        ).status_code
        == 403
    )

    gone = teacher.delete(
        f"/api/v1/showcases/{xid}/audience", json={"class_id": jp_class}, headers=t_auth
    )
    assert gone.status_code == 200 and gone.get_json()["audience"] != []  # Seoul stays
    assert jp_class not in {c["class_id"] for c in gone.get_json()["audience"]}
    again = teacher.delete(
        f"/api/v1/showcases/{xid}/audience", json={"class_id": jp_class}, headers=t_auth
    )
    assert again.status_code == 404
    assert student.get(f"/api/v1/sessions/{sid}", headers=s_auth).status_code == 404

    # The same from the page, with its CSRF token; and the Alliance adds any class.
    page = sign_in(app, people.users["jp_teacher"])
    html = page.get("/showcases/").get_data(as_text=True)
    assert "join-audience" in html
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    done = page.post(
        f"/showcases/{xid}/audience",
        data={"csrf_token": token, "class_id": str(jp_class), "action": "add"},
    )
    assert done.status_code == 302
    assert student.get(f"/api/v1/sessions/{sid}", headers=s_auth).status_code == 200
    reviewer, r_auth = api(app, people, "reviewer")
    removed = reviewer.delete(
        f"/api/v1/showcases/{xid}/audience", json={"class_id": jp_class}, headers=r_auth
    )
    assert removed.status_code == 200
    added = reviewer.post(
        f"/api/v1/showcases/{xid}/audience", json={"class_id": jp_class}, headers=r_auth
    )
    assert added.status_code == 200


# --- in the room ------------------------------------------------------------------------


def _open(people, sid: int):
    teacher = people.live("tw_teacher")
    teacher.ok("session.open", {"session_id": sid})
    teacher.ok("join", {"session_id": sid})
    return teacher


def test_audience_questions_wait_for_a_teacher_presenting_students_post(people, showcase):
    sid = showcase["id"]
    tw_teacher = _open(people, sid)
    kr_teacher = people.joined("kr_teacher", sid)
    asker = people.joined("kr_student", sid)
    other_audience = people.joined("kr_student2", sid)
    presenter = people.joined("tw_student", sid)
    assert asker.ok("join", {"session_id": sid})["you"]["audience"] is True
    assert presenter.ok("join", {"session_id": sid})["you"]["audience"] is False
    for client in (tw_teacher, kr_teacher, asker, other_audience, presenter):
        client.forget()

    question = asker.ok(
        "chat.send", {"session_id": sid, "client_id": "q1", "body": "쓰레기는 어떻게 분류했나요?"}
    )["event"]
    assert question["type"] == "message.held" and question["data"]["reason"] == "audience"
    said = presenter.ok(
        "chat.send", {"session_id": sid, "client_id": "p1", "body": "我們先分類塑膠。"}
    )["event"]
    assert said["type"] == "message.posted"
    # Teachers of both parts moderate; a student's question reaches no other student.
    assert tw_teacher.ok("join", {"session_id": sid})["held"][0]["seq"] == question["seq"]
    assert kr_teacher.ok("join", {"session_id": sid})["held"][0]["seq"] == question["seq"]
    for client in (presenter, other_audience):
        assert question["seq"] not in {e["seq"] for e in client.events()}
        ack = client.ok("join", {"session_id": sid, "since": 0})
        assert question["seq"] not in {e["seq"] for e in ack["events"]}
    assert said["seq"] in {e["seq"] for e in other_audience.events()}
    # The audience writes no notes (seen at once); students release nothing.
    asker.error(
        "note.add",
        {"session_id": sid, "client_id": "n1", "text": "hi", "column": "see"},
        "forbidden",
    )
    presenter.error("mod.release", {"session_id": sid, "message_id": question["seq"]}, "forbidden")

    released = tw_teacher.ok(
        "mod.release", {"session_id": sid, "message_id": question["data"]["message_id"]}
    )["event"]
    assert released["type"] == "message.released"
    heard = [e for e in presenter.events() if e["type"] == "message.released"]
    assert heard and heard[0]["data"]["body"] == "쓰레기는 어떻게 분류했나요?"


def test_the_showcase_record_seals_verifies_and_the_report_counts_it(
    app, people, showcase, runner, tmp_path
):
    sid = showcase["id"]
    with app.app_context():
        from forum.clock import academic_year_of
        from forum.evidence import report
        from forum.models import utcnow

        roc = academic_year_of(utcnow())
        before = report.report(roc)
    assert before["showcases"] == {"held": 0, "presenting_schools": 0, "audience_schools": 0}
    teacher = _open(people, sid)
    asker = people.joined("kr_student", sid)
    asker.ok("chat.send", {"session_id": sid, "client_id": "q", "body": "질문 있어요"})
    teacher.ok("chat.send", {"session_id": sid, "client_id": "t", "body": "Welcome!"})
    teacher.ok("session.close", {"session_id": sid})

    staff = sign_in(app, people.users["tw_teacher"])
    evidence = tmp_path / "showcase.json"
    evidence.write_bytes(staff.get(f"/sessions/{sid}/transcript.json").data)
    result = runner.invoke(args=["forum", "verify", str(evidence)])
    assert result.exit_code == 0 and result.output.startswith("valid"), result.output
    with app.app_context():
        from forum.evidence.verification import verify_stored

        assert verify_stored(db.session.get(ForumSession, sid)).valid
        after = report.report(roc)
    # Counted apart: the exchanges' figures are what they were.
    assert after["showcases"] == {"held": 1, "presenting_schools": 1, "audience_schools": 1}
    for key in ("exchanges", "applications", "sessions_held", "messages", "held_messages"):
        assert after[key] == before[key], key
    # The review desk lists its sealed record.
    desk = sign_in(app, people.users["reviewer"]).get("/review/").get_data(as_text=True)
    assert showcase["title"] in desk
    rows = sign_in(app, people.users["reviewer"]).get(f"/review/report?year={roc}&format=csv")
    assert "showcases,audience_schools,1" in rows.get_data(as_text=True)

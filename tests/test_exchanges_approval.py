"""Exchanges as applications (protocol.md, "Exchanges: applications, consent, approval"):
a teacher proposes, every partner class's teacher accepts, the Alliance approves; only
then can sessions be scheduled and do the students of its classes see anything of it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from conftest import when
from test_migrations import flask_db, fresh_app  # noqa: F401 (fixture)

from forum.extensions import db

pytestmark = pytest.mark.usefixtures("demo_snapshot")


@pytest.fixture
def api(app, bearer):
    """``api(method, path, who, json=None)`` → (status, body); ``who`` is "tw", "jp",
    "kr" (teachers), "reviewer" or "admin"."""
    schools = {"tw": "taipei-daan", "jp": "shizuoka-aoi", "kr": "seoul-hanbit"}
    tokens: dict[str, dict] = {}

    def call(method: str, path: str, who: str, json=None):
        if who not in tokens:
            tokens[who] = bearer("teacher", schools[who]) if who in schools else bearer(who)
        response = app.test_client().open(
            f"/api/v1{path}", method=method, json=json, headers=tokens[who]
        )
        return response.status_code, response.get_json()

    return call


@pytest.fixture
def class_ids(demo) -> dict[str, int]:
    by_school = {c["school"]: c["id"] for c in demo["classes"]}
    return {
        "tw": by_school["taipei-daan"],
        "jp": by_school["shizuoka-aoi"],
        "kr": by_school["seoul-hanbit"],
    }


@pytest.fixture
def propose(api, class_ids):
    """A Taipei teacher's application with the Shizuoka class (or as given)."""

    def make(who: str = "tw", **fields) -> dict:
        body = {
            "class_id": class_ids["tw"],
            "title": "Rivers that reach the sea",
            "sdgs": [6, 14],
            "mode": "online",
            "partner_class_ids": [class_ids["jp"]],
            "starts_on": "2026-09-01",
            "ends_on": "2027-06-30",
            "goals": "Compare our rivers and what they carry to the sea.",
        }
        body.update(fields)
        status, exchange = api("POST", "/exchanges", who, body)
        assert status == 201, exchange
        return exchange

    return make


def _session_body(exchange_id: int) -> dict:
    return {
        "exchange_id": exchange_id,
        "title": "Our rivers, side by side",
        "sdgs": [6],
        "starts_at": when(5, 6),
        "ends_at": when(5, 7),
    }


def _student_sees(app, auth, school: str) -> tuple[set[str], set[int], str]:
    """What a student of that school sees: session titles (API), exchange ids (API),
    and the home page's HTML."""
    client = app.test_client()
    auth.client = client
    auth.login("student", school)
    sessions = client.get("/api/v1/sessions").get_json()["sessions"]
    exchanges = client.get("/api/v1/exchanges").get_json()["exchanges"]
    home = client.get("/").get_data(as_text=True)
    return {s["title"] for s in sessions}, {e["id"] for e in exchanges}, home


def test_the_whole_path_proposal_acceptance_approval_session(app, auth, api, propose, class_ids):
    exchange = propose()
    assert exchange["status"] == "proposed" and exchange["alliance"] == "pending"
    assert exchange["academic_year"] == 115  # from starts_on 2026-09-01
    assert exchange["mode"] == "online" and exchange["sdgs"] == [6, 14]
    assert exchange["starts_on"] == "2026-09-01" and exchange["ends_on"] == "2027-06-30"
    accepted = {c["id"]: c["accepted"] for c in exchange["classes"]}
    assert accepted == {class_ids["tw"]: True, class_ids["jp"]: None}
    assert {c["school"]["slug"] for c in exchange["classes"]} == {"taipei-daan", "shizuoka-aoi"}
    assert set(exchange["classes"][0]["school"]) == {"slug", "name", "country", "region"}
    ex_id = exchange["id"]

    # The partner class's teacher sees the proposal; the Seoul teacher does not.
    status, listed = api("GET", "/exchanges", "jp")
    assert ex_id in {e["id"] for e in listed["exchanges"]}
    assert api("GET", f"/exchanges/{ex_id}", "kr")[0] == 404
    # Nothing can be scheduled yet, by either teacher.
    for who in ("tw", "jp"):
        status, body = api("POST", "/sessions", who, _session_body(ex_id))
        assert status == 409 and body["error"]["code"] == "not_approved", body

    status, body = api("POST", f"/exchanges/{ex_id}/accept", "jp", {"comment": "喜んで"})
    assert status == 200, body
    assert all(c["accepted"] is True for c in body["classes"])
    assert body["status"] == "proposed"  # the Alliance has not approved yet
    assert (
        api("POST", "/sessions", "tw", _session_body(ex_id))[1]["error"]["code"] == "not_approved"
    )
    titles, ids, home = _student_sees(app, auth, "shizuoka-aoi")
    assert ex_id not in ids and "Rivers that reach the sea" not in home

    status, body = api(
        "POST", f"/exchanges/{ex_id}/approve", "reviewer", {"comment": "A good plan."}
    )
    assert status == 200, body
    assert body["status"] == "approved" and body["alliance"] == "approved"
    assert body["comment"] == "A good plan."
    assert [d["action"] for d in body["decisions"]] == ["propose", "accept", "approve"]
    assert body["decisions"][1]["comment"] == "喜んで"

    status, session = api("POST", "/sessions", "tw", _session_body(ex_id))
    assert status == 201, session
    titles, ids, home = _student_sees(app, auth, "shizuoka-aoi")
    assert "Our rivers, side by side" in titles
    assert ex_id in ids
    assert "Our rivers, side by side" in home
    # A Seoul student sees nothing of it.
    titles, ids, home = _student_sees(app, auth, "seoul-hanbit")
    assert "Our rivers, side by side" not in titles and ex_id not in ids

    # A teacher of the exchange closes it with a summary; students still see its record.
    status, body = api("POST", f"/exchanges/{ex_id}/complete", "jp", {})
    assert status == 422 and "summary" in body["error"]["fields"]
    status, body = api(
        "POST",
        f"/exchanges/{ex_id}/complete",
        "jp",
        {"summary": "Both classes mapped their rivers."},
    )
    assert status == 200 and body["status"] == "completed", body
    assert body["summary"] == "Both classes mapped their rivers."
    assert "Our rivers, side by side" in _student_sees(app, auth, "shizuoka-aoi")[0]
    status, body = api("POST", "/sessions", "tw", _session_body(ex_id))
    assert status == 409 and body["error"]["code"] == "conflict"


def test_students_of_an_unapproved_exchange_see_nothing_of_it(app, auth, propose):
    """Even a session that somehow exists stays out of every student path: the API,
    the home page, the room, the live seat and the calendar feed."""
    from forum.models import ForumSession, SessionStatus, User, utcnow
    from forum.people import access, proofs

    exchange = propose()
    with app.app_context():
        start = utcnow() + timedelta(days=2)
        row = ForumSession(
            exchange_id=exchange["id"],
            title="Not yet agreed",
            sdgs=[6],
            status=SessionStatus.SCHEDULED,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
        )
        db.session.add(row)
        db.session.commit()
        session_id = row.id
    for school in ("shizuoka-aoi", "taipei-daan"):
        titles, ids, home = _student_sees(app, auth, school)
        assert "Not yet agreed" not in titles and "Not yet agreed" not in home
        assert exchange["id"] not in ids
        client = auth.client
        assert client.get(f"/sessions/{session_id}").status_code == 404
        assert client.get(f"/api/v1/sessions/{session_id}").status_code == 404
        assert client.get(f"/api/v1/exchanges/{exchange['id']}").status_code == 404
        assert client.get(f"/exchanges/{exchange['id']}").status_code == 404
        with app.app_context():
            student = next(
                u
                for u in db.session.scalars(sa.select(User).where(User.role == "student"))
                if u.school.slug == school
            )
            assert access.live_seat(student, session_id) is None
            feed = app.test_client().get(f"/calendar/{proofs.calendar_feed_key(student)}.ics")
            assert feed.status_code == 200
            assert "Not yet agreed" not in feed.get_data(as_text=True)


def test_refusals(api, propose, class_ids):
    exchange = propose()
    ex_id = exchange["id"]
    # A teacher answering for a class not theirs: the Seoul teacher, and the proposer.
    for who in ("kr", "tw"):
        for action in ("accept", "decline"):
            status, body = api("POST", f"/exchanges/{ex_id}/{action}", who, {})
            assert status == 403 and body["error"]["code"] == "forbidden", (who, body)
    # The Shizuoka teacher naming a class not theirs.
    status, body = api("POST", f"/exchanges/{ex_id}/accept", "jp", {"class_id": class_ids["tw"]})
    assert status == 403
    # A reviewer proposing.
    status, body = api(
        "POST",
        "/exchanges",
        "reviewer",
        {
            "class_id": class_ids["tw"],
            "title": "x",
            "sdgs": [1],
            "mode": "online",
            "partner_class_ids": [class_ids["jp"]],
        },
    )
    assert status == 403 and body["error"]["code"] == "forbidden"
    # Teachers do not decide for the Alliance.
    for action in ("approve", "return", "pair"):
        assert api("POST", f"/exchanges/{ex_id}/{action}", "tw", {})[0] == 403
    # Approving before every partner accepted.
    status, body = api("POST", f"/exchanges/{ex_id}/approve", "reviewer", {})
    assert status == 409 and body["error"]["code"] == "conflict"
    # Withdraw by someone else: the partner's teacher, a reviewer.
    for who in ("jp", "reviewer"):
        status, body = api("POST", f"/exchanges/{ex_id}/withdraw", who, {})
        assert status == 403, (who, body)
    status, body = api("POST", f"/exchanges/{ex_id}/withdraw", "tw", {})
    assert status == 200 and body["status"] == "withdrawn"
    # Acting in the wrong state.
    for who, action in (
        ("jp", "accept"),
        ("reviewer", "approve"),
        ("tw", "withdraw"),
        ("tw", "complete"),
    ):
        status, body = api("POST", f"/exchanges/{ex_id}/{action}", who, {"summary": "s"})
        assert status == 409 and body["error"]["code"] == "conflict", (who, action, body)
    # A student: nothing to act on.
    assert api("GET", "/exchanges/999999", "tw")[0] == 404


def test_validation_errors_name_fields_in_the_users_language(app, bearer, class_ids):
    headers = bearer("teacher", "taipei-daan")
    body = {
        "class_id": class_ids["jp"],
        "title": "",
        "sdgs": [18],
        "mode": "by boat",
        "partner_class_ids": [],
        "starts_on": "2026-13-01",
        "partner_country": "XX",
    }
    replies = {}
    for lang in ("en", "ja"):
        response = app.test_client().post(
            f"/api/v1/exchanges?lang={lang}", json=body, headers=headers
        )
        assert response.status_code == 422
        replies[lang] = response.get_json()["error"]
    assert set(replies["en"]["fields"]) == {
        "class_id",
        "title",
        "sdgs",
        "mode",
        "starts_on",
        "partner_country",
    }
    assert replies["en"]["fields"]["class_id"] == "Choose one of your classes."
    assert replies["ja"]["fields"]["class_id"] != replies["en"]["fields"]["class_id"]
    # Neither a partner class nor a country: the Alliance would have nothing to go on.
    response = app.test_client().post(
        "/api/v1/exchanges?lang=en",
        headers=headers,
        json={"class_id": class_ids["tw"], "title": "Alone", "sdgs": [4], "mode": "in_person"},
    )
    assert response.status_code == 422
    assert "partner_class_ids" in response.get_json()["error"]["fields"]
    # Two classes of one school.
    response = app.test_client().post(
        "/api/v1/exchanges?lang=en",
        headers=headers,
        json={
            "class_id": class_ids["tw"],
            "title": "Alone",
            "sdgs": [4],
            "mode": "in_person",
            "partner_class_ids": [class_ids["tw"]],
        },
    )
    assert response.status_code == 422


def test_the_alliance_finds_the_partner(api, propose, class_ids):
    exchange = propose(
        partner_class_ids=None, partner_country="KR", mode="in_person", starts_on=None, ends_on=None
    )
    assert exchange["partner_country"] == "KR" and len(exchange["classes"]) == 1
    ex_id = exchange["id"]
    status, body = api(
        "POST",
        f"/exchanges/{ex_id}/return",
        "reviewer",
        {"comment": "Please say which weeks suit you."},
    )
    assert status == 200 and body["alliance"] == "returned" and body["status"] == "proposed"
    assert body["comment"] == "Please say which weeks suit you."
    # The Seoul teacher does not see it until the Alliance pairs their class.
    assert api("GET", f"/exchanges/{ex_id}", "kr")[0] == 404
    status, body = api(
        "POST", f"/exchanges/{ex_id}/pair", "reviewer", {"partner_class_ids": [class_ids["kr"]]}
    )
    assert status == 200, body
    assert {c["id"]: c["accepted"] for c in body["classes"]}[class_ids["kr"]] is None
    assert api("GET", f"/exchanges/{ex_id}", "kr")[0] == 200
    assert api("POST", f"/exchanges/{ex_id}/accept", "kr", {})[0] == 200
    status, body = api("POST", f"/exchanges/{ex_id}/approve", "admin", {})
    assert status == 200 and body["status"] == "approved"
    assert [d["action"] for d in body["decisions"]] == [
        "propose",
        "return",
        "pair",
        "accept",
        "approve",
    ]


def test_declines(api, propose):
    first = propose()
    status, body = api(
        "POST", f"/exchanges/{first['id']}/decline", "jp", {"comment": "Our term is full."}
    )
    assert status == 200 and body["status"] == "declined"
    assert [c["accepted"] for c in body["classes"]] == [True, False]
    second = propose()
    status, body = api(
        "POST", f"/exchanges/{second['id']}/decline", "reviewer", {"comment": "Not this year."}
    )
    assert status == 200
    assert body["status"] == "declined" and body["alliance"] == "declined"
    status, listed = api("GET", "/exchanges?status=declined", "reviewer")
    assert {e["id"] for e in listed["exchanges"]} == {first["id"], second["id"]}


def test_demo_exchanges_are_approved(api):
    status, body = api("GET", "/exchanges", "tw")
    assert status == 200 and len(body["exchanges"]) == 2
    for exchange in body["exchanges"]:
        assert exchange["status"] == "approved" and exchange["alliance"] == "approved"
        assert all(c["accepted"] is True for c in exchange["classes"])


def test_existing_exchanges_migrate_as_approved(fresh_app):  # noqa: F811
    """Exchanges made before applications count as approved, every class accepted."""
    flask_db(fresh_app, "upgrade", "3b1f0c2d9e71")
    with fresh_app.app_context(), db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO schools (id, slug, name_zh_tw, name_en, name_ja, name_ko, country, "
                "region, timezone) VALUES (1, 'a', 'a', 'a', 'a', 'a', 'TW', 'Taipei', "
                "'Asia/Taipei'), (2, 'b', 'b', 'b', 'b', 'b', 'JP', 'Shizuoka', 'Asia/Tokyo')"
            )
        )
        conn.execute(
            sa.text("INSERT INTO classes (id, school_id, name) VALUES (1, 1, 'x'), (2, 2, 'y')")
        )
        conn.execute(
            sa.text(
                "INSERT INTO exchanges (id, title, sdgs, mode, academic_year, status, created_at) "
                "VALUES (1, 'old', '[13]', 'online', 113, 'active', '2024-09-01 00:00:00'), "
                "(2, 'gone', '[13]', 'online', 113, 'cancelled', '2024-09-01 00:00:00')"
            )
        )
        conn.execute(
            sa.text("INSERT INTO exchange_classes (exchange_id, class_id) VALUES (1, 1), (1, 2)")
        )
        conn.execute(
            sa.text(
                "INSERT INTO forum_sessions (id, exchange_id, title, sdgs, starts_at, ends_at, "
                "status, created_at, revision, head_seq, locked, slow_mode, board_template) "
                "VALUES (1, 1, 's', '[13]', '2024-09-02 06:00:00', '2024-09-02 07:00:00', "
                "'scheduled', '2024-09-01 00:00:00', 0, 0, false, 0, 'see-why-do')"
            )
        )
    flask_db(fresh_app, "upgrade")
    with fresh_app.app_context(), db.engine.connect() as conn:
        assert conn.execute(
            sa.text("SELECT id, status, alliance FROM exchanges ORDER BY id")
        ).all() == [(1, "approved", "approved"), (2, "withdrawn", "approved")]
        # The classes and the session are still there (no cascade from rebuilding).
        assert conn.execute(
            sa.text("SELECT class_id, accepted FROM exchange_classes ORDER BY class_id")
        ).all() == [(1, True), (2, True)]
        assert conn.execute(sa.text("SELECT count(*) FROM forum_sessions")).scalar() == 1
    flask_db(fresh_app, "downgrade", "3b1f0c2d9e71")
    flask_db(fresh_app, "upgrade")


def test_report_counts_applications_by_mode(app, api, propose, runner):
    """``forum report`` counts the applications of the year by mode, the approved and
    declined ones; ``exchanges`` counts only those that took place (approved)."""
    import json

    from forum.clock import academic_year_bounds, academic_year_of
    from forum.models import utcnow

    year = academic_year_of(utcnow())  # the demo's two approved online exchanges
    day = (academic_year_bounds(year)[0] + timedelta(days=30)).isoformat()
    approved = propose(starts_on=day, ends_on=None)
    api("POST", f"/exchanges/{approved['id']}/accept", "jp", {})
    assert api("POST", f"/exchanges/{approved['id']}/approve", "reviewer", {})[0] == 200
    propose(starts_on=day, ends_on=None, mode="in_person")  # still proposed
    declined = propose(starts_on=day, ends_on=None)
    assert api("POST", f"/exchanges/{declined['id']}/decline", "jp", {})[0] == 200
    withdrawn = propose(starts_on=day, ends_on=None, mode="in_person")
    assert api("POST", f"/exchanges/{withdrawn['id']}/withdraw", "tw", {})[0] == 200
    propose(starts_on="2035-09-01", ends_on=None)  # another academic year

    result = runner.invoke(args=["forum", "report", "--year", str(year), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["applications"] == {
        "total": 6,
        "online": 4,
        "in_person": 2,
        "approved": 3,
        "declined": 1,
    }
    assert data["exchanges"] == {"online": 3, "in_person": 0, "total": 3, "completed": 0}
    result = runner.invoke(args=["forum", "report", "--year", str(year), "--format", "csv"])
    assert "applications,declined,1" in result.output.replace("\r", "")


# --- the same path on the pages ------------------------------------------------------------


def test_a_proposal_is_answered_and_approved_on_the_exchange_page(app, demo):
    """Without the API: the Shizuoka teacher accepts on the exchange's page (in
    Japanese), a reviewer approves it there, and the decisions are listed; a student
    of the class sees nothing of it before approval and may not act on it."""
    from conftest import Auth, csrf_token

    from forum.models import Exchange, ExchangeStatus, School, SchoolClass

    with app.app_context():
        tw = db.session.scalar(
            sa.select(SchoolClass).join(School).where(School.slug == "taipei-daan")
        )
        jp = db.session.scalar(
            sa.select(SchoolClass).join(School).where(School.slug == "shizuoka-aoi")
        )
        tw_id, jp_id = tw.id, jp.id
    proposer = app.test_client()
    Auth(proposer, demo).login("teacher", "taipei-daan")
    token = csrf_token(proposer, "/")
    response = proposer.post(
        "/api/v1/exchanges",
        json={
            "class_id": tw_id,
            "title": "Rivers and rain",
            "sdgs": [6, 13],
            "mode": "online",
            "partner_class_ids": [jp_id],
        },
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 201, response.get_json()
    exchange_id = response.get_json()["id"]
    page = f"/exchanges/{exchange_id}"

    student = app.test_client()
    Auth(student, demo).login("student", "shizuoka-aoi")
    assert student.get(page).status_code == 404

    partner = app.test_client()
    Auth(partner, demo).login("teacher", "shizuoka-aoi")
    html = partner.get(page + "?lang=ja").get_data(as_text=True)
    assert 'value="accept"' in html and 'value="approve"' not in html
    token = csrf_token(partner, page)
    response = partner.post(page + "/decide", data={"action": "approve", "csrf_token": token})
    assert response.status_code == 403  # only the Alliance approves
    response = partner.post(
        page + "/decide",
        data={"action": "accept", "comment": "よろしくお願いします", "csrf_token": token},
    )
    assert response.status_code == 302

    reviewer = app.test_client()
    Auth(reviewer, demo).login("reviewer")
    html = reviewer.get(page).get_data(as_text=True)
    assert 'value="approve"' in html and "よろしくお願いします" in html
    token = csrf_token(reviewer, page)
    assert (
        reviewer.post(page + "/decide", data={"action": "approve", "csrf_token": token}).status_code
        == 302
    )
    with app.app_context():
        assert db.session.get(Exchange, exchange_id).status == ExchangeStatus.APPROVED
    assert student.get(page).status_code == 200
    # Acting again in the wrong state is refused on the page, with the reason.
    response = reviewer.post(page + "/decide", data={"action": "approve", "csrf_token": token})
    assert response.status_code == 409


def test_the_new_exchange_page_sends_an_application_with_dates_goals_or_a_country(app, demo):
    """The page asks for what an application carries: a partner class, or the country
    where the Alliance should find one; the planned dates (its academic year) and goals."""
    from conftest import Auth, csrf_token

    from forum.models import Exchange, ExchangeStatus, User

    teacher = app.test_client()
    Auth(teacher, demo).login("teacher", "taipei-daan")
    html = teacher.get("/exchanges/new?lang=ja").get_data(as_text=True)
    assert 'name="partner_country"' in html and 'type="date"' in html
    assert "日本" in html  # countries named in the reader's language
    token = csrf_token(teacher, "/exchanges/new")
    with app.app_context():
        class_id = next(
            c.id
            for c in db.session.scalar(
                sa.select(User).where(User.username == demo_teacher(demo))
            ).teaching
        )
    form = {
        "csrf_token": token,
        "title": "Forests",
        "class_id": class_id,
        "sdgs": ["15"],
        "mode": "in_person",
    }
    response = teacher.post("/exchanges/new", data=form)
    assert response.status_code == 422  # neither a partner class nor a country
    assert 'id="partner_class_ids-error"' in response.get_data(as_text=True)
    response = teacher.post(
        "/exchanges/new",
        data={**form, "partner_country": "JP", "starts_on": "2025-03-01", "ends_on": "2025-02-01"},
    )
    assert response.status_code == 422  # the end before the start
    response = teacher.post(
        "/exchanges/new",
        data={
            **form,
            "partner_country": "JP",
            "starts_on": "2025-03-01",
            "ends_on": "2025-06-30",
            "goals": "Compare our forests.",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        exchange = db.session.scalar(sa.select(Exchange).where(Exchange.title == "Forests"))
        assert exchange.status == ExchangeStatus.PROPOSED
        assert (exchange.partner_country, exchange.academic_year) == ("JP", 113)
        assert exchange.goals == "Compare our forests."


def demo_teacher(demo: dict) -> str:
    return next(
        u["username"]
        for u in demo["users"]
        if u["role"] == "teacher" and u["school"] == "taipei-daan"
    )


def test_a_returned_application_is_resubmitted_by_its_teacher(app, demo, api, propose):
    """The Alliance returns an application with a comment; only its teacher may send it
    again, changing what was asked (dates, goals), and it waits for the Alliance anew;
    a resubmission with a bad field changes nothing."""
    from conftest import Auth, csrf_token

    exchange = propose(starts_on="2026-09-01", ends_on="2027-06-30")
    ex_id = exchange["id"]
    # Not returned yet: nothing to resubmit.
    assert api("POST", f"/exchanges/{ex_id}/resubmit", "tw", {})[0] == 409
    status, body = api(
        "POST",
        f"/exchanges/{ex_id}/return",
        "reviewer",
        {"comment": "Please start in spring instead."},
    )
    assert status == 200 and body["alliance"] == "returned"
    # Only the proposing teacher: not the partner, not the Alliance.
    assert api("POST", f"/exchanges/{ex_id}/resubmit", "jp", {})[0] == 403
    assert api("POST", f"/exchanges/{ex_id}/resubmit", "reviewer", {})[0] == 403
    status, body = api(
        "POST",
        f"/exchanges/{ex_id}/resubmit",
        "tw",
        {"starts_on": "2027-03-01", "ends_on": "2027-02-01"},
    )
    assert status == 422 and "ends_on" in body["error"]["fields"], body
    assert api("GET", f"/exchanges/{ex_id}", "tw")[1]["alliance"] == "returned"
    status, body = api(
        "POST",
        f"/exchanges/{ex_id}/resubmit",
        "tw",
        {
            "starts_on": "2027-03-01",
            "goals": "Spring rivers, after the snow melts.",
            "comment": "Moved to spring.",
        },
    )
    assert status == 200, body
    assert body["alliance"] == "pending" and body["status"] == "proposed"
    assert body["starts_on"] == "2027-03-01" and body["ends_on"] == "2027-06-30"
    assert body["goals"] == "Spring rivers, after the snow melts."
    assert body["academic_year"] == 115  # March 2027 is in ROC year 115 (Aug 2026 - Jul 2027)
    assert [d["action"] for d in body["decisions"]] == ["propose", "return", "propose"]
    # Once is enough: it is no longer returned.
    assert api("POST", f"/exchanges/{ex_id}/resubmit", "tw", {})[0] == 409

    # On the page: returned again, the teacher resubmits with a comment; the history
    # says so in the reader's language.
    api("POST", f"/exchanges/{ex_id}/return", "reviewer", {"comment": "One more week?"})
    teacher = app.test_client()
    Auth(teacher, demo).login("teacher", "taipei-daan")
    page = f"/exchanges/{ex_id}"
    html = teacher.get(page + "?lang=en").get_data(as_text=True)
    assert 'value="resubmit"' in html and "One more week?" in html
    token = csrf_token(teacher, page)
    response = teacher.post(
        page + "/decide",
        data={"action": "resubmit", "comment": "Added a week in June.", "csrf_token": token},
    )
    assert response.status_code == 302
    html = teacher.get(page).get_data(as_text=True)
    assert "resubmitted" in html and 'value="resubmit"' not in html
    assert api("GET", f"/exchanges/{ex_id}", "tw")[1]["alliance"] == "pending"

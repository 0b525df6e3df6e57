# ruff: noqa: F811 (the fixtures imported from test_exchanges_approval)
"""The Alliance's applications desk, the admin pages (schools, staff accounts) and what
waits for each person on their home page (issue 15, points 3, 8 and 9): what they do,
and every refusal changing nothing."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from conftest import csrf_token, when
from test_exchanges_approval import api, class_ids, propose  # noqa: F401 (fixtures)

from forum.extensions import db

pytestmark = pytest.mark.usefixtures("demo_snapshot")


def _client_as(app, auth, role: str, school: str | None = "taipei-daan"):
    """A fresh test client signed in as a demo user, reading English."""
    client = app.test_client()
    auth.client = client
    auth.login(role, school)
    client.get("/?lang=en")
    return client


def _sign_in(app, username: str, password: str):
    client = app.test_client()
    token = csrf_token(client, "/auth/login")
    response = client.post(
        "/auth/login", data={"username": username, "password": password, "csrf_token": token}
    )
    return client, response


@pytest.fixture
def second_jp_class(app):
    """Another school in Japan (Hamamatsu, Shizuoka) with a class and its teacher."""
    from forum.models import Role, SchoolClass, User
    from forum.people import administration, signin

    with app.app_context():
        school = administration.create_school(
            None,
            {
                "slug": "hamamatsu-kita",
                "name_en": "Hamamatsu Kita Junior High School",
                "name_ja": "浜松市立北中学校",
                "country": "JP",
                "region": "Shizuoka",
                "city": "Hamamatsu",
                "timezone": "Asia/Tokyo",
            },
        )
        teacher = User(
            username="suzuki.teacher", role=Role.TEACHER, display_name="鈴木 先生", school=school
        )
        signin.set_password(teacher, "demo-suzuki-2024")
        cls = SchoolClass(school=school, name="3年2組", grade=9, teachers=[teacher])
        db.session.add(cls)
        db.session.commit()
        return cls.id


def _exchange(app, exchange_id: int):
    from forum.models import Exchange

    return db.session.get(Exchange, exchange_id)


def _decision_count(app) -> int:
    from forum.models import ExchangeDecision

    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(ExchangeDecision))


# --- The desk --------------------------------------------------------------------------


@pytest.mark.parametrize("role,school", [("teacher", "taipei-daan"), ("student", "taipei-daan")])
def test_the_desk_is_the_alliances_only(app, auth, propose, role, school):
    exchange = propose(partner_class_ids=[], partner_country="JP")
    before = _decision_count(app)
    client = _client_as(app, auth, role, school)
    token = csrf_token(client, "/")
    assert client.get("/review/applications/").status_code == 403
    response = client.post(
        "/review/applications/pair",
        data={"csrf_token": token, "pick": str(exchange["id"]), f"partner-{exchange['id']}": "2"},
    )
    assert response.status_code == 403
    response = client.post(
        f"/review/applications/{exchange['id']}/decide",
        data={"csrf_token": token, "action": "reject"},
    )
    assert response.status_code == 403
    assert _decision_count(app) == before
    # Signed out: to the sign-in page.
    assert app.test_client().get("/review/applications/").status_code in (302, 401)


def test_the_desk_filters_and_keeps_the_filters_in_the_form(app, auth, propose, class_ids):
    propose(title="Rivers online", sdgs=[6], mode="online")
    propose(
        title="Visit in person", sdgs=[4], mode="in_person", partner_class_ids=[class_ids["kr"]]
    )
    propose(
        title="Find us a partner",
        sdgs=[13],
        partner_class_ids=[],
        partner_country="JP",
        starts_on="2025-09-01",
        ends_on="2026-01-31",
    )
    client = _client_as(app, auth, "reviewer")

    def titles(query: str) -> set[str]:
        html = client.get("/review/applications/" + query).get_data(as_text=True)
        return {
            t
            for t in ("Rivers online", "Visit in person", "Find us a partner")
            if f">{t}</a>" in html
        }

    # No year given: the latest year with applications (115, from 2026-09-01).
    assert titles("") == {"Rivers online", "Visit in person"}
    assert titles("?year=") == {"Rivers online", "Visit in person", "Find us a partner"}
    assert titles("?year=114") == {"Find us a partner"}
    assert titles("?year=&mode=in_person") == {"Visit in person"}
    assert titles("?year=&country=KR") == {"Visit in person"}
    assert titles("?year=&country=JP") == {"Rivers online", "Find us a partner"}
    assert titles("?year=&region=Seoul") == {"Visit in person"}
    assert titles("?year=&sdg=13") == {"Find us a partner"}
    assert titles("?year=&status=approved") == set()
    # Nonsense filters are left out, not a 500.
    assert titles("?year=abc&sdg=99&mode=boat&status=x&country=J") == {
        "Rivers online",
        "Visit in person",
        "Find us a partner",
    }
    html = client.get("/review/applications/?year=115&mode=in_person&sdg=4&region=Seoul").get_data(
        as_text=True
    )
    for kept in (
        '<option value="115" selected',
        '<option value="in_person" selected',
        '<option value="4" selected',
        '<option value="Seoul" selected',
    ):
        assert kept in html
    # Rows link to the exchange page; the proposal's decision is shown with who and when.
    assert 'href="/exchanges/' in html and "林美華 老師" in html


def test_pairing_several_applications_at_once(app, auth, propose, class_ids, second_jp_class):
    one = propose(title="Seas", partner_class_ids=[], partner_country="JP")
    two = propose(title="Forests", partner_class_ids=[], partner_country="JP")
    client = _client_as(app, auth, "reviewer")
    html = client.get("/review/applications/?year=").get_data(as_text=True)
    # Candidates are in the country asked for: Shizuoka's classes, not Seoul's.
    select = html.split(f'name="partner-{one["id"]}"')[1].split("</select>")[0]
    assert f'<option value="{class_ids["jp"]}"' in select
    assert f'<option value="{class_ids["kr"]}"' not in select
    response = client.post(
        "/review/applications/pair",
        data={
            "csrf_token": csrf_token(client, "/"),
            "back": "year=&country=JP",
            "pick": [str(one["id"]), str(two["id"])],
            f"partner-{one['id']}": str(class_ids["jp"]),
            f"partner-{two['id']}": str(second_jp_class),
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/review/applications/?year=&country=JP")
    with app.app_context():
        first, second = _exchange(app, one["id"]), _exchange(app, two["id"])
        assert {c.id for c in first.classes} == {class_ids["tw"], class_ids["jp"]}
        assert {c.id for c in second.classes} == {class_ids["tw"], second_jp_class}
        pair = [d for d in second.decisions if d.action.value == "pair"]
        assert len(pair) == 1 and pair[0].by.username == "chen.reviewer"
        assert pair[0].class_id == second_jp_class and pair[0].at is not None
    # The partner's teacher now has a proposal to answer on their home page.
    home = _client_as(app, auth, "teacher", "shizuoka-aoi").get("/").get_data(as_text=True)
    assert "Seas" in home and "needs-answer" in home


@pytest.mark.parametrize("bad", ["same-school", "no-class", "unknown-class", "decided"])
def test_bulk_pairing_with_one_bad_row_pairs_nothing(
    app, auth, api, propose, class_ids, second_jp_class, bad
):
    good = propose(title="Seas", partner_class_ids=[], partner_country="JP")
    other = propose(title="Forests", partner_class_ids=[], partner_country="JP")
    partner = {
        "same-school": str(class_ids["tw"]),
        "no-class": "",
        "unknown-class": "999999",
        "decided": str(second_jp_class),
    }[bad]
    if bad == "decided":
        assert api("POST", f"/exchanges/{other['id']}/withdraw", "tw", {})[0] == 200
    before = _decision_count(app)
    client = _client_as(app, auth, "reviewer")
    response = client.post(
        "/review/applications/pair",
        data={
            "csrf_token": csrf_token(client, "/"),
            "back": "year=",
            "pick": [str(good["id"]), str(other["id"])],
            f"partner-{good['id']}": str(class_ids["jp"]),
            f"partner-{other['id']}": partner,
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code in (409, 422), html
    assert "Nothing was paired" in html or "cannot be done now" in html
    assert 'class="has-error"' in html  # the bad row says why
    with app.app_context():
        assert len(_exchange(app, good["id"]).classes) == 1
        assert len(_exchange(app, other["id"]).classes) == 1
    assert _decision_count(app) == before


def test_bulk_pairing_refuses_without_a_token_or_a_choice(app, auth, propose, class_ids):
    one = propose(title="Seas", partner_class_ids=[], partner_country="JP")
    client = _client_as(app, auth, "reviewer")
    response = client.post(
        "/review/applications/pair",
        data={"pick": str(one["id"]), f"partner-{one['id']}": str(class_ids["jp"])},
    )
    assert response.status_code == 400  # no CSRF token
    response = client.post(
        "/review/applications/pair", data={"csrf_token": csrf_token(client, "/")}
    )
    assert response.status_code == 422
    assert "Choose at least one application" in response.get_data(as_text=True)
    assert (
        client.post(
            "/review/applications/pair", data={"csrf_token": csrf_token(client, "/"), "pick": "abc"}
        ).status_code
        == 400
    )
    # A list older than the database: one picked application is gone; nothing is paired.
    response = client.post(
        "/review/applications/pair",
        data={
            "csrf_token": csrf_token(client, "/"),
            "pick": [str(one["id"]), "999999"],
            f"partner-{one['id']}": str(class_ids["jp"]),
            "partner-999999": str(class_ids["jp"]),
        },
    )
    assert response.status_code == 409
    assert "no longer exists" in response.get_data(as_text=True)
    with app.app_context():
        assert len(_exchange(app, one["id"]).classes) == 1


def test_deciding_from_the_desk(app, auth, api, propose, class_ids):
    waiting = propose(title="Not answered yet")
    ready = propose(title="Agreed on")
    assert api("POST", f"/exchanges/{ready['id']}/accept", "jp", {})[0] == 200
    client = _client_as(app, auth, "reviewer")
    html = client.get("/review/applications/?year=").get_data(as_text=True)
    # Approve is offered only where every partner class accepted.
    assert f'form="decide-{ready["id"]}">Approve' in html
    assert f'form="decide-{waiting["id"]}">Approve' not in html
    token = csrf_token(client, "/")
    before = _decision_count(app)
    # Approving before the partner accepted is refused, with the reason, and changes nothing.
    response = client.post(
        f"/review/applications/{waiting['id']}/decide",
        data={"csrf_token": token, "action": "approve", "back": "year="},
        follow_redirects=True,
    )
    assert "Every partner class must accept" in response.get_data(as_text=True)
    assert _decision_count(app) == before
    # A comment too long: refused, nothing changes.
    response = client.post(
        f"/review/applications/{waiting['id']}/decide",
        data={"csrf_token": token, "action": "return", "comment": "x" * 2001},
        follow_redirects=True,
    )
    assert _decision_count(app) == before
    # An action that is not the Alliance's from the desk.
    client.post(
        f"/review/applications/{waiting['id']}/decide",
        data={"csrf_token": token, "action": "accept"},
    )
    assert _decision_count(app) == before
    assert (
        client.post(
            "/review/applications/999999/decide", data={"csrf_token": token, "action": "reject"}
        ).status_code
        == 404
    )

    response = client.post(
        f"/review/applications/{waiting['id']}/decide",
        data={
            "csrf_token": token,
            "action": "return",
            "comment": "Please add dates.",
            "back": "year=&status=proposed",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("?year=&status=proposed")
    response = client.post(
        f"/review/applications/{ready['id']}/decide",
        data={"csrf_token": token, "action": "approve", "comment": "Good.", "back": "year="},
    )
    with app.app_context():
        returned, approved = _exchange(app, waiting["id"]), _exchange(app, ready["id"])
        assert returned.alliance.value == "returned" and returned.comment == "Please add dates."
        assert approved.status.value == "approved"
        last = approved.decisions[-1]
        assert last.action.value == "approve" and last.by.username == "chen.reviewer"
    html = client.get("/review/applications/?year=").get_data(as_text=True)
    assert "returned by the Alliance" in html and "Please add dates." in html
    # The teacher finds it returned on their home page, with the comment.
    home = _client_as(app, auth, "teacher", "taipei-daan").get("/").get_data(as_text=True)
    assert "needs-returned" in home and "Please add dates." in home


# --- What needs me ----------------------------------------------------------------------


def test_home_shows_a_teacher_what_waits_for_them(app, auth, api, propose, schedule):
    exchange = propose(title="Rivers that reach the sea")
    jp_home = _client_as(app, auth, "teacher", "shizuoka-aoi").get("/").get_data(as_text=True)
    assert "Waiting for you" in jp_home and "Rivers that reach the sea" in jp_home
    tw_home = _client_as(app, auth, "teacher", "taipei-daan").get("/").get_data(as_text=True)
    assert "needs-answer" not in tw_home  # their own proposal waits for the partner
    assert api("POST", f"/exchanges/{exchange['id']}/accept", "jp", {})[0] == 200
    jp_home = _client_as(app, auth, "teacher", "shizuoka-aoi").get("/").get_data(as_text=True)
    assert "needs-answer" not in jp_home

    # The Shizuoka teacher moves one session and cancels another of the demo exchange.
    moved = schedule(title="Moved session")
    gone = schedule(title="Cancelled session", starts_at=when(4, 6), ends_at=when(4, 7))
    mine = schedule(title="My own change", starts_at=when(6, 6), ends_at=when(6, 7))
    assert (
        api(
            "PATCH",
            f"/sessions/{moved['id']}",
            "jp",
            {"starts_at": when(3, 8), "ends_at": when(3, 9)},
        )[0]
        == 200
    )
    assert api("DELETE", f"/sessions/{gone['id']}", "jp")[0] == 204
    assert api("PATCH", f"/sessions/{mine['id']}", "tw", {"title": "My own change!"})[0] == 200
    tw_home = _client_as(app, auth, "teacher", "taipei-daan").get("/").get_data(as_text=True)
    section = tw_home.split('id="needs-h"')[1].split("</section>")[0]
    assert "needs-rescheduled" in section and "Moved session" in section
    assert "needs-cancelled" in section and "Cancelled session" in section
    assert "佐藤 健 先生" in section  # who did it
    assert "My own change" not in section  # one's own changes are no news
    # The teacher who made the changes is not told of them, but of their partner's.
    jp_home = _client_as(app, auth, "teacher", "shizuoka-aoi").get("/").get_data(as_text=True)
    section = jp_home.split('id="needs-h"')[1].split("</section>")[0]
    assert "Moved session" not in section and "needs-cancelled" not in section
    assert "My own change!" in section and "林美華 老師" in section
    # Stored: who and when.
    from forum.models import ForumSession

    with app.app_context():
        row = db.session.get(ForumSession, gone["id"])
        assert row.cancelled_by.username == "sato.teacher" and row.cancelled_at is not None
        row = db.session.get(ForumSession, moved["id"])
        assert row.rescheduled_by.username == "sato.teacher" and row.rescheduled_at


def test_home_shows_the_alliance_the_applications_waiting(app, auth, propose):
    propose(title="Waiting for the Alliance")
    for role in ("reviewer", "admin"):
        home = _client_as(app, auth, role).get("/").get_data(as_text=True)
        assert "needs-decide" in home and "Waiting for the Alliance" in home
        assert "/review/applications/?" in home
    student = _client_as(app, auth, "student", "shizuoka-aoi").get("/").get_data(as_text=True)
    assert "Waiting for the Alliance" not in student and "Waiting for you" not in student


# --- Administration ---------------------------------------------------------------------


ADMIN_PAGES = ["/admin/", "/admin/staff", "/admin/schools", "/admin/schools/1", "/admin/staff/1"]


@pytest.mark.parametrize("role", ["teacher", "reviewer", "student"])
def test_admin_pages_are_admins_only(app, auth, count_rows, role):
    from forum.models import School, User

    client = _client_as(app, auth, role, "taipei-daan")
    for path in ADMIN_PAGES:
        assert client.get(path).status_code == 403, path
    token = csrf_token(client, "/")
    users, schools = count_rows(User), count_rows(School)
    posts = {
        "/admin/staff": {
            "username": "x.teacher",
            "display_name": "X",
            "role": "teacher",
            "school": "taipei-daan",
            "password": "long-enough-1",
        },
        "/admin/schools": {
            "slug": "new-school",
            "name_en": "New",
            "country": "JP",
            "region": "Chiba",
            "timezone": "Asia/Tokyo",
        },
        "/admin/staff/1/password": {"password": "long-enough-1"},
        "/admin/staff/1/active": {"active": "0"},
    }
    for path, data in posts.items():
        assert client.post(path, data={**data, "csrf_token": token}).status_code == 403, path
    assert (count_rows(User), count_rows(School)) == (users, schools)
    assert app.test_client().get("/admin/staff").status_code in (302, 401)


def test_admin_registers_and_edits_a_school(app, auth, count_rows):
    from forum.models import School

    client = _client_as(app, auth, "admin")
    token = csrf_token(client, "/admin/schools")
    form = {
        "csrf_token": token,
        "slug": "chiba-minato",
        "name_en": "Chiba Minato JHS",
        "name_zh_tw": "千葉港中學",
        "name_ja": "千葉市立港中学校",
        "name_ko": "",
        "country": "JP",
        "region": "Chiba",
        "city": "Chiba",
        "timezone": "Asia/Tokyo",
    }
    before = count_rows(School)
    for change, field in [
        ({"slug": "Chiba Minato"}, "slug"),
        ({"slug": "taipei-daan"}, "slug"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"country": "XX"}, "country"),
        ({"region": ""}, "region"),
        ({"name_en": "x" * 201}, "name_en"),
    ]:
        response = client.post("/admin/schools", data={**form, **change})
        assert response.status_code == 422, (change, response.status_code)
        assert 'class="field has-error"' in response.get_data(as_text=True)
        assert count_rows(School) == before
    response = client.post("/admin/schools", data=form)
    assert response.status_code == 302
    with app.app_context():
        school = db.session.scalar(sa.select(School).where(School.slug == "chiba-minato"))
        assert (school.name_ja, school.name_ko, school.city, school.region) == (
            "千葉市立港中学校",
            "Chiba Minato JHS",
            "Chiba",
            "Chiba",
        )
        school_id = school.id
    page = client.get(f"/admin/schools/{school_id}").get_data(as_text=True)
    assert 'value="千葉港中學"' in page
    response = client.post(
        f"/admin/schools/{school_id}", data={**form, "region": "", "csrf_token": token}
    )
    assert response.status_code == 422
    response = client.post(
        f"/admin/schools/{school_id}",
        data={
            **form,
            "slug": "ignored",
            "name_ko": "지바 미나토 중학교",
            "city": "Ichikawa",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    with app.app_context():
        school = db.session.get(School, school_id)
        assert (school.slug, school.name_ko, school.city) == (
            "chiba-minato",
            "지바 미나토 중학교",
            "Ichikawa",
        )
    assert client.get("/admin/schools/999999").status_code == 404
    # In another language, the page and its errors are translated.
    html = client.post("/admin/schools?lang=ja", data={**form, "timezone": ""}).get_data(
        as_text=True
    )
    assert "学校を登録" in html and "この項目は必須です。" in html


def test_admin_creates_staff_with_a_password_shown_once(app, auth, count_rows, caplog):
    from forum.models import User

    client = _client_as(app, auth, "admin")
    token = csrf_token(client, "/admin/staff")
    form = {
        "csrf_token": token,
        "username": "tanaka.teacher",
        "display_name": "田中 先生",
        "role": "teacher",
        "school": "shizuoka-aoi",
        "password": "",
    }
    before = count_rows(User)
    for change in (
        {"username": "sato.teacher"},
        {"username": "SATO.teacher"},
        {"username": "has space"},
        {"school": ""},
        {"school": "nowhere"},
        {"role": "admin"},
        {"role": "student"},
        {"password": "short"},
        {"display_name": ""},
    ):
        response = client.post("/admin/staff", data={**form, **change})
        assert response.status_code == 422, change
        assert count_rows(User) == before
    caplog.set_level(logging.DEBUG)
    response = client.post("/admin/staff", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 201
    assert "private, no-store" in response.headers.get("Cache-Control", "")
    password = html.split('<code class="password">')[1].split("</code>")[0]
    assert len(password) >= 16
    assert password not in caplog.text
    assert password not in client.get("/admin/staff").get_data(as_text=True)  # shown once
    _signed_in, answer = _sign_in(app, "tanaka.teacher", password)
    assert answer.status_code == 302
    # A reviewer, with the password the admin chose, and no school.
    response = client.post(
        "/admin/staff",
        data={
            **form,
            "username": "ito.reviewer",
            "role": "reviewer",
            "school": "",
            "password": "chosen-password-1",
        },
    )
    assert response.status_code == 302
    assert _sign_in(app, "ito.reviewer", "chosen-password-1")[1].status_code == 302
    with app.app_context():
        reviewer = db.session.scalar(sa.select(User).where(User.username == "ito.reviewer"))
        assert reviewer.role.value == "reviewer" and reviewer.school is None


def test_admin_resets_a_password_and_deactivates_an_account(app, auth, caplog):
    from forum.models import User

    with app.app_context():
        sato = db.session.scalar(sa.select(User).where(User.username == "sato.teacher"))
        sato_id = sato.id
        admin_id = db.session.scalar(sa.select(User.id).where(User.username == "admin"))
        student_id = db.session.scalar(sa.select(User.id).where(User.role == "student"))
    sato_client, answer = _sign_in(app, "sato.teacher", "demo-sato-2024")
    assert answer.status_code == 302
    client = _client_as(app, auth, "admin")
    token = csrf_token(client, f"/admin/staff/{sato_id}")
    # Too short: refused, the old password still works.
    response = client.post(
        f"/admin/staff/{sato_id}/password", data={"csrf_token": token, "password": "short"}
    )
    assert response.status_code == 422
    assert _sign_in(app, "sato.teacher", "demo-sato-2024")[1].status_code == 302
    caplog.set_level(logging.DEBUG)
    response = client.post(
        f"/admin/staff/{sato_id}/password", data={"csrf_token": token, "password": ""}
    )
    assert response.status_code == 200
    password = (
        response.get_data(as_text=True).split('<code class="password">')[1].split("</code>")[0]
    )
    assert password not in caplog.text
    assert _sign_in(app, "sato.teacher", "demo-sato-2024")[1].status_code == 401
    assert _sign_in(app, "sato.teacher", password)[1].status_code == 302
    assert sato_client.get("/").status_code == 200
    assert "佐藤" not in sato_client.get("/").get_data(as_text=True)  # signed out
    response = client.post(
        f"/admin/staff/{sato_id}/password",
        data={"csrf_token": token, "password": "my-new-password"},
    )
    assert response.status_code == 302
    assert _sign_in(app, "sato.teacher", "my-new-password")[1].status_code == 302

    # Deactivated: no sign-in; then reactivated.
    response = client.post(
        f"/admin/staff/{sato_id}/active", data={"csrf_token": token, "active": "0"}
    )
    assert response.status_code == 302
    assert _sign_in(app, "sato.teacher", "my-new-password")[1].status_code == 401
    assert (
        client.post(
            f"/admin/staff/{sato_id}/active", data={"csrf_token": token, "active": "maybe"}
        ).status_code
        == 400
    )
    response = client.post(
        f"/admin/staff/{sato_id}/active", data={"csrf_token": token, "active": "1"}
    )
    assert response.status_code == 302
    assert _sign_in(app, "sato.teacher", "my-new-password")[1].status_code == 302
    # An admin cannot lock themselves out; students are not staff accounts.
    response = client.post(
        f"/admin/staff/{admin_id}/active", data={"csrf_token": token, "active": "0"}
    )
    assert response.status_code == 409
    with app.app_context():
        assert db.session.get(User, admin_id).is_active_account
    assert client.get(f"/admin/staff/{student_id}").status_code == 404
    assert (
        client.post(f"/admin/staff/{student_id}/password", data={"csrf_token": token}).status_code
        == 404
    )


def test_the_cli_uses_the_same_actions(app, runner):
    from forum.models import School, User

    result = runner.invoke(
        args=[
            "forum",
            "add-school",
            "miyagi-aoba",
            "--country",
            "jp",
            "--region",
            "Miyagi",
            "--city",
            "Sendai",
            "--timezone",
            "Asia/Tokyo",
            "--name-en",
            "Aoba JHS",
        ]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=[
            "forum",
            "add-school",
            "miyagi-aoba",
            "--country",
            "JP",
            "--region",
            "Miyagi",
            "--timezone",
            "Asia/Tokyo",
            "--name-en",
            "Aoba JHS",
        ]
    )
    assert result.exit_code == 1 and "slug:" in result.output
    result = runner.invoke(
        args=[
            "forum",
            "add-staff",
            "abe.teacher",
            "--role",
            "teacher",
            "--school",
            "miyagi-aoba",
            "--name",
            "Abe",
            "--password",
            "long-enough-2",
        ]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=[
            "forum",
            "add-staff",
            "abe2.teacher",
            "--role",
            "teacher",
            "--name",
            "Abe",
            "--password",
            "long-enough-2",
        ]
    )
    assert result.exit_code == 1 and "school:" in result.output
    with app.app_context():
        school = db.session.scalar(sa.select(School).where(School.slug == "miyagi-aoba"))
        assert (school.country, school.city, school.name_ja) == ("JP", "Sendai", "Aoba JHS")
        abe = db.session.scalar(sa.select(User).where(User.username == "abe.teacher"))
        assert abe.school_id == school.id

"""Who may see and change which session, through the pages and the API."""

from __future__ import annotations

import pytest
from conftest import csrf_token, when

from forum.models import ForumSession

pytestmark = pytest.mark.usefixtures("demo_snapshot")


def session_body(exchange_id: int, **overrides) -> dict:
    body = {
        "exchange_id": exchange_id,
        "title": "Mangroves and typhoons",
        "sdgs": [13, 15],
        "starts_at": when(5, 6),
        "ends_at": when(5, 7),
    }
    body.update(overrides)
    return body


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    error = response.get_json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]


def ids(response) -> set[int]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return {s["id"] for s in response.get_json()["sessions"]}


# --- students ---------------------------------------------------------------------


def test_student_cannot_schedule_through_the_api(client, auth, exchanges, count_rows):
    auth.login("student", "taipei-daan")
    before = count_rows(ForumSession)
    response = client.post(
        "/api/v1/sessions",
        json=session_body(exchanges["tw_jp"]),
        headers={"X-CSRFToken": csrf_token(client, "/")},
    )
    assert_error(response, 403, "forbidden")
    assert count_rows(ForumSession) == before


def test_student_cannot_open_the_schedule_page(client, auth, exchanges, count_rows):
    auth.login("student", "taipei-daan")
    assert client.get("/sessions/new").status_code == 403
    before = count_rows(ForumSession)
    response = client.post(
        "/sessions/new",
        data={
            "csrf_token": csrf_token(client, "/"),
            "exchange_id": exchanges["tw_jp"],
            "title": "Sneaky",
            "sdgs": "13",
            "starts_at": "2099-01-01T10:00",
            "ends_at": "2099-01-01T11:00",
        },
    )
    assert response.status_code == 403
    assert count_rows(ForumSession) == before


def test_student_sees_only_the_sessions_of_their_exchanges(client, auth, demo, exchanges):
    auth.login("student", "seoul-hanbit")
    by_exchange = {s["id"]: s["exchange_id"] for s in demo["sessions"]}
    visible = ids(client.get("/api/v1/sessions"))
    assert visible == {sid for sid, ex in by_exchange.items() if ex == exchanges["tw_kr"]}
    tw_jp = [sid for sid, ex in by_exchange.items() if ex == exchanges["tw_jp"]]
    for sid in tw_jp:
        assert_error(client.get(f"/api/v1/sessions/{sid}"), 404, "not_found")
        assert client.get(f"/sessions/{sid}").status_code == 404
        assert client.get(f"/sessions/{sid}.ics").status_code == 404
    html = client.get("/?lang=en").get_data(as_text=True)
    assert "Saving energy in our classrooms" in html
    assert "Our rivers and the sea" not in html


def test_japanese_student_sees_the_tw_jp_sessions(client, auth, demo, exchanges):
    auth.login("student", "shizuoka-aoi")
    expected = {s["id"] for s in demo["sessions"] if s["exchange_id"] == exchanges["tw_jp"]}
    assert ids(client.get("/api/v1/sessions")) == expected


def test_student_cannot_open_or_close_their_own_session(client, auth, demo):
    auth.login("student", "taipei-daan")
    token = csrf_token(client, "/")
    live = next(s for s in demo["sessions"] if s["status"] == "live")
    response = client.post(f"/api/v1/sessions/{live['id']}/close", headers={"X-CSRFToken": token})
    assert_error(response, 403, "forbidden")
    assert client.get(f"/api/v1/sessions/{live['id']}").get_json()["status"] == "live"


# --- teachers of other exchanges ------------------------------------------------------


def test_teacher_cannot_schedule_for_an_exchange_without_their_class(
    client, bearer, exchanges, count_rows
):
    before = count_rows(ForumSession)
    response = client.post(
        "/api/v1/sessions",
        json=session_body(exchanges["tw_jp"]),
        headers=bearer("teacher", "seoul-hanbit"),
    )
    assert_error(response, 403, "forbidden")
    assert count_rows(ForumSession) == before


def test_schedule_page_offers_a_teacher_only_their_own_exchanges(
    client, auth, exchanges, count_rows
):
    auth.login("teacher", "seoul-hanbit")
    html = client.get("/sessions/new?lang=en").get_data(as_text=True)
    assert "Clean energy at our schools" in html
    assert "Climate action across the sea" not in html
    before = count_rows(ForumSession)
    response = client.post(
        "/sessions/new",
        data={
            "csrf_token": csrf_token(client, "/"),
            "exchange_id": exchanges["tw_jp"],
            "title": "Not my exchange",
            "sdgs": "13",
            "starts_at": "2099-01-01T10:00",
            "ends_at": "2099-01-01T11:00",
        },
    )
    assert response.status_code == 422
    assert count_rows(ForumSession) == before


def test_teacher_of_another_exchange_cannot_see_or_open_its_sessions(client, bearer, demo):
    kim = bearer("teacher", "seoul-hanbit")
    scheduled = next(
        s
        for s in demo["sessions"]
        if s["status"] == "scheduled" and s["title"].startswith("Typhoons")
    )
    assert_error(
        client.post(f"/api/v1/sessions/{scheduled['id']}/open", headers=kim), 404, "not_found"
    )
    lin = bearer("teacher", "taipei-daan")
    assert (
        client.get(f"/api/v1/sessions/{scheduled['id']}", headers=lin).get_json()["status"]
        == "scheduled"
    )


@pytest.mark.parametrize(
    "opener, closer",
    [
        ("taipei-daan", "shizuoka-aoi"),
        ("shizuoka-aoi", "taipei-daan"),
    ],
)
def test_teachers_of_either_school_may_open_and_close(client, bearer, schedule, opener, closer):
    session = schedule()
    opened = client.post(
        f"/api/v1/sessions/{session['id']}/open", headers=bearer("teacher", opener)
    )
    assert opened.status_code == 200
    assert opened.get_json()["status"] == "live"
    closed = client.post(
        f"/api/v1/sessions/{session['id']}/close", headers=bearer("teacher", closer)
    )
    assert closed.status_code == 200
    assert closed.get_json()["status"] == "closed"


def test_teacher_of_the_partner_school_may_schedule(client, bearer, exchanges):
    response = client.post(
        "/api/v1/sessions",
        json=session_body(exchanges["tw_jp"]),
        headers=bearer("teacher", "shizuoka-aoi"),
    )
    assert response.status_code == 201


# --- reviewers --------------------------------------------------------------------


def test_reviewer_reads_every_session(client, bearer, demo):
    headers = bearer("reviewer")
    assert ids(client.get("/api/v1/sessions", headers=headers)) == {
        s["id"] for s in demo["sessions"]
    }
    for s in demo["sessions"]:
        response = client.get(f"/api/v1/sessions/{s['id']}", headers=headers)
        assert response.status_code == 200
        assert response.get_json()["title"] == s["title"]


def test_reviewer_cannot_schedule_open_or_close(client, bearer, demo, exchanges, count_rows):
    headers = bearer("reviewer")
    before = count_rows(ForumSession)
    assert_error(
        client.post("/api/v1/sessions", json=session_body(exchanges["tw_jp"]), headers=headers),
        403,
        "forbidden",
    )
    assert count_rows(ForumSession) == before
    live = next(s for s in demo["sessions"] if s["status"] == "live")
    scheduled = next(s for s in demo["sessions"] if s["status"] == "scheduled")
    assert_error(
        client.post(f"/api/v1/sessions/{scheduled['id']}/open", headers=headers), 403, "forbidden"
    )
    assert_error(
        client.post(f"/api/v1/sessions/{live['id']}/close", headers=headers), 403, "forbidden"
    )
    statuses = {
        s["id"]: s["status"]
        for s in client.get("/api/v1/sessions", headers=headers).get_json()["sessions"]
    }
    assert statuses[live["id"]] == "live"
    assert statuses[scheduled["id"]] == "scheduled"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/sessions/{big}",
        "/sessions/{big}",
        "/sessions/{big}.ics",
        "/exchanges/{big}",
        "/classes/{big}",
        "/api/v1/sessions/999999",
        "/sessions/999999",
    ],
)
def test_ids_that_name_nothing_are_404(client, auth, path):
    auth.login("admin")
    response = client.get(path.format(big=10**30))
    assert response.status_code == 404


# --- API authentication -----------------------------------------------------------


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/api/v1/me"),
        ("GET", "/api/v1/sessions"),
        ("GET", "/api/v1/sessions/1"),
        ("POST", "/api/v1/sessions"),
        ("POST", "/api/v1/sessions/1/open"),
    ],
)
def test_api_without_credentials_is_401_with_an_error_body(client, demo, method, path):
    response = client.open(path, method=method, json={})
    assert_error(response, 401, "unauthorized")
    assert set(response.get_json()) == {"error"}


def test_api_with_an_unknown_token_is_401(client, demo):
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer sdgf_not-a-token"})
    assert_error(response, 401, "unauthorized")


def test_cookie_write_needs_the_csrf_header(client, auth, exchanges, count_rows):
    auth.login("teacher", "taipei-daan")
    before = count_rows(ForumSession)
    refused = client.post("/api/v1/sessions", json=session_body(exchanges["tw_jp"]))
    assert_error(refused, 403, "forbidden")
    forged = client.post(
        "/api/v1/sessions", json=session_body(exchanges["tw_jp"]), headers={"X-CSRFToken": "forged"}
    )
    assert_error(forged, 403, "forbidden")
    assert count_rows(ForumSession) == before

    accepted = client.post(
        "/api/v1/sessions",
        json=session_body(exchanges["tw_jp"]),
        headers={"X-CSRFToken": csrf_token(client, "/")},
    )
    assert accepted.status_code == 201
    assert count_rows(ForumSession) == before + 1


def test_cookie_reads_need_no_csrf_header(client, auth):
    auth.login("teacher", "taipei-daan")
    assert client.get("/api/v1/sessions").status_code == 200


def test_bearer_token_writes_without_csrf(client, bearer, exchanges, count_rows):
    before = count_rows(ForumSession)
    response = client.post(
        "/api/v1/sessions",
        json=session_body(exchanges["tw_jp"]),
        headers=bearer("teacher", "taipei-daan"),
    )
    assert response.status_code == 201
    assert count_rows(ForumSession) == before + 1

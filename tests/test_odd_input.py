"""Odd input never gets a 500 (issue 14): deeply nested JSON, lone surrogates, NUL
characters, instants out of range; each is refused with 400/422 and a message in the
reader's language. tests/test_odd_input_property.py throws many more."""

from __future__ import annotations

import io
import json
import re

import pytest
from conftest import Auth, csrf_token, when

pytestmark = pytest.mark.usefixtures("demo_snapshot")

DEEP = "[" * 100_000 + "]" * 100_000


def signed_in(app, demo: dict, role: str, school: str | None = "taipei-daan"):
    client = app.test_client()
    Auth(client, demo).login(role, school)
    client.get("/?lang=en")
    return client


def session_body(exchanges: dict, **fields) -> dict:
    body = {
        "exchange_id": exchanges["tw_jp"],
        "title": "Beach clean-up plans",
        "sdgs": [14],
        "starts_at": when(3, 6),
        "ends_at": when(3, 7),
    }
    body.update(fields)
    return body


def api_error(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    error = response.get_json()["error"]
    assert error["code"] and error["message"]
    return error


# --- the JSON API -------------------------------------------------------------------


def test_deeply_nested_json_is_400(client, bearer, demo):
    response = client.post(
        "/api/v1/sessions?lang=en", data=DEEP, content_type="application/json", headers=bearer()
    )
    error = api_error(response, 400)
    assert error["code"] == "bad_request"
    assert "nested" in error["message"]


def test_moderately_nested_json_is_400_too(client, bearer, exchanges):
    body = session_body(exchanges)
    body["sdgs"] = json.loads("[" * 200 + "14" + "]" * 200)
    response = client.post("/api/v1/sessions", json=body, headers=bearer())
    assert api_error(response, 400)["code"] == "bad_request"


@pytest.mark.parametrize(
    "title",
    ["\ud800", "Rain\x00gardens", "a\udfffb"],
    ids=["lone-surrogate", "nul", "low-surrogate"],
)
def test_unstorable_title_is_422_naming_the_field(client, bearer, exchanges, title):
    raw = json.dumps(session_body(exchanges, title=title))  # \ud800 stays escaped
    response = client.post(
        "/api/v1/sessions", data=raw, content_type="application/json", headers=bearer()
    )
    error = api_error(response, 422)
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"title"}


def test_unstorable_text_is_refused_in_the_readers_language(client, bearer, exchanges):
    raw = json.dumps(session_body(exchanges, title="\x00"))
    # Sato's saved language is Japanese.
    response = client.post(
        "/api/v1/sessions",
        data=raw,
        content_type="application/json",
        headers=bearer("teacher", "shizuoka-aoi"),
    )
    message = api_error(response, 422)["fields"]["title"]
    assert re.search(r"[\u3040-\u30ff]", message), message


@pytest.mark.parametrize(
    "field, value",
    [
        ("ends_at", "9999-12-31T23:59:59-23:59"),
        ("starts_at", "0001-01-01T00:00:00+23:59"),
        ("starts_at", "9999-12-31T23:00:00Z"),
        ("ends_at", "0001-01-01T00:00:00Z"),
    ],
    ids=["overflow-up", "overflow-down", "year-9999", "year-1"],
)
def test_instants_out_of_range_are_422(client, bearer, exchanges, field, value):
    response = client.post(
        "/api/v1/sessions", json=session_body(exchanges, **{field: value}), headers=bearer()
    )
    error = api_error(response, 422)
    assert field in error["fields"]


@pytest.mark.parametrize(
    "raw",
    ['{"title": NaN}', '{"sdgs": [1e999]}', '{"exchange_id": ' + "9" * 5000 + "}"],
    ids=["nan", "infinity", "huge-int"],
)
def test_numbers_json_does_not_have_are_400(client, bearer, demo, raw):
    response = client.post(
        "/api/v1/sessions", data=raw, content_type="application/json", headers=bearer()
    )
    assert api_error(response, 400)["code"] == "bad_request"


@pytest.mark.parametrize("value", [[None], {"a": 1}, 7], ids=["list", "object", "number"])
def test_a_board_template_of_the_wrong_type_is_422(client, bearer, exchanges, value):
    response = client.post(
        "/api/v1/sessions", json=session_body(exchanges, board_template=value), headers=bearer()
    )
    assert set(api_error(response, 422)["fields"]) == {"board_template"}


def test_reschedule_refuses_unstorable_text_too(client, bearer, schedule):
    session = schedule()
    raw = json.dumps({"title": "\ud800"})
    response = client.patch(
        f"/api/v1/sessions/{session['id']}",
        data=raw,
        content_type="application/json",
        headers=bearer(),
    )
    assert set(api_error(response, 422)["fields"]) == {"title"}


# --- forms ------------------------------------------------------------------------


def class_id(demo: dict, school: str = "taipei-daan") -> int:
    return next(c["id"] for c in demo["classes"] if c["school"] == school)


def test_nul_in_a_display_name_is_refused(app, demo):
    teacher = signed_in(app, demo, "teacher")
    cid = class_id(demo)
    response = teacher.post(
        f"/classes/{cid}/students",
        data={"display_name": "Mei\x00Lin", "csrf_token": csrf_token(teacher, f"/classes/{cid}")},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert response.status_code in (200, 400, 422)
    assert "cannot be saved" in html
    assert (
        "Mei" not in re.sub(r'value="[^"]*"', "", html.split("<main", 1)[-1])
        or "cannot be saved" in html
    )


def test_nul_in_a_roster_file_is_refused(app, demo):
    teacher = signed_in(app, demo, "teacher")
    cid = class_id(demo)
    response = teacher.post(
        f"/classes/{cid}/roster",
        content_type="multipart/form-data",
        data={
            "csrf_token": csrf_token(teacher, f"/classes/{cid}"),
            "file": (io.BytesIO("display_name\n林小美\nA\x00B\n".encode()), "roster.csv"),
        },
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert response.status_code in (200, 400, 422)
    assert "Line 3" in html and "cannot be saved" in html


def test_nul_in_a_review_comment_is_refused(app, demo):
    reviewer = signed_in(app, demo, "reviewer")
    sealed = next(s["id"] for s in demo["sessions"] if s["status"] == "closed")
    path = f"/review/sessions/{sealed}"
    response = reviewer.post(
        path,
        data={
            "state": "flagged",
            "comment": "bad\x00thing",
            "csrf_token": csrf_token(reviewer, path),
        },
    )
    assert response.status_code == 422
    assert "cannot be saved" in response.get_data(as_text=True)


def test_nul_in_a_query_is_400(app, demo):
    reviewer = signed_in(app, demo, "reviewer")
    response = reviewer.get("/review/?school=%00")
    assert response.status_code == 400
    assert "cannot be" in response.get_data(as_text=True)


def test_nul_in_the_login_form_is_422(app, demo):
    client = app.test_client()
    response = client.post(
        "/auth/login?lang=en",
        data={
            "username": "lin\x00teacher",
            "password": "x",
            "csrf_token": csrf_token(client, "/auth/login?lang=en"),
        },
    )
    assert response.status_code == 422
    assert "cannot be saved" in response.get_data(as_text=True)


def test_session_form_out_of_range_is_422(app, demo, exchanges):
    from conftest import form_fields

    teacher = signed_in(app, demo, "teacher")
    page = teacher.get(f"/sessions/new?exchange_id={exchanges['tw_jp']}").get_data(as_text=True)
    data = form_fields(page)
    data.update(
        {
            "title": "Rain",
            "sdgs": ["6"],
            "starts_at": "0001-01-01T00:00",
            "ends_at": "0001-01-01T01:00",
        }
    )
    response = teacher.post("/sessions/new", data=data)
    assert response.status_code == 422


# --- the verify page and the CLI ----------------------------------------------------


def upload(client, data: bytes):
    token = csrf_token(client, "/review/verify")
    return client.post(
        "/review/verify",
        content_type="multipart/form-data",
        data={"csrf_token": token, "file": (io.BytesIO(data), "transcript.json")},
    )


def test_verify_page_refuses_deep_nesting(app, demo):
    reviewer = signed_in(app, demo, "reviewer")
    response = upload(reviewer, DEEP.encode())
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Not valid" in html and "nested" in html


def test_forum_verify_refuses_deep_nesting(app, runner, tmp_path):
    path = tmp_path / "deep.json"
    path.write_text(DEEP)
    result = runner.invoke(args=["forum", "verify", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith("invalid")


def test_a_nul_typed_into_an_alliance_form_is_refused_not_stored(app, demo, bearer):
    """A NUL (which PostgreSQL cannot store) in a page's text field: the form again with
    the field's error (422), never a 500 and never a row; the API refuses it too."""
    admin = app.test_client()
    Auth(admin, demo).login("admin")
    before = admin.get("/api/v1/mous", headers=bearer("admin")).get_json()["mous"]
    response = admin.post(
        "/mous/?lang=en",
        data={
            "csrf_token": csrf_token(admin, "/mous/"),
            "region": "Chiba",
            "country": "JP",
            "authority": "Chiba\u0000 board",
            "status": "planned",
            "academic_year": "114",
        },
    )
    assert response.status_code == 422, response.get_data(as_text=True)[:500]
    assert admin.get("/api/v1/mous", headers=bearer("admin")).get_json()["mous"] == before
    response = app.test_client().post(
        "/api/v1/mous",
        headers=bearer("admin"),
        json={
            "region": "Chiba",
            "country": "JP",
            "authority": "Chiba\u0000 board",
            "status": "planned",
            "academic_year": 114,
        },
    )
    assert response.status_code in (400, 422)

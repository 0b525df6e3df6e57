"""Scheduling input is checked field by field; a refused request stores nothing."""

from __future__ import annotations

import re

import pytest
from conftest import form_fields, when

from forum.models import ForumSession

pytestmark = pytest.mark.usefixtures("demo_snapshot")


def valid_body(exchange_id: int) -> dict:
    return {
        "exchange_id": exchange_id,
        "title": "Rain gardens",
        "sdgs": [6, 13],
        "starts_at": when(4, 6),
        "ends_at": when(4, 7, 30),
    }


def _drop(*names):
    return lambda body: {k: v for k, v in body.items() if k not in names}


def _set(**values):
    return lambda body: {**body, **values}


CASES = {
    "end-before-start": (_set(starts_at=when(4, 8), ends_at=when(4, 7)), {"ends_at"}),
    "end-equals-start": (_set(starts_at=when(4, 8), ends_at=when(4, 8)), {"ends_at"}),
    "longer-than-12-hours": (_set(starts_at=when(4, 0), ends_at=when(5, 1)), {"ends_at"}),
    "start-in-the-past": (_set(starts_at=when(-2, 6), ends_at=when(-2, 7)), {"starts_at"}),
    "sdg-18": (_set(sdgs=[13, 18]), {"sdgs"}),
    "sdg-0": (_set(sdgs=[0]), {"sdgs"}),
    "sdg-negative": (_set(sdgs=[-1]), {"sdgs"}),
    "sdg-not-a-number": (_set(sdgs=["climate"]), {"sdgs"}),
    "sdg-true": (_set(sdgs=[True]), {"sdgs"}),
    "sdg-fraction": (_set(sdgs=[13.5]), {"sdgs"}),
    "sdgs-empty": (_set(sdgs=[]), {"sdgs"}),
    "sdgs-not-a-list": (_set(sdgs=13), {"sdgs"}),
    "sdgs-a-string": (_set(sdgs="13"), {"sdgs"}),
    "sdgs-null": (_set(sdgs=None), {"sdgs"}),
    "title-missing": (_drop("title"), {"title"}),
    "title-blank": (_set(title="   "), {"title"}),
    "title-not-a-string": (_set(title=42), {"title"}),
    "title-too-long": (_set(title="x" * 201), {"title"}),
    "naive-start": (lambda b: {**b, "starts_at": b["starts_at"].removesuffix("Z")}, {"starts_at"}),
    "naive-end": (lambda b: {**b, "ends_at": b["ends_at"].removesuffix("Z")}, {"ends_at"}),
    "date-only": (lambda b: {**b, "starts_at": b["starts_at"][:10]}, {"starts_at"}),
    "not-a-date": (_set(starts_at="next Tuesday"), {"starts_at"}),
    "start-a-number": (_set(starts_at=1767225600), {"starts_at"}),
    "missing-times": (_drop("starts_at", "ends_at"), {"starts_at", "ends_at"}),
    "missing-everything": (lambda b: {}, {"exchange_id", "title", "sdgs", "starts_at", "ends_at"}),
    "unknown-exchange": (_set(exchange_id=999999), {"exchange_id"}),
    "exchange-not-a-number": (_set(exchange_id="first"), {"exchange_id"}),
    "exchange-out-of-range": (_set(exchange_id=10**30), {"exchange_id"}),
    "exchange-missing": (_drop("exchange_id"), {"exchange_id"}),
}


@pytest.mark.parametrize("change, fields", CASES.values(), ids=CASES.keys())
def test_invalid_session_is_422_naming_the_fields(
    client, bearer, exchanges, count_rows, change, fields
):
    body = change(valid_body(exchanges["tw_jp"]))
    before = count_rows(ForumSession)
    response = client.post(
        "/api/v1/sessions?lang=en", json=body, headers=bearer("teacher", "taipei-daan")
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "invalid"
    assert error["message"]
    assert set(error["fields"]) == fields
    assert all(isinstance(m, str) and m for m in error["fields"].values())
    assert count_rows(ForumSession) == before


def test_the_valid_body_itself_is_accepted(client, bearer, exchanges, count_rows):
    """The cases above each break one thing in a body that is otherwise fine."""
    before = count_rows(ForumSession)
    response = client.post(
        "/api/v1/sessions",
        json=valid_body(exchanges["tw_jp"]),
        headers=bearer("teacher", "taipei-daan"),
    )
    assert response.status_code == 201
    assert count_rows(ForumSession) == before + 1


def test_field_messages_follow_the_language(client, bearer, exchanges):
    body = {**valid_body(exchanges["tw_jp"]), "starts_at": when(4, 8), "ends_at": when(4, 7)}
    messages = {
        lang: client.post(
            f"/api/v1/sessions?lang={lang}", json=body, headers=bearer("teacher", "taipei-daan")
        ).get_json()["error"]["fields"]["ends_at"]
        for lang in ("en", "ja", "ko", "zh-TW")
    }
    assert messages["en"] == "The end must be after the start."
    assert re.search(r"[\u3040-\u30ff]", messages["ja"])  # kana
    assert re.search(r"[\uac00-\ud7a3]", messages["ko"])  # hangul
    assert re.search(r"[\u4e00-\u9fff]", messages["zh-TW"])
    assert len(set(messages.values())) == 4


@pytest.mark.parametrize(
    "data, content_type",
    [
        ("title=Rain gardens", "application/x-www-form-urlencoded"),
        ("{not json", "application/json"),
        ("[1, 2, 3]", "application/json"),
        ('"a string"', "application/json"),
        ("", "application/json"),
    ],
)
def test_non_json_body_is_400(client, bearer, count_rows, demo, data, content_type):
    before = count_rows(ForumSession)
    response = client.post(
        "/api/v1/sessions",
        data=data,
        content_type=content_type,
        headers=bearer("teacher", "taipei-daan"),
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"
    assert count_rows(ForumSession) == before


def test_reschedule_is_validated_too(client, bearer, schedule):
    session = schedule()
    headers = bearer("teacher", "taipei-daan")
    response = client.patch(
        f"/api/v1/sessions/{session['id']}",
        json={"ends_at": when(3, 5), "sdgs": [18]},
        headers=headers,
    )
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"sdgs"}
    response = client.patch(
        f"/api/v1/sessions/{session['id']}", json={"ends_at": when(3, 5)}, headers=headers
    )
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"ends_at"}
    stored = client.get(f"/api/v1/sessions/{session['id']}", headers=headers).get_json()
    assert stored == session


# --- the HTML form ----------------------------------------------------------------


def form_data(client, exchange_id: int, **overrides) -> dict:
    """The schedule form as a browser would send it, filled in validly, then ``overrides``."""
    data = form_fields(
        client.get(f"/sessions/new?exchange_id={exchange_id}").get_data(as_text=True)
    )
    data.update(
        {
            "title": "Rain gardens",
            "sdgs": ["6", "13"],
            "starts_at": when(4, 6)[:16],
            "ends_at": when(4, 7)[:16],
        }
    )
    data.update(overrides)
    return data


def field_error(html: str, field: str) -> str | None:
    match = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html)
    return match.group(1) if match else None


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        (
            {"starts_at": when(4, 8)[:16], "ends_at": when(4, 7)[:16]},
            "ends_at",
            "The end must be after the start.",
        ),
        ({"title": ""}, "title", "A title is required."),
        ({"sdgs": []}, "sdgs", "Choose one or more goals, numbered 1 to 17."),
        ({"sdgs": ["18"]}, "sdgs", "not a valid choice"),
        ({"starts_at": ""}, "starts_at", "A date and time is required."),
    ],
    ids=["end-before-start", "no-title", "no-sdgs", "sdg-18", "no-start"],
)
def test_schedule_form_shows_the_field_error_and_stores_nothing(
    client, auth, exchanges, count_rows, overrides, field, message
):
    auth.login("teacher", "taipei-daan")
    client.get("/?lang=en")
    before = count_rows(ForumSession)
    response = client.post("/sessions/new", data=form_data(client, exchanges["tw_jp"], **overrides))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    error = field_error(html, field)
    assert error is not None, html
    assert message in error
    assert 'aria-invalid="true"' in html
    assert 'value="Rain gardens"' in html or overrides.get("title") == ""
    assert count_rows(ForumSession) == before


def test_schedule_form_with_valid_input_stores_the_session(client, auth, exchanges, count_rows):
    auth.login("teacher", "taipei-daan")
    before = count_rows(ForumSession)
    response = client.post("/sessions/new", data=form_data(client, exchanges["tw_jp"]))
    assert response.status_code == 302
    assert count_rows(ForumSession) == before + 1

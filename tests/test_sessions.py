"""Scheduling, rescheduling, cancelling, opening and closing sessions; the home page."""

from __future__ import annotations

import re

import pytest
from conftest import csrf_token, form_fields, when

pytestmark = pytest.mark.usefixtures("demo_snapshot")

SESSION_KEYS = {"id", "exchange_id", "title", "sdgs", "status", "starts_at", "ends_at", "schools"}
SCHOOL_KEYS = {"slug", "name", "country", "timezone"}
UTC_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def day(days: int) -> str:
    return when(days)[:10]


# --- the API ---------------------------------------------------------------------


def test_schedule_returns_the_protocol_session_object(client, bearer, exchanges):
    response = client.post(
        "/api/v1/sessions?lang=en",
        headers=bearer("teacher", "taipei-daan"),
        json={
            "exchange_id": exchanges["tw_jp"],
            "title": "  Sea   turtles ",
            "sdgs": [14, 13, 14],
            "starts_at": f"{day(6)}T14:00:00+08:00",
            "ends_at": f"{day(6)}T15:30:00+08:00",
        },
    )
    assert response.status_code == 201
    session = response.get_json()
    assert set(session) == SESSION_KEYS
    assert response.headers["Location"].endswith(f"/api/v1/sessions/{session['id']}")
    assert session["exchange_id"] == exchanges["tw_jp"]
    assert session["title"] == "Sea turtles"
    assert session["sdgs"] == [13, 14]
    assert session["status"] == "scheduled"
    assert session["starts_at"] == f"{day(6)}T06:00:00Z"
    assert session["ends_at"] == f"{day(6)}T07:30:00Z"
    assert UTC_Z.match(session["starts_at"]) and UTC_Z.match(session["ends_at"])
    assert all(set(school) == SCHOOL_KEYS for school in session["schools"])
    assert [(s["slug"], s["country"], s["timezone"]) for s in session["schools"]] == [
        ("taipei-daan", "TW", "Asia/Taipei"),
        ("shizuoka-aoi", "JP", "Asia/Tokyo"),
    ]
    assert session["schools"][1]["name"] == "Shizuoka Aoi Junior High School"

    # The partner school's teacher reads the same session.
    fetched = client.get(
        f"/api/v1/sessions/{session['id']}?lang=en", headers=bearer("teacher", "shizuoka-aoi")
    )
    assert fetched.get_json() == session


def test_listed_sessions_have_the_same_shape(client, bearer):
    listed = client.get("/api/v1/sessions", headers=bearer("reviewer")).get_json()["sessions"]
    assert listed
    for session in listed:
        assert set(session) == SESSION_KEYS
        assert session["status"] in ("scheduled", "live", "closed")
        assert UTC_Z.match(session["starts_at"]) and UTC_Z.match(session["ends_at"])
    assert [s["starts_at"] for s in listed] == sorted(s["starts_at"] for s in listed)


def test_reschedule_changes_title_goals_and_times(client, bearer, schedule):
    session = schedule()
    headers = bearer("teacher", "shizuoka-aoi")
    response = client.patch(
        f"/api/v1/sessions/{session['id']}",
        headers=headers,
        json={
            "title": "Beach clean-up, part two",
            "sdgs": [12],
            "starts_at": f"{day(9)}T10:00:00+09:00",
            "ends_at": f"{day(9)}T11:00:00+09:00",
        },
    )
    assert response.status_code == 200
    changed = response.get_json()
    assert changed["title"] == "Beach clean-up, part two"
    assert changed["sdgs"] == [12]
    assert changed["starts_at"] == f"{day(9)}T01:00:00Z"
    assert changed["ends_at"] == f"{day(9)}T02:00:00Z"
    assert client.get(f"/api/v1/sessions/{session['id']}", headers=headers).get_json() == changed


def test_reschedule_only_the_end(client, bearer, schedule):
    session = schedule(starts_at=when(3, 6), ends_at=when(3, 7))
    response = client.patch(
        f"/api/v1/sessions/{session['id']}",
        json={"ends_at": when(3, 8)},
        headers=bearer("teacher", "taipei-daan"),
    )
    assert response.status_code == 200
    assert response.get_json()["starts_at"] == session["starts_at"]
    assert response.get_json()["ends_at"] == when(3, 8)


def test_cancel_removes_the_session_everywhere(client, bearer, schedule, auth):
    session = schedule(title="Called off")
    headers = bearer("teacher", "taipei-daan")
    response = client.delete(f"/api/v1/sessions/{session['id']}", headers=headers)
    assert response.status_code == 204
    assert client.get(f"/api/v1/sessions/{session['id']}", headers=headers).status_code == 404
    for who in (headers, bearer("teacher", "shizuoka-aoi"), bearer("reviewer")):
        listed = client.get("/api/v1/sessions", headers=who).get_json()["sessions"]
        assert session["id"] not in {s["id"] for s in listed}
    assert client.delete(f"/api/v1/sessions/{session['id']}", headers=headers).status_code == 404
    auth.login("student", "shizuoka-aoi")
    assert "Called off" not in client.get("/").get_data(as_text=True)
    assert client.get(f"/sessions/{session['id']}").status_code == 404


def test_open_then_close(client, bearer, schedule):
    session = schedule()
    headers = bearer("teacher", "taipei-daan")
    opened = client.post(f"/api/v1/sessions/{session['id']}/open", headers=headers)
    assert opened.status_code == 200
    assert opened.get_json()["status"] == "live"
    closed = client.post(f"/api/v1/sessions/{session['id']}/close", headers=headers)
    assert closed.status_code == 200
    assert closed.get_json()["status"] == "closed"
    assert (
        client.get(f"/api/v1/sessions/{session['id']}", headers=headers).get_json()["status"]
        == "closed"
    )


def test_closing_twice_is_a_conflict(client, bearer, schedule):
    session = schedule()
    headers = bearer("teacher", "taipei-daan")
    client.post(f"/api/v1/sessions/{session['id']}/open", headers=headers)
    assert (
        client.post(f"/api/v1/sessions/{session['id']}/close", headers=headers).status_code == 200
    )
    again = client.post(f"/api/v1/sessions/{session['id']}/close", headers=headers)
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "closed"
    reopen = client.post(f"/api/v1/sessions/{session['id']}/open", headers=headers)
    assert reopen.status_code == 409
    assert (
        client.get(f"/api/v1/sessions/{session['id']}", headers=headers).get_json()["status"]
        == "closed"
    )


def test_opening_twice_and_closing_unopened_are_conflicts(client, bearer, schedule):
    headers = bearer("teacher", "taipei-daan")
    unopened = schedule()
    assert (
        client.post(f"/api/v1/sessions/{unopened['id']}/close", headers=headers).status_code == 409
    )
    assert (
        client.post(f"/api/v1/sessions/{unopened['id']}/open", headers=headers).status_code == 200
    )
    assert (
        client.post(f"/api/v1/sessions/{unopened['id']}/open", headers=headers).status_code == 409
    )


def test_a_started_session_can_no_longer_be_rescheduled_or_cancelled(client, bearer, schedule):
    headers = bearer("teacher", "taipei-daan")
    session = schedule()
    client.post(f"/api/v1/sessions/{session['id']}/open", headers=headers)
    patch = client.patch(
        f"/api/v1/sessions/{session['id']}", json={"title": "New"}, headers=headers
    )
    assert patch.status_code == 409
    assert client.delete(f"/api/v1/sessions/{session['id']}", headers=headers).status_code == 409
    stored = client.get(f"/api/v1/sessions/{session['id']}", headers=headers).get_json()
    assert stored["title"] == session["title"]
    assert stored["status"] == "live"


# --- the pages -------------------------------------------------------------------


def test_schedule_form_reads_times_in_the_teachers_zone(client, auth, bearer, exchanges):
    auth.login("teacher", "taipei-daan")
    data = form_fields(
        client.get(f"/sessions/new?exchange_id={exchanges['tw_jp']}").get_data(as_text=True)
    )
    assert data["exchange_id"] == str(exchanges["tw_jp"])
    data.update(
        {
            "title": "Tide pools",
            "sdgs": ["14"],
            "starts_at": f"{day(5)}T14:00",
            "ends_at": f"{day(5)}T15:00",
        }
    )
    response = client.post("/sessions/new", data=data)
    assert response.status_code == 302
    listed = client.get("/api/v1/sessions", headers=bearer("reviewer")).get_json()["sessions"]
    created = next(s for s in listed if s["title"] == "Tide pools")
    assert created["starts_at"] == f"{day(5)}T06:00:00Z"
    assert created["ends_at"] == f"{day(5)}T07:00:00Z"
    assert response.headers["Location"].endswith(f"/sessions/{created['id']}")


def test_teacher_opens_and_closes_from_the_room_page(client, auth, bearer, schedule):
    session = schedule(title="Room buttons")
    auth.login("teacher", "shizuoka-aoi")
    room = f"/sessions/{session['id']}"
    assert (
        client.post(f"{room}/open", data={"csrf_token": csrf_token(client, room)}).status_code
        == 302
    )
    assert client.get(f"/api/v1/sessions/{session['id']}").get_json()["status"] == "live"
    assert client.post(f"{room}/close", data={}).status_code == 400  # no CSRF token
    assert (
        client.post(f"{room}/close", data={"csrf_token": csrf_token(client, room)}).status_code
        == 302
    )
    assert client.get(f"/api/v1/sessions/{session['id']}").get_json()["status"] == "closed"


def group(html: str, name: str) -> str:
    """The HTML of one group of the home page: live, upcoming or past."""
    match = re.search(rf'<section aria-labelledby="{name}-h".*?</section>', html, re.S)
    assert match, f"no {name} group"
    return match.group(0)


def card(html: str, title: str) -> str:
    """The text of the session card with that title (tags dropped, spaces squeezed)."""
    for article in re.findall(r'<article class="session-card.*?</article>', html, re.S):
        if f">{title}</a>" in article:
            return " ".join(re.sub(r"<[^>]+>", " ", article).split())
    raise AssertionError(f"no card for {title!r}")


def titles(html: str) -> list[str]:
    return re.findall(r'<h3><a href="/sessions/\d+">([^<]+)</a></h3>', html)


def test_home_groups_a_teachers_sessions_with_times_in_both_zones(client, auth, bearer, schedule):
    schedule(title="Sea turtles", starts_at=when(2, 6), ends_at=when(2, 7))
    finished = schedule(title="Finished early")
    headers = bearer("teacher", "taipei-daan")
    client.post(f"/api/v1/sessions/{finished['id']}/open", headers=headers)
    client.post(f"/api/v1/sessions/{finished['id']}/close", headers=headers)

    auth.login("teacher", "taipei-daan")
    html = client.get("/?lang=en").get_data(as_text=True)
    live, upcoming, past = (group(html, g) for g in ("live", "upcoming", "past"))
    assert titles(live) == ["Our rivers and the sea"]
    assert "Sea turtles" in titles(upcoming)
    assert "Saving energy in our classrooms" in titles(upcoming)  # the TW–KR exchange
    assert {"Finished early", "Plastic on our beaches"} <= set(titles(past))
    assert "Finished early" not in titles(upcoming)

    text = card(upcoming, "Sea turtles")
    assert "14:00 Taipei · 15:00 Tokyo" in text
    assert "Taipei Da-An Junior High School" in text
    assert "Shizuoka Aoi Junior High School" in text


def test_home_shows_a_japanese_student_their_zone_first(client, auth, schedule):
    schedule(title="Sea turtles", starts_at=when(2, 6), ends_at=when(2, 7))
    auth.login("student", "shizuoka-aoi")
    html = client.get("/?lang=en").get_data(as_text=True)
    assert "15:00 Tokyo · 14:00 Taipei" in card(group(html, "upcoming"), "Sea turtles")
    assert titles(group(html, "live")) == ["Our rivers and the sea"]
    assert "Saving energy in our classrooms" not in html
    assert 'href="/sessions/new"' not in html  # students schedule nothing


def test_home_shows_a_korean_student_only_their_exchange(client, auth):
    auth.login("student", "seoul-hanbit")
    html = client.get("/?lang=en").get_data(as_text=True)
    assert titles(group(html, "live")) == []
    assert titles(group(html, "upcoming")) == ["Saving energy in our classrooms"]
    assert titles(group(html, "past")) == []
    text = card(html, "Saving energy in our classrooms")
    assert re.search(r"\d\d:\d\d Seoul · \d\d:\d\d Taipei", text)


def test_home_follows_the_zone_chosen_in_preferences(client, auth, schedule):
    schedule(title="Sea turtles", starts_at=when(2, 6), ends_at=when(2, 7))
    auth.login("teacher", "taipei-daan")
    data = form_fields(client.get("/preferences").get_data(as_text=True))
    data.update({"language": "en", "timezone": "Europe/London"})
    assert client.post("/preferences", data=data).status_code == 302
    html = client.get("/").get_data(as_text=True)
    assert "06:00 London · 14:00 Taipei · 15:00 Tokyo" in card(html, "Sea turtles")


def test_cancelling_on_the_page_asks_first_and_the_partner_learns_of_it(
    client, schedule, auth, app, demo
):
    """The cancel button asks before it acts (what it means, a way back, focused); once
    confirmed, the partner school's teacher finds it on their home page."""
    from conftest import Auth

    session = schedule(title="Maybe not")
    auth.login("teacher", "taipei-daan")
    edit = f"/sessions/{session['id']}/edit"
    token = csrf_token(client, edit)
    asked = client.post(f"/sessions/{session['id']}/cancel?lang=en", data={"csrf_token": token})
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "cannot be undone" in page
    assert re.search(r'<a class="button" href="[^"]*/edit" autofocus>Keep the session</a>', page)
    assert client.get(f"/api/v1/sessions/{session['id']}").status_code == 200  # still there
    response = client.post(
        f"/sessions/{session['id']}/cancel", data={"csrf_token": token, "confirmed": "yes"}
    )
    assert response.status_code == 302
    assert client.get(f"/api/v1/sessions/{session['id']}").status_code == 404
    partner = app.test_client()
    Auth(partner, demo).login("teacher", "shizuoka-aoi")
    home = partner.get("/?lang=en").get_data(as_text=True)
    assert "Maybe not" in home and "Sessions your partner cancelled" in home


def test_home_leads_into_a_live_room_and_to_a_closed_sessions_record(client, auth, demo):
    """A student's home: an "Enter" button on the live session, and the sealed record
    of a closed one, which opens for them."""
    auth.login("student", "taipei-daan")
    home = client.get("/?lang=en").get_data(as_text=True)
    live = next(s["id"] for s in demo["sessions"] if s["status"] == "live")
    closed = next(s["id"] for s in demo["sessions"] if s["status"] == "closed")
    assert f'<a class="button primary" href="/sessions/{live}">Enter the room</a>' in home
    record = f"/sessions/{closed}/transcript.html"
    assert f'<a class="button" href="{record}">Read the sealed record</a>' in home
    assert client.get(record).status_code == 200


@pytest.mark.parametrize(
    "bad",
    [
        "http://meet.jit.si/x",
        "javascript:alert(1)",
        "meet.jit.si/x",
        "https://",
        "https://user:pw@meet.jit.si/x",
        "https://meet.jit.si/a b",
        "https://x.example/" + "a" * 500,
    ],
)
def test_a_video_call_link_must_be_https(client, bearer, exchanges, bad):
    headers = bearer("teacher", "taipei-daan")
    response = client.post(
        "/api/v1/sessions?lang=en",
        headers=headers,
        json={
            "exchange_id": exchanges["tw_jp"],
            "title": "Rivers by video",
            "sdgs": [6],
            "starts_at": when(3),
            "ends_at": when(3, 7),
            "video_url": bad,
        },
    )
    assert response.status_code == 422
    assert "https://" in response.get_json()["error"]["fields"]["video_url"]


def test_the_room_shows_the_video_call_while_live_only(client, auth, app, demo):
    """A teacher gives the session's video link on the page; the room shows "Join the
    video call" (a new tab, no referrer) while it is live, hidden before."""
    auth.login("teacher", "taipei-daan")
    later = next(s["id"] for s in demo["sessions"] if s["status"] == "scheduled")
    fields = form_fields(client.get(f"/sessions/{later}/edit").get_data(as_text=True))
    fields["video_url"] = "https://meet.jit.si/daan-aoi-rivers"
    response = client.post(f"/sessions/{later}/edit", data=fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(f"/sessions/{later}?lang=en").get_data(as_text=True)
    link = re.search(r"<a [^>]*data-video-call[^>]*>", page).group(0)
    assert 'href="https://meet.jit.si/daan-aoi-rivers"' in link
    assert 'rel="noopener noreferrer"' in link and " hidden" in link  # not live yet
    token = csrf_token(client, f"/sessions/{later}")
    client.post(f"/sessions/{later}/open", data={"csrf_token": token})
    page = client.get(f"/sessions/{later}?lang=en").get_data(as_text=True)
    link = re.search(r"<a [^>]*data-video-call[^>]*>", page).group(0)
    assert " hidden" not in link and "Join the video call" in page

"""Times across zones, the ROC academic year, and calendar (.ics) files and feeds."""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import urlsplit

import pytest
from conftest import csrf_token, when

from forum import clock

pytestmark = pytest.mark.usefixtures("demo_snapshot")

TW, JP, KR = "Asia/Taipei", "Asia/Tokyo", "Asia/Seoul"


@pytest.fixture
def english(app):
    with app.test_request_context("/?lang=en"):
        yield


# --- forum.clock ----------------------------------------------------------------


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize(
    "moment, zones, reader, expected",
    [
        (datetime(2025, 3, 12, 6, 0, tzinfo=UTC), [TW, JP], TW, "14:00 Taipei · 15:00 Tokyo"),
        (datetime(2025, 3, 12, 6, 0, tzinfo=UTC), [TW, JP], JP, "15:00 Tokyo · 14:00 Taipei"),
        (datetime(2025, 3, 12, 6, 0, tzinfo=UTC), [TW, KR], KR, "15:00 Seoul · 14:00 Taipei"),
        (datetime(2025, 3, 12, 6, 0, tzinfo=UTC), [TW, KR], TW, "14:00 Taipei · 15:00 Seoul"),
        # One zone for both schools: one time.
        (datetime(2025, 3, 12, 6, 0, tzinfo=UTC), [TW, TW], TW, "14:00 Taipei"),
        # A reader elsewhere sees their own time first, then the schools'.
        (
            datetime(2025, 3, 12, 6, 0, tzinfo=UTC),
            [TW, JP],
            "Europe/London",
            "06:00 London · 14:00 Taipei · 15:00 Tokyo",
        ),
    ],
)
def test_across_zones(moment, zones, reader, expected):
    assert clock.across_zones(moment, zones, reader) == expected


@pytest.mark.usefixtures("english")
def test_a_session_reads_from_to_in_each_zone():
    """The room's header: one from–to per zone, the reader's first (issue 20, point 13)."""
    start = datetime(2025, 3, 12, 6, 0, tzinfo=UTC)
    end = datetime(2025, 3, 12, 7, 30, tzinfo=UTC)
    assert (
        clock.span_across_zones(start, end, [TW, JP], TW)
        == "14:00–15:30 Taipei · 15:00–16:30 Tokyo"
    )
    assert clock.span_across_zones(start, end, [TW, TW], TW) == "14:00–15:30 Taipei"
    late = datetime(2025, 3, 12, 15, 0, tzinfo=UTC)  # 23:00 in Taipei, 00:00 in Tokyo
    assert (
        clock.span_across_zones(late, datetime(2025, 3, 12, 16, 0, tzinfo=UTC), [TW, JP], TW)
        == "23:00–Mar 13, 2025 00:00 Taipei · Mar 13, 2025 00:00–01:00 Tokyo"
    )


@pytest.mark.usefixtures("english")
def test_across_midnight_the_other_day_is_shown():
    moment = datetime(2025, 3, 12, 15, 30, tzinfo=UTC)  # 23:30 in Taipei, 00:30 in Tokyo
    assert clock.across_zones(moment, [TW, JP], TW) == "23:30 Taipei · Mar 13, 2025 00:30 Tokyo"
    assert clock.across_zones(moment, [TW, JP], JP) == "00:30 Tokyo · Mar 12, 2025 23:30 Taipei"


@pytest.mark.usefixtures("english")
def test_summer_time_elsewhere_is_followed():
    winter = datetime(2025, 1, 15, 6, 0, tzinfo=UTC)
    summer = datetime(2025, 7, 15, 6, 0, tzinfo=UTC)
    assert clock.across_zones(winter, [TW], "Europe/London").startswith("06:00 London")
    assert clock.across_zones(summer, [TW], "Europe/London").startswith("07:00 London")


def test_city_names_follow_the_language(app):
    moment = datetime(2025, 3, 12, 6, 0, tzinfo=UTC)
    with app.test_request_context("/?lang=ja"):
        assert clock.across_zones(moment, [TW, JP], JP) == "15:00 東京 · 14:00 台北"
    with app.test_request_context("/?lang=ko"):
        assert clock.across_zones(moment, [TW, KR], KR) == "15:00 서울 · 14:00 타이베이"


@pytest.mark.parametrize(
    "day, roc",
    [
        (date(2024, 7, 31), 112),
        (date(2024, 8, 1), 113),
        (date(2025, 1, 1), 113),
        (date(2025, 7, 31), 113),
        (date(2025, 8, 1), 114),
        # Instants count by the day in Taiwan: 16:00Z on 31 July is 1 August in Taipei.
        (datetime(2024, 7, 31, 15, 59, tzinfo=UTC), 112),
        (datetime(2024, 7, 31, 16, 0, tzinfo=UTC), 113),
        (datetime(2025, 7, 31, 15, 59, tzinfo=UTC), 113),
        (datetime(2025, 7, 31, 16, 0, tzinfo=UTC), 114),
    ],
)
def test_academic_year_turns_on_1_august(day, roc):
    assert clock.academic_year_of(day) == roc


def test_academic_year_113_runs_from_august_2024_to_july_2025():
    assert clock.academic_year_bounds(113) == (date(2024, 8, 1), date(2025, 7, 31))
    start, end = clock.academic_year_bounds(113)
    assert clock.academic_year_of(start) == clock.academic_year_of(end) == 113


@pytest.mark.parametrize("gregorian, roc", [(1912, 1), (2024, 113), (2025, 114)])
def test_roc_year(gregorian, roc):
    assert clock.roc_year(gregorian) == roc


@pytest.mark.usefixtures("english")
def test_academic_year_label():
    assert clock.academic_year_label(113) == "Academic year 113 (2024–25)"


# --- .ics files ------------------------------------------------------------------


def physical_lines(body: bytes) -> list[bytes]:
    assert body.endswith(b"\r\n")
    assert body.count(b"\n") == body.count(b"\r\n"), "every line ends in CRLF"
    return body[:-2].split(b"\r\n")


def unfold(body: bytes) -> list[str]:
    return body.decode("utf-8").replace("\r\n ", "").split("\r\n")[:-1]


def prop(lines: list[str], name: str) -> list[str]:
    return [line.split(":", 1)[1] for line in lines if line.split(":", 1)[0] == name]


def stamp(iso_utc: str) -> str:
    return iso_utc.replace("-", "").replace(":", "")


def test_session_ics(client, auth, schedule):
    title = "Rivers, rain; and us \\ 我們的河川"
    session = schedule(title=title, starts_at=when(4, 6, 30), ends_at=when(4, 8))
    auth.login("teacher", "taipei-daan")
    response = client.get(f"/sessions/{session['id']}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    lines = unfold(response.data)
    assert lines[0] == "BEGIN:VCALENDAR"
    assert lines[-1] == "END:VCALENDAR"
    assert lines.count("BEGIN:VEVENT") == 1
    assert prop(lines, "DTSTART") == [stamp(session["starts_at"])]
    assert prop(lines, "DTSTART") == [stamp(when(4, 6, 30))]
    assert prop(lines, "DTEND") == [stamp(session["ends_at"])]
    assert prop(lines, "UID") == [f"session-{session['id']}@sdg-forum"]
    assert prop(lines, "SUMMARY") == ["Rivers\\, rain\\; and us \\\\ 我們的河川"]
    assert prop(lines, "STATUS") == ["CONFIRMED"]
    assert prop(lines, "URL")[0].endswith(f"/sessions/{session['id']}")


def test_long_cjk_titles_are_folded_at_75_octets(client, auth, schedule):
    title = "我們的河流、海洋與颱風：臺灣和日本的學生一起討論氣候變遷與海洋保育的行動"
    session = schedule(title=title)
    auth.login("student", "taipei-daan")
    response = client.get(f"/sessions/{session['id']}.ics")
    assert response.status_code == 200
    raw = physical_lines(response.data)
    assert max(len(line) for line in raw) <= 75
    assert sum(line.startswith(b" ") for line in raw) >= 2, "the SUMMARY was folded"
    for line in raw:
        line.decode("utf-8")  # no character is split across lines
    assert prop(unfold(response.data), "SUMMARY") == [title]


def test_session_ics_is_for_members_only(app, client, auth, schedule):
    session = schedule()
    assert app.test_client().get(f"/sessions/{session['id']}.ics").status_code == 302
    auth.login("student", "seoul-hanbit")
    assert client.get(f"/sessions/{session['id']}.ics").status_code == 404


def feed_path(client) -> str:
    html = client.get("/preferences").get_data(as_text=True)
    start = html.index('class="copy"')
    url = html[start:].split('value="', 1)[1].split('"', 1)[0]
    path = urlsplit(url).path
    assert path.startswith("/calendar/") and path.endswith(".ics")
    return path


def events(body: bytes) -> dict[str, dict[str, str]]:
    """UID → {property: value} for each VEVENT of a calendar."""
    found: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in unfold(body):
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            found[current["UID"]] = current
            current = None
        elif current is not None:
            name, value = line.split(":", 1)
            current[name] = value
    return found


def test_calendar_feed_works_without_cookies_and_marks_cancelled_sessions(
    app, client, auth, bearer, demo, schedule
):
    session = schedule(title="Will be called off")
    uid = f"session-{session['id']}@sdg-forum"
    auth.login("teacher", "shizuoka-aoi")
    path = feed_path(client)

    outsider = app.test_client()  # a calendar program: no cookies, no token
    response = outsider.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    physical_lines(response.data)
    feed = events(response.data)
    assert feed[uid]["STATUS"] == "CONFIRMED"
    assert feed[uid]["DTSTART"] == stamp(session["starts_at"])
    demo_uids = {f"session-{s['id']}@sdg-forum" for s in demo["sessions"]}
    tw_kr = {
        f"session-{s['id']}@sdg-forum"
        for s in demo["sessions"]
        if s["title"] == "Saving energy in our classrooms"
    }
    assert demo_uids - tw_kr <= set(feed)
    assert not tw_kr & set(feed), "the Japanese teacher is not in the TW–KR exchange"

    sequence = int(feed[uid]["SEQUENCE"])
    assert (
        client.delete(
            f"/api/v1/sessions/{session['id']}", headers={"X-CSRFToken": csrf_token(client, "/")}
        ).status_code
        == 204
    )
    cancelled = events(outsider.get(path).data)[uid]
    assert cancelled["STATUS"] == "CANCELLED"
    assert int(cancelled["SEQUENCE"]) > sequence
    assert client.get(f"/sessions/{session['id']}.ics").status_code == 404


def test_a_link_with_commas_and_semicolons_is_a_uri_not_text(app, schedule):
    """RFC 5545 §3.3.13: a URI value is not escaped as TEXT is; the link that a
    calendar program opens is the room's link exactly."""
    import icalendar

    from forum.extensions import db
    from forum.models import ForumSession
    from forum.schedule import calendar

    title = "Rivers, rain; and us"
    session = schedule(title=title)
    link = f"https://forum.example.org/sessions/{session['id']}?from=feed,ics;v=1&x=a%2Cb"
    with app.test_request_context("/?lang=en"):
        body = calendar.calendar_for(
            [db.session.get(ForumSession, session["id"])],
            name="Mine, yours; ours",
            url_for_session=lambda _sid: link,
        )
    lines = unfold(body.encode())
    assert prop(lines, "URL") == [link], "the URI went out unescaped"
    assert prop(lines, "SUMMARY") == ["Rivers\\, rain\\; and us"], "TEXT is escaped"
    assert prop(lines, "X-WR-CALNAME") == ["Mine\\, yours\\; ours"]
    parsed = icalendar.Calendar.from_ical(body)
    (event,) = parsed.walk("VEVENT")
    assert str(event["URL"]) == link
    assert str(event["SUMMARY"]) == title
    assert link in str(event["DESCRIPTION"])


def test_the_feed_parses_with_icalendar(app, client, auth, demo, schedule):
    """What calendar programs get reads back, every session with its fields."""
    import icalendar

    session = schedule(title="Rivers, rain; and us \\ 我們的河川")
    auth.login("teacher", "taipei-daan")
    body = app.test_client().get(feed_path(client)).data
    parsed = icalendar.Calendar.from_ical(body)
    assert str(parsed["VERSION"]) == "2.0"
    assert str(parsed["PRODID"]) == "-//SDG Forum//Sessions//EN"
    found = {str(e["UID"]): e for e in parsed.walk("VEVENT")}
    mine = found[f"session-{session['id']}@sdg-forum"]
    assert str(mine["SUMMARY"]) == session["title"]
    assert mine.decoded("DTSTART") == datetime.fromisoformat(session["starts_at"])
    assert mine.decoded("DTEND") == datetime.fromisoformat(session["ends_at"])
    assert str(mine["STATUS"]) == "CONFIRMED"
    assert str(mine["URL"]).endswith(f"/sessions/{session['id']}")
    for event in found.values():
        for name in ("DTSTAMP", "DTSTART", "DTEND", "SEQUENCE", "SUMMARY", "URL", "STATUS"):
            assert name in event, (name, event)


def test_calendar_feed_with_a_wrong_key_is_404(app, client, auth):
    auth.login("teacher", "taipei-daan")
    path = feed_path(client)
    key = path.removeprefix("/calendar/").removesuffix(".ics")
    user_id, version, mac = key.split("-", 2)
    outsider = app.test_client()
    wrong = [
        f"{user_id}-{version}-{'0' * len(mac)}",
        f"{user_id}-{int(version) + 1}-{mac}",
        f"{int(user_id) + 1}-{version}-{mac}",
        f"{user_id}-{version}",
        "nothing-here",
        f"{10**30}-{version}-{mac}",
    ]
    for bad in wrong:
        assert outsider.get(f"/calendar/{bad}.ics").status_code == 404, bad
    assert outsider.get(path).status_code == 200

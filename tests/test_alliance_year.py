"""The Alliance's year (issue 15, points 5–7): MOUs with partner regions, educator
training, and the academic-year report's figures (schools paired per region, MOUs,
educators trained), through the API, the pages and the command line."""

from __future__ import annotations

import csv
import io
import json

import pytest
import sqlalchemy as sa
from conftest import Auth, csrf_token
from test_i18n import english_leftovers, visible_text

from forum.extensions import db
from forum.models import Mou, TrainingEvent, TrainingParticipant

pytestmark = pytest.mark.usefixtures("demo_snapshot")

SHIKOKU = {
    "region": "Shikoku",
    "country": "JP",
    "authority": "Shikoku boards of education",
    "status": "signed",
    "signed_on": "2024-09-20",
}
TASK_FORCE = {
    "kind": "task_force",
    "title": "Core task force",
    "held_on": "2024-10-19",
    "place": "Taipei",
    "participants": [
        {"name": "林美華", "school": "臺北市立大安國民中學"},
        {"name": "佐藤 健", "school": "静岡市立葵中学校"},
    ],
}


@pytest.fixture
def api(app, bearer):
    """``api(method, path, who, json=None)`` → (status, body); ``who`` is "admin",
    "reviewer", "teacher" or a headers dict."""
    tokens: dict[str, dict] = {}

    def call(method: str, path: str, who, json=None):
        if not isinstance(who, dict) and who not in tokens:
            tokens[who] = bearer(who)
        headers = who if isinstance(who, dict) else tokens[who]
        response = app.test_client().open(
            f"/api/v1{path}", method=method, json=json, headers=headers
        )
        return response.status_code, response.get_json(silent=True)

    return call


def _signed_in(app, demo, role: str, school: str = "taipei-daan"):
    client = app.test_client()
    Auth(client, demo).login(role, school)
    return client


# --- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["teacher", "reviewer"])
def test_only_admins_record_mous_and_training(api, count_rows, who):
    with_demo, events = count_rows(Mou), count_rows(TrainingEvent)
    status, body = api("POST", "/mous", who, SHIKOKU)
    assert status == 403 and body["error"]["code"] == "forbidden"
    status, body = api("POST", "/training-events", who, TASK_FORCE)
    assert status == 403 and body["error"]["code"] == "forbidden"
    assert (count_rows(Mou), count_rows(TrainingEvent)) == (with_demo, events)
    status, mou = api("POST", "/mous", "admin", {**SHIKOKU, "region": "Kochi"})
    assert status == 201, mou
    assert count_rows(Mou) == with_demo + 1
    for method, json_body in (("PATCH", {"status": "planned"}), ("DELETE", None)):
        status, body = api(method, f"/mous/{mou['id']}", who, json_body)
        assert status == 403, body
    status, event = api("POST", "/training-events", "admin", TASK_FORCE)
    assert status == 201, event
    for method, json_body in (("PATCH", {"head_count": 3}), ("DELETE", None)):
        status, body = api(method, f"/training-events/{event['id']}", who, json_body)
        assert status == 403, body
    # Reviewers read them; teachers do not.
    expected = 200 if who == "reviewer" else 403
    assert api("GET", "/mous", who)[0] == expected
    assert api("GET", f"/mous/{mou['id']}", who)[0] == expected
    assert api("GET", "/training-events", who)[0] == expected
    assert api("GET", f"/training-events/{event['id']}", who)[0] == expected
    assert api("GET", f"/mous/{mou['id']}", "admin")[1]["status"] == "signed"


def test_the_pages_are_for_admins_only(app, demo, count_rows):
    before = count_rows(Mou)
    assert app.test_client().get("/mous/").status_code == 302  # to sign in
    for role in ("student", "teacher", "reviewer"):
        client = _signed_in(app, demo, role)
        for path in ("/mous/", "/training/"):
            assert client.get(path).status_code == 403, (role, path)
        token = csrf_token(client, "/")
        response = client.post("/mous/", data={**SHIKOKU, "csrf_token": token})
        assert response.status_code == 403
    assert count_rows(Mou) == before
    admin = _signed_in(app, demo, "admin")
    home = admin.get("/").get_data(as_text=True)
    assert 'href="/mous/"' in home and 'href="/training/"' in home
    teacher_home = _signed_in(app, demo, "teacher").get("/").get_data(as_text=True)
    assert 'href="/mous/"' not in teacher_home
    # The forms carry CSRF: a post without its token changes nothing.
    assert admin.post("/mous/", data=SHIKOKU).status_code in (400, 422)
    assert count_rows(Mou) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"region": "  "}, "region"),
        ({"region": "x" * 101}, "region"),
        ({"country": "Japan"}, "country"),
        ({"country": "XX"}, "country"),
        ({"authority": None}, "authority"),
        ({"status": "maybe"}, "status"),
        ({"signed_on": None}, "signed_on"),
        ({"signed_on": "20-09-2024"}, "signed_on"),
        ({"status": "planned"}, "signed_on"),  # a planned MOU has no signed date
        ({"academic_year": 112}, "academic_year"),  # 2024-09-20 falls in 113
        ({"academic_year": 1000}, "academic_year"),
        ({"status": "planned", "signed_on": None}, "academic_year"),
    ],
)
def test_bad_mous_are_refused_and_nothing_is_written(api, count_rows, change, field):
    before = count_rows(Mou)
    status, body = api("POST", "/mous", "admin", {**SHIKOKU, **change})
    assert status == 422, body
    assert field in body["error"]["fields"], body
    assert count_rows(Mou) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "party"}, "kind"),
        ({"held_on": None}, "held_on"),
        ({"held_on": "2024-13-01"}, "held_on"),
        ({"place": None}, "place"),  # neither a place nor online
        ({"online": "yes"}, "online"),
        ({"participants": None}, "participants"),  # neither names nor a head count
        ({"head_count": 30}, "participants"),  # both
        ({"participants": None, "head_count": 0}, "head_count"),
        ({"participants": None, "head_count": "many"}, "head_count"),
        ({"participants": []}, "participants"),
        ({"participants": "林美華"}, "participants"),
        ({"title": "t" * 201}, "title"),
    ],
)
def test_bad_training_events_are_refused_and_nothing_is_written(api, count_rows, change, field):
    body = {k: v for k, v in {**TASK_FORCE, **change}.items() if v is not None}
    status, answer = api("POST", "/training-events", "admin", body)
    assert status == 422, answer
    assert field in answer["error"]["fields"], answer
    assert count_rows(TrainingEvent) == 2  # the demo's
    assert count_rows(TrainingParticipant) == 3


def test_bad_participant_rows_are_each_named_and_nothing_is_written(api, count_rows):
    people = [
        {"name": "林美華", "school": "大安"},
        {"name": "", "school": "大安"},
        {"name": "林美華", "school": "大安"},
        {"name": "佐藤", "school": " "},
        {"name": "", "school": ""},
        {"name": "x" * 101, "school": "大安"},
    ]
    status, body = api("POST", "/training-events", "admin", {**TASK_FORCE, "participants": people})
    assert status == 422
    assert [(r["row"], r["message"]) for r in body["error"]["rows"]] == [
        (2, "the name is missing."),
        (3, "the same person as row 1."),
        (4, "the school is missing."),
        (6, "a name may have at most 100 characters."),
    ]
    assert "Nothing was saved" in body["error"]["message"]
    assert count_rows(TrainingEvent) == 2 and count_rows(TrainingParticipant) == 3


def _upload(client, path: str, fields: dict, content: bytes, lang: str = "en"):
    token = csrf_token(client, path)
    data = {**fields, "csrf_token": token, "file": (io.BytesIO(content), "participants.csv")}
    return client.post(f"{path}?lang={lang}", data=data, content_type="multipart/form-data")


@pytest.mark.parametrize(
    ("content", "lang", "expected"),
    [
        (
            "name,school\n林美華,大安\n,大安\n王,\n".encode(),
            "ja",
            ["行 3", "名前がありません", "行 4", "学校がありません", "何も保存されていません"],
        ),
        ("name,school\n林美華,大安\n林美華,大安\n".encode(), "ko", ["2행과 같은 사람"]),
        ("name,school\n林美華,大安\n,\n".encode("big5"), "en", ["not UTF-8"]),
        (b"display_name\nLin\n", "zh-TW", ["name 和 school"]),
        (b"name,school\n", "en", ["names no participants"]),
    ],
)
def test_a_bad_csv_on_the_page_says_which_rows_in_the_readers_language(
    app, demo, count_rows, content, lang, expected
):
    admin = _signed_in(app, demo, "admin")
    fields = {"kind": "host_family", "held_on": "2025-03-08", "online": "y"}
    response = _upload(admin, "/training/", fields, content, lang)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for text in expected:
        assert text in html, (text, visible_text(html)[-600:])
    assert count_rows(TrainingEvent) == 2 and count_rows(TrainingParticipant) == 3


def test_admins_record_edit_and_delete_on_the_pages(app, demo):
    admin = _signed_in(app, demo, "admin")
    token = csrf_token(admin, "/mous/")
    response = admin.post(
        "/mous/",
        data={
            "region": "Kochi",
            "country": "JP",
            "authority": "Kochi board",
            "status": "planned",
            "signed_on": "",
            "academic_year": "115",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        mou = db.session.scalar(sa.select(Mou).where(Mou.region == "Kochi"))
        mou_id = mou.id
    # Signed later: the edit page changes it; a bad date is refused with the reason.
    page = f"/mous/{mou_id}"
    assert 'value="Kochi"' in admin.get(page).get_data(as_text=True)
    response = admin.post(
        page,
        data={
            "region": "Kochi",
            "country": "JP",
            "authority": "Kochi board",
            "status": "signed",
            "signed_on": "",
            "academic_year": "115",
            "csrf_token": token,
        },
    )
    assert response.status_code == 422
    assert "A signed MOU needs the day it was signed." in response.get_data(as_text=True)
    response = admin.post(
        page,
        data={
            "region": "Kochi",
            "country": "JP",
            "authority": "Kochi board",
            "status": "signed",
            "signed_on": "2026-10-01",
            "academic_year": "",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    with app.app_context():
        mou = db.session.get(Mou, mou_id)
        assert mou.status.value == "signed" and mou.academic_year == 115
    assert "Kochi" in admin.get("/mous/").get_data(as_text=True)
    assert admin.post(f"{page}/delete", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        assert db.session.get(Mou, mou_id) is None

    # A training event from a CSV, then a head count in its place, then deleted.
    csv_bytes = "\ufeffName,School\n林美華,大安\n佐藤 健,葵中学校\n\n".encode()
    response = _upload(
        admin,
        "/training/",
        {"kind": "seminar", "title": "Seminar 115", "held_on": "2026-09-12", "place": "Taichung"},
        csv_bytes,
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        event = db.session.scalar(
            sa.select(TrainingEvent).where(TrainingEvent.title == "Seminar 115")
        )
        assert [(p.name, p.school) for p in event.participants] == [
            ("林美華", "大安"),
            ("佐藤 健", "葵中学校"),
        ]
        assert event.academic_year == 115 and event.educators == 2
        event_id = event.id
    page = f"/training/{event_id}"
    html = admin.get(page).get_data(as_text=True)
    assert "佐藤 健" in html and 'value="Taichung"' in html
    token = csrf_token(admin, page)
    response = admin.post(
        page,
        data={
            "kind": "seminar",
            "title": "Seminar 115",
            "held_on": "2026-09-12",
            "place": "Taichung",
            "head_count": "45",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        event = db.session.get(TrainingEvent, event_id)
        assert event.participants == [] and event.educators == 45
    assert admin.post(f"{page}/delete", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        assert db.session.get(TrainingEvent, event_id) is None


def test_the_command_line_records_mous_and_training(demo, runner, tmp_path, count_rows):
    result = runner.invoke(
        args=[
            "forum",
            "mou",
            "add",
            "--region",
            "Chiba",
            "--country",
            "jp",
            "--authority",
            "Chiba board",
            "--status",
            "signed",
            "--signed-on",
            "2024-11-15",
            "--json",
        ]
    )
    assert result.exit_code == 0, result.output
    mou = json.loads(result.output)
    assert mou["academic_year"] == 113 and mou["country"] == "JP"
    result = runner.invoke(
        args=[
            "forum",
            "mou",
            "add",
            "--region",
            "Chiba",
            "--country",
            "jp",
            "--authority",
            "Chiba board",
            "--status",
            "signed",
        ]
    )
    assert result.exit_code == 1 and "signed_on" in result.output
    result = runner.invoke(
        args=[
            "forum",
            "mou",
            "edit",
            str(mou["id"]),
            "--status",
            "planned",
            "--signed-on",
            "",
            "--year",
            "116",
        ]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["forum", "mou", "list", "--year", "116", "--json"])
    assert [m["region"] for m in json.loads(result.output)] == ["Chiba"]
    assert runner.invoke(args=["forum", "mou", "delete", str(mou["id"])]).exit_code == 0

    good = tmp_path / "good.csv"
    good.write_text("name,school\n林美華,大安\n陳怡君,大安\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("name,school\n林美華,大安\n,大安\n", encoding="utf-8")
    result = runner.invoke(
        args=[
            "forum",
            "training",
            "add",
            "--kind",
            "seminar",
            "--date",
            "2025-01-11",
            "--online",
            "--participants",
            str(bad),
        ]
    )
    assert result.exit_code == 1 and "3" in result.output
    assert count_rows(TrainingEvent) == 2
    result = runner.invoke(
        args=[
            "forum",
            "training",
            "add",
            "--kind",
            "seminar",
            "--date",
            "2025-01-11",
            "--online",
            "--participants",
            str(good),
            "--json",
        ]
    )
    assert result.exit_code == 0, result.output
    event = json.loads(result.output)
    assert event["educators"] == 2 and event["academic_year"] == 113
    result = runner.invoke(
        args=[
            "forum",
            "training",
            "add",
            "--kind",
            "other",
            "--date",
            "2025-01-12",
            "--place",
            "Tainan",
            "--head-count",
            "12",
        ]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["forum", "training", "list", "--year", "113", "--json"])
    assert sorted(e["educators"] for e in json.loads(result.output)) == [2, 3, 12, 120]
    assert runner.invoke(args=["forum", "training", "delete", str(event["id"])]).exit_code == 0
    assert count_rows(TrainingEvent) == 3


# --- the year's figures ------------------------------------------------------------------


def _teacher(app, runner, api_token, slug: str) -> tuple[dict, int]:
    """A new Shizuoka school with a teacher and a class (as an admin sets them up): the
    teacher's API headers and the class's id."""
    from forum.models import User
    from forum.people import roster

    result = runner.invoke(
        args=[
            "forum",
            "add-school",
            slug,
            "--country",
            "JP",
            "--region",
            "Shizuoka",
            "--timezone",
            "Asia/Tokyo",
            "--name-en",
            slug,
        ]
    )
    assert result.exit_code == 0, result.output
    username = f"{slug}.teacher"
    result = runner.invoke(
        args=[
            "forum",
            "add-staff",
            username,
            "--role",
            "teacher",
            "--school",
            slug,
            "--name",
            slug,
            "--password",
            "long-enough-password",
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        teacher = db.session.scalar(sa.select(User).where(User.username == username))
        class_id = roster.create_class(teacher, "1年1組", 7).id
    return {"Authorization": f"Bearer {api_token(username)}"}, class_id


def test_a_year_like_the_alliances_113th(app, demo, api, runner, api_token, bearer):
    """25 applications (5 in person, 20 online), some approved and some declined, MOUs
    signed with Shikoku, Chiba and Miyagi and one planned with Shizuoka for 114, a
    training event with its participants: the report's figures, in JSON, CSV and on
    the page in the four languages."""
    tw_class = next(c["id"] for c in demo["classes"] if c["school"] == "taipei-daan")
    jp_class = next(c["id"] for c in demo["classes"] if c["school"] == "shizuoka-aoi")
    partners = [(bearer("teacher", "shizuoka-aoi"), jp_class)]
    partners += [_teacher(app, runner, api_token, f"shizuoka-{n}") for n in (2, 3, 4)]
    tw = bearer("teacher", "taipei-daan")

    # The demo tells the same year: its MOUs and training go first (as an admin would
    # delete records entered by mistake), so that this test's own make the figures.
    for path, key in (("/mous", "mous"), ("/training-events", "training_events")):
        for row in api("GET", path, "admin")[1][key]:
            assert api("DELETE", f"{path}/{row['id']}", "admin")[0] == 204
        assert api("GET", path, "reviewer")[1][key] == []

    outcomes: dict[str, int] = {}
    for n in range(25):
        headers, partner_class = partners[n % 4]
        status, exchange = api(
            "POST",
            "/exchanges",
            tw,
            {
                "class_id": tw_class,
                "title": f"Exchange {n + 1}",
                "sdgs": [4, 13],
                "mode": "in_person" if n < 5 else "online",
                "partner_class_ids": [partner_class],
                "starts_on": f"2024-{9 + n % 4:02d}-{1 + n:02d}",
            },
        )
        assert status == 201 and exchange["academic_year"] == 113, exchange
        path = f"/exchanges/{exchange['id']}"
        if n < 12:  # accepted by the partner and approved by the Alliance
            assert api("POST", f"{path}/accept", headers, {})[0] == 200
            assert api("POST", f"{path}/approve", "reviewer", {})[0] == 200
            outcome = "approved"
            if n < 2:  # and since closed by its teacher with the outcome
                assert (
                    api(
                        "POST",
                        f"{path}/complete",
                        tw,
                        {"summary": "Both classes presented their findings."},
                    )[0]
                    == 200
                )
        elif n < 14:  # the partner class's teacher says no
            assert api("POST", f"{path}/decline", headers, {"comment": "今年は難しい"})[0] == 200
            outcome = "declined"
        elif n == 14:  # the Alliance says no
            assert api("POST", f"{path}/decline", "reviewer", {"comment": "No plan"})[0] == 200
            outcome = "declined"
        else:
            outcome = "proposed"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    assert outcomes == {"approved": 12, "declined": 3, "proposed": 10}

    for region, signed_on in (
        ("Shikoku", "2024-09-20"),
        ("Chiba", "2024-11-15"),
        ("Miyagi", "2025-03-10"),
    ):
        status, body = api(
            "POST",
            "/mous",
            "admin",
            {
                "region": region,
                "country": "JP",
                "authority": f"{region} board of education",
                "status": "signed",
                "signed_on": signed_on,
            },
        )
        assert status == 201 and body["academic_year"] == 113, body
    status, body = api(
        "POST",
        "/mous",
        "admin",
        {
            "region": "Shizuoka",
            "country": "JP",
            "authority": "Shizuoka board of education",
            "status": "planned",
            "academic_year": 114,
        },
    )
    assert status == 201, body
    status, body = api(
        "POST",
        "/training-events",
        "admin",
        {
            "kind": "host_family",
            "held_on": "2025-04-12",
            "online": True,
            "participants": [
                {"name": f"Teacher {n}", "school": f"School {n % 5}"} for n in range(40)
            ],
        },
    )
    assert status == 201 and body["educators"] == 40, body
    status, body = api(
        "POST",
        "/training-events",
        "admin",
        {"kind": "seminar", "held_on": "2024-12-07", "place": "Taipei", "head_count": 300},
    )
    assert status == 201, body
    # Another year's event counts in that year only.
    api(
        "POST",
        "/training-events",
        "admin",
        {"kind": "seminar", "held_on": "2025-08-07", "place": "Taipei", "head_count": 9},
    )

    result = runner.invoke(args=["forum", "report", "--year", "113", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["applications"] == {
        "total": 25,
        "online": 20,
        "in_person": 5,
        "approved": 12,
        "declined": 3,
    }
    assert data["exchanges"] == {"online": 7, "in_person": 5, "total": 12, "completed": 2}
    assert data["schools_paired"] == {"total": 5, "by_region": {"Shizuoka": 4, "Taipei": 1}}
    assert data["exchanges_by_region"] == {"Shizuoka": 12, "Taipei": 12}
    assert data["mous"] == [
        {"region": "Shikoku", "country": "JP", "status": "signed", "signed_on": "2024-09-20"},
        {"region": "Chiba", "country": "JP", "status": "signed", "signed_on": "2024-11-15"},
        {"region": "Miyagi", "country": "JP", "status": "signed", "signed_on": "2025-03-10"},
        {"region": "Shizuoka", "country": "JP", "status": "planned", "signed_on": None},
    ]
    assert data["educators_trained"] == 40 + 300
    assert data["educators_trained_by_kind"] == {
        "task_force": 0,
        "host_family": 40,
        "seminar": 300,
        "other": 0,
    }
    assert data["training_events_by_kind"] == {
        "task_force": 0,
        "host_family": 1,
        "seminar": 1,
        "other": 0,
    }
    # Year 114 lists the MOU planned for it, not 113's signed ones.
    data_114 = json.loads(runner.invoke(args=["forum", "report", "--year", "114"]).output)
    assert [m["region"] for m in data_114["mous"]] == ["Shizuoka"]
    assert data_114["educators_trained"] == 9

    # The same figures as CSV, from the command line and from the page.
    result = runner.invoke(args=["forum", "report", "--year", "113", "--format", "csv"])
    from_cli = list(csv.reader(io.StringIO(result.output)))
    reviewer = _signed_in(app, demo, "reviewer")
    response = reviewer.get("/review/report?year=113&format=csv")
    from_page = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert from_cli == from_page
    rows = {(figure, key): value for figure, key, value in from_cli[1:]}
    assert rows[("applications", "total")] == "25"
    assert rows[("applications", "in_person")] == "5"
    assert rows[("schools_paired", "total")] == "5"
    assert rows[("schools_paired_by_region", "Shizuoka")] == "4"
    assert rows[("mous", "signed")] == "3" and rows[("mous", "planned")] == "1"
    assert rows[("mou", "Shikoku, JP")] == "signed 2024-09-20"
    assert rows[("mou", "Shizuoka, JP")] == "planned"
    assert rows[("educators_trained", "")] == "340"
    assert rows[("educators_trained_by_kind", "host_family")] == "40"
    from_json = reviewer.get("/review/report?year=113&format=json").get_json()
    assert from_json == data

    # The page: figures, charts with a title and description, in the four languages.
    for lang, words in (
        ("zh-TW", ["申請", "已簽署"]),
        ("en", ["Schools paired per region"]),
        ("ja", ["締結済み"]),
        ("ko", ["체결"]),
    ):
        response = reviewer.get(f"/review/report?year=113&lang={lang}")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert 'id="chart-regions"' in html and 'id="chart-training"' in html
        assert '<title id="chart-regions-title">' in html
        assert "Shizuoka: 4" in html and "Miyagi" in html and ">340<" in html
        for word in words:
            assert word in html, (lang, word)
        if lang != "en":
            locale = {"zh-TW": "zh_Hant_TW", "ja": "ja", "ko": "ko"}[lang]
            assert english_leftovers(visible_text(html), locale) == [], lang


def test_sessions_and_students_are_counted_per_region(demo, runner):
    """The demo's past session (Taipei and Shizuoka, three students each) counts for
    both regions; the demo's two exchanges pair three schools in three regions."""
    from forum.clock import academic_year_of
    from forum.models import utcnow

    year = academic_year_of(utcnow())
    data = json.loads(runner.invoke(args=["forum", "report", "--year", str(year)]).output)
    assert data["sessions_by_region"] == {"Shizuoka": 1, "Taipei": 1}
    assert data["students_by_region"] == {"Shizuoka": 3, "Taipei": 3}
    assert data["schools_paired"] == {
        "total": 3,
        "by_region": {"Seoul": 1, "Shizuoka": 1, "Taipei": 1},
    }
    assert data["exchanges_by_region"] == {"Seoul": 1, "Shizuoka": 1, "Taipei": 2}

"""The command line: demo data, API tokens, roster import.

The seed-demo tests run the real seed on an empty database; the others start from a
copy of its rows (conftest.demo_snapshot)."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa
from conftest import csrf_token

from forum.extensions import db
from forum.models import School, SchoolClass, User

CODE = re.compile(r"^[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}$")


def run(runner, *args):
    return runner.invoke(args=["forum", *args])


def sign_in(app, user: dict) -> dict | None:
    """Sign in through the real form with a demo user's printed credentials; /api/v1/me."""
    client = app.test_client()
    if "code" in user:
        client.post(
            "/auth/code",
            data={"code": user["code"], "csrf_token": csrf_token(client, "/auth/code")},
        )
    else:
        client.post(
            "/auth/login",
            data={
                "username": user["username"],
                "password": user["password"],
                "csrf_token": csrf_token(client, "/auth/login"),
            },
        )
    response = client.get("/api/v1/me")
    return response.get_json() if response.status_code == 200 else None


def table_counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t))
            for t in db.metadata.sorted_tables
        }


# --- seed-demo --------------------------------------------------------------------


def test_seed_demo_json_prints_one_object_per_the_protocol(app, runner, bearer):
    result = run(runner, "seed-demo", "--json")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("\n") == 1
    data = json.loads(result.stdout)
    assert set(data) == {"users", "classes", "sessions"}

    with app.app_context():
        country = dict(db.session.execute(sa.select(School.slug, School.country)).all())
    for user in data["users"]:
        assert user["school"] in country
        assert user["display_name"]
        if user["role"] == "student":
            assert set(user) == {"role", "school", "code", "display_name"}
            assert CODE.match(user["code"])
        else:
            assert set(user) == {"role", "school", "username", "password", "display_name"}
    roles = [(u["role"], country[u["school"]]) for u in data["users"]]
    for nation in ("TW", "JP", "KR"):
        assert ("teacher", nation) in roles
    assert sum(role == "reviewer" for role, _ in roles) == 1
    assert sum(role == "admin" for role, _ in roles) == 1

    assert data["classes"]
    for cls in data["classes"]:
        assert set(cls) == {"id", "school", "name"}
    with app.app_context():
        for cls in data["classes"]:
            school_class = db.session.get(SchoolClass, cls["id"])
            assert school_class.school.slug == cls["school"]
            assert school_class.name == cls["name"]
            assert len(school_class.students) >= 3

    for session in data["sessions"]:
        assert set(session) == {"id", "title", "status", "sdgs", "exchange_id"}
    admin = bearer("admin")
    client = app.test_client()

    def countries(session: dict) -> set[str]:
        body = client.get(f"/api/v1/sessions/{session['id']}", headers=admin).get_json()
        assert body["status"] == session["status"]
        assert body["exchange_id"] == session["exchange_id"]
        return {s["country"] for s in body["schools"]}

    tw_jp = [s for s in data["sessions"] if countries(s) == {"TW", "JP"}]
    tw_kr = [s for s in data["sessions"] if countries(s) == {"TW", "KR"}]
    assert len({s["exchange_id"] for s in tw_jp}) == 1
    assert {"live", "scheduled"} <= {s["status"] for s in tw_jp}
    assert tw_kr


def test_seed_demo_is_idempotent_and_its_credentials_work(app, runner):
    first = run(runner, "seed-demo", "--json")
    users = json.loads(first.stdout)["users"]
    for user in users:  # right after the command
        me = sign_in(app, user)
        assert me is not None, user
        assert me["role"] == user["role"]
        assert me["display_name"] == user["display_name"]

    counts = table_counts(app)
    second = run(runner, "seed-demo", "--json")
    assert second.exit_code == 0
    assert table_counts(app) == counts
    assert json.loads(second.stdout) == json.loads(first.stdout)
    for user in users:
        assert sign_in(app, user) is not None, user


def test_seed_demo_without_json_lists_the_credentials(app, runner):
    result = run(runner, "seed-demo")
    assert result.exit_code == 0
    assert "lin.teacher" in result.stdout
    assert "demo-lin-2024" in result.stdout
    with app.app_context():
        hashes = db.session.scalars(
            sa.select(User.password_hash).where(User.password_hash.is_not(None))
        ).all()
    assert len(hashes) >= 5  # three teachers, a reviewer, an admin
    assert not any("demo-" in h for h in hashes)  # stored hashed, never as typed


def test_seed_demo_with_applications_leaves_work_for_the_partner_and_the_alliance(app, runner):
    """``make run``'s demo: three applications on their way, made through the real
    actions (idempotent); none of them shown to any student."""
    from forum import exchanges
    from forum.models import AllianceDecision, Exchange, ExchangeStatus, Role

    first = run(runner, "seed-demo", "--with-applications", "--json")
    ids = json.loads(first.stdout)["applications"]
    assert len(ids) == 3
    counts = table_counts(app)
    again = run(runner, "seed-demo", "--with-applications", "--json")
    assert json.loads(again.stdout)["applications"] == ids and table_counts(app) == counts
    with app.app_context():
        waiting = [db.session.get(Exchange, i) for i in ids]
        assert all(e.status == ExchangeStatus.PROPOSED for e in waiting)
        assert all(e.alliance == AllianceDecision.PENDING for e in waiting)
        assert [len(e.decisions) for e in waiting] == [1, 2, 1]  # proposed; + accepted
        assert waiting[2].partner_country == "KR" and len(waiting[2].classes) == 1
        for student in db.session.scalars(sa.select(User).where(User.role == Role.STUDENT)):
            seen = {e.id for e in db.session.scalars(exchanges.visible(student))}
            assert seen and not set(ids) & seen  # their approved exchanges only


# --- token ------------------------------------------------------------------------


@pytest.mark.usefixtures("demo_snapshot")
def test_token_prints_a_working_bearer_token(app, runner, demo):
    result = run(runner, "token", "sato.teacher")
    assert result.exit_code == 0
    assert result.stdout.count("\n") == 1
    token = result.stdout.strip()
    assert token and " " not in token
    me = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.get_json()["username"] == "sato.teacher"
    # Each call prints a new token, and the earlier one keeps working.
    again = run(runner, "token", "sato.teacher").stdout.strip()
    assert again != token
    assert (
        app.test_client()
        .get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        .status_code
        == 200
    )


@pytest.mark.usefixtures("demo_snapshot")
def test_token_for_an_unknown_user_fails(runner, demo):
    result = run(runner, "token", "nobody")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "nobody" in result.stderr


# --- import-roster ------------------------------------------------------------------


def students_of(app, class_id: int) -> list[str]:
    with app.app_context():
        return [s.display_name for s in db.session.get(SchoolClass, class_id).students]


def class_id_of(demo, school: str) -> int:
    return next(c["id"] for c in demo["classes"] if c["school"] == school)


@pytest.mark.usefixtures("demo_snapshot")
def test_import_roster_with_cjk_names_and_a_bom(app, runner, demo, tmp_path):
    class_id = class_id_of(demo, "taipei-daan")
    before = students_of(app, class_id)
    roster = tmp_path / "roster.csv"
    roster.write_bytes(
        "\ufeffdisplay_name,note\r\n林小美,\r\n  佐々木   さくら ,exchange\r\n"
        "\r\n김민서,\r\nAlex Chen,\r\n".encode()
    )
    result = run(runner, "import-roster", str(class_id), str(roster), "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["display_name"] for r in rows] == ["林小美", "佐々木 さくら", "김민서", "Alex Chen"]
    assert all(set(r) == {"display_name", "code"} and CODE.match(r["code"]) for r in rows)
    assert len({r["code"] for r in rows}) == len(rows)
    assert sorted(students_of(app, class_id)) == sorted(before + [r["display_name"] for r in rows])
    for row in rows:
        me = sign_in(app, {"code": row["code"]})
        assert me["display_name"] == row["display_name"]
        assert me["role"] == "student"
        assert me["school"] == "taipei-daan"


@pytest.mark.usefixtures("demo_snapshot")
def test_import_roster_without_json_prints_codes_and_names(app, runner, demo, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("display_name\n鈴木 一郎\n", encoding="utf-8")
    result = run(runner, "import-roster", str(class_id_of(demo, "shizuoka-aoi")), str(roster))
    assert result.exit_code == 0
    code, name = result.stdout.strip().split("  ", 1)
    assert CODE.match(code)
    assert name == "鈴木 一郎"


@pytest.mark.parametrize(
    "content, words",
    [
        ("name\n林小美\n".encode(), ["display_name"]),
        ("display_name\n林小美\n".encode("big5"), ["UTF-8"]),
        (b"display_name\n\xff\xfe\xfa\n", ["UTF-8"]),
        ("display_name\n林小美\n".encode("utf-16"), ["UTF-8"]),
        (b"display_name\n\n\n", []),
        (("display_name\n林小美\n" + "長" * 101 + "\n").encode(), ["3", "100"]),
        ("display_name\n林小美\n陳怡君\n林小美\n".encode(), ["林小美"]),
        ("display_name\n王小明\n".encode(), ["王小明"]),  # already in the class
    ],
    ids=[
        "no-display-name-column",
        "big5",
        "garbage-bytes",
        "utf-16",
        "empty",
        "name-too-long",
        "a-name-twice",
        "a-name-already-in-the-class",
    ],
)
@pytest.mark.usefixtures("demo_snapshot")
def test_bad_roster_fails_and_stores_nothing(app, runner, demo, tmp_path, content, words):
    class_id = class_id_of(demo, "taipei-daan")
    counts = table_counts(app)
    roster = tmp_path / "roster.csv"
    roster.write_bytes(content)
    result = run(runner, "import-roster", str(class_id), str(roster), "--json")
    assert result.exit_code != 0
    assert result.stdout == ""
    # The message is in the default language; what it names reads the same in every one.
    assert result.stderr.startswith("error: ") and len(result.stderr.strip()) > len("error:")
    assert all(word in result.stderr for word in words), result.stderr
    assert table_counts(app) == counts


def test_import_roster_into_an_unknown_class_fails(app, runner, demo, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("display_name\n林小美\n", encoding="utf-8")
    counts = table_counts(app)
    for class_id in ("999999", str(10**30)):
        result = run(runner, "import-roster", class_id, str(roster))
        assert result.exit_code == 1
        assert "no class" in result.stderr
    assert table_counts(app) == counts


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        *[("FORUM_DB_POOL_SIZE", v, "a whole number of at least 4") for v in ("2", "many", "-1")],
        *[("FORUM_DIRECT_DELIVERY", v, "1 (on) or 0 (off)") for v in ("yes", "2", "on")],
        *[("FORUM_MAX_CONNECTIONS", v, "a whole number of at least 1") for v in ("0", "lots")],
        *[("FORUM_WS_DEFLATE", v, "1 (on) or 0 (off)") for v in ("yes", "2")],
    ],
)
def test_a_bad_setting_is_named_at_start(tmp_path, name, value, expected):
    from servers import flask_cli, server_env

    env = server_env(tmp_path, **{name: value})
    result = flask_cli(["db", "current"], env, check=False)
    assert result.returncode != 0
    assert f"{name} must be {expected}, not '{value}'" in result.stderr

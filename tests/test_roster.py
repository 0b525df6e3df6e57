"""A teacher's class through the web pages: roster import, code cards, new and revoked codes."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from conftest import card_codes, csrf_token, roster_ids

from forum.extensions import db
from forum.models import User

pytestmark = pytest.mark.usefixtures("demo_snapshot")


def class_id(demo, school: str = "taipei-daan") -> int:
    return next(c["id"] for c in demo["classes"] if c["school"] == school)


def upload(client, class_id: int, content: bytes, filename: str = "roster.csv"):
    return client.post(
        f"/classes/{class_id}/roster",
        data={
            "csrf_token": csrf_token(client, f"/classes/{class_id}"),
            "file": (io.BytesIO(content), filename),
        },
        content_type="multipart/form-data",
    )


def code_sign_in(app, code: str):
    """Sign a fresh client in with a code; the response and who /api/v1/me says it is."""
    student = app.test_client()
    response = student.post(
        "/auth/code", data={"code": code, "csrf_token": csrf_token(student, "/auth/code?lang=en")}
    )
    me = student.get("/api/v1/me")
    return response, (me.get_json() if me.status_code == 200 else None)


def test_teacher_sees_their_class_and_roster(client, auth, demo):
    auth.login("teacher", "taipei-daan")
    index = client.get("/classes/?lang=en").get_data(as_text=True)
    assert "八年三班" in index
    assert "2年1組" not in index
    page = client.get(f"/classes/{class_id(demo)}")
    assert page.status_code == 200
    names = roster_ids(page.get_data(as_text=True))
    assert set(names) == {
        u["display_name"]
        for u in demo["users"]
        if u["role"] == "student" and u["school"] == "taipei-daan"
    }


def test_import_a_csv_file_and_print_code_cards(app, client, auth, demo, count_rows):
    auth.login("teacher", "taipei-daan")
    before = count_rows(User)
    names = ["林小美", "黃 志明", "Mei-Ling O'Brien"]
    content = ("\ufeffdisplay_name\r\n" + "\r\n".join(names) + "\r\n").encode()
    response = upload(client, class_id(demo), content)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    cards = card_codes(html.replace("&#39;", "'"))
    assert sorted(cards) == sorted(names)
    assert len(set(cards.values())) == len(names)
    assert count_rows(User) == before + len(names)

    assert html.count("臺北市立大安國民中學 · 八年三班") == len(names)  # each card names its class
    page = client.get(f"/classes/{class_id(demo)}").get_data(as_text=True)
    assert {"林小美", "黃 志明"} <= set(roster_ids(page))
    for name, code in cards.items():
        response, me = code_sign_in(app, code)
        assert response.status_code == 302
        assert me["display_name"] == name
        assert me["school"] == "taipei-daan"


@pytest.mark.parametrize(
    "content, message",
    [
        ("name\n林小美\n".encode(), "display_name"),
        ("display_name\n林小美\n".encode("big5"), "UTF-8"),
    ],
    ids=["no-display-name-column", "not-utf-8"],
)
def test_a_bad_file_is_explained_and_nothing_is_stored(
    client, auth, demo, count_rows, content, message
):
    auth.login("teacher", "taipei-daan")
    before = count_rows(User)
    response = upload(client, class_id(demo), content)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'class="flash flash-error"' in page
    assert message in page
    assert count_rows(User) == before


def test_upload_without_a_file_or_csrf_token_stores_nothing(client, auth, demo, count_rows):
    auth.login("teacher", "taipei-daan")
    before = count_rows(User)
    no_file = client.post(
        f"/classes/{class_id(demo)}/roster",
        data={"csrf_token": csrf_token(client, "/")},
        content_type="multipart/form-data",
    )
    assert no_file.status_code == 302
    no_token = client.post(
        f"/classes/{class_id(demo)}/roster",
        data={"file": (io.BytesIO(b"display_name\nX\n"), "r.csv")},
        content_type="multipart/form-data",
    )
    assert no_token.status_code == 400
    assert count_rows(User) == before


def test_add_one_student(app, client, auth, demo):
    auth.login("teacher", "shizuoka-aoi")
    cid = class_id(demo, "shizuoka-aoi")
    response = client.post(
        f"/classes/{cid}/students",
        data={"csrf_token": csrf_token(client, f"/classes/{cid}"), "display_name": "中村 陽菜"},
    )
    assert response.status_code == 200
    code = card_codes(response.get_data(as_text=True))["中村 陽菜"]
    assert code_sign_in(app, code)[1]["display_name"] == "中村 陽菜"


def test_regenerate_one_code(app, client, auth, demo):
    auth.login("teacher", "taipei-daan")
    student = auth.user("student", "taipei-daan")
    others = [
        u
        for u in demo["users"]
        if u["role"] == "student" and u["school"] == "taipei-daan" and u != student
    ]
    cid = class_id(demo)
    student_id = roster_ids(client.get(f"/classes/{cid}").get_data(as_text=True))[
        student["display_name"]
    ]
    response = client.post(
        f"/classes/{cid}/students/{student_id}/code",
        data={"csrf_token": csrf_token(client, f"/classes/{cid}")},
    )
    assert response.status_code == 200
    cards = card_codes(response.get_data(as_text=True))
    assert list(cards) == [student["display_name"]]
    new_code = cards[student["display_name"]]

    old, me = code_sign_in(app, student["code"])
    assert old.status_code == 401
    assert "no longer valid" in old.get_data(as_text=True)
    assert me is None
    assert code_sign_in(app, new_code)[1]["display_name"] == student["display_name"]
    # Classmates' codes are untouched.
    assert code_sign_in(app, others[0]["code"])[1]["display_name"] == others[0]["display_name"]


def test_revoke_a_code(app, client, auth, demo):
    auth.login("teacher", "taipei-daan")
    student = auth.user("student", "taipei-daan")
    cid = class_id(demo)
    student_id = roster_ids(client.get(f"/classes/{cid}").get_data(as_text=True))[
        student["display_name"]
    ]
    # Someone is signed in with the card (lost, or used by another): revoking ends that.
    holder = app.test_client()
    holder.post(
        "/auth/code", data={"code": student["code"], "csrf_token": csrf_token(holder, "/auth/code")}
    )
    assert holder.get("/api/v1/me").status_code == 200
    token = csrf_token(client, f"/classes/{cid}")
    # First the teacher is asked, with what it means; nothing happens yet.
    response = client.post(
        f"/classes/{cid}/students/{student_id}/revoke?lang=en", data={"csrf_token": token}
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "cannot be undone" in page and 'name="confirmed" value="yes"' in page
    assert code_sign_in(app, student["code"])[1] is not None
    response = client.post(
        f"/classes/{cid}/students/{student_id}/revoke",
        data={"csrf_token": token, "confirmed": "yes"},
    )
    assert response.status_code == 302
    assert holder.get("/api/v1/me").status_code == 401
    refused, me = code_sign_in(app, student["code"])
    assert refused.status_code == 401
    assert "no longer valid" in refused.get_data(as_text=True)
    assert me is None
    # The student stays on the roster, ready for a new code.
    page = client.get(f"/classes/{cid}").get_data(as_text=True)
    assert student["display_name"] in roster_ids(page)


def test_new_codes_for_the_whole_class(app, client, auth, demo):
    auth.login("teacher", "seoul-hanbit")
    cid = class_id(demo, "seoul-hanbit")
    students = [
        u for u in demo["users"] if u["role"] == "student" and u["school"] == "seoul-hanbit"
    ]
    token = csrf_token(client, f"/classes/{cid}")
    asked = client.post(f"/classes/{cid}/cards?lang=ko", data={"csrf_token": token})
    assert asked.status_code == 200 and "되돌릴 수 없습니다" in asked.get_data(as_text=True)
    assert not card_codes(asked.get_data(as_text=True))
    for s in students:  # nothing changed yet
        assert code_sign_in(app, s["code"])[0].status_code == 302
    response = client.post(f"/classes/{cid}/cards", data={"csrf_token": token, "confirmed": "yes"})
    assert response.status_code == 200
    cards = card_codes(response.get_data(as_text=True))
    assert set(cards) == {s["display_name"] for s in students}
    for s in students:
        assert code_sign_in(app, s["code"])[0].status_code == 401
    name, code = next(iter(cards.items()))
    assert code_sign_in(app, code)[1]["display_name"] == name


def test_another_schools_teacher_gets_404(app, client, auth, demo, count_rows):
    cid = class_id(demo, "taipei-daan")
    student = auth.user("student", "taipei-daan")
    lin = app.test_client()
    lin.post(
        "/auth/login",
        data={
            "username": "lin.teacher",
            "password": "demo-lin-2024",
            "csrf_token": csrf_token(lin, "/auth/login"),
        },
    )
    student_id = roster_ids(lin.get(f"/classes/{cid}").get_data(as_text=True))[
        student["display_name"]
    ]

    auth.login("teacher", "shizuoka-aoi")
    before = count_rows(User)
    assert client.get(f"/classes/{cid}").status_code == 404
    assert upload(client, cid, "display_name\n侵入者\n".encode()).status_code == 404
    token = csrf_token(client, "/")
    for action in ("code", "revoke"):
        response = client.post(
            f"/classes/{cid}/students/{student_id}/{action}", data={"csrf_token": token}
        )
        assert response.status_code == 404
    assert client.post(f"/classes/{cid}/cards", data={"csrf_token": token}).status_code == 404
    assert count_rows(User) == before
    assert code_sign_in(app, student["code"])[0].status_code == 302  # still valid


def test_a_student_of_another_class_cannot_be_reached_through_mine(app, client, auth, demo):
    jp_student = auth.user("student", "shizuoka-aoi")
    with app.app_context():
        jp_id = db.session.scalar(
            sa.select(User.id).where(User.display_name == jp_student["display_name"])
        )
    auth.login("teacher", "taipei-daan")
    token = csrf_token(client, "/")
    for action in ("code", "revoke"):
        response = client.post(
            f"/classes/{class_id(demo)}/students/{jp_id}/{action}", data={"csrf_token": token}
        )
        assert response.status_code == 404
    assert code_sign_in(app, jp_student["code"])[0].status_code == 302  # still valid


@pytest.mark.parametrize("role", ["student", "reviewer"])
def test_students_and_reviewers_have_no_class_pages(client, auth, demo, role):
    auth.login(role, "taipei-daan")
    assert client.get("/classes/").status_code == 403
    assert client.get(f"/classes/{class_id(demo)}").status_code == 403


def test_two_children_with_one_name_are_refused_until_told_apart(client, auth, demo, count_rows):
    """A roster with a name twice (or a name the class has) adds nobody and says which
    name, in the teacher's language; with a seat number added it goes in."""
    auth.login("teacher", "taipei-daan")
    before = count_rows(User)
    client.get("/?lang=ja")  # the teacher reads Japanese
    content = "display_name\n林小美\n陳怡君\n林 小美\n".encode()
    response = upload(client, class_id(demo), content)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "同じ名前の生徒が二人になります" in page and "林 小美" in page
    assert count_rows(User) == before
    response = upload(client, class_id(demo), "display_name\n林小美 1\n陳怡君\n林小美 2\n".encode())
    assert sorted(card_codes(response.get_data(as_text=True))) == ["林小美 1", "林小美 2", "陳怡君"]

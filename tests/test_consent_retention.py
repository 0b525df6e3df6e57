"""Consent to publication (roster column, the class page's switch, every change kept)
and retention (names erased after YEARS academic years; sealed records still verify)."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
import sqlalchemy as sa
from conftest import Auth, card_codes, csrf_token, roster_ids

from forum.extensions import db
from forum.models import ConsentChange, ForumSession, Message, User

pytestmark = pytest.mark.usefixtures("demo_snapshot")


def _class_id(demo, school: str = "taipei-daan") -> int:
    return next(c["id"] for c in demo["classes"] if c["school"] == school)


def _upload(client, class_id: int, content: bytes):
    return client.post(
        f"/classes/{class_id}/roster",
        data={
            "csrf_token": csrf_token(client, f"/classes/{class_id}"),
            "file": (io.BytesIO(content), "roster.csv"),
        },
        content_type="multipart/form-data",
    )


def test_a_roster_records_consent_and_the_class_page_switches_it(app, demo):
    """``publish_consent`` yes/no (default no) from the CSV; the teacher switches it per
    student on the class page; each change is kept with who made it and when."""
    teacher = app.test_client()
    Auth(teacher, demo).login("teacher", "taipei-daan")
    cid = _class_id(demo)
    content = "display_name,publish_consent\n林小美,yes\n黃志明,no\n陳怡安2,\n".encode()
    response = _upload(teacher, cid, content)
    assert sorted(card_codes(response.get_data(as_text=True))) == ["林小美", "陳怡安2", "黃志明"]
    with app.app_context():
        rows = {u.display_name: u for u in db.session.scalars(sa.select(User))}
        assert rows["林小美"].publish_consent is True
        assert rows["黃志明"].publish_consent is False and rows["陳怡安2"].publish_consent is False
        changes = db.session.scalars(sa.select(ConsentChange)).all()
        assert [(c.student_id, c.consent) for c in changes] == [(rows["林小美"].id, True)]
        lin_id = changes[0].by_id
        assert db.session.get(User, lin_id).username == "lin.teacher"

    page = teacher.get(f"/classes/{cid}?lang=en").get_data(as_text=True)
    student_id = roster_ids(page)["黃志明"]
    token = csrf_token(teacher, f"/classes/{cid}")
    url = f"/classes/{cid}/students/{student_id}/consent"
    assert teacher.post(url, data={"csrf_token": token, "consent": "yes"}).status_code == 302
    assert teacher.post(url, data={"csrf_token": token, "consent": "no"}).status_code == 302
    assert teacher.post(url, data={"csrf_token": token, "consent": "maybe"}).status_code == 400
    with app.app_context():
        kept = db.session.scalars(
            sa.select(ConsentChange)
            .where(ConsentChange.student_id == student_id)
            .order_by(ConsentChange.id)
        ).all()
        assert [c.consent for c in kept] == [True, False]
        assert db.session.get(User, student_id).publish_consent is False

    # Another school's teacher cannot switch it (their class page is not theirs: 404).
    other = app.test_client()
    Auth(other, demo).login("teacher", "shizuoka-aoi")
    token = csrf_token(other, "/")
    assert other.post(url, data={"csrf_token": token, "consent": "yes"}).status_code == 404


def test_a_bad_consent_cell_adds_nobody_and_names_the_line(app, demo, count_rows):
    teacher = app.test_client()
    Auth(teacher, demo).login("teacher", "taipei-daan")
    teacher.get("/?lang=en")
    before = count_rows(User)
    response = _upload(
        teacher, _class_id(demo), b"display_name,publish_consent\nA1,yes\nB2,perhaps\n"
    )
    assert response.status_code == 302
    page = teacher.get(response.headers["Location"]).get_data(as_text=True)
    assert "Line 3: publish_consent must be yes or no." in page
    assert count_rows(User) == before


def test_retention_lists_then_erases_names_and_records_still_verify(app, demo, runner):
    """Years after the demo's exchanges, ``forum retention`` lists the students; with
    ``--apply`` their names become pseudonyms, their codes stop working, what they
    wrote stays under the pseudonym, and the sealed record still verifies."""
    from forum.evidence import verification

    sealed = next(s["id"] for s in demo["sessions"] if s["status"] == "closed")
    student = next(u for u in demo["users"] if u["role"] == "student")
    with app.app_context():
        authors = set(
            db.session.scalars(sa.select(Message.author_id).where(Message.session_id == sealed))
        )
        this_year = date.today()
    # Nothing is old enough today.
    listed = runner.invoke(args=["forum", "retention", "--older-than", "1", "--json"])
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.output)["students"] == []

    later = date(this_year.year + 5, this_year.month, 1).isoformat()
    listed = runner.invoke(
        args=["forum", "retention", "--older-than", "2", "--as-of", later, "--json"]
    )
    rows = json.loads(listed.output)["students"]
    names = {r["display_name"] for r in rows}
    assert student["display_name"] in names and len(rows) >= 8
    with app.app_context():  # listing changed nothing
        assert db.session.scalar(
            sa.select(User).where(User.display_name == student["display_name"])
        )

    applied = runner.invoke(
        args=["forum", "retention", "--older-than", "2", "--as-of", later, "--apply"]
    )
    assert applied.exit_code == 0 and f"{len(rows)} student name(s) erased." in applied.output
    with app.app_context():
        for row in rows:
            user = db.session.get(User, row["id"])
            assert user.display_name == row["pseudonym"] and user.name_erased_at is not None
        assert not db.session.scalar(
            sa.select(User).where(User.display_name == student["display_name"])
        )
        assert verification.verify_stored(db.session.get(ForumSession, sealed)).valid
        erased = {r["id"] for r in rows} & authors
        assert erased  # some of the erased wrote in the sealed session
    # Their codes no longer work.
    client = app.test_client()
    response = client.post(
        "/auth/code",
        data={"code": student["code"], "csrf_token": csrf_token(client, "/auth/code")},
    )
    assert response.status_code == 401
    # Again: nobody is left to erase.
    again = runner.invoke(
        args=["forum", "retention", "--older-than", "2", "--as-of", later, "--json"]
    )
    assert json.loads(again.output)["students"] == []

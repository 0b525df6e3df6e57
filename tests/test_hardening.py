"""Smaller findings of the audit (issue 14): HSTS behind HTTPS, the verify page's
20 MB while everything else keeps 2 MB, and demo access codes that are this instance's
own (none computable from the source; seed-demo keeps the ones it printed)."""

from __future__ import annotations

import json

import pytest
from conftest import Auth, csrf_token


def signed_in(app, demo: dict, role: str, school: str | None = "taipei-daan"):
    client = app.test_client()
    Auth(client, demo).login(role, school)
    client.get("/?lang=en")
    return client


def class_id(demo: dict, school: str = "taipei-daan") -> int:
    return next(c["id"] for c in demo["classes"] if c["school"] == school)


def multipart(token: str, content: bytes) -> tuple[bytes, str]:
    """A form with a CSRF token and a file, built by hand: for a large file the test
    client spools the body to a temporary file that it never closes."""
    boundary = "odd-input-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
        f'{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="upload"\r\nContent-Type: application/octet-stream\r\n\r\n'
    )
    body = head.encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


# --- upload sizes ---------------------------------------------------------------


@pytest.mark.usefixtures("demo_snapshot")
def test_verify_page_takes_a_file_past_two_megabytes(app, demo):
    reviewer = signed_in(app, demo, "reviewer")
    sealed = next(s["id"] for s in demo["sessions"] if s["status"] == "closed")
    doc = reviewer.get(f"/sessions/{sealed}/transcript.json").get_json()
    doc["padding"] = "x" * (3 * 1024 * 1024)  # not covered by the chain: still valid
    body, content_type = multipart(csrf_token(reviewer, "/review/verify"), json.dumps(doc).encode())
    with reviewer.post("/review/verify", data=body, content_type=content_type) as response:
        assert response.status_code == 200, response.status_code
        assert '<code lang="en" class="wrap">valid:' in response.get_data(as_text=True)


@pytest.mark.usefixtures("demo_snapshot")
def test_other_routes_keep_the_two_megabyte_cap(app, demo):
    teacher = signed_in(app, demo, "teacher")
    cid = class_id(demo)
    token = csrf_token(teacher, f"/classes/{cid}")
    body, content_type = multipart(token, b"display_name\n" + b"x" * (3 * 1024 * 1024))
    response = teacher.post(f"/classes/{cid}/roster", data=body, content_type=content_type)
    assert response.status_code == 413


# --- HSTS ----------------------------------------------------------------------------


def test_hsts_when_cookies_are_secure(make_app):
    secure = make_app(SESSION_COOKIE_SECURE=True).test_client()
    header = secure.get("/auth/login").headers.get("Strict-Transport-Security")
    assert header == "max-age=31536000; includeSubDomains"


def test_no_hsts_without_secure_cookies(client):
    assert "Strict-Transport-Security" not in client.get("/auth/login").headers


# --- demo codes ------------------------------------------------------------------------


def _source_codes(demo: dict) -> int:
    """How many demo codes the formula that was in forum/demo.py gives."""
    import hashlib

    alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
    hits = 0
    for user in demo["users"]:
        if user["role"] != "student":
            continue
        raw = hashlib.sha256(
            f"sdg-forum-demo:{user['school']}:{user['display_name']}".encode()
        ).digest()
        guess = "".join(alphabet[b % 31] for b in raw[:10])
        hits += user["code"].replace("-", "") == guess
    return hits


@pytest.mark.usefixtures("demo_snapshot")
def test_demo_codes_cannot_be_computed_from_the_source(demo):
    assert _source_codes(demo) == 0


def test_demo_codes_differ_between_instances_and_survive_a_reseed(app, make_app):
    from forum import demo as demo_module
    from forum.extensions import db

    def codes(app) -> dict[str, str]:
        with app.app_context():
            out = demo_module.seed()
            db.session.remove()
        return {u["display_name"]: u["code"] for u in out["users"] if u["role"] == "student"}

    first_app = make_app(SECRET_KEY="instance-one")
    first = codes(first_app)
    assert codes(first_app) == first  # idempotent: the printed codes keep working
    other = codes(make_app(SECRET_KEY="instance-two"))
    assert not set(first.values()) & set(other.values())

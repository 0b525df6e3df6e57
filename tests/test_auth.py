"""Signing in and out: staff passwords, student codes, CSRF, throttling, the cookie."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest
from conftest import card_codes, csrf_token, roster_ids

pytestmark = pytest.mark.usefixtures("demo_snapshot")

COOKIE = "forum_session"


def staff_login(client, username: str, password: str, *, next_: str | None = None):
    token = csrf_token(client, "/auth/login?lang=en")
    url = "/auth/login" + (f"?next={quote(next_, safe='')}" if next_ is not None else "")
    return client.post(url, data={"username": username, "password": password, "csrf_token": token})


def code_login(client, code: str):
    token = csrf_token(client, "/auth/code?lang=en")
    return client.post("/auth/code", data={"code": code, "csrf_token": token})


def whoami(client) -> dict | None:
    """The signed-in user as the API sees them, or None when signed out."""
    response = client.get("/api/v1/me")
    if response.status_code == 401:
        return None
    assert response.status_code == 200
    return response.get_json()


# --- staff ------------------------------------------------------------------------


def test_staff_sign_in_with_the_right_password(client, auth):
    lin = auth.user("teacher", "taipei-daan")
    response = staff_login(client, lin["username"], lin["password"])
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/"
    me = whoami(client)
    assert me["username"] == "lin.teacher"
    assert me["role"] == "teacher"
    assert me["school"] == "taipei-daan"


def test_wrong_password_shows_the_form_again_with_a_message(client, auth):
    lin = auth.user("teacher", "taipei-daan")
    response = staff_login(client, lin["username"], "not-the-password")
    html = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "Wrong username or password." in html
    assert 'name="password"' in html
    assert 'value="lin.teacher"' in html  # the username is kept for another try
    assert whoami(client) is None


def test_unknown_username_gets_the_same_answer_as_a_wrong_password(client, demo):
    response = staff_login(client, "nobody.here", "whatever-it-is")
    assert response.status_code == 401
    assert "Wrong username or password." in response.get_data(as_text=True)
    assert whoami(client) is None


def test_a_student_has_no_password_to_sign_in_with(client, auth):
    response = staff_login(client, "", "")
    assert response.status_code == 422
    assert "Please enter your username." in response.get_data(as_text=True)
    assert whoami(client) is None


# --- students ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        lambda code: code,  # as printed: ABCDE-FGHJK
        lambda code: code.replace("-", ""),  # without the dash
        lambda code: code.lower(),  # in lower case
        lambda code: "  " + code.replace("-", " ").lower() + " ",  # spaces instead of a dash
    ],
    ids=["printed", "no-dash", "lowercase", "spaces"],
)
def test_student_signs_in_with_their_code(client, auth, typed):
    student = auth.user("student", "shizuoka-aoi")
    response = code_login(client, typed(student["code"]))
    assert response.status_code == 302
    me = whoami(client)
    assert me["role"] == "student"
    assert me["display_name"] == student["display_name"]
    assert me["school"] == "shizuoka-aoi"


def test_unknown_code_is_refused_with_a_message(client, demo):
    response = code_login(client, "ZZZZZ-ZZZZZ")
    assert response.status_code == 401
    assert "We do not know this code" in response.get_data(as_text=True)
    assert whoami(client) is None


def test_old_code_stops_working_when_the_teacher_issues_a_new_one(app, client, auth):
    student = auth.user("student", "taipei-daan")
    teacher = app.test_client()
    lin = auth.user("teacher", "taipei-daan")
    assert staff_login(teacher, lin["username"], lin["password"]).status_code == 302
    class_id = next(c["id"] for c in auth.demo["classes"] if c["school"] == "taipei-daan")
    page = teacher.get(f"/classes/{class_id}").get_data(as_text=True)
    student_id = roster_ids(page)[student["display_name"]]
    cards = teacher.post(
        f"/classes/{class_id}/students/{student_id}/code",
        data={"csrf_token": csrf_token(teacher, f"/classes/{class_id}")},
    )
    assert cards.status_code == 200
    new_code = card_codes(cards.get_data(as_text=True))[student["display_name"]]
    assert new_code != student["code"]

    response = code_login(client, student["code"])
    assert response.status_code == 401
    assert "This code is no longer valid" in response.get_data(as_text=True)
    assert whoami(client) is None

    assert code_login(client, new_code).status_code == 302
    assert whoami(client)["display_name"] == student["display_name"]


# --- CSRF -------------------------------------------------------------------------


def test_sign_in_without_a_csrf_token_is_refused(client, auth):
    lin = auth.user("teacher", "taipei-daan")
    client.get("/auth/login")
    response = client.post(
        "/auth/login", data={"username": lin["username"], "password": lin["password"]}
    )
    assert response.status_code == 400
    assert whoami(client) is None


def test_code_sign_in_with_a_wrong_csrf_token_is_refused(client, auth):
    student = auth.user("student", "taipei-daan")
    client.get("/auth/code")
    response = client.post("/auth/code", data={"code": student["code"], "csrf_token": "forged"})
    assert response.status_code == 400
    assert whoami(client) is None


# --- throttling -------------------------------------------------------------------


def test_staff_account_is_throttled_after_repeated_failures(app, client, auth):
    app.config["SIGNIN_MAX_FAILURES"] = 3
    lin = auth.user("teacher", "taipei-daan")
    for _ in range(3):
        assert staff_login(client, lin["username"], "guess").status_code == 401
    # Even the right password is refused while the account is throttled.
    response = staff_login(client, lin["username"], lin["password"])
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "Too many failed sign-in attempts" in html
    assert 'name="username"' in html
    assert whoami(client) is None

    # Other accounts from the same address are not locked out by this one.
    sato = auth.user("teacher", "shizuoka-aoi")
    other = app.test_client()
    assert staff_login(other, sato["username"], sato["password"]).status_code == 302


def test_code_sign_in_is_throttled_after_repeated_failures(app, client, auth):
    app.config["SIGNIN_MAX_FAILURES"] = 1  # an address may fail 60 times with codes
    for _ in range(60):
        assert code_login(client, "ZZZZZ-ZZZZZ").status_code == 401
    response = code_login(client, "ZZZZZ-ZZZZZ")
    assert response.status_code == 429
    assert "many wrong codes" in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) >= 1
    assert whoami(client) is None
    # A correct code is never refused for others' mistakes (tests/test_throttle.py).
    student = auth.user("student", "taipei-daan")
    assert code_login(client, student["code"]).status_code == 302


# --- the sign-in cookie -------------------------------------------------------------


def test_sign_in_starts_a_new_session_and_sign_out_ends_it(app, client, auth):
    csrf_token(client, "/auth/login")
    before = client.get_cookie(COOKIE).value
    auth.login("teacher")
    signed_in = client.get_cookie(COOKIE).value
    assert signed_in != before

    # A cookie planted before sign-in does not ride along into the signed-in session.
    planted = app.test_client()
    planted.set_cookie(COOKIE, before)
    assert whoami(planted) is None

    # The signed-in cookie works from another client...
    stolen = app.test_client()
    stolen.set_cookie(COOKIE, signed_in)
    assert whoami(stolen)["username"] == "lin.teacher"

    response = auth.logout()
    assert response.status_code == 302
    assert whoami(client) is None

    # ...but no longer once its owner has signed out.
    replay = app.test_client()
    replay.set_cookie(COOKIE, signed_in)
    page = replay.get("/preferences")
    assert page.status_code == 302
    assert urlsplit(page.headers["Location"]).path == "/auth/login"
    assert whoami(replay) is None


def test_form_tokens_from_before_sign_in_stop_working(client, auth):
    before = csrf_token(client, "/auth/login")
    auth.login("teacher")
    assert client.post("/auth/logout", data={"csrf_token": before}).status_code == 400
    assert whoami(client) is not None
    after = csrf_token(client, "/")
    assert after != before
    assert client.post("/auth/logout", data={"csrf_token": after}).status_code == 302


def test_each_sign_in_gets_its_own_session(app, auth):
    lin = auth.user("teacher", "taipei-daan")
    first, second = app.test_client(), app.test_client()
    staff_login(first, lin["username"], lin["password"])
    staff_login(second, lin["username"], lin["password"])
    assert first.get_cookie(COOKIE).value != second.get_cookie(COOKIE).value


def test_sign_out_needs_post_and_a_csrf_token(client, auth):
    auth.login("teacher")
    assert client.get("/auth/logout").status_code == 405
    assert whoami(client) is not None
    assert client.post("/auth/logout").status_code == 400
    assert whoami(client) is not None
    response = client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 302
    assert whoami(client) is None


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "//evil.example/auth/login",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
    ],
)
def test_next_cannot_send_anyone_to_another_site(client, auth, target):
    lin = auth.user("teacher", "taipei-daan")
    response = staff_login(client, lin["username"], lin["password"], next_=target)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.netloc in ("", "localhost")
    assert location.path == "/"


def test_next_within_the_site_is_followed(client, auth):
    lin = auth.user("teacher", "taipei-daan")
    response = staff_login(client, lin["username"], lin["password"], next_="/preferences")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/preferences"


def test_session_cookie_is_http_only_and_same_site_lax(client, auth):
    lin = auth.user("teacher", "taipei-daan")
    response = staff_login(client, lin["username"], lin["password"])
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(COOKIE + "=")]
    assert cookies, response.headers
    flags = [part.strip().lower() for part in cookies[-1].split(";")]
    assert "httponly" in flags
    assert "samesite=lax" in flags


# --- where a signed-out reader is sent --------------------------------------------------


def _next_of(page: str, path: str) -> str | None:
    """The ``next`` of the page's link to ``path``."""
    import html
    import re
    from urllib.parse import parse_qs

    for href in re.findall(r'href="([^"]+)"', page):
        parts = urlsplit(html.unescape(href))
        if parts.path == path:
            return parse_qs(parts.query).get("next", [None])[0]
    return None


def test_a_room_link_opened_signed_out_asks_a_student_for_their_code(client, demo):
    """A student opening the room link from their teacher is asked for their code,
    not for a staff password; both sign-in pages keep where they were going, and the
    code takes them straight into the room."""
    from urllib.parse import parse_qs

    live = next(s for s in demo["sessions"] if s["status"] == "live")
    room = f"/sessions/{live['id']}"
    response = client.get(room + "?lang=ja")
    assert response.status_code == 302
    where = urlsplit(response.headers["Location"])
    assert where.path == "/auth/code"
    assert parse_qs(where.query)["next"] == [room + "?lang=ja"]
    page = client.get(f"{where.path}?{where.query}").get_data(as_text=True)
    # The staff link on the code page keeps the way back too (teachers open rooms).
    assert _next_of(page, "/auth/login") == room + "?lang=ja"
    student = next(
        u for u in demo["users"] if u["role"] == "student" and u["school"] == "taipei-daan"
    )
    token = csrf_token(client, f"{where.path}?{where.query}")
    response = client.post(
        f"{where.path}?{where.query}", data={"code": student["code"], "csrf_token": token}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == room + "?lang=ja"
    assert client.get(room).status_code == 200


def test_other_pages_ask_for_staff_sign_in_and_the_code_link_keeps_next(client):
    from urllib.parse import parse_qs

    response = client.get("/classes/")
    where = urlsplit(response.headers["Location"])
    assert where.path == "/auth/login" and parse_qs(where.query)["next"] == ["/classes/"]
    page = client.get(f"{where.path}?{where.query}").get_data(as_text=True)
    assert _next_of(page, "/auth/code") == "/classes/"
    # The API answers 401 in JSON, never a redirect.
    response = client.get("/api/v1/me")
    assert response.status_code == 401


def _full_width(text: str) -> str:
    """As a Chinese, Japanese or Korean input method types it: ＹＹＵ６Ｇ－ＦＭ６９５."""
    return "".join(
        "\u3000" if ch == " " else chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text
    )


@pytest.mark.parametrize(
    "form", ["full width", "full-width lower case, a wide space", "lower case, a space"]
)
def test_full_width_codes_are_the_same_code(client, demo, form):
    """A code typed with a CJK input method (full-width letters, digits and dash) is
    the same code: the student gets in."""
    student = next(u for u in demo["users"] if u["role"] == "student")
    code = student["code"]  # "ABCDE-FGHIJ"
    typed = {
        "full width": _full_width(code),
        "full-width lower case, a wide space": _full_width(code.lower().replace("-", " ")),
        "lower case, a space": code.lower().replace("-", " "),
    }[form]
    assert typed != code
    assert code_login(client, typed).status_code == 302
    assert whoami(client)["display_name"] == student["display_name"]

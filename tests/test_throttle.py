"""Sign-in throttling that fits a school behind one address and a teacher under attack
(issue 14): a class's typos never refuse a correct code, someone elsewhere cannot lock
a teacher out, a flood is still refused, and X-Forwarded-For counts only from proxies
the operator trusts (FORUM_TRUSTED_PROXIES)."""

from __future__ import annotations

import pytest
from conftest import csrf_token

pytestmark = pytest.mark.usefixtures("demo_snapshot")

SCHOOL = "192.0.2.10"  # the school's one public address (behind its NAT)
ELSEWHERE = "203.0.113.66"  # someone outside the school


def client_at(app, address: str, *, forwarded: str | None = None):
    """A test client whose requests come from ``address`` (as the server's peer),
    optionally through a proxy that says they came from ``forwarded``."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    if forwarded is not None:
        client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded
    return client


class Door:
    """One browser at one address, with its form token fetched once."""

    def __init__(self, client, path: str) -> None:
        self.client = client
        self.path = path
        self.token = csrf_token(client, f"{path}?lang=en")

    def code(self, code: str):
        return self.client.post("/auth/code", data={"code": code, "csrf_token": self.token})

    def password(self, username: str, password: str):
        return self.client.post(
            "/auth/login",
            data={"username": username, "password": password, "csrf_token": self.token},
        )


def students(demo: dict) -> list[dict]:
    return [u for u in demo["users"] if u["role"] == "student"]


def wrong_code(i: int) -> str:
    # Valid-looking codes (the code alphabet) that are nobody's.
    alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
    return "".join(alphabet[(i // 31**k) % 31] for k in range(5)) + "-ZZZZZ"


# --- a school behind one address ------------------------------------------------------


def test_a_class_of_thirty_mistyping_still_signs_in(app, demo):
    """Thirty pupils each mistype once, then type their code right: every one gets in."""
    room = [Door(client_at(app, SCHOOL), "/auth/code") for _ in range(30)]
    for i, door in enumerate(room):
        assert door.code(wrong_code(i)).status_code == 401
    for door, student in zip(room, students(demo) * 3, strict=False):
        response = door.code(student["code"])
        assert response.status_code == 302, response.get_data(as_text=True)[:300]


def test_other_peoples_wrong_codes_never_refuse_a_correct_one(app, demo):
    """Even past the address's budget of wrong codes (a flood), a correct code from the
    same address signs in; only the wrong ones are refused with 429."""
    app.config["SIGNIN_MAX_FAILURES"] = 1  # the smallest budget the settings allow
    flood = Door(client_at(app, SCHOOL), "/auth/code")
    statuses = [flood.code(wrong_code(i)).status_code for i in range(80)]
    assert statuses[0] == 401
    assert statuses[-1] == 429
    pupil = Door(client_at(app, SCHOOL), "/auth/code")
    assert pupil.code(students(demo)[0]["code"]).status_code == 302
    # A correct code does not count against the address either way.
    again = flood.code(wrong_code(999))
    assert again.status_code == 429
    assert int(again.headers["Retry-After"]) >= 1


def test_a_flood_of_wrong_codes_is_refused(app, demo):
    """1,000 wrong codes within a minute from one address: refused with 429 and
    Retry-After long before the end, with the default settings."""
    flood = Door(client_at(app, ELSEWHERE), "/auth/code")
    answers = [flood.code(wrong_code(i)) for i in range(1000)]
    statuses = [r.status_code for r in answers]
    assert set(statuses) <= {401, 429}
    assert statuses.count(429) >= 600
    last = answers[-1]
    assert last.status_code == 429
    assert 1 <= int(last.headers["Retry-After"]) <= app.config["SIGNIN_WINDOW_SECONDS"] + 1
    assert "many wrong codes" in last.get_data(as_text=True)


# --- a teacher under attack -----------------------------------------------------------


def test_someone_elsewhere_cannot_lock_a_teacher_out(app, demo):
    lin = next(u for u in demo["users"] if u.get("username") == "lin.teacher")
    attacker = Door(client_at(app, ELSEWHERE), "/auth/login")
    for _ in range(app.config["SIGNIN_MAX_FAILURES"]):
        assert attacker.password(lin["username"], "guess").status_code == 401
    # The attacker's address is throttled for that account, even with the password...
    refused = attacker.password(lin["username"], lin["password"])
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    # ...while the teacher, at their school, still signs in.
    teacher = Door(client_at(app, SCHOOL), "/auth/login")
    assert teacher.password(lin["username"], lin["password"]).status_code == 302


def test_one_address_trying_many_accounts_is_throttled(app, demo):
    app.config["SIGNIN_MAX_FAILURES"] = 2  # an address may fail 6× as often over all accounts
    sprayer = Door(client_at(app, ELSEWHERE), "/auth/login")
    for i in range(12):
        assert sprayer.password(f"nobody-{i}", "guess").status_code == 401
    assert sprayer.password("nobody-else", "guess").status_code == 429


# --- behind the reverse proxy -------------------------------------------------------


def test_trusted_proxy_hops_tell_addresses_apart(make_app, demo):
    app = make_app(FORUM_TRUSTED_PROXIES=1)
    lin = next(u for u in demo["users"] if u.get("username") == "lin.teacher")
    proxy = "10.0.0.2"
    attacker = Door(client_at(app, proxy, forwarded=ELSEWHERE), "/auth/login")
    for _ in range(app.config["SIGNIN_MAX_FAILURES"]):
        assert attacker.password(lin["username"], "guess").status_code == 401
    assert attacker.password(lin["username"], lin["password"]).status_code == 429
    teacher = Door(client_at(app, proxy, forwarded=SCHOOL), "/auth/login")
    assert teacher.password(lin["username"], lin["password"]).status_code == 302


def test_x_forwarded_for_is_ignored_unless_proxies_are_trusted(app, demo):
    assert app.config["FORUM_TRUSTED_PROXIES"] == 0
    lin = next(u for u in demo["users"] if u.get("username") == "lin.teacher")
    for i in range(app.config["SIGNIN_MAX_FAILURES"]):
        door = Door(client_at(app, ELSEWHERE, forwarded=f"198.51.100.{i}"), "/auth/login")
        assert door.password(lin["username"], "guess").status_code == 401
    # A made-up X-Forwarded-For does not buy the attacker a fresh address.
    door = Door(client_at(app, ELSEWHERE, forwarded="198.51.100.200"), "/auth/login")
    assert door.password(lin["username"], lin["password"]).status_code == 429


def test_trusted_proxy_sets_scheme_and_host(make_app, demo):
    """Links the app writes out in full (the calendar feed) use the scheme and host the
    proxy was asked for."""
    app = make_app(FORUM_TRUSTED_PROXIES=1)
    client = client_at(app, "10.0.0.2", forwarded=SCHOOL)
    client.environ_base.update(
        {
            "HTTP_X_FORWARDED_PROTO": "https",
            "HTTP_X_FORWARDED_HOST": "forum.example.org",
            # Over HTTPS, Flask-WTF wants the page's own referrer.
            "HTTP_REFERER": "https://forum.example.org/auth/login",
        }
    )
    lin = next(u for u in demo["users"] if u.get("username") == "lin.teacher")
    assert Door(client, "/auth/login").password(lin["username"], lin["password"]).status_code == 302
    html = client.get("/preferences").get_data(as_text=True)
    assert "https://forum.example.org/calendar/" in html


@pytest.mark.parametrize("value", ["-1", "two", "1.5"])
def test_a_bad_trusted_proxies_setting_is_named_at_start(tmp_path, value):
    from servers import flask_cli, server_env

    env = server_env(tmp_path, FORUM_TRUSTED_PROXIES=value)
    result = flask_cli(["db", "current"], env, check=False)
    assert result.returncode != 0
    assert (
        f"FORUM_TRUSTED_PROXIES must be a whole number of at least 0, not '{value}'"
        in result.stderr
    )

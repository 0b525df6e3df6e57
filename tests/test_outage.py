"""When the database or the queue cannot be reached: GET /healthz for operators, and
for people a 503 page in their language (or the API's JSON error) instead of a 500,
from which the server recovers by itself when the database is back."""

from __future__ import annotations

import contextlib
import re
import secrets
import socket
import threading
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa
from conftest import PG_URL, csrf_token
from flask_babel import force_locale
from servers import free_port, server_env, start_server

from forum.errors import UNAVAILABLE_PAGE
from forum.extensions import db

pytestmark = pytest.mark.usefixtures("demo_snapshot")


def closed_port_url() -> str:
    """A PostgreSQL URL where nothing listens: every connection is refused."""
    return f"postgresql+psycopg2://postgres:hunter2@127.0.0.1:{free_port()}/x"


@pytest.fixture
def down(make_app):
    """An app like ``app`` (same secret key: its cookies count) whose database cannot
    be reached."""
    app = make_app(SQLALCHEMY_DATABASE_URI=closed_port_url(), SQLALCHEMY_ENGINE_OPTIONS={})
    yield app
    with app.app_context():
        db.engine.dispose()


def unavailable_text(app, locale: str) -> str:
    with app.test_request_context(), force_locale(locale):
        text = str(UNAVAILABLE_PAGE)
    if locale != "en":
        assert text != UNAVAILABLE_PAGE._args[0], f"not translated into {locale}"
    return text


def signed_in_cookie(client) -> str:
    return client.get_cookie("forum_session").value


def assert_unavailable_page(response, app, locale: str, html_lang: str) -> None:
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    html = response.get_data(as_text=True)
    assert unavailable_text(app, locale) in html, html
    assert f'<html lang="{html_lang}"' in html


# --- GET /healthz --------------------------------------------------------------------


def test_healthz_is_ok_when_all_is_well(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "database": {"ok": True},
        "queue": {"ok": True, "configured": False},
        # No heartbeat runs in a test's app (``python wsgi.py`` starts it).
        "heartbeat": {"ok": True, "running": False},
        # Nor direct delivery (threading mode): counts of a real server's, see
        # test_live_server.test_a_rooms_chat_is_delivered_directly.
        "delivery": {"direct": 0, "queued": 0},
    }
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_needs_no_sign_in_and_ignores_a_cookie(app, auth, down):
    auth.login("student", "taipei-daan")
    broken = down.test_client()
    broken.set_cookie("forum_session", signed_in_cookie(auth.client))
    response = broken.get("/healthz")  # the cookie would need the database to be read
    assert response.status_code == 503
    assert response.get_json()["database"] == {"ok": False, "error": "connection refused"}


def test_healthz_names_the_database_when_it_is_unreachable_and_reveals_nothing(down):
    response = down.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["database"] == {"ok": False, "error": "connection refused"}
    assert body["queue"] == {"ok": True, "configured": False}
    text = response.get_data(as_text=True)
    for secret in ("hunter2", "postgres", "127.0.0.1", "postgresql"):
        assert secret not in text


def test_healthz_names_the_queue_when_it_is_unreachable(app):
    app.config["FORUM_MESSAGE_QUEUE"] = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["database"] == {"ok": True}
    assert body["queue"] == {"ok": False, "configured": True, "error": "connection refused"}
    assert "hunter2" not in response.get_data(as_text=True)


def test_healthz_pings_a_reachable_queue(app):
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", 6379), 1):
        app.config["FORUM_MESSAGE_QUEUE"] = "redis://127.0.0.1:6379/0"
    if not app.config["FORUM_MESSAGE_QUEUE"]:
        pytest.skip("no Redis on 127.0.0.1:6379")
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["queue"] == {"ok": True, "configured": True}


def test_healthz_reads_this_process_heartbeat(app):
    from forum.live import servers

    app.extensions["forum.heartbeat"] = True  # as servers.start does
    client = app.test_client()
    body = client.get("/healthz").get_json()
    assert body["heartbeat"] == {"ok": False, "running": True, "error": "not seen yet"}
    with app.app_context():
        servers.beat()
    response = client.get("/healthz")
    assert response.status_code == 200
    heartbeat = response.get_json()["heartbeat"]
    assert heartbeat["ok"] is True and heartbeat["running"] is True
    assert heartbeat["age_seconds"] >= 0 and heartbeat["seen_at"]
    with app.app_context():  # not seen for three beats: taken for dead
        row = db.session.get(servers.Server, servers.SERVER_ID)
        row.seen_at = servers.utcnow() - timedelta(
            seconds=servers.STALE_BEATS * app.config["FORUM_HEARTBEAT_SECONDS"] + 1
        )
        db.session.commit()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["heartbeat"]["ok"] is False


def test_healthz_answers_while_the_admission_gate_is_full(app):
    """However many requests wait for the database, the health check does not."""
    gate = app.extensions["forum.sql.gate"]
    full, done = threading.Event(), threading.Event()

    def fill() -> None:
        for _ in range(gate.slots):
            gate._free.acquire()
        full.set()
        done.wait()
        for _ in range(gate.slots):
            gate._free.release()

    answers = []
    filler = threading.Thread(target=fill)
    checker = threading.Thread(
        target=lambda: answers.append(app.test_client().get("/healthz").status_code)
    )
    filler.start()
    try:
        assert full.wait(30)
        checker.start()
        checker.join(30)
        assert answers == [200], "the health check waited at the gate"
    finally:
        done.set()
        filler.join()
        if checker.is_alive():
            checker.join()


# --- pages and the API while the database is down -------------------------------------


def test_pages_answer_503_in_the_readers_language(app, auth, down):
    auth.login("student", "taipei-daan")
    cookie = signed_in_cookie(auth.client)

    def broken_client():
        client = down.test_client()
        client.set_cookie("forum_session", cookie)
        return client

    # Loading the signed-in person fails before any view runs.
    assert_unavailable_page(broken_client().get("/"), down, "zh_Hant_TW", "zh-Hant-TW")
    assert_unavailable_page(
        broken_client().get("/auth/code", headers={"Accept-Language": "ko"}), down, "ko", "ko"
    )
    assert_unavailable_page(broken_client().get("/?lang=ja"), down, "ja", "ja")
    assert_unavailable_page(broken_client().get("/sessions/1?lang=en"), down, "en", "en")
    # The page's stylesheet is served: it needs no one, so no database.
    with broken_client().get("/static/css/forum.css") as stylesheet:
        assert stylesheet.status_code == 200


def test_signing_in_while_the_database_is_down_answers_503(down):
    client = down.test_client()
    token = csrf_token(client, "/auth/code")  # the form itself needs no database
    response = client.post(
        "/auth/code",
        data={"code": "ABCDE-12345", "csrf_token": token},
        headers={"Accept-Language": "ko"},
    )
    assert_unavailable_page(response, down, "ko", "ko")


def test_the_api_answers_a_json_503(app, auth, down, api_token):
    token = api_token(auth.user("teacher", "taipei-daan")["username"])
    response = down.test_client().get(
        "/api/v1/sessions", headers={"Authorization": f"Bearer {token}", "Accept-Language": "ja"}
    )
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert response.get_json() == {
        "error": {"code": "unavailable", "message": unavailable_text(down, "ja")}
    }


def test_the_server_recovers_when_the_database_returns(app, auth):
    auth.login("teacher", "taipei-daan")
    assert auth.client.get("/").status_code == 200
    with app.app_context():
        engine = db.engine
        dbapi = engine.dialect.loaded_dbapi

    def refuse(*_args):
        raise dbapi.OperationalError("connection refused (test)")

    sa.event.listen(engine, "do_connect", refuse)
    try:
        with app.app_context():
            engine.dispose()  # the pooled and parked connections go
        # More failures than the admission gate has places: none is kept.
        for _ in range(8):
            response = auth.client.get("/")
            assert response.status_code == 503
    finally:
        sa.event.remove(engine, "do_connect", refuse)
    response = auth.client.get("/")
    assert response.status_code == 200
    assert "Retry-After" not in response.headers


# --- a real server whose database does not answer --------------------------------------


@pytest.mark.server
def test_a_server_whose_database_does_not_answer_still_answers(tmp_path):
    """A database host that takes connections and says nothing (a hung server, a
    firewall): the eventlet server gives up after the connect timeout."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        env = server_env(
            tmp_path,
            FORUM_ACCESS_LOG="0",
            FORUM_DATABASE_URL=(f"postgresql://postgres@127.0.0.1:{silent.getsockname()[1]}/x"),
        )
        with start_server(env) as server:
            response = requests.get(server.url + "/healthz", timeout=30)
            assert response.status_code == 503
            body = response.json()
            assert body["database"] == {"ok": False, "error": "timed out"}
            assert body["heartbeat"]["running"] is True and body["heartbeat"]["ok"] is False

            session = requests.Session()
            page = session.get(
                server.url + "/auth/code", timeout=30, headers={"Accept-Language": "ja"}
            )
            assert page.status_code == 200
            token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
            response = session.post(
                server.url + "/auth/code",
                timeout=30,
                data={"code": "ABCDE-12345", "csrf_token": token},
                headers={"Accept-Language": "ja"},
            )
            assert response.status_code == 503
            assert response.headers["Retry-After"]
            assert '<html lang="ja"' in response.text


# --- the pool: timeouts, and connections the database server ended --------------------


def test_postgresql_connections_time_out_and_are_tested_before_use(monkeypatch, tmp_path):
    from forum.config import from_environment

    monkeypatch.setenv("FORUM_DATABASE_URL", "postgresql://forum@db.example/forum")
    options = from_environment(tmp_path)["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["pool_pre_ping"] is True
    assert options["connect_args"] == {"connect_timeout": 3}
    # A timeout in the URL is the operator's: left alone.
    monkeypatch.setenv("FORUM_DATABASE_URL", "postgresql://db.example/forum?connect_timeout=9")
    assert "connect_args" not in from_environment(tmp_path)["SQLALCHEMY_ENGINE_OPTIONS"]
    # A SQLite file never goes away, nor takes a connect_timeout.
    monkeypatch.setenv("FORUM_DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    options = from_environment(tmp_path)["SQLALCHEMY_ENGINE_OPTIONS"]
    assert "pool_pre_ping" not in options and "connect_args" not in options


@pytest.mark.skipif(not PG_URL, reason="needs FORUM_TEST_DATABASE_URL (PostgreSQL)")
def test_connections_the_database_server_ended_are_replaced_unseen(app, auth, make_app, database):
    """As after a restart of PostgreSQL: the pool's connections are dead; the next
    request gets a fresh one instead of failing."""
    from forum.config import engine_options

    name = f"forum-test-{secrets.token_hex(4)}"
    connect_args = {
        **database["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"],
        "application_name": name,
    }
    restarted = make_app(
        SQLALCHEMY_ENGINE_OPTIONS={**engine_options(PG_URL), "connect_args": connect_args}
    )
    auth.login("teacher", "taipei-daan")
    client = restarted.test_client()
    client.set_cookie("forum_session", signed_in_cookie(auth.client))
    assert client.get("/").status_code == 200
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            ended = conn.scalar(
                sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = :name"
                ),
                {"name": name},
            )
        assert ended >= 1
        assert client.get("/").status_code == 200
    finally:
        admin.dispose()
        with restarted.app_context():
            db.engine.dispose()

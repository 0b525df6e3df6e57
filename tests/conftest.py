"""Fixtures: an app on a migrated database (SQLite, or PostgreSQL when
FORUM_TEST_DATABASE_URL is set), clients, the CLI runner and signed-in users."""

from __future__ import annotations

import os
import re
import secrets
import warnings
from pathlib import Path

import pytest
import sqlalchemy as sa

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
os.environ.setdefault("FORUM_ASYNC_MODE", "threading")

from forum import create_app  # noqa: E402
from forum.config import database_url  # noqa: E402
from forum.extensions import db  # noqa: E402

PG_URL = (
    database_url(os.environ["FORUM_TEST_DATABASE_URL"])
    if os.environ.get("FORUM_TEST_DATABASE_URL")
    else None
)


@pytest.fixture(scope="session")
def database(tmp_path_factory):
    """A migrated, empty database for the whole run; its config keys for the app."""
    instance = tmp_path_factory.mktemp("instance")
    if PG_URL:
        schema = f"test_{os.getpid()}_{secrets.token_hex(3)}"
        admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        config = {
            "SQLALCHEMY_DATABASE_URI": PG_URL,
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": f"-csearch_path={schema}"}},
        }
    else:
        config = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'test.sqlite3'}"}
    config["instance"] = instance
    app = _make_app(config)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    yield config
    if PG_URL:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _make_app(config: dict, **overrides):
    os.environ["FORUM_INSTANCE_PATH"] = str(config["instance"])
    settings = {k: v for k, v in config.items() if k != "instance"}
    settings.update(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SERVER_NAME": None,
            # In-process clients see disconnects and presence as calls return.
            "FORUM_LIVE_INLINE": True,
        }
    )
    settings.update(overrides)
    return create_app(settings)


def _empty_tables() -> None:
    """Every table emptied, dependents first, and (PostgreSQL) every sequence of the
    test schema back at 1, as a fresh database. DELETE rather than TRUNCATE: on tables
    this small TRUNCATE's new files cost PostgreSQL 143 ms a test, DELETE 11 ms."""
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        for t in tables:
            conn.execute(sa.text(f'DELETE FROM "{t}"'))
        if conn.dialect.name == "postgresql":
            conn.execute(
                sa.text(
                    "SELECT setval(c.oid, 1, false) FROM pg_class c WHERE c.relkind = 'S' "
                    "AND c.relnamespace = current_schema()::regnamespace"
                )
            )


@pytest.fixture
def make_app(database):
    """Build another app on the same database, with config overrides."""
    return lambda **overrides: _make_app(database, **overrides)


@pytest.fixture
def app(database):
    app = _make_app(database)
    with app.app_context():
        _empty_tables()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def demo(app):
    """The demo data, as ``seed-demo --json`` prints it."""
    from forum import demo as demo_module

    with app.app_context():
        return demo_module.seed()


def csrf_token(client, path: str = "/auth/login") -> str:
    """The CSRF token of the client's session, read off a page as a browser would."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "page has no csrf-token meta tag"
    return match.group(1)


class Auth:
    """Sign a test client in and out as the demo users."""

    def __init__(self, client, demo: dict) -> None:
        self.client = client
        self.demo = demo

    def user(self, role: str, school: str | None = None) -> dict:
        for user in self.demo["users"]:
            if user["role"] == role and (school is None or user["school"] == school):
                return user
        raise LookupError((role, school))

    def login(self, role: str = "teacher", school: str | None = "taipei-daan"):
        """Sign in as the first demo user of that role (and school)."""
        user = self.user(role, school if role in ("teacher", "student") else None)
        token = csrf_token(self.client, "/auth/code" if role == "student" else "/auth/login")
        if role == "student":
            response = self.client.post(
                "/auth/code", data={"code": user["code"], "csrf_token": token}
            )
        else:
            response = self.client.post(
                "/auth/login",
                data={
                    "username": user["username"],
                    "password": user["password"],
                    "csrf_token": token,
                },
            )
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    def logout(self):
        token = csrf_token(self.client, "/")
        return self.client.post("/auth/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client, demo):
    return Auth(client, demo)


@pytest.fixture
def api_token(app, demo):
    """A Bearer token for a demo staff user, by username."""
    from forum.models import User
    from forum.people import proofs

    def make(username: str) -> str:
        with app.app_context():
            user = db.session.scalar(sa.select(User).where(User.username == username))
            token = proofs.issue_token(user)
            db.session.commit()
            return token

    return make


ROOT = Path(__file__).resolve().parent.parent


# --- Helpers and fixtures shared by the acceptance suite --------------------------------


class FakeClock:
    """A clock that moves only when a test says so: given where code reads the time
    (a rate limiter's ``clock``), so no test waits on the wall clock."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def when(days: int, hour: int = 6, minute: int = 0) -> str:
    """An instant ``days`` from today (UTC) at hour:minute UTC, as ISO-8601 ending in Z."""
    from datetime import UTC, datetime, timedelta

    day = datetime.now(UTC).date() + timedelta(days=days)
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}:00Z"


def roster_ids(html: str) -> dict[str, int]:
    """Display name → student id, read off a class page's roster table."""
    rows = re.findall(
        r'<td>([^<]+)</td>\s*<td class="row-actions">\s*'
        r'<form method="post" action="/classes/\d+/students/(\d+)/code"',
        html,
    )
    return {name: int(student_id) for name, student_id in rows}


def card_codes(html: str) -> dict[str, str]:
    """Display name → access code, read off a page of printed code cards."""
    cards = re.findall(
        r'<p class="code-card-name">([^<]+)</p>\s*'
        r'(?:<p class="code-card-class">[^<]*</p>\s*)?'
        r'<p class="code-card-code"><code>([A-Z0-9]{5}-[A-Z0-9]{5})</code></p>',
        html,
    )
    return dict(cards)


def form_fields(html: str, action: str | None = None) -> dict[str, str | list[str]]:
    """What a browser would submit from a page's POST form (the one posting to ``action``,
    else the first one without an action): hidden and text inputs, checked boxes, each
    select's chosen option(s) or its first, textareas. Lists for multiple selects."""
    from html.parser import HTMLParser

    class Parser(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.fields: dict[str, str | list[str]] | None = None
            self.inside = False
            self.select: tuple[str, bool, list[str], list[str]] | None = None
            self.textarea: str | None = None

        def handle_starttag(self, tag, attrs):
            a = {k: (v if v is not None else "") for k, v in attrs}
            if tag == "form" and self.fields is None and a.get("method", "").lower() == "post":
                self.inside = a.get("action") == action if action else "action" not in a
                if self.inside:
                    self.fields = {}
            if not self.inside:
                return
            name = a.get("name")
            if tag == "input" and name:
                kind = a.get("type", "text").lower()
                if kind in ("submit", "button", "file", "image", "reset"):
                    return
                if kind in ("checkbox", "radio") and "checked" not in a:
                    return
                value = a.get("value", "on" if kind == "checkbox" else "")
                if kind == "checkbox" and name in self.fields:  # a group: every box ticked
                    earlier = self.fields[name]
                    self.fields[name] = [
                        *(earlier if isinstance(earlier, list) else [earlier]),
                        value,
                    ]
                else:
                    self.fields[name] = value
            elif tag == "select" and name:
                self.select = (name, "multiple" in a, [], [])
            elif tag == "option" and self.select:
                self.select[2].append(a.get("value", ""))
                if "selected" in a:
                    self.select[3].append(a.get("value", ""))
            elif tag == "textarea" and name:
                self.textarea = name
                self.fields[name] = ""

        def handle_data(self, data):
            if self.inside and self.textarea:
                self.fields[self.textarea] += data

        def handle_endtag(self, tag):
            if not self.inside:
                return
            if tag == "select" and self.select:
                name, multiple, options, chosen = self.select
                if multiple:
                    self.fields[name] = chosen
                else:
                    self.fields[name] = (chosen or options or [""])[0]
                self.select = None
            elif tag == "textarea":
                self.textarea = None
            elif tag == "form":
                self.inside = False

    parser = Parser()
    parser.feed(html)
    assert parser.fields is not None, f"no POST form for {action!r}"
    return parser.fields


@pytest.fixture
def people(app, demo):
    """The demo's people in the live room (``livekit.People``), on fresh live limits;
    afterwards, every message any of their clients was sent is checked against the
    protocol."""
    from livekit import People, fresh_limits

    fresh_limits()
    people = People(app, demo)
    yield people
    people.check_everything_heard()
    fresh_limits()


@pytest.fixture
def count_rows(app):
    """The number of rows of a model, read afresh from the database."""

    def count(model) -> int:
        with app.app_context():
            return db.session.scalar(sa.select(sa.func.count()).select_from(model))

    return count


@pytest.fixture
def exchanges(demo) -> dict[str, int]:
    """The demo exchanges' ids: ``tw_jp`` (live + scheduled session) and ``tw_kr``."""
    live = next(s for s in demo["sessions"] if s["status"] == "live")
    other = next(s for s in demo["sessions"] if s["exchange_id"] != live["exchange_id"])
    return {"tw_jp": live["exchange_id"], "tw_kr": other["exchange_id"]}


@pytest.fixture
def bearer(auth, api_token):
    """``Authorization`` headers for a demo staff user: ``bearer("teacher", "seoul-hanbit")``."""

    def headers(role: str = "teacher", school: str | None = "taipei-daan") -> dict[str, str]:
        user = auth.user(role, school if role == "teacher" else None)
        return {"Authorization": f"Bearer {api_token(user['username'])}"}

    return headers


@pytest.fixture
def schedule(app, bearer, exchanges):
    """Schedule a session through the API as a teacher (TW by default); its JSON."""

    def make(*, teacher: str = "taipei-daan", **fields) -> dict:
        body = {
            "exchange_id": exchanges["tw_jp"],
            "title": "Beach clean-up plans",
            "sdgs": [14],
            "starts_at": when(3, 6),
            "ends_at": when(3, 7),
        }
        body.update(fields)
        response = app.test_client().post(
            "/api/v1/sessions", json=body, headers=bearer("teacher", teacher)
        )
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()

    return make


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """Cheap password hashes in tests: scrypt's deliberate cost (~0.13 s a hash) would
    dominate the run, since every test seeds five staff accounts. Verification reads
    the method from the stored hash, so sign-in code paths are unchanged."""
    from functools import partial

    from werkzeug.security import generate_password_hash

    from forum.people import signin

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            signin,
            "generate_password_hash",
            partial(generate_password_hash, method="pbkdf2:sha256:1000"),
        )
        yield


@pytest.fixture(autouse=True, scope="session")
def _shared_template_bytecode():
    """Every test builds a new app, so a new Jinja environment that would compile each
    template again; share the compiled bytecode (keyed by the template's checksum)."""
    import jinja2
    from flask import Flask

    class MemoryCache(jinja2.BytecodeCache):
        def __init__(self) -> None:
            self.store: dict[str, bytes] = {}

        def load_bytecode(self, bucket) -> None:
            if bucket.key in self.store:
                bucket.bytecode_from_string(self.store[bucket.key])

        def dump_bytecode(self, bucket) -> None:
            self.store[bucket.key] = bucket.bytecode_to_string()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            Flask, "jinja_options", {**Flask.jinja_options, "bytecode_cache": MemoryCache()}
        )
        yield


_DEMO_SNAPSHOT: dict = {}


@pytest.fixture
def demo_snapshot(monkeypatch, database):
    """Opt-in speed-up for modules that only need the demo data to be there
    (``pytestmark = pytest.mark.usefixtures("demo_snapshot")``): the first
    ``demo.seed()`` on an empty database of the run seeds for real and copies every
    row; later ones on an empty database put those rows back, ids included, instead of
    replaying the scripted past session again. test_cli.py covers the real seed."""
    import copy

    from forum import demo as demo_module
    from forum.models import User

    real_seed = demo_module.seed

    def seed():
        empty = not db.session.scalar(sa.select(sa.func.count()).select_from(User))
        if empty and _DEMO_SNAPSHOT:
            for table in db.metadata.sorted_tables:
                if _DEMO_SNAPSHOT["rows"][table.name]:
                    db.session.execute(table.insert(), _DEMO_SNAPSHOT["rows"][table.name])
            _reset_sequences(_DEMO_SNAPSHOT["rows"])
            db.session.commit()
            return copy.deepcopy(_DEMO_SNAPSHOT["result"])
        result = real_seed()
        if empty:
            _DEMO_SNAPSHOT["rows"] = {
                table.name: [dict(row._mapping) for row in db.session.execute(sa.select(table))]
                for table in db.metadata.sorted_tables
            }
            _DEMO_SNAPSHOT["result"] = copy.deepcopy(result)
        return result

    monkeypatch.setattr(demo_module, "seed", seed)


def _reset_sequences(rows: dict[str, list[dict]]) -> None:
    """On PostgreSQL, move id sequences past the ids that were inserted explicitly."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in db.metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, sa.Integer) or not rows[table.name]:
            continue
        db.session.execute(
            sa.text("SELECT setval(pg_get_serial_sequence(:table, :column), :value)"),
            {
                "table": f'"{table.name}"',
                "column": pk[0].name,
                "value": max(row[pk[0].name] for row in rows[table.name]),
            },
        )

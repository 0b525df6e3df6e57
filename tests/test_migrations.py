"""The schema comes only from migrations: on a fresh database they build exactly the
models' schema, and they go down to nothing and up again."""

from __future__ import annotations

import secrets

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from conftest import PG_URL
from flask_migrate.cli import db as db_cli

from forum.extensions import db


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_app(request, make_app, tmp_path):
    """An app on a brand-new, empty database: a new SQLite file, or a new PostgreSQL
    schema when FORUM_TEST_DATABASE_URL is set."""
    if request.param == "sqlite":
        app = make_app(
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
            SQLALCHEMY_ENGINE_OPTIONS={},
        )
        yield app
        with app.app_context():
            db.engine.dispose()
        return
    if not PG_URL:
        pytest.skip("FORUM_TEST_DATABASE_URL is not set")
    schema = f"fresh_{secrets.token_hex(4)}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    app = make_app(
        SQLALCHEMY_DATABASE_URI=PG_URL,
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"options": f"-csearch_path={schema}"}},
    )
    try:
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def flask_db(app, *args: str) -> None:
    result = app.test_cli_runner().invoke(db_cli, list(args))
    assert result.exit_code == 0, (args, result.output, result.exception)


def tables(app) -> set[str]:
    with app.app_context():
        return set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}


def differences(app) -> list:
    """What autogenerate would still add or change: nothing, if migrations are complete."""
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_migrations_build_exactly_the_models(fresh_app):
    assert tables(fresh_app) == set()
    flask_db(fresh_app, "upgrade")
    assert tables(fresh_app) == set(db.metadata.tables)
    assert differences(fresh_app) == []
    flask_db(fresh_app, "check")  # the same question, asked as `flask db check`


def test_downgrade_to_base_and_upgrade_again(fresh_app):
    flask_db(fresh_app, "upgrade")
    flask_db(fresh_app, "downgrade", "base")
    assert tables(fresh_app) == set()
    flask_db(fresh_app, "upgrade")
    assert tables(fresh_app) == set(db.metadata.tables)
    assert differences(fresh_app) == []

"""Plain DB-API statements for the live path, where the ORM cost too much.

A chat message writes a handful of rows. Through the ORM (object loading, the unit
of work, the session's own bookkeeping) that cost about twenty times what the
database itself takes, and it was most of the server's CPU in a busy room. So the
statements of the live path — who is asking, their seat, the log head, the event,
the message — are written here as SQL, run either

- on ``db.session``'s own connection and transaction (``statements()``), when one
  transaction also holds ORM work; ``db.session.commit()`` ends both; or
- on a pooled connection of the app context's own (``live()``), when none does:
  its owner commits, and it goes back to the pool at the end of the app context.

SQL is written once with ``:name`` parameters (sqlite3 takes them as they are; for
psycopg2 they become ``%(name)s``) and stays plain enough for both databases. Values
cross in the shapes SQLAlchemy's own types use for these columns, so the ORM reads
back exactly what it would have written: timestamps as naive UTC (on SQLite the text
``YYYY-MM-DD HH:MM:SS.ffffff``), JSON as ``json.dumps`` text.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import sqlite3
from collections import deque
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, overload

from flask import Flask, current_app, g
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db


def statements() -> Statements:
    """The statements of ``db.session``'s current transaction, starting one if none
    is open (as any ORM query would): for plain SQL in a transaction that also has
    ORM work. Kept until that transaction ends, as asking the session for its
    connection each time cost more than the statements."""
    session = db.session()
    run = session.info.get(_KEY)
    if run is None:
        run = session.info[_KEY] = Statements(session.connection().connection)
    return run


def live() -> Statements:
    """A pooled connection of this app context's own, beside ``db.session``: the live
    path's reads, and the writes whose every statement is plain SQL. Its owner
    commits or rolls back; it is given back when the app context ends.

    A live event through ``db.session`` cost ~0.2 ms of CPU in session bookkeeping
    alone (begin, commit, close) before any statement ran; this costs ~0.02 ms.
    """
    run = g.get(_KEY)
    if run is None:
        try:
            run = current_app.extensions[_KEY].pop()
        except IndexError:
            run = Statements(db.engine.raw_connection())
        g.setdefault(_KEY, run)
    return run


def reader() -> Statements:
    """Where a live read goes: ``db.session``'s transaction if one is open, as it
    sees its own uncommitted writes; otherwise the live connection."""
    return statements() if session_in_transaction() else live()


def session_in_transaction() -> bool:
    """Has ``db.session`` a transaction open? Asked without making a session: most
    live events never open one."""
    return db.session.registry.has() and db.session().in_transaction()


def session_has_writes() -> bool:
    """Has ``db.session`` writes not yet committed: objects added, changed or deleted,
    or statements already flushed in its open transaction? Asked without making a
    session."""
    if not db.session.registry.has():
        return False
    session = db.session()
    if session.new or session.deleted or session.info.get(_WROTE):
        return True
    # An attribute set to the value it had makes an object "dirty" but writes nothing.
    return any(session.is_modified(obj) for obj in session.dirty)


def session_has_flushed_writes() -> bool:
    """Has ``db.session``'s open transaction written rows (which the database may keep
    locked until it ends)?"""
    return db.session.registry.has() and bool(db.session().info.get(_WROTE))


def end_read_only_session() -> None:
    """Give back ``db.session``'s connection without committing anything: its open
    transaction, which must have only read, is rolled back (the objects it loaded
    reload on next use, as after a commit). Uncommitted writes are refused, not
    committed behind their owner's back: whoever made them commits them first."""
    if session_has_writes():
        raise RuntimeError(
            "db.session holds uncommitted writes: commit (or roll back) "
            "them before waiting for a session's log"
        )
    if session_in_transaction():
        db.session.rollback()


def commit_session() -> None:
    """Commit ``db.session``'s open transaction, if any, before writing elsewhere:
    one write transaction at a time (SQLite would wait for its own other lock,
    PostgreSQL for its own row lock)."""
    if session_in_transaction():
        db.session.commit()


# Live connections kept out of the pool between app contexts, the last used on top: in
# a busy room every event is an app context of its own, and the pool's checkout and
# checkin (its bookkeeping, reset and events) cost more than the event's statements.
# A few are enough, as events rarely overlap; the rest go back to the pool.
PARKED = 2


def init_app(app: Flask) -> None:
    """The app's parked live connections, closed when its engine is disposed."""
    parked: deque[Statements] = deque()
    app.extensions[_KEY] = parked
    app.teardown_appcontext(release_live)
    with app.app_context():
        event.listen(db.engine, "engine_disposed", lambda _engine: _close_all(parked))


def release_live(exc: BaseException | None = None) -> None:
    """End the app context's live connection (teardown): anything left open is rolled
    back, and the connection is parked for the next app context, or given back to the
    pool if there are enough parked or something went wrong."""
    run = g.pop(_KEY, None)
    if run is None:
        return
    try:
        run.rollback()  # nothing open is a no-op for sqlite3 and psycopg2
    except Exception:
        run.invalidate()  # broken (the database went away): the pool makes a new one
        return
    parked = current_app.extensions[_KEY]
    if exc is None and len(parked) < PARKED:
        parked.append(run)
    else:
        run.close()


def discard_live() -> None:
    """After the database was found out of reach: the app context's live connection and
    the parked ones are dropped as broken (closed, never reset: a reset on a dead
    connection only fails again), instead of waiting, parked, to fail the next events;
    the pool tests what it hands out from now on."""
    run = g.pop(_KEY, None)
    if run is not None:
        run.invalidate()
    parked = current_app.extensions[_KEY]
    while parked:
        with contextlib.suppress(Exception):
            parked.pop().invalidate()


def _close_all(parked: deque[Statements]) -> None:
    while parked:
        with contextlib.suppress(Exception):
            parked.pop().close()


_KEY = "forum.sql"
_WROTE = "forum.sql.wrote"


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    # The connection goes back to the pool with the outermost transaction.
    if transaction.parent is None:
        session.info.pop(_KEY, None)
        session.info.pop(_WROTE, None)


@event.listens_for(Session, "after_flush")
def _wrote(session: Session, _context) -> None:
    # Flushed rows are writes of the open transaction (``session_has_writes``).
    session.info[_WROTE] = True


class Statements:
    """Plain statements on one pooled DB-API connection."""

    __slots__ = ("_pooled", "raw", "sqlite")

    def __init__(self, pooled) -> None:
        self._pooled = pooled  # SQLAlchemy's pool wrapper: close() gives it back
        self.raw = pooled.dbapi_connection
        self.sqlite = isinstance(self.raw, sqlite3.Connection)

    def run(self, sql: str, params: dict[str, Any] | None = None) -> int:
        """Execute a statement; the number of rows it changed."""
        cursor = self._execute(sql, params)
        count = cursor.rowcount
        cursor.close()
        return count

    def one(self, sql: str, params: dict[str, Any] | None = None) -> tuple | None:
        """The first row of a query, or None."""
        cursor = self._execute(sql, params)
        row = cursor.fetchone()
        cursor.close()
        return row

    def _execute(self, sql: str, params: dict[str, Any] | None):
        cursor = self.raw.cursor()
        cursor.execute(sql if self.sqlite else _pyformat(sql), params or {})
        return cursor

    def commit(self) -> None:
        self.raw.commit()

    def rollback(self) -> None:
        self.raw.rollback()

    def close(self) -> None:
        self._pooled.close()

    def invalidate(self) -> None:
        """Give the connection back as broken: closed, never reset or reused."""
        self._pooled.invalidate()

    def in_transaction(self) -> bool:
        """Has SQLite begun a transaction here (any write since the last commit)?
        A write lock cannot be taken half-way through one."""
        return self.sqlite and self.raw.in_transaction

    def instant(self, moment: datetime | None) -> str | datetime | None:
        """A timestamp as the column stores it (naive UTC, see ``UTCDateTime``)."""
        if moment is None:
            return None
        naive = moment.astimezone(UTC).replace(tzinfo=None)
        # SQLAlchemy's SQLite format, YYYY-MM-DD HH:MM:SS.ffffff (isoformat: a third of
        # strftime's time).
        return naive.isoformat(" ", "microseconds") if self.sqlite else naive


@overload
def moment(value: str | datetime) -> datetime: ...
@overload
def moment(value: None) -> None: ...
def moment(value: str | datetime | None) -> datetime | None:
    """A stored timestamp back as aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)


def dumps(value: Any) -> str:
    """JSON for a JSON column, as SQLAlchemy's JSON type writes it."""
    return json.dumps(value)


def loads(value: str | bytes | Any) -> Any:
    """A JSON column's value (psycopg2 has already parsed it; sqlite3 has not)."""
    return json.loads(value) if isinstance(value, str | bytes) else value


class Columns:
    """A select list whose rows are read by name: ``Columns(id="s.id", …)`` selects
    ``s.id AS id, …``, and ``read(row)`` gives that row back as ``{"id": …, …}``.

    The select list and its reader are made from the one tuple of labels, and a query
    of several lists (``head + standing``) reads each value by its label, so adding a
    column to one list shifts no reader of another. ``+`` refuses a label twice.
    Hashable by identity: built once at import, it keys the cached statements.
    """

    __slots__ = ("labels", "sql")

    def __init__(self, **columns: str) -> None:
        self.labels = tuple(columns)
        self.sql = ", ".join(f"{expression} AS {label}" for label, expression in columns.items())

    def __add__(self, other: Columns) -> Columns:
        twice = set(self.labels) & set(other.labels)
        if twice:
            raise ValueError(f"labels selected twice: {sorted(twice)}")
        joined = Columns()
        joined.labels, joined.sql = self.labels + other.labels, f"{self.sql}, {other.sql}"
        return joined

    def read(self, row: Sequence[Any]) -> dict[str, Any]:
        """A row of this select list, by label (as SQLAlchemy's ``row._mapping``).

        The labels and the select list come from one tuple, so the widths match. The
        dict costs ~0.7 µs for the 24 columns of who is asking and their seat, ~1 µs
        more per live event than the positional slicing it replaced (of ~700)."""
        return dict(zip(self.labels, row))  # noqa: B905 (one tuple made both)


@functools.cache
def _pyformat(sql: str) -> str:
    """``:name`` parameters as psycopg2's ``%(name)s`` (a literal % doubled)."""
    return re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", sql.replace("%", "%%"))

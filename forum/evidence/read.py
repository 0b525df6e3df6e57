"""The session's log as far as a record reads it (``through_of``): a batch of plain
rows at a time (``log_batches``, which the exports stream), or by query (``Log``, the
record view's aggregates and folds)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flask import Flask

from .. import sql
from ..extensions import db
from ..models import Event, ForumSession, SessionStatus
from ..timeutil import iso_utc

# Events read at a time: a batch is read, its connection given back, and only then
# is it turned into bytes and written (``sql``: nothing shared waits on a client).
BATCH = 2000

# An event as the record reads it: (seq, type, at, actor_id, data, hash), ``at`` as the
# export writes it (UTC ISO-8601 with microseconds and Z), ``data`` parsed.
Row = tuple[int, str, str, int | None, dict[str, Any], str]


def _iso(at: str | datetime) -> str:
    """A stored timestamp as ``iso_utc(..., micro=True)`` writes it. SQLite gives the
    text SQLAlchemy stored (``YYYY-MM-DD HH:MM:SS.ffffff``, naive UTC), read here
    without making a datetime; PostgreSQL a naive UTC datetime."""
    if isinstance(at, str) and len(at) == 26 and at[10] == " ":
        return f"{at[:10]}T{at[11:]}Z"
    return iso_utc(sql.moment(at), micro=True)


def _read(
    run: sql.Statements,
    session_id: int,
    after: int,
    through: int | None,
    limit: int,
    types: tuple[str, ...] | None,
) -> list[Row]:
    mark = "?" if run.sqlite else "%s"
    query = (
        f"SELECT seq, type, at, actor_id, data, hash FROM events "  # noqa: S608
        f"WHERE session_id = {mark} AND seq > {mark}"
    )
    params: list[Any] = [session_id, after]
    if through is not None:
        query += f" AND seq <= {mark}"
        params.append(through)
    if types:
        query += f" AND type IN ({', '.join([mark] * len(types))})"
        params.extend(types)
    query += f" ORDER BY seq LIMIT {int(limit)}"
    cursor = run.raw.cursor()
    try:
        cursor.execute(query, params)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    loads = sql.loads
    return [
        (seq, type_, _iso(at), actor_id, loads(data), hash_)
        for seq, type_, at, actor_id, data, hash_ in rows
    ]


def log_batches(
    session_id: int,
    through: int | None,
    *,
    after: int = 0,
    types: tuple[str, ...] | None = None,
    batch: int | None = None,
    app: Flask | None = None,
) -> Iterator[list[Row]]:
    """The log (of ``types`` only, if given) after ``after`` and up to ``through``
    (None: to its end), in seq order, ``batch`` events at a time, as plain tuples.

    Without ``app`` each batch is read on the current unit of work's connection (a
    request's). With ``app`` — a response streamed after its request has ended —
    each batch is its own unit of work: it passes the admission gate, reads on a
    pooled connection, gives it back and leaves the gate before the batch is
    yielded, so a client reading slowly holds no connection and no slot. The log
    is append-only, so batches read at different moments up to one ``through``
    are one consistent record."""
    last, batch = after, batch or BATCH
    while True:
        if app is None:
            rows = _read(sql.reader(), session_id, last, through, batch, types)
        else:
            with app.app_context(), sql.admitted():
                rows = _read(sql.live(), session_id, last, through, batch, types)
        if rows:
            yield rows
        if len(rows) < batch:
            return
        last = rows[-1][0]


def through_of(session: ForumSession) -> int | None:
    """How far a record reads: while the room is live it may write more between
    reading the session and reading its events, so the log is taken as far as the
    head that was read. Once the session is closed nothing more is written: every
    event is taken, and one beyond the head shows as a mismatch
    (``eventlog.record_of``)."""
    return session.head_seq if session.status == SessionStatus.LIVE else None


class Log:
    """Queries on one session's log as far as a record reads it."""

    def __init__(self, session_id: int, through: int | None) -> None:
        self.session_id, self.through = session_id, through

    def where(self, query, *types: str):
        query = query.where(Event.session_id == self.session_id)
        if self.through is not None:
            query = query.where(Event.seq <= self.through)
        if len(types) == 1:
            query = query.where(Event.type == types[0])
        elif types:
            query = query.where(Event.type.in_(types))
        return query

    def rows(self, query, *types: str) -> list[Any]:
        return list(db.session.execute(self.where(query, *types)).all())

    def scalar(self, query, *types: str) -> Any:
        return db.session.scalar(self.where(query, *types))


def event_message_id():
    return Event.data["message_id"].as_integer()


def aware(moment: datetime | None) -> datetime | None:
    """A timestamp read by an aggregate (which SQLAlchemy may not type) as aware UTC."""
    if moment is None or isinstance(moment, datetime) and moment.tzinfo is not None:
        return moment
    return sql.moment(moment)

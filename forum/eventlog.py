"""The per-session event log: append with a gapless seq and a chain hash, read back.

Appending takes the session's write lock (``SELECT … FOR UPDATE`` on PostgreSQL,
``BEGIN IMMEDIATE`` on SQLite), so concurrent writers in one process or many get
seq 1, 2, 3 … with no gap and no duplicate. The state the room shows is updated
by ``room.apply`` in the same transaction; nothing is broadcast before commit.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from . import sql
from .extensions import db
from .models import Event, ForumSession, SessionStatus, utcnow
from .timeutil import iso_utc


def genesis_hash(session_id: int) -> str:
    """hash_0: SHA-256 of ``sdg-forum/<session_id>``."""
    return hashlib.sha256(f"sdg-forum/{session_id}".encode()).hexdigest()


def canonical_bytes(session_id: int, seq: int, type_: str, at: str, actor_id: int | None,
                    data: dict[str, Any]) -> bytes:
    """The bytes an event's hash covers: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(
        {"session_id": session_id, "seq": seq, "type": type_, "at": at,
         "actor_id": actor_id, "data": data},
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    ).encode("utf-8")


def chain(previous_hash: str, canonical: bytes) -> str:
    """hash_n = SHA-256(bytes(hash_{n-1}) + canonical bytes of event n)."""
    return hashlib.sha256(bytes.fromhex(previous_hash) + canonical).hexdigest()


def event_hash(previous_hash: str, event: Event | Logged) -> str:
    return chain(previous_hash, canonical_bytes(
        event.session_id, event.seq, event.type, iso_utc(event.at, micro=True),
        event.actor_id, event.data))


# The columns of a session that the room reads and the log head: the session row
# as ``Head`` holds it. ``s`` is forum_sessions.
HEAD_COLUMNS = ("s.id, s.exchange_id, s.status, s.opened_at, s.closed_at, s.cancelled_at, "
                "s.head_seq, s.head_hash, s.locked, s.slow_mode, s.pinned_message_id, "
                "s.board_template, s.board_columns")
HEAD_WIDTH = 13


@dataclass(slots=True)
class Head:
    """A session's log head and the room state kept on its row.

    ``room.apply`` changes these fields as ForumSession's own (it folds into either),
    and ``save_head`` writes them back in the same transaction.
    """

    id: int
    exchange_id: int
    status: SessionStatus
    opened_at: datetime | None
    closed_at: datetime | None
    cancelled_at: datetime | None
    head_seq: int
    head_hash: str | None
    locked: bool
    slow_mode: int
    pinned_message_id: int | None
    board_template: str
    board_columns: list | None

    @classmethod
    def from_row(cls, row: tuple) -> Head:
        """From the first HEAD_WIDTH columns of a row that selected HEAD_COLUMNS."""
        return cls(
            id=row[0], exchange_id=row[1], status=SessionStatus(row[2]),
            opened_at=sql.moment(row[3]), closed_at=sql.moment(row[4]),
            cancelled_at=sql.moment(row[5]), head_seq=row[6], head_hash=row[7],
            locked=bool(row[8]), slow_mode=row[9], pinned_message_id=row[10],
            board_template=row[11], board_columns=sql.loads(row[12]))

    def load(self) -> ForumSession:
        """The full ForumSession row, for the rarer reads that need more."""
        return db.session.get_one(ForumSession, self.id)


@dataclass(slots=True)
class Logged:
    """An event of the log as the live path writes and reads it (Event's fields)."""

    session_id: int
    seq: int
    type: str
    at: datetime
    actor_id: int | None
    client_id: str | None
    data: dict[str, Any]
    hash: str


def lock_head(run: sql.Statements, session_id: int, *, also: str = "", joins: str = "",
              params: dict[str, Any] | None = None) -> tuple[Head, tuple]:
    """Begin the write transaction on ``run`` and lock the session row (its log head).

    Must be the first write of the transaction: on SQLite it issues BEGIN IMMEDIATE,
    which takes the database's write lock before the head is read; on PostgreSQL
    the row is read FOR UPDATE. The caller has committed anything else it holds.

    ``also`` names more columns, from the session row ``s`` or from ``joins``, read
    under the lock by the same statement (what the writer's rules need); their values
    come back after the head. Raises LookupError when there is no such session.
    """
    query = _head_sql(also, joins, run.sqlite)
    if run.sqlite:
        run.run("BEGIN IMMEDIATE")
    row = run.one(query, {**(params or {}), "session_id": session_id})
    if row is None:
        raise LookupError(session_id)
    return Head.from_row(row), row[HEAD_WIDTH:]


@functools.cache
def _head_sql(also: str, joins: str, sqlite: bool) -> str:
    columns = f"{HEAD_COLUMNS}, {also}" if also else HEAD_COLUMNS
    query = f"SELECT {columns} FROM forum_sessions s {joins} WHERE s.id = :session_id"  # noqa: S608
    return query if sqlite else query + " FOR UPDATE OF s"


def save_head(run: sql.Statements, head: Head) -> None:
    """Write a locked head and its room state back (caller commits)."""
    run.run(
        "UPDATE forum_sessions SET head_seq = :head_seq, head_hash = :head_hash, "
        "status = :status, opened_at = :opened_at, closed_at = :closed_at, "
        "locked = :locked, slow_mode = :slow_mode, pinned_message_id = :pinned "
        "WHERE id = :id",
        {"id": head.id, "head_seq": head.head_seq, "head_hash": head.head_hash,
         "status": head.status.value, "opened_at": run.instant(head.opened_at),
         "closed_at": run.instant(head.closed_at), "locked": head.locked,
         "slow_mode": head.slow_mode, "pinned": head.pinned_message_id})


def append(run: sql.Statements, head: Head, type_: str, actor_id: int | None, data: dict[str, Any],
           *, client_id: str | None = None, at: datetime | None = None) -> Logged:
    """Add the next event to a locked head's log (caller saves the head and commits)."""
    moment = at or utcnow()
    seq = head.head_seq + 1
    previous = head.head_hash or genesis_hash(head.id)
    event = Logged(session_id=head.id, seq=seq, type=type_, at=moment, actor_id=actor_id,
                   client_id=client_id, data=data, hash="")
    event.hash = event_hash(previous, event)
    run.run(
        "INSERT INTO events (session_id, seq, type, at, actor_id, client_id, data, hash) "
        "VALUES (:session_id, :seq, :type, :at, :actor_id, :client_id, :data, :hash)",
        {"session_id": head.id, "seq": seq, "type": type_, "at": run.instant(moment),
         "actor_id": actor_id, "client_id": client_id, "data": sql.dumps(data),
         "hash": event.hash})
    head.head_seq, head.head_hash = seq, event.hash
    return event


def find_by_client_id(run: sql.Statements, session_id: int, actor_id: int,
                      client_id: str) -> Logged | None:
    """The event one sender already logged under this client_id, if any."""
    row = run.one(
        "SELECT seq, type, at, data, hash FROM events WHERE session_id = :session_id "
        "AND actor_id = :actor_id AND client_id = :client_id",
        {"session_id": session_id, "actor_id": actor_id, "client_id": client_id})
    if row is None:
        return None
    return Logged(session_id=session_id, seq=row[0], type=row[1], at=sql.moment(row[2]),
                  actor_id=actor_id, client_id=client_id, data=sql.loads(row[3]),
                  hash=row[4])


def events_since(session_id: int, since: int = 0, through: int | None = None) -> list[Event]:
    """Events with seq > since (and <= through), in order."""
    query = sa.select(Event).where(Event.session_id == session_id, Event.seq > since)
    if through is not None:
        query = query.where(Event.seq <= through)
    return list(db.session.scalars(query.order_by(Event.seq)))


def record_of(session: ForumSession) -> list[Event]:
    """The whole log of a session, to export or verify against its head.

    While the room is live it may write more between reading the session and reading
    its events, so the log is taken as far as the head that was read. Once the
    session is closed nothing more is written: every event is taken, and one beyond
    the head shows as a mismatch."""
    live = session.status == SessionStatus.LIVE
    return events_since(session.id, through=session.head_seq if live else None)


def first_bad_seq(session_id: int, events: list[Event],
                  hash_of: Callable[[str, Event], str] = event_hash) -> int | None:
    """Walk the chain; the first seq whose number or hash is wrong, else None."""
    previous = genesis_hash(session_id)
    for expected, event in enumerate(events, start=1):
        if event.seq != expected or hash_of(previous, event) != event.hash:
            return event.seq if event.seq == expected else expected
        previous = event.hash
    return None

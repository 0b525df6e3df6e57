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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from .extensions import db
from .models import Event, ForumSession, utcnow
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


def event_hash(previous_hash: str, event: Event) -> str:
    return chain(previous_hash, canonical_bytes(
        event.session_id, event.seq, event.type, iso_utc(event.at, micro=True),
        event.actor_id, event.data))


def lock_session(session_id: int) -> ForumSession:
    """Begin the write transaction and lock the session row (its log head).

    Must be the first write of the transaction: on SQLite it issues BEGIN IMMEDIATE,
    which takes the database's write lock before the head is read.
    """
    bind = db.session.get_bind()
    if bind.dialect.name == "sqlite":
        raw = db.session.connection().connection.dbapi_connection
        if raw.in_transaction:  # a write lock cannot be taken half-way through
            db.session.commit()
        db.session.execute(_BEGIN_IMMEDIATE)
    query = _head_query(bind.dialect.name != "sqlite")
    session = db.session.scalar(query, {"session_id": session_id})
    if session is None:
        raise LookupError(session_id)
    return session


# pg_advisory_lock(PUBLISH_LOCK, session_id): who may commit and then publish next.
PUBLISH_LOCK = 0x5D6F


@contextmanager
def publish_order(session_id: int, *, across_processes: bool) -> Iterator[None]:
    """Hold, from before the head is locked until the event is published, the right to
    write and tell the session's room, so that several processes publish in seq order.

    The head lock ends at commit, and the event is published after it (never before it
    is stored); without this, another process could commit seq n+1 and publish it
    before this one has published seq n. One process needs nothing more than its own
    per-session lock (``room._head_lock``); several processes share PostgreSQL (a
    session-level advisory lock on a connection of its own, as it must outlive the
    write transaction). SQLite serves one process.
    """
    if not across_processes or db.engine.dialect.name != "postgresql":
        yield
        return
    conn = db.engine.connect()
    locked = False
    try:
        conn.execute(sa.select(sa.func.pg_advisory_lock(PUBLISH_LOCK, session_id)))
        conn.commit()
        locked = True
        yield
    finally:
        try:
            if locked:
                conn.execute(sa.select(sa.func.pg_advisory_unlock(PUBLISH_LOCK, session_id)))
                conn.commit()
        except Exception:
            conn.invalidate()  # a closed connection surely holds no lock
        finally:
            conn.close()


def append(session: ForumSession, type_: str, actor_id: int | None, data: dict[str, Any],
           *, client_id: str | None = None, at: datetime | None = None) -> Event:
    """Add the next event to a locked session's log (caller commits)."""
    moment = at or utcnow()
    seq = session.head_seq + 1
    previous = session.head_hash or genesis_hash(session.id)
    event = Event(session_id=session.id, seq=seq, type=type_, at=moment, actor_id=actor_id,
                  client_id=client_id, data=data)
    event.hash = event_hash(previous, event)
    session.head_seq = seq
    session.head_hash = event.hash
    db.session.add(event)
    return event


def find_by_client_id(session_id: int, actor_id: int, client_id: str) -> Event | None:
    return db.session.scalar(_client_id_query(), {
        "session_id": session_id, "actor_id": actor_id, "client_id": client_id})


# The statements of every live write, built once: on the chat path, building a
# statement and its cache key cost more CPU than SQLite takes to run it.
_BEGIN_IMMEDIATE = sa.text("BEGIN IMMEDIATE")


@functools.cache
def _head_query(for_update: bool) -> sa.Select:
    query = sa.select(ForumSession).where(ForumSession.id == sa.bindparam("session_id"))
    if for_update:
        query = query.with_for_update()
    return query.execution_options(populate_existing=True)


@functools.cache
def _client_id_query() -> sa.Select:
    return sa.select(Event).where(
        Event.session_id == sa.bindparam("session_id"),
        Event.actor_id == sa.bindparam("actor_id"),
        Event.client_id == sa.bindparam("client_id"))


def events_since(session_id: int, since: int = 0) -> list[Event]:
    """Events with seq > since, in order."""
    return list(db.session.scalars(
        sa.select(Event).where(Event.session_id == session_id, Event.seq > since)
        .order_by(Event.seq)))


def first_bad_seq(session_id: int, events: list[Event],
                  hash_of: Callable[[str, Event], str] = event_hash) -> int | None:
    """Walk the chain; the first seq whose number or hash is wrong, else None."""
    previous = genesis_hash(session_id)
    for expected, event in enumerate(events, start=1):
        if event.seq != expected or hash_of(previous, event) != event.hash:
            return event.seq if event.seq == expected else expected
        previous = event.hash
    return None

"""Writing: every write goes through ``record``, under the session's lock, and the room
is told only after the lock is released."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .. import sql
from ..extensions import db
from ..log import eventlog, events
from ..log.eventlog import Head, Logged
from ..models import (
    utcnow,
)
from .fold import STANDING, Standing, apply
from .read import serialize_event
from .rules import check_live
from .seat import Seat, actor_of

# --- writing --------------------------------------------------------------------


@dataclass
class Recorded:
    """What ``record`` stored (or found already stored, for a repeated client_id)."""

    event: Logged
    actor: dict[str, Any]
    duplicate: bool = False
    after: list[Callable[[], None]] = field(default_factory=list)
    serialized: dict[str, Any] | None = field(default=None, repr=False)

    def payload(self) -> dict[str, Any]:
        """The event as the room is told it (without what the catalogue keeps private)."""
        if self.serialized is None:
            self.serialized = serialize_event(self.event, {self.actor["id"]: self.actor})
        return self.serialized

    def own(self) -> dict[str, Any]:
        """The event as its author is told it in their ack: whole (a vote's choices)."""
        if events.CATALOGUE[self.event.type].private is None:
            return self.payload()
        return serialize_event(self.event, {self.actor["id"]: self.actor}, private=True)


class Clock:
    """Where ``record`` reads the time. The demo (and a benchmark, and tests) replay a
    past session through the real actions with a scripted clock in its place
    (``replaced``); nothing else changes it."""

    def __init__(self) -> None:
        self._source: Any = None

    def now(self) -> datetime:
        return utcnow() if self._source is None else self._source.now()

    @contextmanager
    def replaced(self, source: Any) -> Iterator[None]:
        """Read the time from ``source`` (anything with ``now()``) until the block ends."""
        previous, self._source = self._source, source
        try:
            yield
        finally:
            self._source = previous


clock = Clock()


# How long a writer waits for the session's lock before answering ``unavailable``.
LOCK_WAIT = 4.0
_head_locks: dict[int, threading.Lock] = {}
_head_locks_guard = threading.Lock()


@contextmanager
def _head_locked(session_id: int) -> Iterator[None]:
    """Hold the session's per-process write lock, for one event's write transaction.

    The rule: this lock (and the database's lock on the log head, taken inside it) is
    held from reading the head to commit, and across nothing else — no emit, no
    socket write, no message-queue publish, no other connection's callbacks. A client
    that stops reading is met only after it is released, by the writer alone
    (``record``); an earlier version published under it, and one sleeping laptop's
    ping timeout ran its disconnect handler there, which waited for the same lock and
    froze every room and page.

    Whoever must wait for it waits holding no pooled connection: many waiters each
    holding one would leave none for the writer and stall everyone. Giving them back
    commits nothing: the caller's transaction may only have read (it is rolled back),
    and writes not yet committed are refused — their owner commits them first, where
    it means to (``sql.end_read_only_session``)."""
    lock = _head_lock(session_id)
    if sql.session_has_writes():  # checked whether or not we wait: one rule for callers
        raise RuntimeError("commit db.session's writes before recording an event")
    if not lock.acquire(blocking=False):
        sql.release_live()
        sql.end_read_only_session()
        if not lock.acquire(timeout=LOCK_WAIT):  # its writer is stuck on the database
            raise sql.Unavailable(f"session {session_id}'s log is busy")
    try:
        yield
    finally:
        lock.release()


def _head_lock(session_id: int) -> threading.Lock:
    """Per-process lock per session: its writers queue here, not in the database."""
    with _head_locks_guard:
        lock = _head_locks.get(session_id)
        if lock is None:
            lock = _head_locks[session_id] = threading.Lock()
        return lock


Publisher = Callable[[dict[str, Any]], None]
_publisher: Publisher | None = None


def set_publisher(publisher: Publisher | None) -> None:
    """Where committed events go (the Socket.IO room); None in plain HTTP tests."""
    global _publisher
    _publisher = publisher


def _writer(plain: bool) -> sql.Statements:
    """The connection that records one event, with nothing else write-locked."""
    if plain:
        sql.commit_session()
        return sql.live()
    run = sql.statements()
    if run.in_transaction():  # a write lock cannot be taken half-way through
        db.session.commit()
        run = sql.statements()
    return run


def _end(run: sql.Statements, plain: bool, *, commit: bool) -> None:
    if plain:
        run.commit() if commit else run.rollback()
    elif commit:
        db.session.commit()
    else:
        db.session.rollback()


# What the writer's rules read beside the head (``eventlog.lock_head``): their
# room_members row and the seq of an event already logged under this client_id.
_WRITER_COLUMNS = STANDING + sql.Columns(
    logged_seq="(SELECT e.seq FROM events e WHERE e.session_id = s.id "
    "AND e.actor_id = :user_id AND e.client_id = :client_id)"
)
_WRITER_JOINS = "LEFT JOIN room_members m ON m.session_id = s.id AND m.user_id = :user_id"


def record(
    seat: Seat,
    type_: str,
    build: Callable[[Head, Standing | None, datetime], dict[str, Any]],
    *,
    client_id: str | None = None,
    check: Callable[[Seat, Standing | None, datetime], None] | None = None,
    require_live: bool = True,
    before_commit: Callable[[Head, Logged], None] | None = None,
) -> Recorded:
    """Lock the log head, check, append, fold, commit; release the lock; then tell
    the room."""
    user = seat.user
    actor = actor_of(user)
    # Folds that are plain SQL on the head and the messages table are written on the
    # live connection (``sql.live``), with no ORM session in the way: chat messages are
    # nearly every event of a busy room. The others fold through the ORM.
    plain = events.is_plain(type_) and before_commit is None
    with _head_locked(seat.session.id):
        run = _writer(plain)
        try:
            # The head, the writer's room_members row and any event already logged
            # under this client_id: one statement, under the lock.
            head, row = eventlog.lock_head(
                run,
                seat.session.id,
                also=_WRITER_COLUMNS,
                joins=_WRITER_JOINS,
                params={"user_id": user.id, "client_id": client_id},
            )
            seat.session = head
            if client_id is not None and row["logged_seq"] is not None:
                # This client_id was logged already (seen under this lock: it is there).
                existing = eventlog.find_by_client_id(run, head.id, user.id, client_id)
                assert existing is not None
                _end(run, plain, commit=False)
                return Recorded(existing, actor, duplicate=True)
            if require_live:
                check_live(head)
            member = Standing.from_row(row)
            now = clock.now()
            if check is not None:
                check(seat, member, now)
            data = build(head, member, now)
            events.require(type_, data)  # the catalogue's shape, before it is stored
            event = eventlog.append(run, head, type_, user.id, data, client_id=client_id, at=now)
            apply(head, event, run)
            if before_commit is not None:
                before_commit(head, event)
            eventlog.save_head(run, head)
            _end(run, plain, commit=True)
        except BaseException:
            _end(run, plain, commit=False)
            raise
    # Told after the lock is released: writing to the room's connections may meet a
    # client that stopped reading (and close it, running its disconnect), and no other
    # writer of this session may wait for that. The relay (``live.relay``) puts the
    # events of concurrent writers back in seq order.
    recorded = Recorded(event, actor)
    if _publisher is not None:
        _publisher(recorded.payload())
    return recorded

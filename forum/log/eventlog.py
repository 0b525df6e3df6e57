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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from .. import sql
from ..extensions import db
from ..models import BreakoutGroup, Event, ForumSession, Message, Note, SessionStatus, utcnow
from ..timeutil import iso_utc


def genesis_hash(session_id: int) -> str:
    """hash_0: SHA-256 of ``sdg-forum/<session_id>``."""
    return hashlib.sha256(f"sdg-forum/{session_id}".encode()).hexdigest()


def canonical_bytes(
    session_id: int, seq: int, type_: str, at: str, actor_id: int | None, data: dict[str, Any]
) -> bytes:
    """The bytes an event's hash covers: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(
        {
            "session_id": session_id,
            "seq": seq,
            "type": type_,
            "at": at,
            "actor_id": actor_id,
            "data": data,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode("utf-8")


def chain(previous_hash: str, canonical: bytes) -> str:
    """hash_n = SHA-256(bytes(hash_{n-1}) + canonical bytes of event n)."""
    return hashlib.sha256(bytes.fromhex(previous_hash) + canonical).hexdigest()


def event_hash(previous_hash: str, event: Event | Logged) -> str:
    return chain(
        previous_hash,
        canonical_bytes(
            event.session_id,
            event.seq,
            event.type,
            iso_utc(event.at, micro=True),
            event.actor_id,
            event.data,
        ),
    )


# The columns of a session that the room reads and the log head: the session row
# as ``Head`` holds it, labelled by its fields (its id as ``session_id``). ``s`` is
# forum_sessions.
HEAD = sql.Columns(
    session_id="s.id",
    exchange_id="s.exchange_id",
    status="s.status",
    opened_at="s.opened_at",
    closed_at="s.closed_at",
    cancelled_at="s.cancelled_at",
    head_seq="s.head_seq",
    head_hash="s.head_hash",
    locked="s.locked",
    slow_mode="s.slow_mode",
    pinned_message_id="s.pinned_message_id",
    approve_all="s.approve_all",
    board_template="s.board_template",
    board_columns="s.board_columns",
)


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
    approve_all: bool  # "teacher approves every message" (``room.approval``)
    board_template: str
    board_columns: list | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Head:
        """From a row read by name (``sql.Columns.read``) that selected ``HEAD``."""
        return cls(
            id=row["session_id"],
            exchange_id=row["exchange_id"],
            status=SessionStatus(row["status"]),
            opened_at=sql.moment(row["opened_at"]),
            closed_at=sql.moment(row["closed_at"]),
            cancelled_at=sql.moment(row["cancelled_at"]),
            head_seq=row["head_seq"],
            head_hash=row["head_hash"],
            locked=bool(row["locked"]),
            slow_mode=row["slow_mode"],
            pinned_message_id=row["pinned_message_id"],
            approve_all=bool(row["approve_all"]),
            board_template=row["board_template"],
            board_columns=sql.loads(row["board_columns"]),
        )

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


def lock_head(
    run: sql.Statements,
    session_id: int,
    *,
    also: sql.Columns | None = None,
    joins: str = "",
    params: dict[str, Any] | None = None,
) -> tuple[Head, dict[str, Any]]:
    """Begin the write transaction on ``run`` and lock the session row (its log head).

    Must be the first write of the transaction: on SQLite it issues BEGIN IMMEDIATE,
    which takes the database's write lock before the head is read; on PostgreSQL
    the row is read FOR UPDATE. The caller has committed anything else it holds.

    ``also`` names more columns, from the session row ``s`` or from ``joins``, read
    under the lock by the same statement (what the writer's rules need); the whole row
    comes back by label beside the head. Raises LookupError when there is no such
    session.
    """
    columns, query = _head_sql(also, joins, run.sqlite)
    if run.sqlite:
        run.run("BEGIN IMMEDIATE")
    row = run.one(query, {**(params or {}), "session_id": session_id})
    if row is None:
        raise LookupError(session_id)
    values = columns.read(row)
    return Head.from_row(values), values


@functools.cache
def _head_sql(also: sql.Columns | None, joins: str, sqlite: bool) -> tuple[sql.Columns, str]:
    columns = HEAD + also if also is not None else HEAD
    query = f"SELECT {columns.sql} FROM forum_sessions s {joins} WHERE s.id = :session_id"  # noqa: S608
    return columns, query if sqlite else query + " FOR UPDATE OF s"


def save_head(run: sql.Statements, head: Head) -> None:
    """Write a locked head and its room state back (caller commits)."""
    run.run(
        "UPDATE forum_sessions SET head_seq = :head_seq, head_hash = :head_hash, "
        "status = :status, opened_at = :opened_at, closed_at = :closed_at, "
        "locked = :locked, slow_mode = :slow_mode, pinned_message_id = :pinned, "
        "approve_all = :approve_all WHERE id = :id",
        {
            "id": head.id,
            "head_seq": head.head_seq,
            "head_hash": head.head_hash,
            "status": head.status.value,
            "opened_at": run.instant(head.opened_at),
            "closed_at": run.instant(head.closed_at),
            "locked": head.locked,
            "slow_mode": head.slow_mode,
            "pinned": head.pinned_message_id,
            "approve_all": head.approve_all,
        },
    )


def append(
    run: sql.Statements,
    head: Head,
    type_: str,
    actor_id: int | None,
    data: dict[str, Any],
    *,
    client_id: str | None = None,
    at: datetime | None = None,
) -> Logged:
    """Add the next event to a locked head's log (caller saves the head and commits)."""
    moment = at or utcnow()
    seq = head.head_seq + 1
    previous = head.head_hash or genesis_hash(head.id)
    event = Logged(
        session_id=head.id,
        seq=seq,
        type=type_,
        at=moment,
        actor_id=actor_id,
        client_id=client_id,
        data=data,
        hash="",
    )
    event.hash = event_hash(previous, event)
    run.run(
        "INSERT INTO events (session_id, seq, type, at, actor_id, client_id, data, hash) "
        "VALUES (:session_id, :seq, :type, :at, :actor_id, :client_id, :data, :hash)",
        {
            "session_id": head.id,
            "seq": seq,
            "type": type_,
            "at": run.instant(moment),
            "actor_id": actor_id,
            "client_id": client_id,
            "data": sql.dumps(data),
            "hash": event.hash,
        },
    )
    head.head_seq, head.head_hash = seq, event.hash
    return event


def find_by_client_id(
    run: sql.Statements, session_id: int, actor_id: int, client_id: str
) -> Logged | None:
    """The event one sender already logged under this client_id, if any."""
    row = run.one(
        "SELECT seq, type, at, data, hash FROM events WHERE session_id = :session_id "
        "AND actor_id = :actor_id AND client_id = :client_id",
        {"session_id": session_id, "actor_id": actor_id, "client_id": client_id},
    )
    if row is None:
        return None
    return Logged(
        session_id=session_id,
        seq=row[0],
        type=row[1],
        at=sql.moment(row[2]),
        actor_id=actor_id,
        client_id=client_id,
        data=sql.loads(row[3]),
        hash=row[4],
    )


def events_since(session_id: int, since: int = 0, through: int | None = None) -> list[Event]:
    """Events with seq > since (and <= through), in order."""
    query = sa.select(Event).where(Event.session_id == session_id, Event.seq > since)
    if through is not None:
        query = query.where(Event.seq <= through)
    return list(db.session.scalars(query.order_by(Event.seq)))


def events_before(
    session_id: int,
    before: int | None,
    limit: int,
    *,
    types: list[str] | None = None,
    own_types: list[str] | None = None,
    actor_id: int | None = None,
) -> list[Event]:
    """The last ``limit`` events with seq < before (all when ``before`` is None), in
    order; only of ``types``, or of ``own_types`` when ``actor_id`` caused them, when
    ``types`` is given."""
    query = sa.select(Event).where(Event.session_id == session_id)
    if before is not None:
        query = query.where(Event.seq < before)
    if types is not None:
        shown: sa.ColumnElement[bool] = Event.type.in_(types)
        if own_types:
            shown = sa.or_(shown, sa.and_(Event.type.in_(own_types), Event.actor_id == actor_id))
        query = query.where(shown)
    latest = list(db.session.scalars(query.order_by(Event.seq.desc()).limit(limit)))
    latest.reverse()
    return latest


def events_at(session_id: int, seqs: set[int]) -> list[Event]:
    """The events of these seqs, in order."""
    if not seqs:
        return []
    return list(
        db.session.scalars(
            sa.select(Event)
            .where(Event.session_id == session_id, Event.seq.in_(sorted(seqs)))
            .order_by(Event.seq)
        )
    )


def record_of(session: ForumSession) -> list[Event]:
    """The whole log of a session, to export or verify against its head.

    While the room is live it may write more between reading the session and reading
    its events, so the log is taken as far as the head that was read. Once the
    session is closed nothing more is written: every event is taken, and one beyond
    the head shows as a mismatch."""
    live = session.status == SessionStatus.LIVE
    return events_since(session.id, through=session.head_seq if live else None)


def first_bad_seq(
    session_id: int, events: list[Event], hash_of: Callable[[str, Event], str] = event_hash
) -> int | None:
    """Walk the chain; the first seq whose number or hash is wrong, else None."""
    previous = genesis_hash(session_id)
    for expected, event in enumerate(events, start=1):
        if event.seq != expected or hash_of(previous, event) != event.hash:
            return event.seq if event.seq == expected else expected
        previous = event.hash
    return None


def hidden_items(session_id: int) -> set[tuple[str, int]]:
    """The messages and notes of a session that moderators have hidden (as the log's
    ``*.hidden``/``*.unhidden`` events left them): whose text is withheld from readers
    who do not moderate (``events.withheld``)."""
    items = {
        ("message", mid)
        for mid in db.session.scalars(
            sa.select(Message.id).where(Message.session_id == session_id, Message.hidden)
        )
    }
    items |= {
        ("note", nid)
        for nid in db.session.scalars(
            sa.select(Note.id).where(Note.session_id == session_id, Note.hidden)
        )
    }
    return items


# --- breakout groups and held messages: what a student reads of the record -----------


def groups_of(session_id: int, user_id: int) -> set[int]:
    """Every group this person has been in, formed now or ended: whose talk they may
    read back (a group's id names one group for the whole record)."""
    rows = db.session.execute(
        sa.select(BreakoutGroup.id, BreakoutGroup.member_ids).where(
            BreakoutGroup.session_id == session_id
        )
    ).all()
    return {gid for gid, members in rows if user_id in members}


def group_names(session_id: int) -> dict[int, str]:
    """Every group's name, by id (the record's labels)."""
    rows = db.session.execute(
        sa.select(BreakoutGroup.id, BreakoutGroup.name).where(
            BreakoutGroup.session_id == session_id
        )
    ).all()
    return {gid: name for gid, name in rows}


def withheld_items(session_id: int, user_id: int) -> set[tuple[str, int]]:
    """What a student reading the record (transcript) does not read the text of:
    hidden messages and notes, others' messages still held for the teachers, and
    what was said in groups they were not in. Their seqs stay, so the record keeps
    its shape."""
    items = hidden_items(session_id)
    mine = groups_of(session_id, user_id)
    rows = db.session.execute(
        sa.select(Message.id, Message.author_id, Message.held, Message.group_id).where(
            Message.session_id == session_id,
            sa.or_(Message.held.is_(True), Message.group_id.is_not(None)),
        )
    ).all()
    for mid, author, held, group_id in rows:
        if (held and author != user_id) or (group_id is not None and group_id not in mine):
            items.add(("message", mid))
    for (nid,) in db.session.execute(
        sa.select(Note.id).where(
            Note.session_id == session_id,
            Note.group_id.is_not(None),
            Note.group_id.not_in(mine) if mine else sa.true(),
        )
    ):
        items.add(("note", nid))
    return items

"""The live room: chat, attendance and moderation as actions over the session log.

Every write goes through ``record``: lock the session's log head, check what the
rules say (``check_*``), append the event, fold it into the room state with
``apply``, commit — and only then tell the room. The state tables (messages,
room members, the session's lock and slow mode) are never written elsewhere, so
folding the log from the start gives exactly what is stored (``rebuild``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from . import access, eventlog, events, sql, throttle
from .accounts import Person
from .errors import ActionError
from .eventlog import Head, Logged
from .extensions import db
from .i18n import html_lang_of
from .inputs import storable
from .models import (
    Event,
    Exchange,
    ForumSession,
    Message,
    Role,
    RoomMember,
    SessionStatus,
    User,
    utcnow,
)
from .timeutil import iso_utc, parse_instant

MAX_BODY = 2000
MAX_REASON = 500
MAX_MUTE_MINUTES = 24 * 60
MAX_SLOW_SECONDS = 600
MAX_INT = 2**53  # the largest id or count a payload may carry (JSON-safe, fits SQLite)
REACTIONS = ("👍", "❤️", "😂", "😮", "👏", "🌏", "💡", "❓")


# --- who is asking --------------------------------------------------------------


@dataclass
class Seat:
    """What one user may do in one session's room, worked out once per check."""

    user: User | Person
    session: Head  # as read for this check; ``record`` swaps in the locked head
    manager: bool  # teacher of the exchange, or admin: moderates
    member: bool  # student or teacher of the exchange: writes

    @property
    def observer(self) -> bool:
        return not (self.member or self.manager)


def seat_for(user: User | Person, session_id: object) -> Seat:
    """The user's seat in the session, or not_found / invalid."""
    if not isinstance(session_id, int) or isinstance(session_id, bool):
        raise ActionError("invalid", _("session_id must be a number."))
    seat = access.live_seat(user, session_id)
    if seat is None:
        raise ActionError("not_found", _("This session does not exist or is not yours to see."))
    head, member, manager = seat
    return Seat(user=user, session=head, manager=manager, member=member)


def actor_of(user: User | Person) -> dict[str, Any]:
    """How an event names who caused it."""
    return {
        "id": user.id,
        "name": user.display_name,
        "role": user.role.value,
        "school": user.school.slug if user.school else None,
        "country": user.school.country if user.school else None,
    }


# --- reading --------------------------------------------------------------------


def visible_data(event: Event | Logged, withhold: set[tuple[str, int]] | None) -> dict[str, Any]:
    """An event's data as a reader may see it: the text of the hidden items named in
    ``withhold`` — ("message", id) or ("note", id) — left out, the seq kept."""
    return events.withheld(event.type, event.data, withhold)


def serialize_event(
    event: Event | Logged,
    actors: dict[int, dict[str, Any]],
    *,
    withhold: set[tuple[str, int]] | None = None,
) -> dict[str, Any]:
    """The protocol's ``event`` object, hidden text withheld as ``visible_data`` says."""
    return {
        "session_id": event.session_id,
        "seq": event.seq,
        "type": event.type,
        "at": iso_utc(event.at, micro=True),
        "actor": actors.get(event.actor_id) if event.actor_id else None,
        "data": visible_data(event, withhold),
    }


def actors_for(events: list[Event]) -> dict[int, dict[str, Any]]:
    ids = {e.actor_id for e in events if e.actor_id}
    if not ids:
        return {}
    users = db.session.scalars(sa.select(User).where(User.id.in_(ids)))
    return {u.id: actor_of(u) for u in users}


def hidden_items(session_id: int) -> set[tuple[str, int]]:
    """The messages and notes of a session that moderators have hidden."""
    from .models import Note

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


def replay(seat: Seat, since: int = 0) -> list[dict[str, Any]]:
    """Every event after ``since`` that the reader may receive (the catalogue's ``to``),
    hidden text withheld for anyone who does not moderate."""
    logged = [
        e
        for e in eventlog.events_since(seat.session.id, since)
        if events.may_receive(e.type, moderator=seat.manager, author=e.actor_id == seat.user.id)
    ]
    withhold = None if seat.manager else hidden_items(seat.session.id)
    actors = actors_for(logged)
    return [serialize_event(e, actors, withhold=withhold) for e in logged]


# --- paging: the latest events first, older ones on request ------------------------

PAGE = 200  # events a join without ``since`` returns (protocol: at least 200, or all)
HISTORY_LIMIT = 1000  # the most events one ``history`` call returns
# A join whose ``since`` is further back than this many events gets a fresh page
# (with ``history_before``) instead of the whole gap.
SINCE_LIMIT = 1000


@dataclass
class Page:
    """Events of a session as one reader may see them, a page at a time."""

    events: list[dict[str, Any]]
    history_before: int | None  # the oldest seq in ``events``, when older ones exist
    quoted: list[dict[str, Any]]  # older messages that replies (or the pin) answer


def _shown_types(seat: Seat) -> tuple[list[str] | None, list[str] | None]:
    """The event types this reader receives whoever caused them, and those they receive
    only when they caused them; (None, None) when they receive every type."""
    names = list(events.CATALOGUE)
    anyone = [n for n in names if events.may_receive(n, moderator=seat.manager, author=False)]
    if len(anyone) == len(names):
        return None, None
    own = [
        n
        for n in names
        if n not in anyone and events.may_receive(n, moderator=seat.manager, author=True)
    ]
    return anyone, own


def page(
    seat: Seat,
    before: int | None = None,
    limit: int = PAGE,
    *,
    quote: frozenset[int] | set[int] = frozenset(),
) -> Page:
    """The last ``limit`` events before ``before`` (the latest when None) that the reader
    may receive, hidden text withheld exactly as ``replay`` withholds it, and the
    messages older than the page that its replies answer (and those of ``quote``)."""
    types, own = _shown_types(seat)
    logged = eventlog.events_before(
        seat.session.id, before, limit + 1, types=types, own_types=own, actor_id=seat.user.id
    )
    more = len(logged) > limit
    if more:
        logged = logged[1:]
    oldest = logged[0].seq if logged else (before or seat.session.head_seq + 1)
    wanted = set(quote)
    for e in logged:
        if e.type == "message.posted" and isinstance(e.data.get("reply_to"), int):
            wanted.add(e.data["reply_to"])
    # A message's id is the seq of its message.posted: those older than the page.
    quoted = [
        e
        for e in eventlog.events_at(seat.session.id, {w for w in wanted if w < oldest})
        if e.type == "message.posted"
        and events.may_receive(e.type, moderator=seat.manager, author=e.actor_id == seat.user.id)
    ]
    withhold = None if seat.manager else hidden_items(seat.session.id)
    actors = actors_for(logged + quoted)
    return Page(
        events=[serialize_event(e, actors, withhold=withhold) for e in logged],
        history_before=oldest if more and logged else None,
        quoted=[serialize_event(e, actors, withhold=withhold) for e in quoted],
    )


def mutes(session_id: int) -> list[dict[str, Any]]:
    """Who is muted in the room now, and until when (None: until unmuted)."""
    rows = db.session.execute(
        sa.select(RoomMember.user_id, RoomMember.muted_until).where(
            RoomMember.session_id == session_id, RoomMember.muted.is_(True)
        )
    ).all()
    return [{"user_id": uid, "until": iso_utc(until) if until else None} for uid, until in rows]


def you(seat: Seat) -> dict[str, Any]:
    member = db.session.get(RoomMember, (seat.session.id, seat.user.id))
    return {
        **actor_of(seat.user),
        "lang": html_lang_of(seat.user.locale),
        "can_moderate": seat.manager,
        "can_write": seat.member or seat.manager,
        "muted": bool(member and _is_muted(member)),
        "muted_until": iso_utc(member.muted_until) if member and member.muted_until else None,
    }


def presence(session_id: int) -> dict[str, Any]:
    """Who has been in the room, and who is here now."""
    from .models import Connection

    online = set(
        db.session.scalars(sa.select(Connection.user_id).where(Connection.session_id == session_id))
    )
    rows = db.session.execute(
        sa.select(User, RoomMember)
        .join(RoomMember, RoomMember.user_id == User.id)
        .where(RoomMember.session_id == session_id, RoomMember.removed.is_(False))
    ).all()
    members = []
    for user, _member in rows:
        members.append(
            {**actor_of(user), "lang": html_lang_of(user.locale), "online": user.id in online}
        )
    members.sort(
        key=lambda m: (m["country"] or "", m["school"] or "", m["role"] != "teacher", m["name"])
    )
    return {"session_id": session_id, "members": members}


# --- the fold -----------------------------------------------------------------


def _member(session_id: int, user_id: int) -> RoomMember:
    member = db.session.get(RoomMember, (session_id, user_id))
    if member is None:
        member = RoomMember(
            session_id=session_id, user_id=user_id, present=False, muted=False, removed=False
        )
        db.session.add(member)
    return member


def _post(run: sql.Statements, session_id: int, event: Event | Logged) -> None:
    """message.posted: the message row, and its author's last_message_at."""
    data = event.data
    params = {"session_id": session_id, "user_id": event.actor_id, "at": run.instant(event.at)}
    run.run(
        "INSERT INTO messages (session_id, id, author_id, body, reply_to, lang, at, "
        "hidden, reactions) VALUES (:session_id, :id, :user_id, :body, :reply_to, :lang, "
        ":at, :hidden, :reactions)",
        {
            **params,
            "id": data["message_id"],
            "body": data["body"],
            "reply_to": data["reply_to"],
            "lang": data["lang"],
            "hidden": False,
            "reactions": sql.dumps({}),
        },
    )
    if not run.run(
        "UPDATE room_members SET last_message_at = :at "
        "WHERE session_id = :session_id AND user_id = :user_id",
        params,
    ):
        run.run(
            "INSERT INTO room_members (session_id, user_id, present, muted, removed, "
            "last_message_at) VALUES (:session_id, :user_id, :no, :no, :no, :at)",
            {**params, "no": False},
        )


@dataclass(slots=True)
class Standing:
    """A person's room_members row, as the rules read it."""

    present: bool
    muted: bool
    muted_until: datetime | None
    removed: bool
    last_message_at: datetime | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Standing | None:
        """From a row read by name that selected ``STANDING``; None when the row has
        no member (never been in)."""
        if row["present"] is None:
            return None
        return cls(
            present=bool(row["present"]),
            muted=bool(row["muted"]),
            muted_until=sql.moment(row["muted_until"]),
            removed=bool(row["removed"]),
            last_message_at=sql.moment(row["last_message_at"]),
        )


# room_members ``m``; ``present`` is never NULL in a stored row.
STANDING = sql.Columns(
    present="m.present",
    muted="m.muted",
    muted_until="m.muted_until",
    removed="m.removed",
    last_message_at="m.last_message_at",
)
_STANDING_SQL = (
    f"SELECT {STANDING.sql} FROM room_members m "  # noqa: S608
    "WHERE m.session_id = :session_id AND m.user_id = :user_id"
)


def standing(session_id: int, user_id: int) -> Standing | None:
    """The rules' view of one person in one room (None: never been in it)."""
    row = sql.reader().one(_STANDING_SQL, {"session_id": session_id, "user_id": user_id})
    return None if row is None else Standing.from_row(STANDING.read(row))


def _message(session_id: int, message_id: int) -> Message | None:
    return db.session.get(Message, (session_id, message_id))


def _logged_message(session_id: int, message_id: int) -> Message:
    """A message the log has posted: what the fold reads."""
    return db.session.get_one(Message, (session_id, message_id))


def apply(
    session: ForumSession | Head, event: Event | Logged, run: sql.Statements | None = None
) -> None:
    """Fold one event into the room state (the only writer of that state), through
    its type's fold in the catalogue (``events``).

    ``session`` is the ORM row (``rebuild``) or the locked head (``record``, which
    saves it); a message, the one event of every busy second, is written as plain
    SQL (``forum.sql``) on ``run`` (default: db.session's transaction), the rarer ones
    through the ORM (the catalogue's ``plain`` names the folds that need no ORM)."""
    events.fold(session, event, run)


# The room's folds; the board registers the notes' (``board``).


@events.folds("session.opened", "session.closed", plain=True)
def _fold_session(session: ForumSession | Head, event: Event | Logged, run=None) -> None:
    if event.type == "session.opened":
        session.status = SessionStatus.LIVE
        session.opened_at = event.at
    else:
        session.status = SessionStatus.CLOSED
        session.closed_at = event.at


@events.folds("member.joined", "member.left")
def _fold_attendance(session: ForumSession | Head, event: Event | Logged, run=None) -> None:
    assert event.actor_id is not None  # arrivals and departures have one
    member = _member(session.id, event.actor_id)
    if event.type == "member.joined":
        member.present = True
        member.first_joined_at = member.first_joined_at or event.at
    else:
        member.present = False
        member.last_left_at = event.at


@events.folds("message.posted", plain=True)
def _fold_posted(
    session: ForumSession | Head, event: Event | Logged, run: sql.Statements | None = None
) -> None:
    _post(run or sql.statements(), session.id, event)


@events.folds("message.reacted")
def _fold_reacted(session: ForumSession | Head, event: Event | Logged, run=None) -> None:
    data = event.data
    message = _logged_message(session.id, data["message_id"])
    reactions = {k: list(v) for k, v in (message.reactions or {}).items()}
    users = [u for u in reactions.get(data["emoji"], []) if u != event.actor_id]
    if data["on"]:
        users.append(event.actor_id)
    if users:
        reactions[data["emoji"]] = users
    else:
        reactions.pop(data["emoji"], None)
    message.reactions = reactions


@events.folds("message.hidden", "message.unhidden")
def _fold_message_hidden(session: ForumSession | Head, event: Event | Logged, run=None) -> None:
    _logged_message(session.id, event.data["message_id"]).hidden = event.type == "message.hidden"


@events.folds("message.pinned", "room.locked", "room.slow", plain=True)
def _fold_room(session: ForumSession | Head, event: Event | Logged, run=None) -> None:
    """The room's own settings, all on the session's head."""
    data = event.data
    if event.type == "message.pinned":
        session.pinned_message_id = data["message_id"] if data["pinned"] else None
    elif event.type == "room.locked":
        session.locked = data["locked"]
    else:
        session.slow_mode = data["seconds"]


@events.folds("member.muted", "member.unmuted", "member.removed")
def _fold_member(session: ForumSession | Head, event: Event | Logged, run=None) -> None:
    data = event.data
    member = _member(session.id, data["user_id"])
    if event.type == "member.muted":
        member.muted = True
        member.muted_until = parse_instant(data["until"]) if data["until"] else None
    elif event.type == "member.unmuted":
        member.muted, member.muted_until = False, None
    else:
        member.removed, member.present = True, False


def rebuild(session_id: int) -> None:
    """Throw the room state away and fold it again from the log (tests, repairs)."""
    from .models import Note, NoteVote

    session = db.session.get_one(ForumSession, session_id)
    db.session.execute(sa.delete(NoteVote).where(NoteVote.session_id == session_id))
    db.session.execute(sa.delete(Note).where(Note.session_id == session_id))
    db.session.execute(sa.delete(Message).where(Message.session_id == session_id))
    db.session.execute(sa.delete(RoomMember).where(RoomMember.session_id == session_id))
    session.locked, session.slow_mode, session.pinned_message_id = False, 0, None
    session.status = SessionStatus.SCHEDULED
    db.session.flush()
    for event in eventlog.events_since(session_id):
        apply(session, event)
        db.session.flush()


# --- rules ----------------------------------------------------------------------


def _is_muted(member: RoomMember | Standing, now: datetime | None = None) -> bool:
    if not member.muted:
        return False
    return member.muted_until is None or member.muted_until > (now or utcnow())


def check_live(session: ForumSession | Head) -> None:
    if session.status != SessionStatus.LIVE:
        raise ActionError("closed", _("This session is not live, so nothing can be added."))


def check_can_write(seat: Seat, member: Standing | None) -> None:
    """Members write; observers (reviewers) only read; removed people not at all."""
    if member is not None and member.removed:
        raise ActionError("removed", _("A teacher has removed you from this session."))
    if seat.observer:
        raise ActionError("forbidden", _("You are observing this session and cannot write."))


def check_can_contribute(seat: Seat, member: Standing | None, now: datetime) -> None:
    """The rule of every student write that others see — a message, a reaction,
    typing, a note added, edited, voted on or removed: a locked room takes none, and a
    muted student makes none until unmuted. Teachers are not held back."""
    check_can_write(seat, member)
    if seat.manager:
        return
    if seat.session.locked:
        raise ActionError("locked", _("The teacher has locked the room for now."))
    if member is not None and _is_muted(member, now):
        if member.muted_until:
            minutes = max(1, round((member.muted_until - now).total_seconds() / 60))
            raise ActionError(
                "muted",
                ngettext(
                    "A teacher has muted you for %(num)s more minute.",
                    "A teacher has muted you for %(num)s more minutes.",
                    minutes,
                ),
            )
        raise ActionError("muted", _("A teacher has muted you."))


def check_can_post(seat: Seat, member: Standing | None, now: datetime) -> None:
    """Chat messages: the rule of every write (``check_can_contribute``), then slow
    mode for students."""
    check_can_contribute(seat, member, now)
    if seat.manager:
        return
    session = seat.session
    if session.slow_mode and member is not None and member.last_message_at:
        wait = member.last_message_at + timedelta(seconds=session.slow_mode) - now
        if wait.total_seconds() > 0:
            retry = max(1, int(wait.total_seconds() + 0.999))
            raise ActionError(
                "slow_mode",
                ngettext(
                    "Slow mode is on: you can send again in %(num)s second.",
                    "Slow mode is on: you can send again in %(num)s seconds.",
                    retry,
                ),
                extra={"retry_after": retry},
            )


def check_manager(seat: Seat) -> None:
    if not seat.manager:
        raise ActionError("forbidden", _("Only the teachers of this exchange may do that."))


# Chat messages, reactions and notes: a burst of 10, then one a second per user, counted
# across every server process (``throttle``).
rate_limiter = throttle.Limiter("chat", burst=10, per_second=1.0)


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
        if self.serialized is None:
            self.serialized = serialize_event(self.event, {self.actor["id"]: self.actor})
        return self.serialized


class Clock:
    """Where ``record`` reads the time. The demo replays a past session through the
    real actions by swapping in a scripted clock; nothing else changes it."""

    def now(self) -> datetime:
        return utcnow()


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


# --- chat -----------------------------------------------------------------------


def _text(
    value: object,
    name: str,
    limit: int,
    *,
    required: bool = True,
    empty: Callable[[], str] | None = None,
    too_long: Callable[[], str] | None = None,
) -> str | None:
    """Trimmed text of 1..limit characters; ``empty`` and ``too_long`` give the messages
    a person sees for what they typed (the others only reach hand-made clients). They
    are called only on a refusal: translating them on every chat.send cost ~4 % of it."""
    if value is None and not required:
        return None
    if not isinstance(value, str) or not storable(value):
        raise ActionError("invalid", _("%(field)s must be text.", field=name))
    text = value.strip()
    if not text:
        if required:
            raise ActionError("invalid", empty() if empty else _("%(field)s is empty.", field=name))
        return None
    if len(text) > limit:
        raise ActionError(
            "too_large",
            too_long()
            if too_long
            else _("%(field)s may have at most %(n)s characters.", field=name, n=limit),
        )
    return text


def client_id_of(payload: dict[str, Any]) -> str:
    value = payload.get("client_id")
    if not isinstance(value, str) or not 1 <= len(value) <= 64 or not value.isprintable():
        raise ActionError("invalid", _("client_id must be 1 to 64 printable characters."))
    return value


def _int(value: object, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0 or value > MAX_INT:
        raise ActionError("invalid", _("%(field)s must be a number.", field=name))
    return value


def _existing_message(session_id: int, message_id: int) -> Message:
    message = _message(session_id, message_id)
    if message is None:
        raise ActionError("not_found", _("There is no such message."))
    return message


def send_message(seat: Seat, payload: dict[str, Any]) -> Recorded:
    """chat.send: post a message (idempotent on client_id)."""
    client_id = client_id_of(payload)
    body = _text(
        payload.get("body"),
        "body",
        MAX_BODY,
        empty=lambda: _("Write a message first."),
        too_long=lambda: _("A message may have at most %(n)s characters.", n=MAX_BODY),
    )
    reply_to = payload.get("reply_to")
    if reply_to is not None:
        reply_to = _int(reply_to, "reply_to")
    rate_limiter.take(seat.user.id)

    def check(seat: Seat, member, now) -> None:
        check_can_post(seat, member, now)
        if reply_to is not None:
            _existing_message(seat.session.id, reply_to)

    def build(session, member, now) -> dict[str, Any]:
        return {
            "message_id": session.head_seq + 1,
            "client_id": client_id,
            "body": body,
            "reply_to": reply_to,
            "lang": html_lang_of(seat.user.locale),
        }

    return record(seat, "message.posted", build, client_id=client_id, check=check)


def react(seat: Seat, payload: dict[str, Any]) -> Recorded:
    """chat.react: toggle one of the offered reactions on a message."""
    message_id = _int(payload.get("message_id"), "message_id")
    emoji = payload.get("emoji")
    if emoji not in REACTIONS:
        raise ActionError("invalid", _("This reaction is not offered."))
    rate_limiter.take(seat.user.id)

    def check(seat, member, now) -> None:
        check_can_contribute(seat, member, now)
        message = _existing_message(seat.session.id, message_id)
        if message.hidden and not seat.manager:
            raise ActionError("not_found", _("There is no such message."))

    def build(session, member, now) -> dict[str, Any]:
        message = _existing_message(session.id, message_id)
        on = seat.user.id not in (message.reactions or {}).get(emoji, [])
        return {"message_id": message_id, "emoji": emoji, "on": on}

    return record(seat, "message.reacted", build, check=check)


def typing(seat: Seat) -> None:
    """typing: may the user tell the room they are typing? Nothing is logged, but the
    room sees it, so it takes the rules of every write (``check_can_contribute``)."""
    check_live(seat.session)
    check_can_contribute(seat, standing(seat.session.id, seat.user.id), clock.now())


# --- moderation -----------------------------------------------------------------


def _reason(payload: dict[str, Any]) -> str | None:
    return _text(
        payload.get("reason"),
        "reason",
        MAX_REASON,
        required=False,
        too_long=lambda: _("A reason may have at most %(n)s characters.", n=MAX_REASON),
    )


def hide_request(payload: dict[str, Any], hidden: bool) -> tuple[str, int, str | None]:
    """mod.hide / mod.unhide's payload: its target ("message" or "note"), the item's
    id and, when hiding, the reason."""
    target = payload.get("target")
    if target not in ("message", "note"):
        raise ActionError("invalid", _("target must be message or note."))
    item_id = _int(payload.get("id"), "id")
    return target, item_id, _reason(payload) if hidden else None


def hide_message(seat: Seat, item_id: int, hidden: bool, reason: str | None) -> Recorded:
    """Hide (or show again) a message; the record keeps the text. (A note: ``board.hide``.)"""
    check_manager(seat)

    def check(seat, member, now) -> None:
        message = _existing_message(seat.session.id, item_id)
        if message.hidden == hidden:
            raise ActionError(
                "conflict",
                _("The message is already hidden.") if hidden else _("The message is not hidden."),
            )

    def build(session, member, now) -> dict[str, Any]:
        return {"message_id": item_id, "reason": reason} if hidden else {"message_id": item_id}

    return record(seat, "message.hidden" if hidden else "message.unhidden", build, check=check)


def pin(seat: Seat, payload: dict[str, Any]) -> Recorded:
    """mod.pin: pin (or unpin) a message as the room's prompt."""
    check_manager(seat)
    message_id = _int(payload.get("message_id"), "message_id")
    pinned = payload.get("pinned")
    if not isinstance(pinned, bool):
        raise ActionError("invalid", _("pinned must be true or false."))

    def check(seat, member, now) -> None:
        _existing_message(seat.session.id, message_id)

    def build(session, member, now) -> dict[str, Any]:
        return {"message_id": message_id, "pinned": pinned}

    return record(seat, "message.pinned", build, check=check)


def _target_user(seat: Seat, payload: dict[str, Any]) -> User:
    user_id = _int(payload.get("user_id"), "user_id")
    user = db.session.get(User, user_id)
    if user is None or not access.is_member(
        user, db.session.get_one(Exchange, seat.session.exchange_id)
    ):
        raise ActionError("not_found", _("This person is not in this session."))
    if user.role != Role.STUDENT:
        raise ActionError("forbidden", _("Only students can be muted or removed."))
    return user


def mute(seat: Seat, payload: dict[str, Any], muted: bool) -> Recorded:
    """mod.mute (optionally for some minutes; ends by itself) / mod.unmute."""
    check_manager(seat)
    target = _target_user(seat, payload)
    minutes = payload.get("minutes")
    if muted and minutes is not None:
        minutes = _int(minutes, "minutes")
        if not 1 <= minutes <= MAX_MUTE_MINUTES:
            raise ActionError(
                "invalid", _("minutes must be between 1 and %(n)s.", n=MAX_MUTE_MINUTES)
            )

    def build(session, member, now) -> dict[str, Any]:
        if not muted:
            return {"user_id": target.id}
        until = iso_utc(now + timedelta(minutes=minutes), micro=True) if minutes else None
        return {"user_id": target.id, "minutes": minutes, "until": until}

    return record(seat, "member.muted" if muted else "member.unmuted", build)


def remove(seat: Seat, payload: dict[str, Any]) -> Recorded:
    """mod.remove: the student is disconnected and cannot rejoin this session."""
    check_manager(seat)
    target = _target_user(seat, payload)

    def check(seat, member, now) -> None:
        row = db.session.get(RoomMember, (seat.session.id, target.id))
        if row is not None and row.removed:
            raise ActionError("conflict", _("This student has already been removed."))

    return record(seat, "member.removed", lambda s, m, n: {"user_id": target.id}, check=check)


def lock(seat: Seat, payload: dict[str, Any]) -> Recorded:
    """mod.lock: students can no longer write (chat or board) until unlocked."""
    check_manager(seat)
    locked = payload.get("locked")
    if not isinstance(locked, bool):
        raise ActionError("invalid", _("locked must be true or false."))
    return record(seat, "room.locked", lambda s, m, n: {"locked": locked})


def slow(seat: Seat, payload: dict[str, Any]) -> Recorded:
    """mod.slow: at most one message per N seconds per student (0 = off)."""
    check_manager(seat)
    seconds = _int(payload.get("seconds"), "seconds")
    if seconds > MAX_SLOW_SECONDS:
        raise ActionError("invalid", _("seconds must be between 0 and %(n)s.", n=MAX_SLOW_SECONDS))
    return record(seat, "room.slow", lambda s, m, n: {"seconds": seconds})


# --- attendance and the session's life -----------------------------------------


def joined(seat: Seat) -> Recorded | None:
    """Log that a member came into the live room (first connection only)."""
    if seat.observer or seat.session.status != SessionStatus.LIVE:
        return None
    member = standing(seat.session.id, seat.user.id)
    if member is not None and member.present:
        return None

    def check(seat, member, now) -> None:
        if member is not None and member.present:
            raise _AlreadyThere()
        check_can_write(seat, member)

    try:
        return record(seat, "member.joined", lambda s, m, n: {}, check=check)
    except _AlreadyThere:
        return None


def left(seat: Seat) -> Recorded | None:
    """Log that a member's last connection to the live room went away."""
    if seat.observer or seat.session.status != SessionStatus.LIVE:
        return None

    def check(seat, member, now) -> None:
        if member is None or not member.present or member.removed:
            raise _AlreadyThere()

    try:
        return record(seat, "member.left", lambda s, m, n: {}, check=check)
    except (_AlreadyThere, ActionError):
        return None


class _AlreadyThere(Exception):
    """Nothing to log: attendance is already as it should be."""


def open_room(seat: Seat) -> Recorded:
    """session.open: scheduled → live, logged."""
    check_manager(seat)

    def check(seat, member, now) -> None:
        status = seat.session.status
        if status == SessionStatus.CLOSED:
            raise ActionError("closed", _("This session is closed."))
        if status == SessionStatus.LIVE:
            raise ActionError("conflict", _("This session is already open."))
        if seat.session.cancelled_at is not None:
            raise ActionError("closed", _("This session was cancelled."))

    return record(seat, "session.opened", lambda s, m, n: {}, check=check, require_live=False)


def close_room(seat: Seat) -> Recorded:
    """session.close: live → closed; the record is sealed and takes no more writes."""
    check_manager(seat)

    def check(seat, member, now) -> None:
        status = seat.session.status
        if status == SessionStatus.CLOSED:
            raise ActionError("closed", _("This session is already closed."))
        if status == SessionStatus.SCHEDULED:
            raise ActionError("conflict", _("This session has not been opened yet."))

    def seal_it(session: Head, event: Logged) -> None:
        # Sealed in the same transaction as the close: never closed and unsealed.
        from . import seal
        from .models import Seal

        db.session.flush()
        assert session.head_hash is not None  # the close was just appended
        db.session.add(
            Seal(
                session_id=session.id,
                head_seq=session.head_seq,
                head_hash=session.head_hash,
                signature=seal.sign(session.head_hash),
                key_fingerprint=seal.fingerprint(),
                sealed_at=event.at,
            )
        )

    return record(
        seat,
        "session.closed",
        lambda s, m, n: {},
        check=check,
        require_live=False,
        before_commit=seal_it,
    )

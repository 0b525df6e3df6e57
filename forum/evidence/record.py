"""What a reader reads of a session: its record a page at a time, with who came,
the figures, the conversation and what became of it, the moderation steps, the live
tools and, on the last page, the board."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ..log import eventlog, events
from ..models import Event, ForumSession
from . import board
from .live_tools import polls_and_flags
from .messages import MESSAGES, fold_states
from .read import Log, aware, event_message_id, through_of
from .readers import Reading, snapshot

# Messages on one page of a record (the printable record, the review page). The whole
# record is its evidence file (JSON) and its CSV, which stream.
PER_PAGE = 500


@dataclass
class RecordView:
    """One page of a session's record for reading: who came and the figures (the
    whole session's, from aggregates), a page of the conversation with what happened
    to its messages by the end (hidden, pinned, reactions), the moderation steps
    taken between its messages and, on the last page, the board at the end."""

    session: ForumSession
    actors: dict[str, dict[str, Any]]
    head_hash: str
    signature: str | None
    attendance: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)
    moderation: list[dict[str, Any]] = field(default_factory=list)
    polls: list[dict[str, Any]] = field(default_factory=list)  # with answers for staff
    flags: list[dict[str, Any]] = field(default_factory=list)  # staff only
    staff: bool = True  # not a student's own copy: flags and who answered what shown
    columns: list[dict[str, Any]] = field(default_factory=list)
    per_school: dict[str, Counter] = field(default_factory=dict)
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    page: int = 1
    pages: int = 1
    total_messages: int = 0
    first_message: int = 0  # the page's first message, counting from 1 (0: none)
    shown: set[int] = field(default_factory=set)  # message ids on this page
    groups: dict[int, str] = field(default_factory=dict)  # breakout groups' names, by id
    held: int = 0  # messages held for the teachers (released or not)

    @property
    def duration(self) -> timedelta | None:
        if self.opened_at and self.closed_at:
            return self.closed_at - self.opened_at
        return None

    @property
    def last_message(self) -> int:
        return self.first_message + len(self.messages) - 1 if self.messages else 0

    @property
    def board_here(self) -> bool:
        """The board at the end is on the last page."""
        return self.page == self.pages


def page_of_message(
    session: ForumSession,
    message_id: int,
    per_page: int | None = None,
) -> int | None:
    """The page of a session's record that shows a message, if it has one."""
    per_page = per_page or PER_PAGE
    log = Log(session.id, through_of(session))
    seq = log.scalar(
        sa.select(Event.seq).where(event_message_id() == message_id).limit(1), *MESSAGES
    )
    if seq is None:
        return None
    before = log.scalar(
        sa.select(sa.func.count()).select_from(Event).where(Event.seq < seq), *MESSAGES
    )
    return before // per_page + 1


def record_view(
    session: ForumSession, reading: Reading, page: int = 1, per_page: int | None = None
) -> RecordView:
    """A page of the record, pseudonymised and withheld as the reading says (the same
    actors and withholding as the export: ``readers.snapshot``). The figures come
    from aggregates over the log and each message's state from the events about the
    page's messages, so a page costs the same in a session of any length."""
    per_page = per_page or PER_PAGE
    snap = snapshot(session, reading)
    actors, withhold = snap.actors, snap.withhold
    log = Log(session.id, snap.through)
    view = RecordView(
        session=session,
        actors=actors,
        head_hash=snap.fields["head_hash"],
        signature=snap.fields["signature"],
    )

    def actor_of(actor_id: int | None) -> dict[str, Any]:
        return actors.get(str(actor_id), {})

    def school_of(actor_id: int | None) -> str:
        return actor_of(actor_id).get("school") or "-"

    # The whole session's figures.
    per_school: dict[str, Counter] = defaultdict(Counter)
    for actor_id, kind, n in log.rows(
        sa.select(Event.actor_id, Event.type, sa.func.count()).group_by(Event.actor_id, Event.type),
        *MESSAGES,
        "note.added",
    ):
        per_school[school_of(actor_id)]["notes" if kind == "note.added" else "messages"] += n
        if kind == "message.held":
            per_school[school_of(actor_id)]["held"] += n
    view.groups = eventlog.group_names(session.id)
    view.held = sum(c["held"] for c in per_school.values())
    attended: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for actor_id, since in log.rows(
        sa.select(Event.actor_id, sa.func.min(Event.at)).group_by(Event.actor_id), "member.joined"
    ):
        attended[school_of(actor_id)][str(actor_id)] = {
            **actor_of(actor_id),
            "since": aware(since),
        }
    for school, people in attended.items():
        view.attendance[school] = sorted(
            people.values(), key=lambda p: (p.get("role", ""), p.get("name", ""))
        )
        per_school[school]["attendance"] = len(people)
    view.per_school = dict(per_school)
    view.opened_at = aware(
        log.scalar(sa.select(Event.at).order_by(Event.seq).limit(1), "session.opened")
    )
    view.closed_at = aware(
        log.scalar(sa.select(Event.at).order_by(Event.seq.desc()).limit(1), "session.closed")
    )

    # This page's messages and the seqs it covers (from its first message to the next
    # page's; the first page from the start, the last to the end).
    total = log.scalar(sa.select(sa.func.count()).select_from(Event), *MESSAGES) or 0
    view.total_messages = total
    view.pages = max(1, -(-total // per_page))
    view.page = min(max(1, page), view.pages)
    offset = (view.page - 1) * per_page
    posted = log.rows(
        sa.select(Event.seq, Event.at, Event.actor_id, Event.data, Event.type)
        .order_by(Event.seq)
        .offset(offset)
        .limit(per_page),
        *MESSAGES,
    )
    low = 1 if view.page == 1 or not posted else posted[0].seq
    high = None
    if view.page < view.pages:
        high = (
            log.scalar(
                sa.select(Event.seq).order_by(Event.seq).offset(offset + per_page).limit(1),
                *MESSAGES,
            )
            - 1
        )
    view.first_message = offset + 1 if posted else 0
    messages: dict[int, dict[str, Any]] = {}
    seq_of: dict[int, int] = {}
    for seq, at, actor_id, data, kind in posted:
        shown = events.withheld(kind, data, withhold)
        mid = data["message_id"]
        seq_of[mid] = seq
        messages[mid] = {
            "id": mid,
            "seq": seq,
            "at": at,
            "actor": actor_of(actor_id),
            "body": shown.get("body"),
            "lang": shown.get("lang"),
            "hidden": False,
            "reply_to": shown.get("reply_to"),
            "reactions": {},
            "pinned": False,
            "group": view.groups.get(data.get("group_id") or 0),
            # Held for the teachers: "held" until released (or for good, if hidden).
            "held": "held" if kind == "message.held" else None,
            # Withheld from this reader (a student): another's held message, or a
            # group's talk they were not in; shown as the hidden ones are.
            "withheld": shown.get("hidden") is True,
        }
    view.shown = set(messages)
    if messages:
        fold_states(log, messages, seq_of)
    # A student's page leaves out what is not theirs to read at all (another's held
    # message, another group's talk): not even who said it.
    view.messages = [m for m in messages.values() if m["hidden"] or not m["withheld"]]

    # The moderation steps taken between this page's messages.
    query = (
        sa.select(Event.seq, Event.at, Event.type, Event.actor_id, Event.data)
        .where(Event.seq >= low)
        .order_by(Event.seq)
    )
    if high is not None:
        query = query.where(Event.seq <= high)
    student = snap.reading.reader_id is not None
    for seq, at, kind, actor_id, data in log.rows(query, *sorted(events.MODERATION)):
        if student and not events.may_receive(kind, moderator=False, author=False):
            continue  # a flag's dismissal: teachers' business
        target = actor_of(data.get("user_id")).get("name") if "user_id" in data else None
        view.moderation.append(
            {
                "seq": seq,
                "at": at,
                "type": kind,
                "actor": actor_of(actor_id),
                "data": data,
                "target": target,
            }
        )

    if view.board_here:
        view.columns = board.columns_at_end(session, snap, actor_of)
    view.staff = not student
    view.polls, view.flags = polls_and_flags(log, actor_of, staff=view.staff)
    return view

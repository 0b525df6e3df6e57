"""What reviewers read: a session's record folded for people, its figures, the review
desk's filters and verdicts, and the academic-year report."""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import csvfile
from ..alliance import mous, training
from ..clock import academic_year_bounds, academic_year_of
from ..errors import ActionError
from ..exchanges import showcases
from ..extensions import db
from ..log import eventlog, events
from ..models import (
    Event,
    Exchange,
    ExchangeKind,
    ExchangeMode,
    ExchangeStatus,
    ForumSession,
    Mou,
    Review,
    ReviewState,
    Role,
    School,
    Seal,
    SessionStatus,
    TrainingEvent,
    User,
    exchange_classes,
)
from ..people import access
from ..room import board
from ..sdgs import GOALS
from . import transcript

# --- one session's record, for people ---------------------------------------------

# What the record lists as messages: those posted, and those held for the teachers
# (released or not: the record keeps every word, and says which).
MESSAGES = ("message.posted", "message.held")

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


class _Log:
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


def _message_id():
    return Event.data["message_id"].as_integer()


def page_of_message(
    session: ForumSession,
    message_id: int,
    per_page: int | None = None,
) -> int | None:
    """The page of a session's record that shows a message, if it has one."""
    per_page = per_page or PER_PAGE
    log = _Log(session.id, transcript._through(session))
    seq = log.scalar(sa.select(Event.seq).where(_message_id() == message_id).limit(1), *MESSAGES)
    if seq is None:
        return None
    before = log.scalar(
        sa.select(sa.func.count()).select_from(Event).where(Event.seq < seq), *MESSAGES
    )
    return before // per_page + 1


def record_view(
    session: ForumSession, reading: transcript.Reading, page: int = 1, per_page: int | None = None
) -> RecordView:
    """A page of the record, pseudonymised and withheld as the reading says (the same
    actors and withholding as the export: ``transcript.snapshot``). The figures come
    from aggregates over the log and each message's state from the events about the
    page's messages, so a page costs the same in a session of any length."""
    per_page = per_page or PER_PAGE
    snap = transcript.snapshot(session, reading)
    actors, withhold = snap.actors, snap.withhold
    log = _Log(session.id, snap.through)
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
            "since": _aware(since),
        }
    for school, people in attended.items():
        view.attendance[school] = sorted(
            people.values(), key=lambda p: (p.get("role", ""), p.get("name", ""))
        )
        per_school[school]["attendance"] = len(people)
    view.per_school = dict(per_school)
    view.opened_at = _aware(
        log.scalar(sa.select(Event.at).order_by(Event.seq).limit(1), "session.opened")
    )
    view.closed_at = _aware(
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
        _fold_states(log, messages, seq_of)
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
        view.columns = _board(session, snap, actor_of)
    view.staff = not student
    view.polls, view.flags = _live_tools(log, actor_of, staff=view.staff)
    return view


_TOOLS = (
    "poll.opened",
    "poll.voted",
    "poll.closed",
    "item.flagged",
    "flag.dismissed",
    "message.hidden",
    "note.hidden",
)


def _live_tools(
    log: _Log, actor_of, *, staff: bool
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The session's polls (counts; and, for staff, who answered what, named as the
    reading names people) and flags (staff only: reason, who flagged and how each was
    resolved), folded from the log. A handful a session: read whole, on every page."""
    polls: dict[int, dict[str, Any]] = {}
    answers: dict[int, dict[int, list[int]]] = defaultdict(dict)
    flags: dict[int, dict[str, Any]] = {}
    rows = log.rows(
        sa.select(Event.at, Event.type, Event.actor_id, Event.data).order_by(Event.seq),
        *_TOOLS,
    )
    for at, kind, actor_id, data in rows:
        if kind == "poll.opened":
            poll = data["poll"]
            polls[poll["id"]] = {
                **poll,
                "at": at,
                "actor": actor_of(actor_id),
                "counts": [0] * len(poll["options"]),
                "closed": False,
                "answers": [],
            }
        elif kind in ("poll.voted", "poll.closed") and data["poll_id"] in polls:
            polls[data["poll_id"]]["counts"] = data["counts"]
            if kind == "poll.closed":
                polls[data["poll_id"]]["closed"] = True
            else:
                answers[data["poll_id"]][actor_id] = data["choices"]
        elif kind == "item.flagged":
            flags[data["flag_id"]] = {
                "id": data["flag_id"],
                "at": at,
                "target": data["target"],
                "item_id": data["id"],
                "reason": data["reason"],
                "actor": actor_of(actor_id),
                "state": "open",
                "resolved_by": None,
            }
        elif kind == "flag.dismissed" and data["flag_id"] in flags:
            flags[data["flag_id"]].update(state="dismissed", resolved_by=actor_of(actor_id))
        elif kind in ("message.hidden", "note.hidden"):
            target = "message" if kind == "message.hidden" else "note"
            item_id = data["message_id" if target == "message" else "note_id"]
            for flag in flags.values():
                if flag["state"] == "open" and (flag["target"], flag["item_id"]) == (
                    target,
                    item_id,
                ):
                    flag.update(state="hidden", resolved_by=actor_of(actor_id))
    for poll_id, poll in polls.items():
        poll["at"] = _aware(poll["at"])
        if staff:
            poll["answers"] = sorted(
                (
                    {
                        "actor": actor_of(voter),
                        "choices": [poll["options"][c] for c in choices],
                    }
                    for voter, choices in answers[poll_id].items()
                ),
                key=lambda a: (a["actor"].get("school") or "", a["actor"].get("name") or ""),
            )
    for flag in flags.values():
        flag["at"] = _aware(flag["at"])
    return list(polls.values()), list(flags.values()) if staff else []


POLLS_CSV_HEADER = ["poll", "question", "row", "answer", "count", "person", "role", "school"]


def polls_csv(session: ForumSession, reading: transcript.Reading) -> bytes:
    """The session's polls as CSV (UTF-8 with BOM): a ``count`` row per answer and,
    for staff and reviewers, an ``answer`` row per person with what they chose last,
    named as the reading names people (pseudonyms for reviewers)."""
    snap = transcript.snapshot(session, reading)
    log = _Log(session.id, snap.through)
    polls, _flags = _live_tools(
        log,
        lambda actor_id: snap.actors.get(str(actor_id), {}),
        staff=reading.reader_id is None,
    )
    buffer = io.StringIO()
    writer = csvfile.writer(buffer)
    writer.writerow(POLLS_CSV_HEADER)
    for poll in polls:
        for option, count in zip(poll["options"], poll["counts"], strict=True):
            writer.writerow([poll["id"], poll["question"], "count", option, count, "", "", ""])
        for answer in poll["answers"]:
            person = answer["actor"]
            writer.writerow(
                [
                    poll["id"],
                    poll["question"],
                    "answer",
                    " / ".join(answer["choices"]),
                    "",
                    person.get("name", ""),
                    person.get("role", ""),
                    person.get("school", ""),
                ]
            )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _aware(moment: datetime | None) -> datetime | None:
    """A timestamp read by an aggregate (which SQLAlchemy may not type) as aware UTC."""
    if moment is None or isinstance(moment, datetime) and moment.tzinfo is not None:
        return moment
    from .. import sql

    return sql.moment(moment)


def _fold_states(log: _Log, messages: dict[int, dict[str, Any]], seq_of: dict[int, int]) -> None:
    """What became of a page's messages by the end of the log: hidden or shown, the
    pin, the reactions (each counted once per person). An event counts only after the
    message it is about, as a fold of the whole log would count it."""
    ids = list(messages)
    first = min(seq_of.values())
    for seq, kind, data in log.rows(
        sa.select(Event.seq, Event.type, Event.data)
        .where(Event.seq > first, _message_id().in_(ids))
        .order_by(Event.seq),
        "message.hidden",
        "message.unhidden",
        "message.released",
    ):
        mid = data["message_id"]
        if seq > seq_of[mid]:
            if kind == "message.released":
                messages[mid]["held"] = "released"
            else:
                messages[mid]["hidden"] = kind == "message.hidden"
    # The pin is one for the room: the last pin or unpin of a message posted before it.
    pins = log.rows(sa.select(Event.seq, Event.data).order_by(Event.seq), "message.pinned")
    if pins:
        named = {data["message_id"] for _seq, data in pins}
        posted_at = dict(seq_of)
        elsewhere = named - set(posted_at)
        if elsewhere:
            posted_at.update(
                (data["message_id"], seq)
                for seq, data in log.rows(
                    sa.select(Event.seq, Event.data).where(_message_id().in_(sorted(elsewhere))),
                    "message.posted",
                )
            )
        pinned = None
        for seq, data in pins:
            mid = data["message_id"]
            if mid in posted_at and posted_at[mid] < seq:
                pinned = mid if data["pinned"] else None
        if pinned in messages:
            messages[pinned]["pinned"] = True
    reactions: dict[int, dict[str, set[int]]] = defaultdict(dict)
    for seq, actor_id, data in log.rows(
        sa.select(Event.seq, Event.actor_id, Event.data)
        .where(Event.seq > first, _message_id().in_(ids))
        .order_by(Event.seq),
        "message.reacted",
    ):
        mid = data["message_id"]
        if seq > seq_of[mid]:
            users = reactions[mid].setdefault(data["emoji"], set())
            (users.add if data["on"] else users.discard)(actor_id)
    for mid, by_emoji in reactions.items():
        messages[mid]["reactions"] = {
            emoji: len(users) for emoji, users in by_emoji.items() if users
        }


NOTE_EVENTS = (
    "note.added",
    "note.edited",
    "note.voted",
    "note.removed",
    "note.hidden",
    "note.unhidden",
)


def _board(session: ForumSession, snap: transcript.Snapshot, actor_of) -> list[dict[str, Any]]:
    """The board at the end: the notes' events folded, a batch at a time."""
    notes: dict[int, dict[str, Any]] = {}
    groups = eventlog.group_names(session.id)
    for rows in transcript.log_batches(session.id, snap.through, types=NOTE_EVENTS):
        for _seq, kind, _at, actor_id, raw, _hash in rows:
            data = events.withheld(kind, raw, snap.withhold)
            if kind == "note.added":
                notes[data["note"]["id"]] = {
                    **data["note"],
                    "actor": actor_of(actor_id),
                    "hidden": False,
                    "removed": False,
                    "group": groups.get(data.get("group_id") or 0),
                }
            elif kind == "note.edited" and data["note"]["id"] in notes:
                notes[data["note"]["id"]].update(data["note"])
            elif kind == "note.voted" and data["note_id"] in notes:
                notes[data["note_id"]]["votes"] = data["votes"]
            elif kind == "note.removed" and data["note_id"] in notes:
                notes[data["note_id"]]["removed"] = True
            elif kind in ("note.hidden", "note.unhidden") and data["note_id"] in notes:
                notes[data["note_id"]]["hidden"] = kind == "note.hidden"
    live_notes = [n for n in notes.values() if not n["removed"]]
    return [
        {
            **column,
            "notes": sorted(
                (n for n in live_notes if n["column"] == column["id"]),
                key=lambda n: (-n["votes"], n["id"]),
            ),
        }
        for column in board.columns_of(session)
    ]


# --- the desk ---------------------------------------------------------------------


def latest_reviews(session_ids: list[int]) -> dict[int, Review]:
    if not session_ids:
        return {}
    rows = db.session.scalars(
        sa.select(Review).where(Review.session_id.in_(session_ids)).order_by(Review.at, Review.id)
    )
    latest: dict[int, Review] = {}
    for row in rows:
        latest[row.session_id] = row
    return latest


@dataclass
class DeskFilter:
    year: int | None = None
    country: str | None = None
    school: str | None = None
    sdg: int | None = None
    state: str | None = None  # verified / flagged / unreviewed


def sealed_sessions(f: DeskFilter) -> list[tuple[ForumSession, Review | None]]:
    """Sealed sessions matching the desk's filters, newest first."""
    query = (
        sa.select(ForumSession)
        .join(Seal, Seal.session_id == ForumSession.id)
        .order_by(ForumSession.starts_at.desc())
    )
    if f.year:
        start, end = year_window(f.year)
        query = query.where(ForumSession.starts_at >= start, ForumSession.starts_at < end)
    if f.country or f.school:
        schools = sa.select(School.id)
        if f.country:
            schools = schools.where(School.country == f.country.upper())
        if f.school:
            schools = schools.where(School.slug == f.school)
        from ..models import SchoolClass

        exchange_ids = (
            sa.select(exchange_classes.c.exchange_id)
            .join(SchoolClass, SchoolClass.id == exchange_classes.c.class_id)
            .where(SchoolClass.school_id.in_(schools))
        )
        query = query.where(ForumSession.exchange_id.in_(exchange_ids))
    rows = list(db.session.scalars(query))
    if f.sdg:
        rows = [s for s in rows if f.sdg in (s.sdgs or [])]
    reviews = latest_reviews([s.id for s in rows])
    out = []
    for s in rows:
        review = reviews.get(s.id)
        state = review.state.value if review else "unreviewed"
        if f.state and f.state != state:
            continue
        out.append((s, review))
    return out


def mark(reviewer: User, session: ForumSession, state: str, comment: str | None) -> Review:
    """Record a verdict (verified, or flagged with a comment) beside the sealed record."""
    if reviewer.role not in (Role.REVIEWER, Role.ADMIN):
        raise ActionError("forbidden", _("Only reviewers can mark sessions."))
    if db.session.get(Seal, session.id) is None:
        raise ActionError("conflict", _("Only sealed sessions can be reviewed."))
    try:
        verdict = ReviewState(state)
    except ValueError:
        raise ActionError(
            "invalid",
            _("Choose verified or flagged."),
            fields={"state": _("Choose verified or flagged.")},
        ) from None
    comment = (comment or "").strip() or None
    if verdict == ReviewState.FLAGGED and not comment:
        raise ActionError(
            "invalid",
            _("Say what is wrong when you flag a session."),
            fields={"comment": _("Say what is wrong when you flag a session.")},
        )
    if comment and len(comment) > 2000:
        raise ActionError(
            "too_large",
            _("At most %(n)s characters.", n=2000),
            fields={"comment": _("At most %(n)s characters.", n=2000)},
        )
    review = Review(session_id=session.id, reviewer_id=reviewer.id, state=verdict, comment=comment)
    db.session.add(review)
    db.session.commit()
    return review


# --- the academic-year report ------------------------------------------------------

TAIPEI = ZoneInfo("Asia/Taipei")


def year_window(roc: int) -> tuple[datetime, datetime]:
    """UTC instants bounding an ROC academic year, by Taiwan's calendar."""
    first, last = academic_year_bounds(roc)
    start = datetime.combine(first, time.min, TAIPEI)
    end = datetime.combine(last + timedelta(days=1), time.min, TAIPEI)
    return start, end


def report(roc: int) -> dict[str, Any]:
    """The figures the Alliance publishes for one academic year."""
    start, end = year_window(roc)
    # Showcases are counted apart (``showcases``), never as exchanges or applications.
    applied = list(
        db.session.scalars(
            sa.select(Exchange).where(
                Exchange.academic_year == roc, Exchange.kind == ExchangeKind.EXCHANGE.value
            )
        )
    )
    # Exchanges that took place: approved (or since completed) applications.
    exchanges = [e for e in applied if e.status in access.SHOWN_TO_STUDENTS]
    by_mode = Counter(e.mode.value for e in exchanges)
    applied_by_mode = Counter(e.mode.value for e in applied)
    held = list(
        db.session.scalars(
            sa.select(ForumSession)
            .join(Exchange, Exchange.id == ForumSession.exchange_id)
            .where(
                Exchange.kind == ExchangeKind.EXCHANGE.value,
                ForumSession.status == SessionStatus.CLOSED,
                ForumSession.starts_at >= start,
                ForumSession.starts_at < end,
            )
            .order_by(ForumSession.starts_at)
        )
    )
    held_ids = [s.id for s in held]
    schools: dict[str, set[str]] = defaultdict(set)
    classes: dict[str, set[int]] = defaultdict(set)
    for s in held:
        for cls in s.exchange.classes:
            schools[cls.school.country].add(cls.school.slug)
            classes[cls.school.country].add(cls.id)
    counts: Counter[str] = Counter()
    people: dict[str, set[int]] = {"student": set(), "teacher": set()}
    students_by_region: dict[str, set[int]] = defaultdict(set)
    if held_ids:
        rows = db.session.execute(
            sa.select(Event.type, Event.actor_id, User.role, School.region)
            .join(User, User.id == Event.actor_id)
            .outerjoin(School, School.id == User.school_id)
            .where(
                Event.session_id.in_(held_ids),
                Event.type.in_(
                    (*MESSAGES, "note.added", "member.joined", "poll.opened", "item.flagged")
                ),
            )
        )
        for kind, actor_id, role, region in rows:
            if kind == "member.joined":
                assert actor_id is not None  # joined to its User above
                if role.value in people:
                    people[role.value].add(actor_id)
                if role == Role.STUDENT and region:
                    students_by_region[region].add(actor_id)
            else:
                counts[kind] += 1
        # Breakout groups: each forming names its groups.
        for (data,) in db.session.execute(
            sa.select(Event.data).where(
                Event.session_id.in_(held_ids), Event.type == "groups.formed"
            )
        ):
            counts["groups"] += len(data["groups"])
    # Per region (a school's prefecture, county or city): the schools paired by the
    # year's exchanges, those exchanges, and the sessions and students behind them.
    paired: dict[str, set[int]] = defaultdict(set)
    exchanges_by_region: Counter = Counter()
    for e in exchanges:
        regions = {school.region for school in e.schools}
        exchanges_by_region.update(regions)
        for school in e.schools:
            paired[school.region].add(school.id)
    sessions_by_region = Counter(
        region for s in held for region in {school.region for school in s.exchange.schools}
    )
    trained = training.educators_by_kind(roc)
    sdg_sessions = Counter(n for s in held for n in (s.sdgs or []))
    countries = sorted(set(schools) | set(classes))
    first, last = academic_year_bounds(roc)
    return {
        "academic_year": roc,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "exchanges": {
            "online": by_mode.get(ExchangeMode.ONLINE.value, 0),
            "in_person": by_mode.get(ExchangeMode.IN_PERSON.value, 0),
            "total": len(exchanges),
            # Closed by a teacher with its outcome summary.
            "completed": sum(1 for e in exchanges if e.status == ExchangeStatus.COMPLETED),
        },
        "applications": {
            "total": len(applied),
            "online": applied_by_mode.get(ExchangeMode.ONLINE.value, 0),
            "in_person": applied_by_mode.get(ExchangeMode.IN_PERSON.value, 0),
            "approved": len(exchanges),
            "declined": sum(1 for e in applied if e.status == ExchangeStatus.DECLINED),
        },
        "sessions_held": len(held),
        "schools_by_country": {c: len(schools[c]) for c in countries},
        "classes_by_country": {c: len(classes[c]) for c in countries},
        "students": len(people["student"]),
        "teachers": len(people["teacher"]),
        # Every message said, held ones included; and those held for the teachers.
        "messages": counts["message.posted"] + counts["message.held"],
        "held_messages": counts["message.held"],
        "groups": counts["groups"],
        "notes": counts["note.added"],
        # The live tools (issue 18): polls asked and flags raised in the year's sessions.
        "polls": counts["poll.opened"],
        "flags": counts["item.flagged"],
        "sessions_by_sdg": {str(n): sdg_sessions.get(n, 0) for n in GOALS},
        "schools_paired": {
            "total": sum(len(ids) for ids in paired.values()),
            "by_region": {r: len(paired[r]) for r in sorted(paired)},
        },
        "exchanges_by_region": dict(sorted(exchanges_by_region.items())),
        "sessions_by_region": dict(sorted(sessions_by_region.items())),
        "students_by_region": {r: len(students_by_region[r]) for r in sorted(students_by_region)},
        "mous": [
            {
                "region": m.region,
                "country": m.country,
                "status": m.status.value,
                "signed_on": m.signed_on.isoformat() if m.signed_on else None,
            }
            for m in mous.of_year(roc)
        ],
        "educators_trained": sum(k["educators"] for k in trained.values()),
        "educators_trained_by_kind": {kind: k["educators"] for kind, k in trained.items()},
        "training_events_by_kind": {kind: k["events"] for kind, k in trained.items()},
        # Showcase (case-sharing) sessions held, and the schools presenting and watching.
        "showcases": showcases.report(start, end),
    }


def report_rows(data: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """The report flattened to (figure, key, value) rows for CSV."""
    rows: list[tuple[str, str, Any]] = [
        ("academic_year", "", data["academic_year"]),
        ("from", "", data["from"]),
        ("to", "", data["to"]),
    ]
    for name in ("exchanges", "applications"):
        for key, value in data[name].items():
            rows.append((name, key, value))
    rows.append(("sessions_held", "", data["sessions_held"]))
    for name in ("schools_by_country", "classes_by_country"):
        for key, value in data[name].items():
            rows.append((name, key, value))
    for name in (
        "students",
        "teachers",
        "messages",
        "held_messages",
        "groups",
        "notes",
        "polls",
        "flags",
    ):
        rows.append((name, "", data[name]))
    for key, value in data["sessions_by_sdg"].items():
        rows.append(("sessions_by_sdg", key, value))
    rows.append(("schools_paired", "total", data["schools_paired"]["total"]))
    for key, value in data["schools_paired"]["by_region"].items():
        rows.append(("schools_paired_by_region", key, value))
    for name in ("exchanges_by_region", "sessions_by_region", "students_by_region"):
        for key, value in data[name].items():
            rows.append((name, key, value))
    statuses = Counter(m["status"] for m in data["mous"])
    for status in ("signed", "planned"):
        rows.append(("mous", status, statuses.get(status, 0)))
    seen: Counter = Counter()
    for m in data["mous"]:
        # One row per MOU, its key unique: a region's second MOU is "…, JP (2)".
        key = f"{m['region']}, {m['country']}"
        seen[key] += 1
        rows.append(
            (
                "mou",
                key if seen[key] == 1 else f"{key} ({seen[key]})",
                f"{m['status']} {m['signed_on']}" if m["signed_on"] else m["status"],
            )
        )
    for key, value in data["showcases"].items():
        rows.append(("showcases", key, value))
    rows.append(("educators_trained", "", data["educators_trained"]))
    for name in ("educators_trained_by_kind", "training_events_by_kind"):
        for key, value in data[name].items():
            rows.append((name, key, value))
    return rows


def years_with_data() -> list[int]:
    """Academic years that have exchanges or sessions, newest first."""
    years = set(db.session.scalars(sa.select(Exchange.academic_year).distinct()))
    years.update(db.session.scalars(sa.select(Mou.academic_year).distinct()))
    years.update(db.session.scalars(sa.select(TrainingEvent.academic_year).distinct()))
    for starts in db.session.scalars(sa.select(ForumSession.starts_at)):
        years.add(academic_year_of(starts))
    return sorted(years, reverse=True)

"""What reviewers read: a session's record folded for people, its figures, the review
desk's filters and verdicts, and the academic-year report."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _

from . import access, board, events, mous, training, transcript
from .clock import academic_year_bounds, academic_year_of
from .errors import ActionError
from .extensions import db
from .models import (
    Event,
    Exchange,
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
from .sdgs import GOALS
from .timeutil import parse_instant

# --- one session's record, for people ---------------------------------------------


@dataclass
class RecordView:
    """A session's log folded for reading: who came, what was said, the board."""

    session: ForumSession
    doc: dict[str, Any]
    attendance: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)
    moderation: list[dict[str, Any]] = field(default_factory=list)
    columns: list[dict[str, Any]] = field(default_factory=list)
    per_school: dict[str, Counter] = field(default_factory=dict)
    opened_at: datetime | None = None
    closed_at: datetime | None = None

    @property
    def duration(self) -> timedelta | None:
        if self.opened_at and self.closed_at:
            return self.closed_at - self.opened_at
        return None


def record_view(session: ForumSession, reading: transcript.Reading) -> RecordView:
    """Fold the export (already pseudonymised and withheld as the reading says)."""
    doc = transcript.export(session, reading)
    view = RecordView(session=session, doc=doc)
    actors = doc["actors"]
    messages: dict[int, dict[str, Any]] = {}
    notes: dict[int, dict[str, Any]] = {}
    attended: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    per_school: dict[str, Counter] = defaultdict(Counter)
    for event in doc["events"]:
        kind, data = event["type"], event["data"]
        actor = actors.get(str(event["actor_id"]), {})
        school = actor.get("school") or "-"
        at = parse_instant(event["at"])
        if kind == "session.opened":
            view.opened_at = view.opened_at or at
        elif kind == "session.closed":
            view.closed_at = at
        elif kind == "member.joined":
            attended[school].setdefault(str(event["actor_id"]), {**actor, "since": at})
        elif kind == "message.posted":
            per_school[school]["messages"] += 1
            messages[data["message_id"]] = {
                "id": data["message_id"],
                "seq": event["seq"],
                "at": at,
                "actor": actor,
                "body": data.get("body"),
                "lang": data.get("lang"),
                "hidden": False,
                "reply_to": data.get("reply_to"),
                "reactions": {},
                "pinned": False,
            }
        elif kind == "message.reacted" and data["message_id"] in messages:
            users = messages[data["message_id"]]["reactions"].setdefault(data["emoji"], set())
            (users.add if data["on"] else users.discard)(event["actor_id"])
        elif kind in ("message.hidden", "message.unhidden") and data["message_id"] in messages:
            messages[data["message_id"]]["hidden"] = kind == "message.hidden"
        elif kind == "message.pinned" and data["message_id"] in messages:
            for m in messages.values():
                m["pinned"] = False
            messages[data["message_id"]]["pinned"] = data["pinned"]
        elif kind == "note.added":
            per_school[school]["notes"] += 1
            notes[data["note"]["id"]] = {
                **data["note"],
                "actor": actor,
                "hidden": False,
                "removed": False,
            }
        elif kind == "note.edited" and data["note"]["id"] in notes:
            notes[data["note"]["id"]].update(data["note"])
        elif kind == "note.voted" and data["note_id"] in notes:
            notes[data["note_id"]]["votes"] = data["votes"]
        elif kind == "note.removed" and data["note_id"] in notes:
            notes[data["note_id"]]["removed"] = True
        elif kind in ("note.hidden", "note.unhidden") and data["note_id"] in notes:
            notes[data["note_id"]]["hidden"] = kind == "note.hidden"
        if kind in events.MODERATION:
            target = (
                actors.get(str(data.get("user_id")), {}).get("name") if "user_id" in data else None
            )
            view.moderation.append(
                {
                    "seq": event["seq"],
                    "at": at,
                    "type": kind,
                    "actor": actor,
                    "data": data,
                    "target": target,
                }
            )
    for school, people in attended.items():
        view.attendance[school] = sorted(people.values(), key=lambda p: (p["role"], p["name"]))
        per_school[school]["attendance"] = len(people)
    view.per_school = dict(per_school)
    for m in messages.values():
        m["reactions"] = {emoji: len(users) for emoji, users in m["reactions"].items() if users}
    view.messages = sorted(messages.values(), key=lambda m: m["seq"])
    live_notes = [n for n in notes.values() if not n["removed"]]
    view.columns = [
        {
            **column,
            "notes": sorted(
                (n for n in live_notes if n["column"] == column["id"]),
                key=lambda n: (-n["votes"], n["id"]),
            ),
        }
        for column in board.columns_of(session)
    ]
    return view


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
        from .models import SchoolClass

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
    applied = list(db.session.scalars(sa.select(Exchange).where(Exchange.academic_year == roc)))
    # Exchanges that took place: approved (or since completed) applications.
    exchanges = [e for e in applied if e.status in access.SHOWN_TO_STUDENTS]
    by_mode = Counter(e.mode.value for e in exchanges)
    applied_by_mode = Counter(e.mode.value for e in applied)
    held = list(
        db.session.scalars(
            sa.select(ForumSession)
            .where(
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
                Event.type.in_(("message.posted", "note.added", "member.joined")),
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
        "messages": counts["message.posted"],
        "notes": counts["note.added"],
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
    for name in ("students", "teachers", "messages", "notes"):
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

"""The figures the Alliance publishes for an academic year: the report, its rows
for CSV, and the years that have any."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ..alliance import mous, training
from ..clock import academic_year_bounds, academic_year_of
from ..exchanges import showcases
from ..extensions import db
from ..models import (
    Event,
    Exchange,
    ExchangeKind,
    ExchangeMode,
    ExchangeStatus,
    ForumSession,
    Mou,
    Role,
    School,
    SessionStatus,
    TrainingEvent,
    User,
)
from ..people import access
from ..sdgs import GOALS
from .messages import MESSAGES

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

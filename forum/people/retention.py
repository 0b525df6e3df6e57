"""Retention: students' names are kept while they take part, and for YEARS academic
years after their last exchange; then ``forum retention --apply`` replaces each name
with a pseudonym. What they wrote stays in the sealed records under that pseudonym,
and every record still verifies: the chain covers who wrote (``actor_id``), never a
name. Their codes stop working and their sign-ins end."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app

from ..clock import academic_year_of
from ..extensions import db
from ..models import Exchange, ForumSession, Role, User, exchange_classes, utcnow
from . import codes


@dataclass(frozen=True)
class Candidate:
    student: User
    last_year: int  # the ROC academic year their last exchange ended in


def _exchange_end_year(exchange: Exchange, last_session: date | None) -> int:
    """The academic year an exchange ended in: its planned end, its last session, or
    the year it took place, whichever is latest."""
    years = [exchange.academic_year]
    if exchange.ends_on is not None:
        years.append(academic_year_of(exchange.ends_on))
    if last_session is not None:
        years.append(academic_year_of(last_session))
    return max(years)


def candidates(older_than: int, today: date | None = None) -> list[Candidate]:
    """Students whose last exchange ended more than ``older_than`` academic years ago
    (those in no exchange: counted from the year they were added), names not yet
    erased, oldest first."""
    this_year = academic_year_of(today or utcnow())
    last_session: dict[int, datetime] = dict(
        db.session.execute(
            sa.select(ForumSession.exchange_id, sa.func.max(ForumSession.starts_at)).group_by(
                ForumSession.exchange_id
            )
        ).all()
    )
    end_year = {
        e.id: _exchange_end_year(e, at.date() if (at := last_session.get(e.id)) else None)
        for e in db.session.scalars(sa.select(Exchange))
    }
    class_years: dict[int, list[int]] = {}
    for class_id, exchange_id in db.session.execute(
        sa.select(exchange_classes.c.class_id, exchange_classes.c.exchange_id)
    ):
        class_years.setdefault(class_id, []).append(end_year[exchange_id])
    found = []
    students = db.session.scalars(
        sa.select(User)
        .where(User.role == Role.STUDENT, User.name_erased_at.is_(None))
        .order_by(User.id)
    )
    for student in students:
        years = [y for c in student.enrolled for y in class_years.get(c.id, [])]
        last = max(years) if years else academic_year_of(student.created_at)
        if this_year - last > older_than:
            found.append(Candidate(student, last))
    found.sort(key=lambda c: (c.last_year, c.student.id))
    return found


def pseudonym(student: User) -> str:
    """A stable name that says nothing of the child: "S-" and six letters and digits
    derived from their id and the instance's secret (no one can go back from it)."""
    mac = hmac.new(
        current_app.config["SECRET_KEY"].encode(),
        f"retention:{student.id}".encode(),
        hashlib.sha256,
    ).hexdigest()
    return f"S-{mac[:6].upper()}"


def serialize(candidate: Candidate) -> dict[str, Any]:
    """A candidate as ``forum retention`` lists them: their name and the pseudonym that
    replaces it."""
    student = candidate.student
    return {
        "id": student.id,
        "display_name": student.display_name,
        "school": student.school.slug if student.school else None,
        "last_academic_year": candidate.last_year,
        "pseudonym": pseudonym(student),
    }


def erase(found: list[Candidate]) -> int:
    """Replace each candidate's name with their pseudonym, stop their codes and end
    their sign-ins; all in one transaction."""
    now = utcnow()
    for candidate in found:
        student = candidate.student
        student.display_name = pseudonym(student)
        student.name_erased_at = now
        codes.revoke_codes(student)
    db.session.commit()
    return len(found)

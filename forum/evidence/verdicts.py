"""The review desk: sealed sessions under its filters, each with its latest verdict,
and a reviewer's verdict recorded beside the sealed record."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from ..errors import ActionError
from ..extensions import db
from ..models import ForumSession, Review, ReviewState, Role, School, Seal, User, exchange_classes
from .report import year_window


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

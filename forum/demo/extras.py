"""What ``make run`` adds to the plain demo (which many tests read as it is):
applications still on their way (``seed-demo --with-applications``) and an upcoming
showcase (``--with-showcase``), each made through the real actions (idempotent, after
``seed``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from .. import exchanges
from ..exchanges import showcases
from ..extensions import db
from ..models import Exchange, ExchangeKind, School, SchoolClass, User, utcnow
from . import data
from .base import session_json


def _users(*usernames: str) -> dict[str, User]:
    rows = db.session.scalars(sa.select(User).where(User.username.in_(usernames)))
    return {str(u.username): u for u in rows}


def demo_classes() -> dict[str, SchoolClass]:
    """The demo's classes (``data.CLASSES``) by school."""
    return {
        c["school"]: db.session.scalars(
            sa.select(SchoolClass)
            .join(School, School.id == SchoolClass.school_id)
            .where(School.slug == c["school"], SchoolClass.name == c["name"])
        ).one()
        for c in data.CLASSES
    }


def seed_applications() -> list[int]:
    """Add the demo's pending applications (idempotent); their ids."""
    staff = _users(*{a[k] for a in data.APPLICATIONS for k in ("proposer", "accepted_by") if a[k]})
    classes = demo_classes()
    starts = utcnow().date() + timedelta(days=60)
    ids = []
    for a in data.APPLICATIONS:
        found = db.session.scalar(sa.select(Exchange).where(Exchange.title == a["title"]))
        if found is None:
            found = exchanges.propose(
                staff[a["proposer"]],
                {
                    "class_id": classes[a["school"]].id,
                    "title": a["title"],
                    "sdgs": a["sdgs"],
                    "mode": a["mode"],
                    "goals": a["goals"],
                    "partner_class_ids": [classes[s].id for s in a["partners"]],
                    "partner_country": a["partner_country"],
                    "starts_on": starts.isoformat(),
                    "ends_on": (starts + timedelta(days=120)).isoformat(),
                },
            )
            if a["accepted_by"]:
                exchanges.accept(staff[a["accepted_by"]], found, {"comment": data.ACCEPT_COMMENT})
        ids.append(found.id)
    return ids


def seed_showcase() -> dict[str, Any]:
    """Add the demo's showcase (idempotent), scheduled by the Alliance's reviewer with
    its presenting class and signed up to by its audience class; its session, as
    ``seed`` lists sessions."""
    s = data.SHOWCASE
    showcase = db.session.scalar(
        sa.select(Exchange).where(
            Exchange.title == s["title"], Exchange.kind == ExchangeKind.SHOWCASE.value
        )
    )
    if showcase is None:
        reviewer = _users("chen.reviewer")["chen.reviewer"]
        classes = demo_classes()
        start = data.at_school_hour(utcnow().date() + timedelta(days=10))
        showcase = showcases.schedule(
            reviewer,
            {
                "title": s["title"],
                "sdgs": s["sdgs"],
                "description": s["description"],
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=1)).isoformat(),
                "presenting_class_ids": [classes[school].id for school in s["presenting"]],
            },
        )
        for school in s["audience"]:
            showcases.sign_up(reviewer, showcase, classes[school].id)
        showcases.limiter.forget()  # the seeding is not the reviewer's own pace
    session = showcases.session_of(showcase)
    assert session is not None  # the demo never cancels it
    return session_json(session)

"""What needs me: what waits for a teacher (a proposal to answer, an application
returned to them, a session of their exchange that someone else rescheduled or
cancelled) and, for the Alliance, the applications waiting for its decision (never a
showcase: ``forum.exchanges.showcases``). Shown on the home page; nothing here changes anything."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa

from ..extensions import db
from ..models import (
    AllianceDecision,
    Exchange,
    ExchangeKind,
    ExchangeStatus,
    ForumSession,
    Role,
    SessionStatus,
    User,
    exchange_classes,
    utcnow,
)
from ..people import access

# How long a partner's change to a session stays on the home page.
RECENT = timedelta(days=14)


@dataclass
class Needs:
    """What waits for one person."""

    to_answer: list[Exchange] = field(default_factory=list)
    returned: list[Exchange] = field(default_factory=list)
    rescheduled: list[ForumSession] = field(default_factory=list)
    cancelled: list[ForumSession] = field(default_factory=list)
    to_decide: list[Exchange] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any(
            (self.to_answer, self.returned, self.rescheduled, self.cancelled, self.to_decide)
        )


def for_user(user: User) -> Needs:
    """What waits for this person: a teacher's, or the Alliance's."""
    needs = Needs()
    if user.role == Role.TEACHER:
        needs.to_answer = proposals_to_answer(user)
        needs.returned = returned_to(user)
        needs.rescheduled, needs.cancelled = changed_by_others(user)
    if user.role in (Role.REVIEWER, Role.ADMIN):
        needs.to_decide = waiting_for_alliance()
    return needs


def proposals_to_answer(user: User) -> list[Exchange]:
    """Proposals naming a class the teacher teaches as partner, not yet answered."""
    mine = access.my_class_ids(user)
    unanswered = sa.select(exchange_classes.c.exchange_id).where(
        exchange_classes.c.class_id.in_(mine), exchange_classes.c.accepted.is_(None)
    )
    return list(
        db.session.scalars(
            sa.select(Exchange)
            .where(
                Exchange.status == ExchangeStatus.PROPOSED,
                Exchange.kind == ExchangeKind.EXCHANGE.value,
                Exchange.id.in_(unanswered),
            )
            .order_by(Exchange.created_at)
        )
    )


def returned_to(user: User) -> list[Exchange]:
    """The teacher's applications that the Alliance returned to them."""
    return list(
        db.session.scalars(
            sa.select(Exchange)
            .where(
                Exchange.status == ExchangeStatus.PROPOSED,
                Exchange.kind == ExchangeKind.EXCHANGE.value,
                Exchange.alliance == AllianceDecision.RETURNED,
                Exchange.created_by_id == user.id,
            )
            .order_by(Exchange.created_at)
        )
    )


def changed_by_others(user: User) -> tuple[list[ForumSession], list[ForumSession]]:
    """Sessions of the teacher's exchanges that someone else rescheduled, and those
    someone else cancelled, within ``RECENT``, that have not yet ended."""
    now = utcnow()
    since = now - RECENT
    ids = access.visible_exchange_ids(user)  # a teacher's: never None
    base = sa.select(ForumSession).where(ForumSession.ends_at > now)
    if ids is not None:
        base = base.where(ForumSession.exchange_id.in_(ids))
    rescheduled = db.session.scalars(
        base.where(
            ForumSession.cancelled_at.is_(None),
            ForumSession.status == SessionStatus.SCHEDULED,
            ForumSession.rescheduled_at > since,
            ForumSession.rescheduled_by_id != user.id,
        ).order_by(ForumSession.starts_at)
    )
    cancelled = db.session.scalars(
        base.where(
            ForumSession.cancelled_at > since,
            ForumSession.cancelled_by_id != user.id,
        ).order_by(ForumSession.starts_at)
    )
    return list(rescheduled), list(cancelled)


def waiting_for_alliance() -> list[Exchange]:
    """Applications waiting for the Alliance's decision (not returned to a teacher)."""
    return list(
        db.session.scalars(
            sa.select(Exchange)
            .where(
                Exchange.status == ExchangeStatus.PROPOSED,
                Exchange.kind == ExchangeKind.EXCHANGE.value,
                Exchange.alliance == AllianceDecision.PENDING,
            )
            .order_by(Exchange.created_at)
        )
    )

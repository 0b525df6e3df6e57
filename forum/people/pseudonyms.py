"""Who reads students by name, and the pseudonyms everyone else reads instead.

Students are minors. A reviewer reads every session under pseudonyms — on the
record's pages, in its exports and API, and live in the room (events, their replay,
presence, typing) — and the numbers are the same everywhere: "Student 1, 2, …" in
the order each student first appears in the session's log, as the one who acted or
the one an event is about (``member.muted``, ``member.removed`` …). A teacher of the
exchange or an admin may reveal a session's names to reviewers; that choice, and
taking it back, is kept with who made it and when. This module is the one place that
decides all of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from ..extensions import db
from ..models import Event, ForumSession, NameReveal, Role, User

# The events that name someone besides their actor, in ``data["user_id"]``.
ABOUT_SOMEONE = ("member.muted", "member.unmuted", "member.removed")


def reads_pseudonyms(user: Any, session_id: int | None) -> bool:
    """Does this person read the session's students under pseudonyms? Reviewers do,
    unless a teacher of the exchange or an admin has revealed the session's names to
    them (``reveal``); students, teachers and admins read names (teachers and admins
    may ask for pseudonyms on the record's pages)."""
    role = getattr(user, "role", None)
    if not (role == Role.REVIEWER or getattr(role, "value", role) == Role.REVIEWER.value):
        return False
    return session_id is None or latest_reveal(session_id) is None


def latest_reveal(session_id: int) -> NameReveal | None:
    """The choice in force that reviewers read this session's names, if any."""
    choice = db.session.scalar(
        sa.select(NameReveal)
        .where(NameReveal.session_id == session_id)
        .order_by(NameReveal.id.desc())
        .limit(1)
    )
    return choice if choice is not None and choice.revealed else None


def reveal(user: User, session: ForumSession, revealed: bool) -> NameReveal:
    """A teacher of the exchange or an admin reveals the session's students' names to
    reviewers, or takes that back; the choice is kept with who made it and when."""
    from . import access

    access.require_manager(user, session.exchange)
    choice = NameReveal(session_id=session.id, by_id=user.id, revealed=revealed)
    db.session.add(choice)
    db.session.commit()
    return choice


def label(number: int) -> str:
    """A student's pseudonym in the reader's language."""
    return _("Student %(n)s", n=number)


def appearance_order(mentions: Iterable[tuple[int, int | None]]) -> list[int]:
    """User ids in order of first appearance, from (seq, user id) pairs in log order
    (within one event, its actor before the one it is about)."""
    order: dict[int, None] = {}
    for _seq, uid in mentions:
        if isinstance(uid, int) and uid not in order:
            order[uid] = None
    return list(order)


def mentions_of(events: Iterable[Event | Any]) -> list[tuple[int, int | None]]:
    """The (seq, user id) pairs of events already in memory."""
    pairs: list[tuple[int, int | None]] = []
    for event in events:
        pairs.append((event.seq, event.actor_id))
        pairs.append((event.seq, (event.data or {}).get("user_id")))
    return pairs


def numbers(ids_in_order: list[int], roles: dict[int, Role]) -> dict[int, int]:
    """Everyone of ``ids_in_order``: students numbered 1, 2, … in that order, the
    others 0 (read by name)."""
    out: dict[int, int] = {}
    count = 0
    for uid in ids_in_order:
        if roles.get(uid) == Role.STUDENT:
            count += 1
            out[uid] = count
        elif uid in roles:
            out[uid] = 0
    return out


def session_numbers(session_id: int) -> dict[int, int]:
    """The pseudonym numbers of a session's students, read from its log by first
    appearance (for the live room, which holds no whole log in memory)."""
    firsts = db.session.execute(
        sa.select(Event.actor_id, sa.func.min(Event.seq))
        .where(Event.session_id == session_id, Event.actor_id.is_not(None))
        .group_by(Event.actor_id)
    ).all()
    pairs = [(seq, uid) for uid, seq in firsts]
    about = db.session.execute(
        sa.select(Event.seq, Event.data).where(
            Event.session_id == session_id, Event.type.in_(ABOUT_SOMEONE)
        )
    ).all()
    # The one an event is about comes after its actor: (seq, 1) sorts after (seq, 0).
    keyed = [((seq, 0), uid) for seq, uid in pairs]
    keyed += [((seq, 1), (data or {}).get("user_id")) for seq, data in about]
    keyed.sort(key=lambda item: item[0])
    order = appearance_order((key[0], uid) for key, uid in keyed)
    roles = (
        dict(db.session.execute(sa.select(User.id, User.role).where(User.id.in_(order))).all())
        if order
        else {}
    )
    return numbers(order, roles)


def mask_actor(actor: dict[str, Any] | None, numbering: dict[int, int]) -> dict[str, Any] | None:
    """Someone as a pseudonym reader sees them: a student by number; anyone the
    numbering does not know (yet) without a name, never by it."""
    if not actor:
        return actor
    ident = actor.get("id")
    number = None if ident is None else numbering.get(ident)
    if number == 0:
        return actor
    return {**actor, "name": label(number) if number else "…"}


def mask_event(payload: dict[str, Any], numbering: dict[int, int]) -> dict[str, Any]:
    """A live ``event`` as a pseudonym reader sees it (the data names nobody: only ids)."""
    actor = payload.get("actor")
    masked = mask_actor(actor, numbering)
    return payload if masked is actor else {**payload, "actor": masked}


def mask_presence(payload: dict[str, Any], numbering: dict[int, int]) -> dict[str, Any]:
    """A ``presence`` snapshot as a pseudonym reader sees it."""
    return {**payload, "members": [mask_actor(m, numbering) for m in payload["members"]]}


def mask_typing(payload: dict[str, Any], numbering: dict[int, int]) -> dict[str, Any]:
    """A ``typing`` hint as a pseudonym reader sees it."""
    return {**payload, "user": mask_actor(payload["user"], numbering)}


def unknown(payload: dict[str, Any], kind: str, numbering: dict[int, int]) -> bool:
    """Does the payload name a student the numbering does not know yet (a newcomer to
    the log since it was read)? Then it is read again."""
    if kind == "skip":  # names nobody
        return False
    if kind == "event":
        people = [payload.get("actor")]
    elif kind == "presence":
        people = payload["members"]
    else:
        people = [payload.get("user")]
    return any(p and p.get("id") not in numbering for p in people)

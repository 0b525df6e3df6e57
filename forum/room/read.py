"""Reading the room: its events as a reader may see them (a replay, or a page of the
latest), who is here, who is muted, and the caller's own standing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..i18n import html_lang_of
from ..log import eventlog, events
from ..log.eventlog import Logged, group_names, groups_of, withheld_items  # noqa: F401 - re-exported
from ..models import (
    BreakoutGroup,
    Event,
    RoomMember,
    User,
)
from ..timeutil import iso_utc
from .rules import _is_muted
from .seat import Seat, actor_of

# --- breakout groups: who is in which ------------------------------------------------


def formed(session_id: int) -> list[BreakoutGroup]:
    """The groups formed now (none when the room is together), by id."""
    return list(
        db.session.scalars(
            sa.select(BreakoutGroup)
            .where(BreakoutGroup.session_id == session_id, BreakoutGroup.ended_seq.is_(None))
            .order_by(BreakoutGroup.id)
        )
    )


def group_json(group: BreakoutGroup) -> dict[str, Any]:
    return {"id": group.id, "name": group.name, "member_ids": list(group.member_ids)}


def current_group(session_id: int, user_id: int) -> int | None:
    """The group this person is in now (None: no group, or none formed)."""
    for group in formed(session_id):
        if user_id in group.member_ids:
            return group.id
    return None


def readers_groups(seat: Seat) -> set[int] | None:
    """The groups whose talk this reader hears: None (every group) for the teachers;
    for anyone else the groups they were in (reviewers observing live: none — they
    read every group in the record)."""
    return None if seat.manager else groups_of(seat.session.id, seat.user.id)


def in_reach(data: dict[str, Any], mine: set[int] | None) -> bool:
    """Was an event said where this reader hears it: the whole room (no
    ``group_id``), or one of ``mine`` (None: every group)?"""
    group_id = data.get("group_id")
    return group_id is None or mine is None or group_id in mine


def shown(seat: Seat, event: Event | Logged, mine: set[int] | None) -> bool:
    """May this reader receive this event (live or in a replay)? The catalogue's
    ``to`` (teachers-only and author-only events), then the group it was said in."""
    return events.may_receive(
        event.type, moderator=seat.manager, author=event.actor_id == seat.user.id
    ) and in_reach(event.data, mine)


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
    private: bool = False,
) -> dict[str, Any]:
    """The protocol's ``event`` object, hidden text withheld as ``visible_data`` says.

    Without ``private`` it is the event as the room is told it: the parts the
    catalogue keeps for its author and the moderators (``events.Private``: a vote's
    choices and voter) left out. ``private`` is for those readers only."""
    data = visible_data(event, withhold)
    actor = actors.get(event.actor_id) if event.actor_id else None
    secret = None if private else events.CATALOGUE[event.type].private
    if secret is not None:
        data = secret.strip(data)
        if secret.actor:
            actor = None
    return {
        "session_id": event.session_id,
        "seq": event.seq,
        "type": event.type,
        "at": iso_utc(event.at, micro=True),
        "actor": actor,
        "data": data,
    }


def _sees_private(seat: Seat, event: Event | Logged) -> bool:
    """Does this reader receive the event's private parts (its author, a moderator)?"""
    return seat.manager or event.actor_id == seat.user.id


def actors_for(events: list[Event]) -> dict[int, dict[str, Any]]:
    ids = {e.actor_id for e in events if e.actor_id}
    if not ids:
        return {}
    users = db.session.scalars(sa.select(User).where(User.id.in_(ids)))
    return {u.id: actor_of(u) for u in users}


def replay(seat: Seat, since: int = 0) -> list[dict[str, Any]]:
    """Every event after ``since`` that the reader may receive (the catalogue's ``to``),
    hidden text withheld for anyone who does not moderate; a group's events only to
    its members and the teachers."""
    mine = readers_groups(seat)
    logged = [e for e in eventlog.events_since(seat.session.id, since) if shown(seat, e, mine)]
    withhold = None if seat.manager else eventlog.hidden_items(seat.session.id)
    actors = actors_for(logged)
    return [
        serialize_event(e, actors, withhold=withhold, private=_sees_private(seat, e))
        for e in logged
    ]


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
    mine = readers_groups(seat)
    logged: list[Event] = []
    more = False
    cursor = before
    # The types a reader may receive are chosen by the query; the groups they hear are
    # chosen here (a group is in the event's data), reading back further while other
    # groups' events leave the page short.
    while True:
        batch = eventlog.events_before(
            seat.session.id, cursor, limit + 1, types=types, own_types=own, actor_id=seat.user.id
        )
        logged = [e for e in batch if in_reach(e.data, mine)] + logged
        if len(logged) > limit:
            logged, more = logged[-limit:], True
            break
        if len(batch) <= limit:
            break
        cursor = batch[0].seq
    oldest = logged[0].seq if logged else (before or seat.session.head_seq + 1)
    wanted = set(quote)
    for e in logged:
        if e.type == "message.posted" and isinstance(e.data.get("reply_to"), int):
            wanted.add(e.data["reply_to"])
    # A message's id is the seq of its message.posted: those older than the page.
    quoted = [
        e
        for e in eventlog.events_at(seat.session.id, {w for w in wanted if w < oldest})
        if e.type in ("message.posted", "message.held") and shown(seat, e, mine)
    ]
    withhold = None if seat.manager else eventlog.hidden_items(seat.session.id)
    actors = actors_for(logged + quoted)
    return Page(
        events=[
            serialize_event(e, actors, withhold=withhold, private=_sees_private(seat, e))
            for e in logged
        ],
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
        "group_id": current_group(seat.session.id, seat.user.id),
        **actor_of(seat.user),
        "lang": html_lang_of(seat.user.locale),
        "can_moderate": seat.manager,
        "can_write": seat.member or seat.manager,
        # A showcase's audience student: every message waits for a teacher.
        "audience": seat.audience,
        "muted": bool(member and _is_muted(member)),
        "muted_until": iso_utc(member.muted_until) if member and member.muted_until else None,
    }


def presence(session_id: int) -> dict[str, Any]:
    """Who has been in the room, and who is here now."""
    from ..models import Connection

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

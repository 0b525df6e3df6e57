"""Who reads a record, and how: with names or pseudonyms, hidden text or not
(``reading_for``); the people in it, named as the reading names them (``actors``);
and what a record is read against, taken once at the start (``snapshot``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..log import eventlog
from ..models import Event, ForumSession, Role, Seal, User
from ..people import pseudonyms
from ..people.pseudonyms import reads_pseudonyms
from ..room import seal
from ..schedule import sessions
from ..timeutil import iso_utc
from .read import through_of

FORMAT = "sdg-forum-transcript/1"


# --- who reads it, and how ------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """How a reader sees a record: with names or pseudonyms, hidden text or not."""

    names: bool
    hidden_text: bool
    # A student's own copy: only the events they may receive, a vote's choices and
    # voter left out but for their own (the catalogue's ``to`` and ``Private``).
    reader_id: int | None = None
    # A student reads their record without the text of others' messages still held
    # and of the groups they were not in (``eventlog.withheld_items``).
    student_id: int | None = None


def reading_for(user: User, session: ForumSession, *, pseudonyms: bool = False) -> Reading:
    """Students: their own sessions, no hidden text. Reviewers: everything, students
    under pseudonyms unless their names were revealed (``pseudonyms.reads_pseudonyms``).
    Teachers, admins and reviewers who may read names: names unless they ask not."""
    if user.role == Role.STUDENT:
        return Reading(names=True, hidden_text=False, reader_id=user.id, student_id=user.id)
    if reads_pseudonyms(user, session.id):
        return Reading(names=False, hidden_text=True)
    return Reading(names=not pseudonyms, hidden_text=True)


def _bounded(query, through: int | None):
    return query if through is None else query.where(Event.seq <= through)


def appearance(session_id: int, through: int | None) -> list[int]:
    """User ids in order of first appearance in the log up to ``through``, as the one
    who acted or the one an event is about (``pseudonyms.appearance_order`` over the
    whole log), from an aggregate and the few events about someone."""
    firsts = db.session.execute(
        _bounded(
            sa.select(Event.actor_id, sa.func.min(Event.seq))
            .where(Event.session_id == session_id, Event.actor_id.is_not(None))
            .group_by(Event.actor_id),
            through,
        )
    ).all()
    keyed = [((seq, 0), uid) for uid, seq in firsts]
    about = db.session.execute(
        _bounded(
            sa.select(Event.seq, Event.data).where(
                Event.session_id == session_id, Event.type.in_(pseudonyms.ABOUT_SOMEONE)
            ),
            through,
        )
    ).all()
    keyed += [((seq, 1), (data or {}).get("user_id")) for seq, data in about]
    keyed.sort(key=lambda item: item[0])
    return pseudonyms.appearance_order((key[0], uid) for key, uid in keyed)


def actors(
    session: ForumSession,
    reading: Reading,
    through: int | None = None,
) -> dict[str, dict]:
    """Everyone who caused an event (or whom one is about), by id; students as
    "Student 1, 2 …" (in order of first appearance) when the reading asks for
    pseudonyms."""
    order = appearance(session.id, through)
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(order)))}
    numbering = pseudonyms.numbers(order, {uid: u.role for uid, u in users.items()})
    out: dict[str, dict] = {}
    for uid in order:
        user = users.get(uid)
        if user is None:
            continue
        name = user.display_name
        if numbering.get(uid) and not reading.names:
            name = pseudonyms.label(numbering[uid])
        out[str(uid)] = {
            "name": name,
            "role": user.role.value,
            "school": user.school.slug if user.school else None,
            "country": user.school.country if user.school else None,
        }
    return out


@dataclass
class Snapshot:
    """What a record is read against, taken once at the start: how far the log goes,
    who is named how, what is withheld, the head and the seal. Everything after it
    is the log's events, read in batches."""

    session_id: int
    through: int | None
    reading: Reading
    withhold: set[tuple[str, int]] | None
    actors: dict[str, dict]
    fields: dict[str, Any]  # the export's keys besides "events"


def snapshot(session: ForumSession, reading: Reading) -> Snapshot:
    through = through_of(session)
    sealed = db.session.get(Seal, session.id)
    found = actors(session, reading, through)
    fields = {
        "format": FORMAT,
        "session": sessions.serialize(session),
        "actors": found,
        "head_hash": session.head_hash or eventlog.genesis_hash(session.id),
        "sealed_at": iso_utc(sealed.sealed_at, micro=True) if sealed else None,
        "signature": sealed.signature if sealed else None,
        "public_key": seal.public_key_pem(),
    }
    return Snapshot(
        session.id,
        through,
        reading,
        None
        if reading.hidden_text
        else (
            eventlog.withheld_items(session.id, reading.student_id)
            if reading.student_id is not None
            else eventlog.hidden_items(session.id)
        ),
        found,
        fields,
    )

"""Flags: anyone in the room says "this is not OK" about a message or a note; the
session's teachers (of both schools) see it at once in a queue and resolve it by
hiding the item (``mod.hide``, which resolves every open flag on it) or dismissing
the flag.

``item.flagged`` is told to the teachers only (the catalogue's ``to``): students never
hear of a flag, nor who raised it; the flagger gets an ack. The record keeps the
flagger as the event's actor.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import sql
from ..errors import ActionError
from ..extensions import db
from ..log import events
from ..log.eventlog import Head, Logged
from ..models import Event, Flag, ForumSession, Message, Note, User
from ..people import throttle
from .chat import _int
from .moderation import _reason
from .rules import check_can_write, check_manager
from .seat import Seat, actor_of
from .write import Recorded, record

# Flags: a burst of 5, then one a minute per person — enough to report what is wrong,
# too few to bury the teachers' queue.
flag_limiter = throttle.Limiter("flag", burst=5, per_second=1 / 60)
EXCERPT = 140  # characters of the flagged item the queue shows


# --- the fold --------------------------------------------------------------------


# Flags fold as plain SQL on the writer's connection, like chat (``room.fold``): a
# class may flag a message at once, and through the ORM each cost ~3 ms of CPU.
@events.folds("item.flagged", "flag.dismissed", plain=True)
def _fold_flag(
    session: ForumSession | Head, event: Event | Logged, run: sql.Statements | None = None
) -> None:
    run = run or sql.statements()
    data = event.data
    if event.type == "item.flagged":
        assert event.actor_id is not None
        run.run(
            "INSERT INTO flags (session_id, id, flagger_id, target, item_id, reason, at, "
            "state) VALUES (:session_id, :id, :flagger_id, :target, :item_id, :reason, "
            ":at, :state)",
            {
                "session_id": session.id,
                "id": data["flag_id"],
                "flagger_id": event.actor_id,
                "target": data["target"],
                "item_id": data["id"],
                "reason": data["reason"],
                "at": run.instant(event.at),
                "state": "open",
            },
        )
        return
    run.run(
        "UPDATE flags SET state = :state, resolved_by = :by, resolved_seq = :seq "
        "WHERE session_id = :session_id AND id = :flag_id",
        {
            "session_id": session.id,
            "flag_id": data["flag_id"],
            "state": "dismissed",
            "by": event.actor_id,
            "seq": event.seq,
        },
    )


@events.also_folds("message.hidden", "note.hidden")
def _resolve_by_hiding(
    session: ForumSession | Head, event: Event | Logged, run: object = None
) -> None:
    """Hiding an item resolves the open flags on it."""
    target = "message" if event.type == "message.hidden" else "note"
    item_id = event.data["message_id" if target == "message" else "note_id"]
    db.session.execute(
        sa.update(Flag)
        .where(
            Flag.session_id == session.id,
            Flag.target == target,
            Flag.item_id == item_id,
            Flag.state == "open",
        )
        .values(state="hidden", resolved_by=event.actor_id, resolved_seq=event.seq)
        .execution_options(synchronize_session=False)
    )


# --- reading ---------------------------------------------------------------------


def _excerpt(text: str | None) -> str | None:
    if text is None:
        return None
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


def queue(session_id: int) -> list[dict[str, Any]]:
    """The open flags, oldest first, for the teachers' queue in ``join``: each with who
    flagged it (teachers may know), the reason and an excerpt of the item."""
    flags = db.session.scalars(
        sa.select(Flag).where(Flag.session_id == session_id, Flag.state == "open").order_by(Flag.id)
    ).all()
    if not flags:
        return []
    texts: dict[tuple[str, int], tuple[str | None, str | None]] = {}
    message_ids = [f.item_id for f in flags if f.target == "message"]
    note_ids = [f.item_id for f in flags if f.target == "note"]
    if message_ids:
        for mid, body, lang in db.session.execute(
            sa.select(Message.id, Message.body, Message.lang).where(
                Message.session_id == session_id, Message.id.in_(message_ids)
            )
        ):
            texts[("message", mid)] = (body, lang)
    if note_ids:
        for nid, note_text, lang in db.session.execute(
            sa.select(Note.id, Note.text, Note.lang).where(
                Note.session_id == session_id, Note.id.in_(note_ids)
            )
        ):
            texts[("note", nid)] = (note_text, lang)
    flaggers = {f.flagger_id for f in flags}
    actors = {
        u.id: actor_of(u) for u in db.session.scalars(sa.select(User).where(User.id.in_(flaggers)))
    }
    out = []
    for f in flags:
        excerpt, item_lang = texts.get((f.target, f.item_id), (None, None))
        out.append(
            {
                "flag_id": f.id,
                "target": f.target,
                "id": f.item_id,
                "reason": f.reason,
                "flagger": actors.get(f.flagger_id),
                "excerpt": _excerpt(excerpt),
                "lang": item_lang,
            }
        )
    return out


# --- actions ---------------------------------------------------------------------

# The item a flag is about, if it is there to flag (a removed note is not): whether a
# teacher hid it, and whether this person's flag on it is still open.
_ITEM_SQL = {
    "message": (
        "SELECT m.hidden, (SELECT COUNT(*) FROM flags f WHERE f.session_id = m.session_id "
        "AND f.target = 'message' AND f.item_id = m.id AND f.flagger_id = :user_id "
        "AND f.state = 'open') FROM messages m "
        "WHERE m.session_id = :session_id AND m.id = :item_id"
    ),
    "note": (
        "SELECT n.hidden, (SELECT COUNT(*) FROM flags f WHERE f.session_id = n.session_id "
        "AND f.target = 'note' AND f.item_id = n.id AND f.flagger_id = :user_id "
        "AND f.state = 'open') FROM notes n "
        "WHERE n.session_id = :session_id AND n.id = :item_id AND NOT n.removed"
    ),
}


def flag(seat: Seat, payload: dict[str, Any]) -> Recorded:
    """flag: report a message or a note to the teachers, with an optional reason.

    Anyone in the room may, even in a locked room or while muted — telling a teacher
    must never be blocked. An item already hidden, or already flagged by the same
    person and still open, answers ``conflict``."""
    target = payload.get("target")
    if target not in ("message", "note"):
        raise ActionError("invalid", _("target must be message or note."))
    item_id = _int(payload.get("id"), "id")
    reason = _reason(payload)
    flag_limiter.take(seat.user.id)

    def check(seat, member, now) -> None:
        check_can_write(seat, member)
        params = {"session_id": seat.session.id, "item_id": item_id, "user_id": seat.user.id}
        # Read where the writer writes (under the lock, the live connection).
        item = sql.reader().one(_ITEM_SQL[target], params)
        if item is None:
            if target == "message":
                raise ActionError("not_found", _("There is no such message."))
            raise ActionError("not_found", _("There is no such note."))
        hidden, flagged_already = item
        if hidden:
            raise ActionError("conflict", _("A teacher has already hidden it."))
        if flagged_already:
            raise ActionError("conflict", _("You have already flagged this. A teacher will look."))

    def build(session, member, now) -> dict[str, Any]:
        return {"flag_id": session.head_seq + 1, "target": target, "id": item_id, "reason": reason}

    return record(seat, "item.flagged", build, check=check)


def dismiss(seat: Seat, payload: dict[str, Any]) -> Recorded:
    """flag.dismiss: a teacher decides a flag needs nothing done. A flag already
    resolved answers ``conflict``."""
    check_manager(seat)
    flag_id = _int(payload.get("flag_id"), "flag_id")

    def check(seat, member, now) -> None:
        row = sql.reader().one(
            "SELECT state FROM flags WHERE session_id = :session_id AND id = :flag_id",
            {"session_id": seat.session.id, "flag_id": flag_id},
        )
        if row is None:
            raise ActionError("not_found", _("There is no such flag."))
        if row[0] != "open":
            raise ActionError("conflict", _("This flag has already been resolved."))

    return record(seat, "flag.dismissed", lambda s, m, n: {"flag_id": flag_id}, check=check)

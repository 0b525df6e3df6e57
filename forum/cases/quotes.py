"""What a case may quote from a sealed record, and what it may not.

A case quotes events of a sealed session by (session, seq): a chat message as it was
posted, or a note of the final board in its last version. Never a message or note that
moderation hid, a note taken off the board, an event of another kind, or the words of a
student whose roster row records no guardian's consent to publication (``consent``).
The words come from the event itself, so they are exactly what the seal covers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from ..extensions import db
from ..models import Event, ForumSession, Message, Note, Role, Seal, SessionStatus, User

MESSAGE = "message.posted"
NOTE_TYPES = ("note.added", "note.edited")
QUOTABLE_TYPES = (MESSAGE, *NOTE_TYPES)


@dataclass(frozen=True)
class Quote:
    """One quotable event: its words, who wrote them, and whether it may be published."""

    event: Event
    kind: str  # "message" or "note"
    text: str
    lang: str
    author: User | None
    # Why it may not be quoted (a code of ``REASONS``), None when it may.
    refused: str | None = None

    @property
    def session_id(self) -> int:
        return self.event.session_id

    @property
    def seq(self) -> int:
        return self.event.seq

    @property
    def at(self) -> datetime:
        return self.event.at


def reason_message(code: str) -> str:
    """Why an excerpt is refused, in the reader's language."""
    messages = {
        "no_such_seq": _("The session's record has no event with this number."),
        "not_quotable": _("Only chat messages and notes of the final board may be quoted."),
        "hidden": _("A teacher hid this from the room: it cannot be published."),
        "not_final": _(
            "This note was changed or taken off the board later: quote its last version."
        ),
        "no_consent": _(
            "This student's guardian has not consented to publication: "
            "their words cannot be quoted."
        ),
    }
    return messages[code]


def is_sealed(session: ForumSession) -> bool:
    """Closed, with its seal: only such a record can be quoted and checked."""
    return (
        session.status == SessionStatus.CLOSED
        and session.cancelled_at is None
        and db.session.get(Seal, session.id) is not None
    )


def consents(user: User | None) -> bool:
    """May this person's words appear in a published case? Staff speak for themselves;
    a student only with a guardian's consent on their roster row."""
    return user is None or user.role != Role.STUDENT or bool(user.publish_consent)


def _people(ids: set[int]) -> dict[int, User]:
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}


def quotes_of(session_id: int, seqs: set[int] | None = None) -> dict[int, Quote]:
    """The quotable-kind events of a session (or of these seqs), by seq, each with why
    it may not be quoted, if so. Other kinds of events are left out."""
    query = sa.select(Event).where(Event.session_id == session_id, Event.type.in_(QUOTABLE_TYPES))
    if seqs is not None:
        query = query.where(Event.seq.in_(sorted(seqs)))
    events = list(db.session.scalars(query.order_by(Event.seq)))
    hidden = set(
        db.session.scalars(
            sa.select(Message.id).where(Message.session_id == session_id, Message.hidden)
        )
    )
    notes = {
        n.id: n for n in db.session.scalars(sa.select(Note).where(Note.session_id == session_id))
    }
    authors: dict[int, int | None] = {}
    for event in events:
        if event.type == MESSAGE:
            authors[event.seq] = event.actor_id
        else:
            authors[event.seq] = event.data["note"].get("author_id", event.actor_id)
    people = _people(
        {a for a in authors.values() if a} | {e.actor_id for e in events if e.actor_id}
    )
    out: dict[int, Quote] = {}
    for event in events:
        author = people.get(authors[event.seq] or 0)
        writer = people.get(event.actor_id or 0)
        if event.type == MESSAGE:
            refused = "hidden" if event.data["message_id"] in hidden else None
            text, lang, kind = event.data["body"], event.data.get("lang") or "", "message"
        else:
            shape = event.data["note"]
            note = notes.get(shape["id"])
            if note is None or note.hidden:
                refused = "hidden"
            elif note.removed or note.version != shape.get("version", note.version):
                refused = "not_final"
            else:
                refused = None
            text, lang, kind = shape["text"], shape.get("lang") or "", "note"
        if refused is None and not (consents(author) and consents(writer)):
            refused = "no_consent"
        out[event.seq] = Quote(event, kind, text, lang, author, refused)
    return out


def quote(session_id: int, seq: int) -> Quote | str:
    """The quote at (session, seq), or the code of why there is none to quote."""
    found = quotes_of(session_id, {seq}).get(seq)
    if found is not None:
        return found
    exists = db.session.scalar(
        sa.select(Event.id).where(Event.session_id == session_id, Event.seq == seq)
    )
    return "not_quotable" if exists else "no_such_seq"

"""The shared board: sticky notes in columns, as events in the session's log.

Notes live in the same log as the chat and go through ``room.record``, so they get
the same guarantees: stored before anyone hears of them, idempotent adds, replay
on rejoin, seq order. Edits carry the version they were made on; a stale edit is
refused with the current note so nobody silently overwrites anybody.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..errors import ActionError
from ..extensions import db
from ..i18n import html_lang_of
from ..inputs import storable
from ..log import events
from ..log.eventlog import Head, Logged
from ..models import Event, ForumSession, Note, NoteVote
from . import (
    MAX_INT,
    Recorded,
    Seat,
    check_can_contribute,
    check_group,
    check_manager,
    client_id_of,
    groups_of,
    posting_group,
    rate_limiter,
    record,
    tagged,
)

MAX_TEXT = 500
MAX_COLUMNS = 6
MAX_COLUMN_TITLE = 60
COLORS = ("yellow", "pink", "blue", "green", "orange", "purple")

TEMPLATES: dict[str, list[tuple[str, Any]]] = {
    "see-why-do": [
        ("see", _l("What we see")),
        ("why", _l("Why it happens")),
        ("do", _l("What we will do")),
    ],
    "ideas-questions-actions": [
        ("ideas", _l("Ideas")),
        ("questions", _l("Questions")),
        ("actions", _l("Actions")),
    ],
}
TEMPLATE_NAMES = {
    "see-why-do": _l("What we see / Why it happens / What we will do"),
    "ideas-questions-actions": _l("Ideas / Questions / Actions"),
    "custom": _l("My own columns"),
}


def columns_of(session: ForumSession | Head) -> list[dict[str, str]]:
    """The board's columns in the reader's language."""
    if session.board_template in TEMPLATES:
        template = TEMPLATES[session.board_template]
        return [{"id": cid, "title": str(title)} for cid, title in template]
    return [dict(c) for c in (session.board_columns or [])]


def custom_columns(titles: list[str]) -> list[dict[str, str]]:
    """Columns from a teacher's own titles: c1, c2, … with the titles as typed."""
    clean = [" ".join(t.split()) for t in titles if t and t.strip()]
    if not 1 <= len(clean) <= MAX_COLUMNS:
        raise ActionError(
            "invalid",
            _("Give between 1 and %(n)s columns.", n=MAX_COLUMNS),
            fields={"columns": _("Give between 1 and %(n)s columns.", n=MAX_COLUMNS)},
        )
    if any(len(t) > MAX_COLUMN_TITLE for t in clean):
        raise ActionError(
            "invalid",
            _("A column title may have at most %(n)s characters.", n=MAX_COLUMN_TITLE),
            fields={"columns": _("At most %(n)s characters.", n=MAX_COLUMN_TITLE)},
        )
    return [{"id": f"c{i}", "title": t} for i, t in enumerate(clean, start=1)]


def note_json(note: Note) -> dict[str, Any]:
    return {
        "id": note.id,
        "column": note.column,
        "text": note.text,
        "color": note.color,
        "x": note.x,
        "y": note.y,
        "version": note.version,
        "votes": note.votes,
        "author_id": note.author_id,
        "lang": note.lang,
    }


def state(
    session_id: int, *, with_hidden_text: bool = True, groups: set[int] | None = None
) -> list[dict[str, Any]]:
    """The board as stored: live notes by column order then id; the whole room's and
    those of the breakout groups in ``groups`` (None: every group's), a group's with
    its ``group_id``."""
    notes = db.session.scalars(
        sa.select(Note)
        .where(Note.session_id == session_id, Note.removed.is_(False))
        .order_by(Note.id)
    )
    out = []
    for note in notes:
        if note.group_id is not None and groups is not None and note.group_id not in groups:
            continue
        item = {**note_json(note), "hidden": note.hidden}
        if note.group_id is not None:  # as its events say it: absent for the whole room's
            item["group_id"] = note.group_id
        if note.hidden and not with_hidden_text:
            item["text"] = None
        out.append(item)
    return out


def votes_of(session_id: int, user_id: int) -> list[int]:
    """The notes this person has voted for (what a paged join no longer replays)."""
    return list(
        db.session.scalars(
            sa.select(NoteVote.note_id)
            .where(NoteVote.session_id == session_id, NoteVote.user_id == user_id)
            .order_by(NoteVote.note_id)
        )
    )


# --- the fold ---------------------------------------------------------------------


def _note(session_id: int, note_id: int) -> Note | None:
    return db.session.get(Note, (session_id, note_id))


def _logged_note(session_id: int, note_id: int) -> Note:
    """A note the log has added: what the fold, and a build after its check, read."""
    return db.session.get_one(Note, (session_id, note_id))


@events.folds(
    "note.added", "note.edited", "note.voted", "note.removed", "note.hidden", "note.unhidden"
)
def apply(session: ForumSession | Head, event: Event | Logged, run: object = None) -> None:
    """Fold one note.* event into the board state (the catalogue's fold for notes)."""
    data, kind = event.data, event.type
    if kind == "note.added":
        n = data["note"]
        db.session.add(
            Note(
                session_id=session.id,
                id=n["id"],
                author_id=n["author_id"],
                column=n["column"],
                text=n["text"],
                color=n["color"],
                x=n["x"],
                y=n["y"],
                version=n["version"],
                votes=n["votes"],
                lang=n.get("lang") or "zh-Hant-TW",
                hidden=False,
                removed=False,
                group_id=data.get("group_id"),
            )
        )
    elif kind == "note.edited":
        n = data["note"]
        note = _logged_note(session.id, n["id"])
        note.column, note.text, note.x, note.y = n["column"], n["text"], n["x"], n["y"]
        note.color, note.version = n["color"], n["version"]
    elif kind == "note.voted":
        note = _logged_note(session.id, data["note_id"])
        vote = db.session.get(NoteVote, (session.id, data["note_id"], event.actor_id))
        if data["on"] and vote is None:
            db.session.add(
                NoteVote(session_id=session.id, note_id=data["note_id"], user_id=event.actor_id)
            )
        elif not data["on"] and vote is not None:
            db.session.delete(vote)
        note.votes = data["votes"]
    elif kind == "note.removed":
        _logged_note(session.id, data["note_id"]).removed = True
    elif kind in ("note.hidden", "note.unhidden"):
        _logged_note(session.id, data["note_id"]).hidden = kind == "note.hidden"
    else:  # pragma: no cover
        raise ValueError(kind)


# --- rules and actions ------------------------------------------------------------


def _live_note(seat: Seat, note_id: int) -> Note:
    """A note the caller may see and change: not removed, not hidden (but to
    teachers), on the whole room's board or that of a group the caller was in."""
    note = _note(seat.session.id, note_id)
    if note is None or note.removed or (note.hidden and not seat.manager):
        raise ActionError("not_found", _("There is no such note."))
    if (
        note.group_id is not None
        and not seat.manager
        and note.group_id not in groups_of(seat.session.id, seat.user.id)
    ):
        raise ActionError("not_found", _("There is no such note."))
    return note


def _check_own(seat: Seat, note: Note) -> None:
    if not seat.manager and note.author_id != seat.user.id:
        raise ActionError("forbidden", _("Only its author or a teacher can change this note."))


def _text(value: object) -> str:
    if not isinstance(value, str) or not storable(value):
        raise ActionError("invalid", _("%(field)s must be text.", field="text"))
    text = value.strip()
    if not text:
        raise ActionError("invalid", _("Write something on the note first."))
    if len(text) > MAX_TEXT:
        raise ActionError("too_large", _("A note may have at most %(n)s characters.", n=MAX_TEXT))
    return text


def _coordinate(value: object, name: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not (0 <= float(value) <= 10000)
    ):
        raise ActionError("invalid", _("%(field)s must be a number from 0 to 10000.", field=name))
    return round(float(value), 2)


def _column(seat: Seat, value: object) -> str:
    ids = [c["id"] for c in columns_of(seat.session)]
    if value not in ids:
        raise ActionError("invalid", _("There is no such column on this board."))
    return value


def _note_id(payload: dict[str, Any]) -> int:
    value = payload.get("note_id")
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_INT:
        raise ActionError("invalid", _("%(field)s must be a number.", field="note_id"))
    return value


def add(seat: Seat, payload: dict[str, Any]) -> Recorded:
    """note.add: a new note in a column (idempotent on client_id). A showcase's
    audience students write no notes: a note is seen at once, their words wait for a
    teacher (they ask in the chat, ``access.is_audience``)."""
    if seat.audience:
        raise ActionError(
            "forbidden",
            _("In a showcase the audience asks in the chat; a teacher lets it through."),
        )
    client_id = client_id_of(payload)
    text = _text(payload.get("text"))
    color = payload.get("color", "yellow")
    if color not in COLORS:
        raise ActionError("invalid", _("This colour is not offered."))
    x = _coordinate(payload.get("x", 0), "x")
    y = _coordinate(payload.get("y", 0), "y")
    group_id = posting_group(payload)
    rate_limiter.take(seat.user.id)

    def check(seat, member, now) -> None:
        check_can_contribute(seat, member, now)
        check_group(seat, group_id)
        _column(seat, payload.get("column"))

    def build(session, member, now) -> dict[str, Any]:
        return tagged(
            {
                "note": {
                    "id": session.head_seq + 1,
                    "column": payload["column"],
                    "text": text,
                    "color": color,
                    "x": x,
                    "y": y,
                    "version": 1,
                    "votes": 0,
                    "author_id": seat.user.id,
                    "lang": html_lang_of(seat.user.locale),
                }
            },
            group_id,
        )

    return record(seat, "note.added", build, client_id=client_id, check=check)


def edit(seat: Seat, payload: dict[str, Any]) -> Recorded:
    """note.edit: change text, column or place; a stale version gets ``conflict``."""
    note_id = _note_id(payload)
    version = payload.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ActionError("invalid", _("%(field)s must be a number.", field="version"))
    changes: dict[str, Any] = {}
    if "text" in payload:
        changes["text"] = _text(payload["text"])
    if "color" in payload:
        if payload["color"] not in COLORS:
            raise ActionError("invalid", _("This colour is not offered."))
        changes["color"] = payload["color"]
    for axis in ("x", "y"):
        if axis in payload:
            changes[axis] = _coordinate(payload[axis], axis)
    if not changes and "column" not in payload:
        raise ActionError("invalid", _("Nothing to change."))
    rate_limiter.take(seat.user.id)

    def check(seat, member, now) -> None:
        check_can_contribute(seat, member, now)
        note = _live_note(seat, note_id)
        _check_own(seat, note)
        if note.hidden:
            # An edit is broadcast to the whole room: a hidden note's text must not be.
            raise ActionError(
                "conflict",
                _("Show the note again before editing it."),
                extra={"note": note_json(note)},
            )
        if "column" in payload:
            changes["column"] = _column(seat, payload["column"])
        if note.version != version:
            raise ActionError(
                "conflict",
                _("Someone changed this note first. Here is their version."),
                extra={"note": note_json(note)},
            )

    def build(session, member, now) -> dict[str, Any]:
        note = _logged_note(session.id, note_id)
        current = note_json(note)
        data = {"note": {**current, **changes, "version": current["version"] + 1}}
        return tagged(data, note.group_id)

    return record(seat, "note.edited", build, check=check)


def vote(seat: Seat, payload: dict[str, Any]) -> Recorded:
    """note.vote: one vote per person per note, toggled."""
    note_id = _note_id(payload)
    rate_limiter.take(seat.user.id)

    def check(seat, member, now) -> None:
        check_can_contribute(seat, member, now)
        _live_note(seat, note_id)

    def build(session, member, now) -> dict[str, Any]:
        note = _logged_note(session.id, note_id)
        mine = db.session.get(NoteVote, (session.id, note_id, seat.user.id)) is not None
        data = {"note_id": note_id, "on": not mine, "votes": note.votes + (-1 if mine else 1)}
        return tagged(data, note.group_id)

    return record(seat, "note.voted", build, check=check)


def remove(seat: Seat, payload: dict[str, Any]) -> Recorded:
    """note.remove: by its author or a teacher; the record keeps it."""
    note_id = _note_id(payload)

    def check(seat, member, now) -> None:
        check_can_contribute(seat, member, now)
        _check_own(seat, _live_note(seat, note_id))

    def build(session, member, now) -> dict[str, Any]:
        return tagged({"note_id": note_id}, _logged_note(session.id, note_id).group_id)

    return record(seat, "note.removed", build, check=check)


def hide(seat: Seat, note_id: int, hidden: bool, reason: str | None) -> Recorded:
    """Hide (or show again) a note; the record keeps the text. (A message:
    ``room.hide_message``.)"""
    check_manager(seat)

    def check(seat, member, now) -> None:
        note = _note(seat.session.id, note_id)
        if note is None or note.removed:
            raise ActionError("not_found", _("There is no such note."))
        if note.hidden == hidden:
            raise ActionError(
                "conflict",
                _("The note is already hidden.") if hidden else _("The note is not hidden."),
            )

    def build(session, member, now) -> dict[str, Any]:
        data = {"note_id": note_id, "reason": reason} if hidden else {"note_id": note_id}
        return tagged(data, _logged_note(session.id, note_id).group_id)

    return record(seat, "note.hidden" if hidden else "note.unhidden", build, check=check)

"""The board at the end of a session, as its record shows it: the notes' events
folded, a batch at a time."""

from __future__ import annotations

from typing import Any

from ..log import eventlog, events
from ..models import ForumSession
from ..room.board import columns_of
from .read import log_batches
from .readers import Snapshot

NOTE_EVENTS = (
    "note.added",
    "note.edited",
    "note.voted",
    "note.removed",
    "note.hidden",
    "note.unhidden",
)


def columns_at_end(session: ForumSession, snap: Snapshot, actor_of) -> list[dict[str, Any]]:
    """The board at the end: the notes' events folded, a batch at a time."""
    notes: dict[int, dict[str, Any]] = {}
    groups = eventlog.group_names(session.id)
    for rows in log_batches(session.id, snap.through, types=NOTE_EVENTS):
        for _seq, kind, _at, actor_id, raw, _hash in rows:
            data = events.withheld(kind, raw, snap.withhold)
            if kind == "note.added":
                notes[data["note"]["id"]] = {
                    **data["note"],
                    "actor": actor_of(actor_id),
                    "hidden": False,
                    "removed": False,
                    "group": groups.get(data.get("group_id") or 0),
                }
            elif kind == "note.edited" and data["note"]["id"] in notes:
                notes[data["note"]["id"]].update(data["note"])
            elif kind == "note.voted" and data["note_id"] in notes:
                notes[data["note_id"]]["votes"] = data["votes"]
            elif kind == "note.removed" and data["note_id"] in notes:
                notes[data["note_id"]]["removed"] = True
            elif kind in ("note.hidden", "note.unhidden") and data["note_id"] in notes:
                notes[data["note_id"]]["hidden"] = kind == "note.hidden"
    live_notes = [n for n in notes.values() if not n["removed"]]
    return [
        {
            **column,
            "notes": sorted(
                (n for n in live_notes if n["column"] == column["id"]),
                key=lambda n: (-n["votes"], n["id"]),
            ),
        }
        for column in columns_of(session)
    ]

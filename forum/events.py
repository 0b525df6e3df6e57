"""Every event type of the session log, the shape of its ``data``, and who may cause it.

Tests check emitted events against ``SHAPES``; the transcript, the room page and
the board all read events through these names.
"""

from __future__ import annotations

from typing import Any

# type -> required data keys (values' types checked loosely: see ``check_shape``).
SHAPES: dict[str, dict[str, type | tuple[type, ...]]] = {
    "session.opened": {},
    "session.closed": {},
    "member.joined": {},
    "member.left": {},
    "message.posted": {"message_id": int, "client_id": str, "body": str,
                       "reply_to": (int, type(None)), "lang": str},
    "message.reacted": {"message_id": int, "emoji": str, "on": bool},
    "message.hidden": {"message_id": int, "reason": (str, type(None))},
    "message.unhidden": {"message_id": int},
    "message.pinned": {"message_id": int, "pinned": bool},
    "note.added": {"note": dict},
    "note.edited": {"note": dict},
    "note.voted": {"note_id": int, "on": bool, "votes": int},
    "note.removed": {"note_id": int},
    "note.hidden": {"note_id": int, "reason": (str, type(None))},
    "note.unhidden": {"note_id": int},
    "member.muted": {"user_id": int, "minutes": (int, type(None)), "until": (str, type(None))},
    "member.unmuted": {"user_id": int},
    "member.removed": {"user_id": int},
    "room.locked": {"locked": bool},
    "room.slow": {"seconds": int},
}

NOTE_KEYS = ("id", "column", "text", "color", "x", "y", "version", "votes", "author_id")

# Events whose text students must not read once it is hidden.
HIDEABLE = {"message.posted": "message_id", "note.added": "note", "note.edited": "note"}


def check_shape(type_: str, data: dict[str, Any]) -> list[str]:
    """Problems with an event's data against its declared shape (empty = fine)."""
    if type_ not in SHAPES:
        return [f"unknown type {type_}"]
    problems = []
    for key, kind in SHAPES[type_].items():
        if key not in data:
            problems.append(f"{type_}: missing {key}")
        elif not isinstance(data[key], kind) or (kind is int and isinstance(data[key], bool)):
            problems.append(f"{type_}: {key} is {type(data[key]).__name__}")
    if type_ in ("note.added", "note.edited") and isinstance(data.get("note"), dict):
        missing = [k for k in NOTE_KEYS if k not in data["note"]]
        if missing:
            problems.append(f"{type_}: note lacks {missing}")
    return problems

"""The record's messages: which events it lists as messages, and what became of a
page's messages by the end of the log (hidden, released, pinned, reacted to)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from ..models import Event
from .read import Log, event_message_id

# What the record lists as messages: those posted, and those held for the teachers
# (released or not: the record keeps every word, and says which).
MESSAGES = ("message.posted", "message.held")


def fold_states(log: Log, messages: dict[int, dict[str, Any]], seq_of: dict[int, int]) -> None:
    """What became of a page's messages by the end of the log: hidden or shown, the
    pin, the reactions (each counted once per person). An event counts only after the
    message it is about, as a fold of the whole log would count it."""
    ids = list(messages)
    first = min(seq_of.values())
    for seq, kind, data in log.rows(
        sa.select(Event.seq, Event.type, Event.data)
        .where(Event.seq > first, event_message_id().in_(ids))
        .order_by(Event.seq),
        "message.hidden",
        "message.unhidden",
        "message.released",
    ):
        mid = data["message_id"]
        if seq > seq_of[mid]:
            if kind == "message.released":
                messages[mid]["held"] = "released"
            else:
                messages[mid]["hidden"] = kind == "message.hidden"
    # The pin is one for the room: the last pin or unpin of a message posted before it.
    pins = log.rows(sa.select(Event.seq, Event.data).order_by(Event.seq), "message.pinned")
    if pins:
        named = {data["message_id"] for _seq, data in pins}
        posted_at = dict(seq_of)
        elsewhere = named - set(posted_at)
        if elsewhere:
            posted_at.update(
                (data["message_id"], seq)
                for seq, data in log.rows(
                    sa.select(Event.seq, Event.data).where(
                        event_message_id().in_(sorted(elsewhere))
                    ),
                    "message.posted",
                )
            )
        pinned = None
        for seq, data in pins:
            mid = data["message_id"]
            if mid in posted_at and posted_at[mid] < seq:
                pinned = mid if data["pinned"] else None
        if pinned in messages:
            messages[pinned]["pinned"] = True
    reactions: dict[int, dict[str, set[int]]] = defaultdict(dict)
    for seq, actor_id, data in log.rows(
        sa.select(Event.seq, Event.actor_id, Event.data)
        .where(Event.seq > first, event_message_id().in_(ids))
        .order_by(Event.seq),
        "message.reacted",
    ):
        mid = data["message_id"]
        if seq > seq_of[mid]:
            users = reactions[mid].setdefault(data["emoji"], set())
            (users.add if data["on"] else users.discard)(actor_id)
    for mid, by_emoji in reactions.items():
        messages[mid]["reactions"] = {
            emoji: len(users) for emoji, users in by_emoji.items() if users
        }

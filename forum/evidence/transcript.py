"""The session record as others read it: the evidence export (JSON) and its messages (CSV).

The export is the log itself (protocol.md, "Transcript export"): every event with
its chain hash, the head hash and, once sealed, the platform's signature. Names
are not hashed (the hash covers actor_id), so they can be pseudonymised for
reviewers without breaking the proof.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from flask import Flask

from .. import csvfile
from ..log import eventlog, events
from ..models import ForumSession
from .read import Row, log_batches
from .readers import Reading, Snapshot, snapshot


def _item(row: Row, withhold: set[tuple[str, int]] | None) -> dict[str, Any]:
    seq, type_, at, actor_id, data, hash_ = row
    return {
        "seq": seq,
        "type": type_,
        "at": at,
        "actor_id": actor_id,
        "data": events.withheld(type_, data, withhold),
        "hash": hash_,
    }


def _items(rows: list[Row], snap: Snapshot) -> Iterator[dict[str, Any]]:
    """A batch of the log as this reader gets it: whole for staff and reviewers; for a
    student, without the events they may not receive (flags) and without the private
    parts of others' events (who voted what) — so a student's copy, like one with
    hidden text withheld, is theirs to read, not evidence that verifies."""
    reader = snap.reading.reader_id
    for row in rows:
        item = _item(row, snap.withhold)
        if reader is not None:
            type_, author = row[1], row[3] == reader
            if (
                not events.may_receive(type_, moderator=False, author=author)
                and events.CATALOGUE[type_].hides is None
            ):
                continue  # a flag; a held message keeps its seq, its text withheld
            private = events.private_parts(type_, moderator=False, author=author)
            if private is not None:
                item["data"] = private.strip(item["data"])
                if private.actor:
                    item["actor_id"] = None
        yield item


def export(session: ForumSession, reading: Reading) -> dict[str, Any]:
    """The ``sdg-forum-transcript/1`` document for a reader, whole in memory (the API;
    the pages stream it with ``export_chunks``)."""
    snap = snapshot(session, reading)
    items = [item for rows in log_batches(session.id, snap.through) for item in _items(rows, snap)]
    return {**snap.fields, "events": items}


_EVENTS = "sdg-forum-transcript/1 events go here"


def export_chunks(snap: Snapshot, app: Flask) -> Iterator[bytes]:
    """The export as ``jsonify(export(…))`` writes it, byte for byte, a batch of
    events at a time: the document around the events is dumped once with a marker
    where they go (so its key order, escaping and separators are the app's JSON
    provider's), and each event is dumped as the provider would inside it.

    Only for a compact provider (out of debug mode); ``streams_json`` says."""
    provider = app.json
    text = provider.dumps({**snap.fields, "events": _EVENTS}, separators=(",", ":"))
    before, after = text.split(provider.dumps(_EVENTS), 1)
    yield (before + "[").encode()
    first = True
    for rows in log_batches(snap.session_id, snap.through, app=app):
        body = ",".join(provider.dumps(item, separators=(",", ":")) for item in _items(rows, snap))
        if body:
            yield (body if first else "," + body).encode()
            first = False
    yield ("]" + after + "\n").encode()


def streams_json(app: Flask) -> bool:
    """Does ``export_chunks`` write what ``jsonify`` would? (Not when the provider
    indents, as in debug mode: then the export is sent whole.)"""
    provider = app.json
    compact = getattr(provider, "compact", None)
    return not ((compact is None and app.debug) or compact is False) and hasattr(provider, "dumps")


def _hidden_messages(session_id: int, through: int | None) -> set[int]:
    """The messages hidden at the end of the log (as far as ``through``)."""
    hidden: set[int] = set()
    for rows in log_batches(session_id, through, types=("message.hidden", "message.unhidden")):
        for _seq, type_, _at, _actor, data, _hash in rows:
            (hidden.add if type_ == "message.hidden" else hidden.discard)(data["message_id"])
    return hidden


def _released_messages(session_id: int, through: int | None) -> set[int]:
    """The held messages a teacher released (as far as ``through``)."""
    return {
        data["message_id"]
        for rows in log_batches(session_id, through, types=("message.released",))
        for _seq, _type, _at, _actor, data, _hash in rows
    }


def _held_column(type_: str, message_id: int, released: set[int]) -> str:
    """The CSV's ``held``: "released", "held" (still waiting, or hidden), or empty."""
    if type_ != "message.held":
        return ""
    return "released" if message_id in released else "held"


CSV_HEADER = [
    "seq",
    "at",
    "author",
    "role",
    "school",
    "country",
    "lang",
    "reply_to",
    "hidden",
    "body",
    "group",
    "held",
]


def csv_chunks(snap: Snapshot, app: Flask | None = None) -> Iterator[bytes]:
    """One row per message, UTF-8 with BOM so spreadsheet programs read CJK text;
    names and messages that a spreadsheet would run as formulas are neutralised
    (``csvfile``). The hidden messages are read first (with the snapshot's
    connection: call it within the request), then the messages a batch at a time."""
    hidden = _hidden_messages(snap.session_id, snap.through)
    names = snap.actors
    groups = eventlog.group_names(snap.session_id)
    released = _released_messages(snap.session_id, snap.through)

    def chunks() -> Iterator[bytes]:
        buffer = io.StringIO()
        writer = csvfile.writer(buffer)
        writer.writerow(CSV_HEADER)
        yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
        types = ("message.posted", "message.held")
        for rows in log_batches(snap.session_id, snap.through, types=types, app=app):
            buffer = io.StringIO()
            writer = csvfile.writer(buffer)
            for row in rows:
                event = _item(row, snap.withhold)
                data = event["data"]
                if data.get("hidden") and data["message_id"] not in hidden:
                    continue  # a student's: another's held message, another group's talk
                actor = names.get(str(event["actor_id"]), {})
                writer.writerow(
                    [
                        event["seq"],
                        event["at"],
                        actor.get("name", ""),
                        actor.get("role", ""),
                        actor.get("school", ""),
                        actor.get("country", ""),
                        data.get("lang", ""),
                        data.get("reply_to") or "",
                        "yes" if data["message_id"] in hidden else "",
                        data.get("body") or "",
                        groups.get(data.get("group_id") or 0, ""),
                        _held_column(event["type"], data["message_id"], released),
                    ]
                )
            yield buffer.getvalue().encode("utf-8")

    return chunks()


def messages_csv(session: ForumSession, reading: Reading) -> bytes:
    """The whole CSV in memory (``csv_chunks`` joined)."""
    return b"".join(csv_chunks(snapshot(session, reading)))

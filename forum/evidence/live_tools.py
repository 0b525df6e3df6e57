"""The live tools in a record: its polls (counts; for staff, who answered what) and
flags (staff only), folded from the log; the polls as CSV."""

from __future__ import annotations

import io
from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from .. import csvfile
from ..models import Event, ForumSession
from .read import Log, aware
from .readers import Reading, snapshot

_TOOLS = (
    "poll.opened",
    "poll.voted",
    "poll.closed",
    "item.flagged",
    "flag.dismissed",
    "message.hidden",
    "note.hidden",
)


def polls_and_flags(
    log: Log, actor_of, *, staff: bool
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The session's polls (counts; and, for staff, who answered what, named as the
    reading names people) and flags (staff only: reason, who flagged and how each was
    resolved), folded from the log. A handful a session: read whole, on every page."""
    polls: dict[int, dict[str, Any]] = {}
    answers: dict[int, dict[int, list[int]]] = defaultdict(dict)
    flags: dict[int, dict[str, Any]] = {}
    rows = log.rows(
        sa.select(Event.at, Event.type, Event.actor_id, Event.data).order_by(Event.seq),
        *_TOOLS,
    )
    for at, kind, actor_id, data in rows:
        if kind == "poll.opened":
            poll = data["poll"]
            polls[poll["id"]] = {
                **poll,
                "at": at,
                "actor": actor_of(actor_id),
                "counts": [0] * len(poll["options"]),
                "closed": False,
                "answers": [],
            }
        elif kind in ("poll.voted", "poll.closed") and data["poll_id"] in polls:
            polls[data["poll_id"]]["counts"] = data["counts"]
            if kind == "poll.closed":
                polls[data["poll_id"]]["closed"] = True
            else:
                answers[data["poll_id"]][actor_id] = data["choices"]
        elif kind == "item.flagged":
            flags[data["flag_id"]] = {
                "id": data["flag_id"],
                "at": at,
                "target": data["target"],
                "item_id": data["id"],
                "reason": data["reason"],
                "actor": actor_of(actor_id),
                "state": "open",
                "resolved_by": None,
            }
        elif kind == "flag.dismissed" and data["flag_id"] in flags:
            flags[data["flag_id"]].update(state="dismissed", resolved_by=actor_of(actor_id))
        elif kind in ("message.hidden", "note.hidden"):
            target = "message" if kind == "message.hidden" else "note"
            item_id = data["message_id" if target == "message" else "note_id"]
            for flag in flags.values():
                if flag["state"] == "open" and (flag["target"], flag["item_id"]) == (
                    target,
                    item_id,
                ):
                    flag.update(state="hidden", resolved_by=actor_of(actor_id))
    for poll_id, poll in polls.items():
        poll["at"] = aware(poll["at"])
        if staff:
            poll["answers"] = sorted(
                (
                    {
                        "actor": actor_of(voter),
                        "choices": [poll["options"][c] for c in choices],
                    }
                    for voter, choices in answers[poll_id].items()
                ),
                key=lambda a: (a["actor"].get("school") or "", a["actor"].get("name") or ""),
            )
    for flag in flags.values():
        flag["at"] = aware(flag["at"])
    return list(polls.values()), list(flags.values()) if staff else []


POLLS_CSV_HEADER = ["poll", "question", "row", "answer", "count", "person", "role", "school"]


def polls_csv(session: ForumSession, reading: Reading) -> bytes:
    """The session's polls as CSV (UTF-8 with BOM): a ``count`` row per answer and,
    for staff and reviewers, an ``answer`` row per person with what they chose last,
    named as the reading names people (pseudonyms for reviewers)."""
    snap = snapshot(session, reading)
    log = Log(session.id, snap.through)
    polls, _flags = polls_and_flags(
        log,
        lambda actor_id: snap.actors.get(str(actor_id), {}),
        staff=reading.reader_id is None,
    )
    buffer = io.StringIO()
    writer = csvfile.writer(buffer)
    writer.writerow(POLLS_CSV_HEADER)
    for poll in polls:
        for option, count in zip(poll["options"], poll["counts"], strict=True):
            writer.writerow([poll["id"], poll["question"], "count", option, count, "", "", ""])
        for answer in poll["answers"]:
            person = answer["actor"]
            writer.writerow(
                [
                    poll["id"],
                    poll["question"],
                    "answer",
                    " / ".join(answer["choices"]),
                    "",
                    person.get("name", ""),
                    person.get("role", ""),
                    person.get("school", ""),
                ]
            )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")

"""Polls: a teacher asks a question with 2–6 answers (one or several may be chosen),
members answer until it is closed, and everyone sees the counts.

A vote is one ``poll.voted`` event whose actor is the voter and whose ``choices`` are
what they chose; a new vote replaces their old one. The catalogue keeps ``choices``
and the voter private (``events.Private``): the room hears only the new counts, so no
student learns what another chose; the voter's ack carries their own; the sealed
record keeps who voted what for teachers and reviewers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import sql
from ..errors import ActionError
from ..extensions import db
from ..log import events
from ..log.eventlog import Head, Logged
from ..models import Event, ForumSession, Poll, PollVote
from ..people import throttle
from .chat import _int, _text, client_id_of
from .rules import check_can_write, check_manager
from .seat import Seat
from .write import Recorded, record

MAX_QUESTION = 300
MAX_OPTION = 100
MIN_OPTIONS, MAX_OPTIONS = 2, 6

# Votes: a burst of 10, then one every 2 s per person (changing one's mind is fine,
# hammering the log is not). Kept apart from the chat's limit so voting costs no
# message.
vote_limiter = throttle.Limiter("poll", burst=10, per_second=0.5)


# --- the fold --------------------------------------------------------------------


@dataclass(slots=True)
class PollRow:
    """A poll as the writer's rules read it, under the lock."""

    options: list[str]
    multiple: bool
    closed: bool
    counts: list[int]


_POLL_SQL = (
    "SELECT options, multiple, closed, counts FROM polls "
    "WHERE session_id = :session_id AND id = :poll_id"
)
_VOTE_SQL = (
    "SELECT choices FROM poll_votes "
    "WHERE session_id = :session_id AND poll_id = :poll_id AND user_id = :user_id"
)


def _read_poll(session_id: int, poll_id: int) -> PollRow | None:
    """The poll, read where the writer writes (``sql.reader``: under the lock, the
    live connection), or None."""
    row = sql.reader().one(_POLL_SQL, {"session_id": session_id, "poll_id": poll_id})
    if row is None:
        return None
    options, multiple, closed, counts = row
    return PollRow(sql.loads(options), bool(multiple), bool(closed), sql.loads(counts))


def _own_choices(session_id: int, poll_id: int, user_id: int) -> list[int]:
    """What this person chose in this poll ([] if they have not answered)."""
    row = sql.reader().one(
        _VOTE_SQL, {"session_id": session_id, "poll_id": poll_id, "user_id": user_id}
    )
    return [] if row is None else list(sql.loads(row[0]))


# Votes are most of a lesson's tool events (a class answering at once), so polls fold
# as plain SQL on the writer's connection, like chat (``room.fold``): through the ORM a
# vote cost ~4 ms of the server's CPU, as plain SQL under 1 ms.
@events.folds("poll.opened", "poll.voted", "poll.closed", plain=True)
def _fold_poll(
    session: ForumSession | Head, event: Event | Logged, run: sql.Statements | None = None
) -> None:
    """Polls and each person's current answer, as the log leaves them."""
    run = run or sql.statements()
    data = event.data
    if event.type == "poll.opened":
        poll = data["poll"]
        assert event.actor_id is not None
        run.run(
            "INSERT INTO polls (session_id, id, author_id, question, options, multiple, "
            "counts, closed) VALUES (:session_id, :id, :author_id, :question, :options, "
            ":multiple, :counts, :closed)",
            {
                "session_id": session.id,
                "id": poll["id"],
                "author_id": event.actor_id,
                "question": poll["question"],
                "options": sql.dumps(list(poll["options"])),
                "multiple": poll["multiple"],
                "counts": sql.dumps([0] * len(poll["options"])),
                "closed": False,
            },
        )
        return
    key = {"session_id": session.id, "poll_id": data["poll_id"]}
    run.run(
        "UPDATE polls SET counts = :counts, closed = :closed "
        "WHERE session_id = :session_id AND id = :poll_id",
        {**key, "counts": sql.dumps(list(data["counts"])), "closed": event.type == "poll.closed"},
    )
    if event.type == "poll.closed":
        return
    vote = {**key, "user_id": event.actor_id, "choices": sql.dumps(list(data["choices"]))}
    if not run.run(
        "UPDATE poll_votes SET choices = :choices "
        "WHERE session_id = :session_id AND poll_id = :poll_id AND user_id = :user_id",
        vote,
    ):
        run.run(
            "INSERT INTO poll_votes (session_id, poll_id, user_id, choices) "
            "VALUES (:session_id, :poll_id, :user_id, :choices)",
            vote,
        )


# --- reading ---------------------------------------------------------------------


def state(session_id: int, user_id: int) -> list[dict[str, Any]]:
    """The session's polls for ``join``: each with its counts, whether it is closed
    and ``mine``, the caller's own answer ([] if none) — never anyone else's."""
    polls = db.session.scalars(
        sa.select(Poll).where(Poll.session_id == session_id).order_by(Poll.id)
    ).all()
    mine: dict[int, list[int]] = dict(
        db.session.execute(
            sa.select(PollVote.poll_id, PollVote.choices).where(
                PollVote.session_id == session_id, PollVote.user_id == user_id
            )
        ).all()
    )
    return [
        {
            "id": p.id,
            "question": p.question,
            "options": list(p.options),
            "multiple": p.multiple,
            "counts": list(p.counts),
            "closed": p.closed,
            "mine": list(mine.get(p.id, [])),
        }
        for p in polls
    ]


# --- actions ---------------------------------------------------------------------


def _poll(seat: Seat, poll_id: int) -> PollRow:
    poll = _read_poll(seat.session.id, poll_id)
    if poll is None:
        raise ActionError("not_found", _("There is no such poll."))
    return poll


def open_poll(seat: Seat, payload: dict[str, Any]) -> Recorded:
    """poll.open: a teacher asks (idempotent on client_id)."""
    check_manager(seat)
    client_id = client_id_of(payload)
    question = _text(
        payload.get("question"),
        "question",
        MAX_QUESTION,
        empty=lambda: _("Write a question first."),
        too_long=lambda: _("A question may have at most %(n)s characters.", n=MAX_QUESTION),
    )
    options = payload.get("options")
    if not isinstance(options, list) or not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raise ActionError(
            "invalid", _("Give between %(low)s and %(high)s answers.", low=2, high=MAX_OPTIONS)
        )
    texts = [
        _text(
            o,
            "options",
            MAX_OPTION,
            empty=lambda: _("An answer is empty."),
            too_long=lambda: _("An answer may have at most %(n)s characters.", n=MAX_OPTION),
        )
        for o in options
    ]
    multiple = payload.get("multiple", False)
    if not isinstance(multiple, bool):
        raise ActionError("invalid", _("multiple must be true or false."))

    def build(session, member, now) -> dict[str, Any]:
        return {
            "poll": {
                "id": session.head_seq + 1,
                "question": question,
                "options": texts,
                "multiple": multiple,
            }
        }

    return record(seat, "poll.opened", build, client_id=client_id)


def vote(seat: Seat, payload: dict[str, Any]) -> Recorded:
    """poll.vote: a member's answer, replacing their earlier one while the poll is open.

    A closed poll answers ``closed`` (the poll, like a closed session, takes nothing
    more), an answer that does not fit the poll ``invalid``."""
    choices = payload.get("choices")
    if (
        not isinstance(choices, list)
        or not choices
        or not all(isinstance(c, int) and not isinstance(c, bool) for c in choices)
        or len(set(choices)) != len(choices)
    ):
        raise ActionError("invalid", _("choices must be a list of answer numbers."))
    poll_id = _int(payload.get("poll_id"), "poll_id")
    vote_limiter.take(seat.user.id)
    read: list[PollRow] = []  # the row check read, under the same lock as build

    def check(seat, member, now) -> None:
        # Any member may answer, even in a locked room or while muted: a vote says
        # nothing to the room but a count.
        check_can_write(seat, member)
        poll = _poll(seat, poll_id)
        read.append(poll)
        if poll.closed:
            raise ActionError("closed", _("This poll is closed."))
        if not all(0 <= c < len(poll.options) for c in choices):
            raise ActionError("invalid", _("There is no such answer."))
        if not poll.multiple and len(choices) != 1:
            raise ActionError("invalid", _("Choose exactly one answer."))

    def build(session, member, now) -> dict[str, Any]:
        counts = list(read[-1].counts)
        for c in _own_choices(session.id, poll_id, seat.user.id):
            counts[c] -= 1
        for c in choices:
            counts[c] += 1
        return {"poll_id": poll_id, "counts": counts, "choices": sorted(choices)}

    return record(seat, "poll.voted", build, check=check)


def close_poll(seat: Seat, payload: dict[str, Any]) -> Recorded:
    """poll.close: a teacher ends a poll; its counts are final. Closing a closed poll
    answers ``conflict``."""
    check_manager(seat)
    poll_id = _int(payload.get("poll_id"), "poll_id")
    read: list[PollRow] = []  # the row check read, under the same lock as build

    def check(seat, member, now) -> None:
        poll = _poll(seat, poll_id)
        if poll.closed:
            raise ActionError("conflict", _("This poll is already closed."))
        read.append(poll)

    def build(session, member, now) -> dict[str, Any]:
        return {"poll_id": poll_id, "counts": list(read[-1].counts)}

    return record(seat, "poll.closed", build, check=check)

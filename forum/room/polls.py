"""Polls: a teacher asks a question with 2–6 answers (one or several may be chosen),
members answer until it is closed, and everyone sees the counts.

A vote is one ``poll.voted`` event whose actor is the voter and whose ``choices`` are
what they chose; a new vote replaces their old one. The catalogue keeps ``choices``
and the voter private (``events.Private``): the room hears only the new counts, so no
student learns what another chose; the voter's ack carries their own; the sealed
record keeps who voted what for teachers and reviewers.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

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


def _logged_poll(session_id: int, poll_id: int) -> Poll:
    return db.session.get_one(Poll, (session_id, poll_id))


@events.folds("poll.opened", "poll.voted", "poll.closed")
def _fold_poll(session: ForumSession | Head, event: Event | Logged, run: object = None) -> None:
    """Polls and each person's current answer, as the log leaves them."""
    data = event.data
    if event.type == "poll.opened":
        poll = data["poll"]
        assert event.actor_id is not None
        db.session.add(
            Poll(
                session_id=session.id,
                id=poll["id"],
                author_id=event.actor_id,
                question=poll["question"],
                options=list(poll["options"]),
                multiple=poll["multiple"],
                counts=[0] * len(poll["options"]),
                closed=False,
            )
        )
        return
    poll_row = _logged_poll(session.id, data["poll_id"])
    poll_row.counts = list(data["counts"])
    if event.type == "poll.closed":
        poll_row.closed = True
        return
    vote = db.session.get(PollVote, (session.id, data["poll_id"], event.actor_id))
    if vote is None:
        db.session.add(
            PollVote(
                session_id=session.id,
                poll_id=data["poll_id"],
                user_id=event.actor_id,
                choices=list(data["choices"]),
            )
        )
    else:
        vote.choices = list(data["choices"])


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


def _poll(seat: Seat, value: object) -> Poll:
    poll_id = _int(value, "poll_id")
    poll = db.session.get(Poll, (seat.session.id, poll_id))
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

    def check(seat, member, now) -> None:
        # Any member may answer, even in a locked room or while muted: a vote says
        # nothing to the room but a count.
        check_can_write(seat, member)
        poll = _poll(seat, poll_id)
        if poll.closed:
            raise ActionError("closed", _("This poll is closed."))
        if not all(0 <= c < len(poll.options) for c in choices):
            raise ActionError("invalid", _("There is no such answer."))
        if not poll.multiple and len(choices) != 1:
            raise ActionError("invalid", _("Choose exactly one answer."))

    def build(session, member, now) -> dict[str, Any]:
        poll = _logged_poll(session.id, poll_id)
        counts = list(poll.counts)
        old = db.session.get(PollVote, (session.id, poll_id, seat.user.id))
        for c in old.choices if old is not None else []:
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

    def check(seat, member, now) -> None:
        if _poll(seat, poll_id).closed:
            raise ActionError("conflict", _("This poll is already closed."))

    def build(session, member, now) -> dict[str, Any]:
        return {"poll_id": poll_id, "counts": list(_logged_poll(session.id, poll_id).counts)}

    return record(seat, "poll.closed", build, check=check)

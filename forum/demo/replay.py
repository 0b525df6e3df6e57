"""A scripted session (``data.PAST_SCRIPT``, ``data.CASE_SCRIPT``) replayed through the
room's real actions — chat, moderation, the board, polls and flags, opening and closing
— at the times it would have happened, so its record is sealed and verifies like any
live session's."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from .. import room
from ..extensions import db
from ..models import Exchange, ForumSession, SessionStatus, User
from ..room import board, flags, polls

# Several people on one line act this many minutes apart.
APART = 0.1


class _ScriptedClock(room.Clock):
    """A clock that starts in the past and moves on by the script's steps."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def now(self) -> datetime:
        return self.at

    def step(self, minutes: float) -> None:
        self.at += timedelta(minutes=minutes)


class _Player:
    """Plays a script's lines, remembering the last message, the notes and the polls
    that later lines point at."""

    def __init__(
        self, session: ForumSession, people: dict[str, User], clock: _ScriptedClock
    ) -> None:
        self.session = session
        self.people = people
        self.clock = clock
        self.notes: list[int] = []
        self.last_message: int | None = None
        self.polls: list[int] = []

    def play(self, who: str, what: str, args: tuple[Any, ...]) -> None:
        seat = room.seat_for(self.people[who], self.session.id)
        if what == "open":
            room.open_room(seat)
        elif what == "close":
            room.close_room(seat)
        elif what == "join":
            room.joined(seat)
        elif what == "say":
            said = room.send_message(
                seat, {"client_id": f"demo-{self.clock.at.timestamp()}", "body": args[0]}
            )
            self.last_message = said.event.data["message_id"]
        elif what == "pin":
            room.pin(seat, {"message_id": self.last_message, "pinned": True})
        elif what == "react":
            room.react(seat, {"message_id": self.last_message, "emoji": args[0]})
        elif what == "hide":
            assert self.last_message is not None  # a script hides what was said before
            room.hide_message(seat, self.last_message, True, args[0])
        elif what == "flag":
            flags.flag(seat, {"target": "message", "id": self.last_message, "reason": args[0]})
        elif what == "note":
            column, text = args
            added = board.add(
                seat, {"client_id": f"demo-n{len(self.notes)}", "column": column, "text": text}
            )
            self.notes.append(added.event.data["note"]["id"])
        elif what == "vote":
            board.vote(seat, {"note_id": self.notes[args[0]]})
        elif what == "poll":
            question, *options = args
            opened = polls.open_poll(
                seat,
                {"client_id": f"demo-p{len(self.polls)}", "question": question, "options": options},
            )
            self.polls.append(opened.event.data["poll"]["id"])
        elif what == "answer":
            polls.vote(seat, {"poll_id": self.polls[-1], "choices": [args[0]]})
        elif what == "end-poll":
            polls.close_poll(seat, {"poll_id": self.polls[-1]})
        else:
            raise ValueError(f"no such script step: {what}")


def replay(
    exchange: Exchange,
    title: str,
    sdgs: list[int],
    start: datetime,
    length: timedelta,
    script: Sequence[tuple[Any, ...]],
    people: dict[str, User],
) -> ForumSession:
    """The exchange's session of this title, played from ``script`` starting at
    ``start`` if it is not there yet (then closed and sealed by the script's last line).
    ``people``: each script name ("tw", "jp0", …) and who they are."""
    exists = db.session.scalar(
        sa.select(ForumSession).where(
            ForumSession.exchange_id == exchange.id, ForumSession.title == title
        )
    )
    if exists:
        return exists
    session = ForumSession(
        exchange=exchange,
        title=title,
        sdgs=sdgs,
        status=SessionStatus.SCHEDULED,
        starts_at=start,
        ends_at=start + length,
    )
    db.session.add(session)
    db.session.commit()
    scripted = _ScriptedClock(start)
    player = _Player(session, people, scripted)
    with room.clock.replaced(scripted):
        try:
            for minutes, names, what, *args in script:
                scripted.step(minutes)
                for index, who in enumerate(names.split()):
                    scripted.step(APART if index else 0)
                    player.play(who, what, tuple(args))
        finally:
            # The script's bursts are not the people's: their live limits start afresh.
            for limiter in (room.rate_limiter, polls.vote_limiter, flags.flag_limiter):
                limiter.forget()
    db.session.refresh(session)
    return session


def people_of(
    teachers: Mapping[str, User], students: Mapping[str, Sequence[User]]
) -> dict[str, User]:
    """Script names for teachers ("tw") and students ("tw0", "tw1", …)."""
    named = dict(teachers)
    for school, roster in students.items():
        named.update({f"{school}{index}": student for index, student in enumerate(roster)})
    return named

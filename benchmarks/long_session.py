"""Long sessions for the paging benchmark and tests: a live session of the demo filled
with N events, as a real lesson would leave them.

    .venv/bin/python benchmarks/long_session.py --session ID --events N [--fast] [--close]

(``FORUM_*`` from the environment name the instance, as for ``python wsgi.py``.)

``build`` (the default) goes through the real record path: ``room.send_message``,
``room.react``, ``room.hide_message``, ``board.add``, ``board.vote`` with a scripted
clock and the rate limit lifted, so every event is checked, chained, folded and
committed as in a lesson. About one message in eight replies to an older one (some
far back), one in 25 is reacted to later, every 500th is hidden.

``fast_build`` (``--fast``, for 100k events) writes the same kind of messages
straight into ``events`` and ``messages`` in large batches, with the same canonical
bytes and chain hash as ``eventlog.append`` (``eventlog.canonical_bytes`` and
``eventlog.chain``), then moves the session's head; ``--close`` then closes it through
``room.close_room``, which seals the head, so the record verifies like any other.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from forum import room  # noqa: E402
from forum.errors import ActionError  # noqa: E402
from forum.extensions import db  # noqa: E402
from forum.log import eventlog  # noqa: E402
from forum.models import Event, ForumSession, Message, User, utcnow  # noqa: E402
from forum.room import board  # noqa: E402
from forum.timeutil import iso_utc  # noqa: E402

WORDS = (
    "海洋",
    "plastic",
    "リサイクル",
    "기후",
    "we could",
    "森林",
    "water",
    "エネルギー",
    "bike lanes",
    "太陽能",
    "교통",
    "trees",
    "給食",
    "recycling at school",
    "風力",
)


class _Clock:
    def __init__(self, start: datetime) -> None:
        self.at = start

    def now(self) -> datetime:
        return self.at


@contextlib.contextmanager
def _scripted(start: datetime) -> Iterator[_Clock]:
    """The room's clock moved by hand, and no rate limit (one lesson in seconds)."""
    clock = _Clock(start)
    room.rate_limiter.take = lambda _user_id: None
    try:
        with room.clock.replaced(clock):
            yield clock
    finally:
        del room.rate_limiter.take
        room.rate_limiter.forget()


def members(session: ForumSession) -> tuple[list[User], list[User]]:
    """The session's (students, teachers)."""
    students: list[User] = []
    teachers: list[User] = []
    for cls in session.exchange.classes:
        students += cls.students
        teachers += [t for t in cls.teachers if t not in teachers]
    return students, teachers


def body(rng: random.Random, n: int) -> str:
    return f"#{n} " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12)))


def build(session_id: int, events: int, *, seed: int = 17) -> int:
    """Fill the session through the real record path until its head reaches ``events``
    (or a little beyond); returns the head."""
    rng = random.Random(seed)
    session = db.session.get(ForumSession, session_id)
    students, teachers = members(session)
    start = utcnow() - timedelta(hours=2)
    messages: list[int] = []
    n = 0
    with _scripted(start) as clock:
        for person in students + teachers:
            clock.at += timedelta(milliseconds=50)
            room.joined(room.seat_for(person, session_id))
        head = db.session.get(ForumSession, session_id).head_seq
        run = f"{head}-{seed}"  # client ids of their own on every run
        while head < events:
            n += 1
            clock.at += timedelta(milliseconds=200)
            person = rng.choice(students) if rng.random() < 0.9 else rng.choice(teachers)
            seat = room.seat_for(person, session_id)
            payload: dict[str, Any] = {"client_id": f"long-{run}-{n}", "body": body(rng, n)}
            if messages and rng.random() < 0.125:
                # Some answer the last few, some go far back.
                far = rng.random() < 0.3
                payload["reply_to"] = rng.choice(messages if far else messages[-20:])
            recorded = room.send_message(seat, payload)
            messages.append(recorded.event.data["message_id"])
            head = recorded.event.seq
            if n % 25 == 0 and head < events:
                target = rng.choice(messages)
                clock.at += timedelta(milliseconds=50)
                reactor = room.seat_for(rng.choice(students), session_id)
                head = room.react(
                    reactor, {"message_id": target, "emoji": rng.choice(room.REACTIONS)}
                ).event.seq
            if n % 500 == 0 and head < events:
                teacher = room.seat_for(teachers[0], session_id)
                with contextlib.suppress(ActionError):  # hidden already
                    gone = rng.choice(messages)
                    head = room.hide_message(teacher, gone, True, "off topic").event.seq
                    messages.remove(gone)  # nobody answers or reacts to it any more
            if n % 40 == 0 and head < events:
                columns = board.columns_of(db.session.get(ForumSession, session_id))
                added = board.add(
                    seat,
                    {
                        "client_id": f"long-note-{run}-{n}",
                        "column": columns[0]["id"],
                        "text": body(rng, n)[:80],
                    },
                )
                head = added.event.seq
                if head < events:
                    voter = room.seat_for(rng.choice(students), session_id)
                    head = board.vote(voter, {"note_id": added.event.data["note"]["id"]}).event.seq
    return head


def fast_build(session_id: int, events: int, *, seed: int = 17, batch: int = 5000) -> int:
    """Append message.posted events straight into the log up to ``events``, chained as
    ``eventlog.append`` chains them, and their messages; returns the head."""
    rng = random.Random(seed)
    session = db.session.get(ForumSession, session_id)
    students, teachers = members(session)
    people = students + teachers
    head_seq, head_hash = session.head_seq, session.head_hash or eventlog.genesis_hash(session_id)
    at = utcnow() - timedelta(hours=3)
    langs = {"TW": "zh-Hant-TW", "JP": "ja", "KR": "ko"}
    lang_of = {p.id: langs.get(p.school.country if p.school else "", "en") for p in people}
    first = head_seq + 1
    while head_seq < events:
        event_rows: list[dict[str, Any]] = []
        message_rows: list[dict[str, Any]] = []
        for _ in range(min(batch, events - head_seq)):
            head_seq += 1
            at += timedelta(milliseconds=100)
            person = rng.choice(people)
            reply = None
            if head_seq > first and rng.random() < 0.125:
                reply = rng.randrange(max(first, head_seq - 5000), head_seq)
            data = {
                "message_id": head_seq,
                "client_id": f"fast-{head_seq}",
                "body": body(rng, head_seq),
                "reply_to": reply,
                "lang": lang_of[person.id],
            }
            stamp = iso_utc(at, micro=True)
            head_hash = eventlog.chain(
                head_hash,
                eventlog.canonical_bytes(
                    session_id, head_seq, "message.posted", stamp, person.id, data
                ),
            )
            event_rows.append(
                {
                    "session_id": session_id,
                    "seq": head_seq,
                    "type": "message.posted",
                    "at": at,
                    "actor_id": person.id,
                    "client_id": data["client_id"],
                    "data": data,
                    "hash": head_hash,
                }
            )
            message_rows.append(
                {
                    "session_id": session_id,
                    "id": head_seq,
                    "author_id": person.id,
                    "body": data["body"],
                    "reply_to": reply,
                    "lang": data["lang"],
                    "at": at,
                    "hidden": False,
                    "reactions": {},
                }
            )
        db.session.execute(sa.insert(Event), event_rows)
        db.session.execute(sa.insert(Message), message_rows)
        db.session.execute(
            sa.update(ForumSession)
            .where(ForumSession.id == session_id)
            .values(head_seq=head_seq, head_hash=head_hash)
        )
        db.session.commit()
    return head_seq


def close(session_id: int) -> None:
    """Close the session as its teacher would: the head is sealed."""
    _students, teachers = members(db.session.get(ForumSession, session_id))
    room.close_room(room.seat_for(teachers[0], session_id))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--session", type=int, required=True)
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--fast", action="store_true")
    parser.add_argument("--close", action="store_true")
    args = parser.parse_args()

    from forum import create_app

    app = create_app()
    with app.app_context():
        began = time.monotonic()
        head = (fast_build if args.fast else build)(args.session, args.events)
        if args.close:
            close(args.session)
        print(f"session {args.session}: head {head} in {time.monotonic() - began:.1f} s")


if __name__ == "__main__":
    main()

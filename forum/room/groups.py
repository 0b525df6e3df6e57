"""Breakout groups: a teacher forms small groups of students — by hand, or by size
with the schools mixed in each — and ends them; the groups are events of the log
(``groups.formed``, ``groups.ended``) and their state a fold of it.

While groups are formed a student talks (and puts notes) in their own group or to
the whole room; teachers talk to any group or to all. Who hears a group's events is
decided in ``room.read`` (replay) and the relay (live), both from ``data.group_id``.
Ids count 1, 2, 3 … per session across every forming, so a group id names one group
for the whole record and a student may read back the talk of every group they were in.
"""

from __future__ import annotations

import random
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from ..errors import ActionError
from ..extensions import db
from ..log import events
from ..log.eventlog import Head, Logged
from ..models import (
    BreakoutGroup,
    Event,
    ForumSession,
    Role,
    RoomMember,
    User,
    class_students,
    exchange_classes,
)
from .chat import _text
from .read import formed
from .rules import check_manager
from .seat import MAX_INT, Seat
from .write import Recorded, record

MAX_GROUPS = 20
MAX_GROUP_NAME = 60
MAX_GROUP_MEMBERS = 200
MIN_SIZE, MAX_SIZE = 2, 20


# --- reading the groups (who is in which: ``room.read``) -----------------------------


def names_in_log(logged: list[Event] | list[Logged]) -> dict[int, str]:
    """The groups' names as the log itself says (a record read without the state)."""
    found: dict[int, str] = {}
    for event in logged:
        if event.type == "groups.formed":
            for group in event.data["groups"]:
                found[group["id"]] = group["name"]
    return found


# --- the fold ----------------------------------------------------------------------


@events.folds("groups.formed", "groups.ended")
def _fold_groups(session: ForumSession | Head, event: Event | Logged, run=None) -> None:
    if event.type == "groups.formed":
        for group in event.data["groups"]:
            db.session.add(
                BreakoutGroup(
                    session_id=session.id,
                    id=group["id"],
                    name=group["name"],
                    member_ids=list(group["member_ids"]),
                    formed_seq=event.seq,
                )
            )
    else:
        db.session.execute(
            sa.update(BreakoutGroup)
            .where(BreakoutGroup.session_id == session.id, BreakoutGroup.ended_seq.is_(None))
            .values(ended_seq=event.seq)
        )


# --- forming and ending -------------------------------------------------------------


def _exchange_students(session_id: int) -> dict[int, User]:
    """The students of the session's exchange's classes, by id."""
    exchange_id = db.session.scalar(
        sa.select(ForumSession.exchange_id).where(ForumSession.id == session_id)
    )
    class_ids = sa.select(exchange_classes.c.class_id).where(
        exchange_classes.c.exchange_id == exchange_id
    )
    users = db.session.scalars(
        sa.select(User)
        .join(class_students, class_students.c.user_id == User.id)
        .where(class_students.c.class_id.in_(class_ids), User.role == Role.STUDENT)
    )
    return {u.id: u for u in users}


def _removed(session_id: int) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(RoomMember.user_id).where(
                RoomMember.session_id == session_id, RoomMember.removed.is_(True)
            )
        )
    )


def _present_students(session_id: int) -> list[User]:
    """The students in the room now (not removed)."""
    students = _exchange_students(session_id)
    here = db.session.scalars(
        sa.select(RoomMember.user_id).where(
            RoomMember.session_id == session_id,
            RoomMember.present.is_(True),
            RoomMember.removed.is_(False),
        )
    )
    return [students[uid] for uid in here if uid in students]


def _school_of(user: User) -> tuple[str, str]:
    return (user.school.country or "", user.school.slug) if user.school else ("", "")


def mixed(students: list[User], size: int, seed: str) -> list[list[int]]:
    """Students dealt into groups of at most ``size`` (sizes differing by one at most),
    each school's spread over every group: one school's students are dealt one to a
    group in turn, and the next school's go on from the group where the last stopped,
    so with two classes of six and groups of four each group has both. The order
    within a school is shuffled by ``seed`` (the same log gives the same groups)."""
    count = max(1, -(-len(students) // size))
    by_school: dict[tuple[str, str], list[User]] = {}
    for student in sorted(students, key=lambda u: u.id):
        by_school.setdefault(_school_of(student), []).append(student)
    shuffle = random.Random(seed)  # noqa: S311 - fairness, not secrecy
    dealt: list[list[int]] = [[] for _ in range(count)]
    turn = 0
    # The largest school first: the smaller ones then fill the groups it left short.
    for school in sorted(by_school, key=lambda s: (-len(by_school[s]), s)):
        members = by_school[school]
        shuffle.shuffle(members)
        for student in members:
            dealt[turn % count].append(student.id)
            turn += 1
    return [sorted(group) for group in dealt]


def _ids(value: object) -> list[int]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_GROUP_MEMBERS:
        raise ActionError(
            "invalid",
            _("Each group needs between 1 and %(n)s students.", n=MAX_GROUP_MEMBERS),
        )
    for item in value:
        if not isinstance(item, int) or isinstance(item, bool) or not 1 <= item <= MAX_INT:
            raise ActionError("invalid", _("member_ids must be a list of numbers."))
    return list(value)


def _by_hand(value: object) -> list[tuple[str, list[int]]]:
    """``groups``: [{"name", "member_ids"}] checked; nobody in two groups."""
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_GROUPS:
        raise ActionError("invalid", _("Give between 1 and %(n)s groups.", n=MAX_GROUPS))
    out: list[tuple[str, list[int]]] = []
    seen: set[int] = set()
    for item in value:
        if not isinstance(item, dict) or set(item) - {"name", "member_ids"}:
            raise ActionError("invalid", _("Each group has a name and member_ids."))
        name = _text(
            item.get("name"),
            "name",
            MAX_GROUP_NAME,
            empty=lambda: _("Give each group a name."),
            too_long=lambda: _(
                "A group's name may have at most %(n)s characters.", n=MAX_GROUP_NAME
            ),
        )
        assert name is not None  # required
        members = _ids(item.get("member_ids"))
        if seen & set(members) or len(set(members)) != len(members):
            raise ActionError("invalid", _("A student can be in one group only."))
        seen |= set(members)
        out.append((name, members))
    return out


def _size(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not MIN_SIZE <= value <= MAX_SIZE:
        raise ActionError(
            "invalid", _("size must be between %(low)s and %(high)s.", low=MIN_SIZE, high=MAX_SIZE)
        )
    return value


def _letter(index: int) -> str:
    """A, B, … Z, AA, AB …: a group's name by size, the same in every language."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("A") + rest) + name
    return name


def form_groups(seat: Seat, payload: dict[str, Any]) -> Recorded:
    """groups.form: by hand (``groups``) or by size (``size``, schools mixed). While
    groups are formed, forming again is a ``conflict``: the teacher ends them first,
    so nobody's group changes under them mid-sentence."""
    check_manager(seat)
    if ("groups" in payload) == ("size" in payload):
        raise ActionError("invalid", _("Give either groups or size."))
    by_hand = _by_hand(payload["groups"]) if "groups" in payload else None
    size = _size(payload["size"]) if by_hand is None else 0

    def check(seat: Seat, member, now) -> None:
        session_id = seat.session.id
        if formed(session_id):
            raise ActionError("conflict", _("Groups are formed already. End them first."))
        if by_hand is not None:
            students = _exchange_students(session_id)
            gone = _removed(session_id)
            for _name, members in by_hand:
                if any(uid not in students or uid in gone for uid in members):
                    raise ActionError(
                        "not_found", _("Only the students of this session can be in a group.")
                    )
        elif len(_present_students(session_id)) < 2:
            raise ActionError("conflict", _("At least two students must be here to form groups."))

    def build(head: Head, member, now) -> dict[str, Any]:
        start = (
            db.session.scalar(
                sa.select(sa.func.max(BreakoutGroup.id)).where(BreakoutGroup.session_id == head.id)
            )
            or 0
        ) + 1
        if by_hand is not None:
            made = by_hand
        else:
            dealt = mixed(_present_students(head.id), size, f"{head.id}:{head.head_seq + 1}")
            made = [(_letter(i), members) for i, members in enumerate(dealt)]
        return {
            "groups": [
                {"id": start + i, "name": name, "member_ids": members}
                for i, (name, members) in enumerate(made)
            ]
        }

    return record(seat, "groups.formed", build, check=check)


def end_groups(seat: Seat) -> Recorded:
    """groups.end: everyone back in the whole room; the record keeps each group's talk."""
    check_manager(seat)

    def check(seat: Seat, member, now) -> None:
        if not formed(seat.session.id):
            raise ActionError("conflict", _("No groups are formed."))

    def build(head: Head, member, now) -> dict[str, Any]:
        return {"group_ids": [g.id for g in formed(head.id)]}

    return record(seat, "groups.ended", build, check=check)

"""The event catalogue: every event type of a session's log, in one place.

For each type: the shape of its ``data`` (checked strictly: a missing, unknown or
ill-typed key is an error), who may receive it, whether moderators can hide what it
says and how that text is withheld, whether it is a moderation step, and its fold —
the function that applies it to the room's state. Recording checks every event
against its shape before it is stored (``require``); the fold, replay, the
transcript, the review page and the tests read the rest from here. Adding an event
type means one entry below and its fold, registered where its state lives
(``room``, ``board``) with ``@folds``; the room page folds it too, in the module
whose state it changes (``folds.on`` in ``static/js``), or lists it as one the page
does not show (``tests/test_client_folds.py`` holds the page to this catalogue).

The catalogue imports nothing of the room or the board: they import it. That is
what keeps the dependency one way (the log knows its types; the room and the board
know how to apply theirs).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# A key's allowed values: a type, a tuple of types, or a nested shape (a dict).
Spec = type | tuple[type, ...] | Mapping[str, Any]
Fold = Callable[..., None]  # (session or head, event, statements | None) -> None


class To(enum.Flag):
    """Who may receive an event, live or in a replay."""

    TEACHERS = enum.auto()  # the session's moderators: its exchange's teachers, admins
    AUTHOR = enum.auto()  # whoever caused it
    MEMBERS = enum.auto()  # everyone in the room (students, teachers, observers)
    EVERYONE = TEACHERS | AUTHOR | MEMBERS


@dataclass(frozen=True)
class Hides:
    """An event whose text moderators can hide: which item it is (``kind``, and where
    its id is) and where its text is, so that readers who do not moderate get the
    event with the text left out (``None``) and ``hidden: true``."""

    kind: str  # "message" or "note"
    item: str | None  # the dict in data holding id and text (None: data itself)
    id_key: str
    text_key: str

    def _holder(self, data: Mapping[str, Any]) -> Mapping[str, Any]:
        return data[self.item] if self.item else data

    def item_id(self, data: Mapping[str, Any]) -> int:
        return self._holder(data)[self.id_key]

    def withhold(self, data: dict[str, Any]) -> dict[str, Any]:
        """The data with the text left out and marked hidden."""
        if self.item is None:
            return {**data, self.text_key: None, "hidden": True}
        return {**data, self.item: {**data[self.item], self.text_key: None, "hidden": True}}

    def restore(self, data: dict[str, Any]) -> dict[str, Any] | None:
        """A withheld event's data in its stored shape (text ""), to check it; None if
        the data is not a withheld one."""
        holder = self._holder(data)
        if (
            not isinstance(holder, dict)
            or holder.get("hidden") is not True
            or holder.get(self.text_key) is not None
        ):
            return None
        rest = {k: v for k, v in holder.items() if k != "hidden"}
        rest[self.text_key] = ""
        return {**data, self.item: rest} if self.item else rest


@dataclass(frozen=True)
class Private:
    """Parts of an event only its author and the moderators receive: the keys of its
    data in ``keys`` and, with ``actor``, who caused it. Everyone else — the room told
    live, a student's replay or export — gets the event without them (the keys left
    out, the actor ``None``). The log keeps them whole: the record is evidence.

    Why the actor too: a poll vote's counts change by exactly what its voter chose, so
    counts beside a name would tell the room who voted what; counts alone do not."""

    keys: tuple[str, ...]
    actor: bool = True

    def strip(self, data: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in data.items() if k not in self.keys}


@dataclass
class EventType:
    name: str
    shape: Mapping[str, Spec]
    to: To = To.EVERYONE
    hides: Hides | None = None
    moderation: bool = False  # a teacher's step, listed as such in the record
    fold: Fold | None = None  # registered by the module that owns the state
    plain: bool = False  # its fold is plain SQL on the writer's own connection
    private: Private | None = None  # what only its author and the moderators receive
    also: list[Fold] = field(default_factory=list)  # folds of other state, run after it


class Optional_:
    """A key that may be absent (logs written before it existed)."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec


NOTE: dict[str, Any] = {
    "id": int,
    "column": str,
    "text": str,
    "color": str,
    "x": (int, float),
    "y": (int, float),
    "version": int,
    "votes": int,
    "author_id": int,
    "lang": Optional_(str),
}
_NONE = type(None)
_NOTE_TEXT = Hides("note", "note", "id", "text")
_MESSAGE_TEXT = Hides("message", None, "message_id", "body")
# The breakout group an event was said in; absent: the whole room (and every event
# logged before groups existed). The relay tells such an event to the group's
# members and the teachers only, and ``room.read`` replays it by the same rule.
_GROUP: Any = Optional_(int)
MESSAGE: dict[str, Any] = {
    "message_id": int,
    "client_id": str,
    "body": str,
    "reply_to": (int, _NONE),
    "lang": str,
    "group_id": _GROUP,
}

CATALOGUE: dict[str, EventType] = {
    e.name: e
    for e in (
        EventType("session.opened", {}, moderation=True),
        EventType("session.closed", {}, moderation=True),
        EventType("member.joined", {}),
        EventType("member.left", {}),
        EventType("message.posted", MESSAGE, hides=_MESSAGE_TEXT),
        # A student's message the word list matched, or any student's message while the
        # teacher approves every message: its author and the teachers see it until a
        # teacher releases it (``message.released``) or hides it. ``reason``: "words"
        # or "approval".
        EventType(
            "message.held",
            {**MESSAGE, "reason": str},
            to=To.TEACHERS | To.AUTHOR,
            hides=_MESSAGE_TEXT,
        ),
        # A held message shown to everyone (its group's, when it was said in one). It
        # carries the message whole: the students who were not told ``message.held``
        # learn it from this event alone, live and in a replay.
        EventType(
            "message.released",
            {
                "message_id": int,
                "author_id": int,
                "body": str,
                "reply_to": (int, _NONE),
                "lang": str,
                "group_id": _GROUP,
            },
            hides=_MESSAGE_TEXT,
            moderation=True,
        ),
        EventType(
            "message.reacted", {"message_id": int, "emoji": str, "on": bool, "group_id": _GROUP}
        ),
        EventType(
            "message.hidden",
            {"message_id": int, "reason": (str, _NONE), "group_id": _GROUP},
            moderation=True,
        ),
        EventType("message.unhidden", {"message_id": int, "group_id": _GROUP}, moderation=True),
        EventType("message.pinned", {"message_id": int, "pinned": bool}, moderation=True),
        EventType("note.added", {"note": NOTE, "group_id": _GROUP}, hides=_NOTE_TEXT),
        EventType("note.edited", {"note": NOTE, "group_id": _GROUP}, hides=_NOTE_TEXT),
        EventType("note.voted", {"note_id": int, "on": bool, "votes": int, "group_id": _GROUP}),
        EventType("note.removed", {"note_id": int, "group_id": _GROUP}),
        EventType(
            "note.hidden",
            {"note_id": int, "reason": (str, _NONE), "group_id": _GROUP},
            moderation=True,
        ),
        EventType("note.unhidden", {"note_id": int, "group_id": _GROUP}, moderation=True),
        EventType(
            "member.muted",
            {"user_id": int, "minutes": (int, _NONE), "until": (str, _NONE)},
            moderation=True,
        ),
        EventType("member.unmuted", {"user_id": int}, moderation=True),
        EventType("member.removed", {"user_id": int}, moderation=True),
        EventType("room.locked", {"locked": bool}, moderation=True),
        EventType("room.slow", {"seconds": int}, moderation=True),
        # Live tools (protocol.md, "Live tools"): polls and flags (``room.polls``,
        # ``room.flags``).
        EventType(
            "poll.opened",
            {"poll": {"id": int, "question": str, "options": list, "multiple": bool}},
        ),
        # A vote: the voter is the event's actor and ``choices`` (option indexes) what
        # they chose, kept in the log so the sealed record holds who voted what. The
        # room hears only the counts, with no actor (``Private``): students and teachers
        # alike, live and in a student's replay; the voter gets their own in the ack.
        EventType(
            "poll.voted",
            {"poll_id": int, "counts": list, "choices": list},
            private=Private(("choices",)),
        ),
        EventType("poll.closed", {"poll_id": int, "counts": list}),
        # A flag: to the session's teachers only (never to students, not even in a
        # replay); the flagger is its actor and gets an ack.
        EventType(
            "item.flagged",
            {"flag_id": int, "target": str, "id": int, "reason": (str, _NONE)},
            to=To.TEACHERS,
        ),
        EventType("flag.dismissed", {"flag_id": int}, to=To.TEACHERS, moderation=True),
        # "Teacher approves every message": on, every student message is held.
        EventType("room.approval", {"on": bool}, moderation=True),
        # Breakout groups: [{"id", "name", "member_ids"}] (checked in ``room.groups``:
        # the catalogue's shapes have no lists of objects), and their end.
        EventType("groups.formed", {"groups": list}, moderation=True),
        EventType("groups.ended", {"group_ids": list}, moderation=True),
    )
}

MODERATION = frozenset(name for name, e in CATALOGUE.items() if e.moderation)


# --- shapes ----------------------------------------------------------------------


def _problems(where: str, shape: Mapping[str, Any], data: Any) -> list[str]:
    if not isinstance(data, dict):
        return [f"{where}: not an object"]
    problems = [f"{where}: unknown key {key}" for key in data if key not in shape]
    for key, spec in shape.items():
        optional = isinstance(spec, Optional_)
        if optional:
            spec = spec.spec
        if key not in data:
            if not optional:
                problems.append(f"{where}: missing {key}")
            continue
        value = data[key]
        if isinstance(spec, Mapping):
            problems += _problems(f"{where}.{key}", spec, value)
        elif not _fits(value, spec):
            problems.append(f"{where}: {key} is {type(value).__name__}")
    return problems


def _fits(value: Any, spec: type | tuple[type, ...]) -> bool:
    types = spec if isinstance(spec, tuple) else (spec,)
    if isinstance(value, bool):  # a bool is an int to Python, never to the protocol
        return bool in types
    return isinstance(value, types)


def check(type_: str, data: Any) -> list[str]:
    """Problems with an event's data against its type's shape (empty: it fits)."""
    event_type = CATALOGUE.get(type_)
    if event_type is None:
        return [f"unknown type {type_}"]
    return _problems(type_, event_type.shape, data)


def check_told(type_: str, data: Any) -> list[str]:
    """``check`` for an event as a reader was told it: its text may be withheld, its
    private keys left out."""
    event_type = CATALOGUE.get(type_)
    if event_type is not None and event_type.private is not None and isinstance(data, dict):
        keys = event_type.private.keys
        if not any(k in data for k in keys):
            told = {k: v for k, v in event_type.shape.items() if k not in keys}
            return _problems(type_, told, data)
    if event_type is not None and event_type.hides is not None and isinstance(data, dict):
        restored = event_type.hides.restore(data)
        if restored is not None:
            return check(type_, restored)
    return check(type_, data)


def require(type_: str, data: Any) -> None:
    """Refuse to log an event that does not fit its type: a programming error, never
    a user's (their input is checked before an event is built). Every recorded event
    passes here, so the answer comes from a check compiled once per type; only a
    refusal walks the shape again to say what is wrong."""
    fits = _FITS.get(type_)
    if fits is None or not fits(data):
        raise ValueError("; ".join(check(type_, data)) or f"{type_} does not fit")


def _compile(shape: Mapping[str, Any]) -> Callable[[Any], bool]:
    """``shape`` as one function: does the data fit it exactly?"""
    allowed = frozenset(shape)
    required = frozenset(k for k, v in shape.items() if not isinstance(v, Optional_))
    items: list[tuple[str, tuple[type, ...], Callable[[Any], bool] | None, bool]] = []
    for key, spec in shape.items():
        spec = spec.spec if isinstance(spec, Optional_) else spec
        if isinstance(spec, Mapping):
            items.append((key, (), _compile(spec), False))
        else:
            types = spec if isinstance(spec, tuple) else (spec,)
            items.append((key, types, None, bool in types))

    def fits(data: Any) -> bool:
        if type(data) is not dict:
            return False
        keys = data.keys()
        if not (keys >= required and keys <= allowed):
            return False
        for key, types, nested, bool_ok in items:
            if key in data:
                value = data[key]
                if nested is not None:
                    if not nested(value):
                        return False
                elif value.__class__ is bool:  # an int to Python, never to the protocol
                    if not bool_ok:
                        return False
                elif not isinstance(value, types):
                    return False
        return True

    return fits


_FITS = {name: _compile(e.shape) for name, e in CATALOGUE.items()}


# --- who hears what ------------------------------------------------------------------


def may_receive(type_: str, *, moderator: bool, author: bool) -> bool:
    """May this reader receive an event of this type (live or in a replay)?"""
    to = CATALOGUE[type_].to
    return bool(to & To.MEMBERS or (moderator and to & To.TEACHERS) or (author and to & To.AUTHOR))


def withheld(
    type_: str, data: dict[str, Any], hidden: set[tuple[str, int]] | None
) -> dict[str, Any]:
    """An event's data as a reader who does not moderate sees it: the text of the
    hidden items in ``hidden`` — ("message", id) or ("note", id) — left out."""
    spec = CATALOGUE[type_].hides
    if hidden and spec is not None and (spec.kind, spec.item_id(data)) in hidden:
        return spec.withhold(data)
    return data


def private_parts(type_: str, *, moderator: bool, author: bool) -> Private | None:
    """What of an event of this type this reader must not receive (None: all of it)."""
    private = CATALOGUE[type_].private
    return None if private is None or moderator or author else private


def told(type_: str, data: dict[str, Any]) -> dict[str, Any]:
    """An event's data as told to the room (its private keys left out)."""
    private = CATALOGUE[type_].private
    return data if private is None else private.strip(data)


# --- folds -----------------------------------------------------------------------


def folds(*types: str, plain: bool = False) -> Callable[[Fold], Fold]:
    """Register the decorated function as the fold of ``types`` (``plain``: it writes
    plain SQL on the writer's connection, with no ORM session in the way)."""

    def register(fn: Fold) -> Fold:
        for type_ in types:
            event_type = CATALOGUE[type_]
            if event_type.fold is not None and event_type.fold is not fn:
                raise RuntimeError(f"{type_} already has a fold")
            event_type.fold, event_type.plain = fn, plain
        return fn

    return register


def also_folds(*types: str) -> Callable[[Fold], Fold]:
    """Register the decorated function to run after the fold of ``types``, for state
    of its own that those events change (a hidden message resolves its open flags).
    Only on types folded through the ORM: a plain fold's writer has no ORM session."""

    def register(fn: Fold) -> Fold:
        for type_ in types:
            if CATALOGUE[type_].plain:
                raise RuntimeError(f"{type_} is folded as plain SQL")
            if fn not in CATALOGUE[type_].also:
                CATALOGUE[type_].also.append(fn)
        return fn

    return register


def fold(session: Any, event: Any, run: Any = None) -> None:
    """Apply one logged event to the room's state, through its type's fold."""
    event_type = CATALOGUE.get(event.type)
    if event_type is None or event_type.fold is None:
        raise ValueError(f"no fold for event type {event.type}")
    event_type.fold(session, event, run)
    for also in event_type.also:
        also(session, event, run)


def is_plain(type_: str) -> bool:
    return CATALOGUE[type_].plain


def unfolded() -> list[str]:
    """Types no module has registered a fold for (checked when the app starts)."""
    return [name for name, e in CATALOGUE.items() if e.fold is None]

"""The live room: chat, attendance and moderation as actions over the session log.

Every write goes through ``record`` (``room.write``): lock the session's log head,
check what the rules say (``room.rules``), append the event, fold it into the room
state (``room.fold``, the catalogue's folds), commit — and only then tell the room.
The state tables (messages, room members, the session's lock and slow mode) are never
written elsewhere, so folding the log from the start gives exactly what is stored
(``rebuild``).

The modules, each one job: ``seat`` (who is asking), ``read`` (replay, pages, who is
here), ``fold``, ``rules``, ``write`` (the write protocol, ``record``), ``chat``, ``moderation``,
``lifecycle`` (attendance, opening, closing and sealing), and the live tools ``polls``
and ``flags`` (their own folds, state and actions). This package is the
room's public surface: the rest of the forum imports ``room`` and uses the names below.
"""

from __future__ import annotations

from ..models import utcnow
from . import flags, polls
from .chat import (
    check_group,
    client_id_of,
    posting_group,
    react,
    send_message,
    tagged,
    typing,
)
from .fold import STANDING, Standing, apply, rebuild, standing
from .groups import end_groups, form_groups
from .held import approval, release
from .held import queue as held_queue
from .lifecycle import close_room, joined, left, open_room
from .moderation import hide_message, hide_request, lock, mute, pin, remove, slow
from .read import (
    HISTORY_LIMIT,
    PAGE,
    SINCE_LIMIT,
    Page,
    actors_for,
    current_group,
    formed,
    group_json,
    group_names,
    groups_of,
    in_reach,
    mutes,
    page,
    presence,
    readers_groups,
    replay,
    serialize_event,
    visible_data,
    withheld_items,
    you,
)
from .rules import (
    check_can_contribute,
    check_can_post,
    check_can_write,
    check_live,
    check_manager,
    rate_limiter,
)
from .seat import (
    MAX_BODY,
    MAX_INT,
    MAX_MUTE_MINUTES,
    MAX_REASON,
    MAX_SLOW_SECONDS,
    REACTIONS,
    Seat,
    actor_of,
    seat_for,
)
from .write import LOCK_WAIT, Clock, Publisher, Recorded, clock, record, set_publisher

__all__ = [
    "HISTORY_LIMIT",
    "LOCK_WAIT",
    "MAX_BODY",
    "MAX_INT",
    "MAX_MUTE_MINUTES",
    "MAX_REASON",
    "MAX_SLOW_SECONDS",
    "PAGE",
    "REACTIONS",
    "SINCE_LIMIT",
    "STANDING",
    "Clock",
    "Page",
    "Publisher",
    "Recorded",
    "Seat",
    "Standing",
    "actor_of",
    "actors_for",
    "apply",
    "approval",
    "check_can_contribute",
    "check_can_post",
    "check_can_write",
    "check_group",
    "check_live",
    "check_manager",
    "client_id_of",
    "clock",
    "close_room",
    "flags",
    "current_group",
    "end_groups",
    "form_groups",
    "formed",
    "group_json",
    "group_names",
    "groups_of",
    "held_queue",
    "hide_message",
    "hide_request",
    "in_reach",
    "joined",
    "left",
    "lock",
    "mute",
    "mutes",
    "open_room",
    "page",
    "pin",
    "polls",
    "posting_group",
    "presence",
    "rate_limiter",
    "react",
    "readers_groups",
    "rebuild",
    "record",
    "release",
    "remove",
    "replay",
    "seat_for",
    "send_message",
    "serialize_event",
    "set_publisher",
    "slow",
    "standing",
    "tagged",
    "typing",
    "utcnow",
    "visible_data",
    "withheld_items",
    "you",
]

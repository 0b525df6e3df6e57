"""Exchanges: applications that pair classes of different schools around some SDGs.

An exchange starts as an application (``proposed``). It pairs its classes only once
every partner class's teacher accepted and the Alliance (a reviewer or admin)
approved it; until then no session can be scheduled and the students of its classes
see nothing of it (``access.shown_to_students``). Every decision is kept
(``ExchangeDecision``). The API, the pages and the CLI all act through here.

The modules: ``reading`` (who sees which, the protocol's shape, answers, labels),
``desk`` (the Alliance's view of a year's applications), ``proposal`` (applying) and
``decisions`` (every answer and decision after that). This package is their public
surface: the rest of the forum imports ``exchanges`` and uses the names below.
"""

from __future__ import annotations

from .decisions import (
    accept,
    approve,
    approve_outright,
    complete,
    decline,
    pair,
    pair_many,
    reject,
    resubmit,
    return_,
    withdraw,
)
from .desk import ApplicationFilter, application_years, applications, pairing_candidates, waiting_on
from .proposal import create, propose
from .reading import (
    ALLIANCE_ROLES,
    MAX_COMMENT,
    MAX_TEXT,
    MAX_TITLE,
    acceptances,
    can_see,
    countries,
    get_for,
    partner_classes,
    serialize,
    status_label,
    visible,
)

__all__ = [
    "ALLIANCE_ROLES",
    "MAX_COMMENT",
    "MAX_TEXT",
    "MAX_TITLE",
    "ApplicationFilter",
    "accept",
    "acceptances",
    "application_years",
    "applications",
    "approve",
    "approve_outright",
    "can_see",
    "complete",
    "countries",
    "create",
    "decline",
    "get_for",
    "pair",
    "pair_many",
    "pairing_candidates",
    "partner_classes",
    "propose",
    "reject",
    "resubmit",
    "return_",
    "serialize",
    "status_label",
    "visible",
    "waiting_on",
    "withdraw",
]

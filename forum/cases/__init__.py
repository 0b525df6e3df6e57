"""Cases: what worked in a completed exchange, told by its teachers from the sealed
records and published by the Alliance in the public gallery (protocol.md, "Case
gallery (public)").

The modules: ``quotes`` (what a record may give to a case: messages and final notes,
never hidden ones, never a student's words without consent), ``draft`` (drafting and
editing), ``publish`` (submit, publish, send back; the Alliance's queue), ``reading``
(who sees which; the gallery; a case as the public reads it, and as the API does),
``proof`` (an excerpt's chain proof against the sealed head) and ``feed`` (Atom).
"""

from __future__ import annotations

from .draft import EDITABLE, create, edit
from .feed import atom
from .proof import excerpt_of, proof
from .publish import action_label, publish, queue, reject, status_label, submit
from .quotes import is_sealed, quotes_of, reason_message
from .reading import (
    Filter,
    gallery_choices,
    get_for,
    of_exchange,
    public_json,
    public_view,
    published,
    serialize,
    text_of,
)

__all__ = [
    "EDITABLE",
    "Filter",
    "action_label",
    "atom",
    "create",
    "edit",
    "excerpt_of",
    "gallery_choices",
    "get_for",
    "is_sealed",
    "of_exchange",
    "proof",
    "public_json",
    "public_view",
    "published",
    "publish",
    "queue",
    "quotes_of",
    "reason_message",
    "reject",
    "serialize",
    "status_label",
    "submit",
    "text_of",
]

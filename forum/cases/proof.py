"""The proof that an excerpt is what the sealed record holds, for anyone to check.

For the excerpt's event it gives the canonical bytes (protocol.md, "Transcript
export"), the hash before it and its own hash, so that SHA-256(previous + bytes) can be
recomputed; then the hash of every later event up to the head hash, which the seal's
Ed25519 signature covers (checkable with ``/evidence/public-key``). Other events' content
is never shown: a reader without the transcript checks the excerpt's own link and the
signature over the head; a reviewer holding the sealed transcript checks every link in
between. A withheld excerpt (consent withdrawn) shows its hash only, never its bytes.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from ..errors import ActionError
from ..extensions import db
from ..log import eventlog
from ..models import Case, CaseExcerpt, Event, Seal
from ..timeutil import iso_utc
from . import quotes


def excerpt_of(case: Case, raw: object) -> CaseExcerpt:
    from .. import fields

    ident = fields.row_id(raw)
    for excerpt in case.excerpts:
        if excerpt.id == ident:
            return excerpt
    raise ActionError("not_found", _("This case has no such excerpt."))


def proof(case: Case, excerpt: CaseExcerpt) -> dict[str, Any]:
    """The chain proof of one excerpt against its session's sealed head."""
    sealed = db.session.get(Seal, excerpt.session_id)
    event = db.session.scalar(
        sa.select(Event).where(Event.session_id == excerpt.session_id, Event.seq == excerpt.seq)
    )
    if sealed is None or event is None:
        raise ActionError("not_found", _("This case has no such excerpt."))
    previous = (
        eventlog.genesis_hash(excerpt.session_id)
        if excerpt.seq == 1
        else db.session.scalar(
            sa.select(Event.hash).where(
                Event.session_id == excerpt.session_id, Event.seq == excerpt.seq - 1
            )
        )
    )
    later = [
        {"seq": seq, "hash": digest}
        for seq, digest in db.session.execute(
            sa.select(Event.seq, Event.hash)
            .where(
                Event.session_id == excerpt.session_id,
                Event.seq > excerpt.seq,
                Event.seq <= sealed.head_seq,
            )
            .order_by(Event.seq)
        )
    ]
    found = quotes.quote(excerpt.session_id, excerpt.seq)
    withheld = isinstance(found, str) or found.refused is not None
    canonical = None
    if not withheld:
        canonical = eventlog.canonical_bytes(
            event.session_id,
            event.seq,
            event.type,
            iso_utc(event.at, micro=True),
            event.actor_id,
            event.data,
        ).decode("utf-8")
    return {
        "case_id": case.id,
        "excerpt_id": excerpt.id,
        "session_id": excerpt.session_id,
        "seq": excerpt.seq,
        "withheld": withheld,
        "canonical": canonical,
        "previous_hash": previous,
        "hash": event.hash,
        "later_hashes": later,
        "head_seq": sealed.head_seq,
        "head_hash": sealed.head_hash,
        "signature": sealed.signature,
        "key_fingerprint": sealed.key_fingerprint,
        "sealed_at": iso_utc(sealed.sealed_at),
    }

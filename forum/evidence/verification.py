"""Checking a transcript against its chain, its head and its seal: an export on its
own (``verify_document``, ``verify_bytes``) under the keys a verifier trusts
(``trust``), or a session's stored log (``verify_stored``)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa

from .. import inputs
from ..extensions import db
from ..log import eventlog
from ..models import ForumSession, Seal
from ..room import seal
from .read import log_batches, through_of
from .readers import FORMAT


@dataclass
class Verdict:
    valid: bool
    line: str  # "valid …" or "invalid …", as the CLI prints it
    bad_seq: int | None = None
    events: int = 0
    fingerprint: str | None = None  # of the trusted key that signed it
    untrusted_key: str | None = None  # a sound signature, but by a key nobody trusts
    earlier_key: bool = False  # signed by a key the platform used before its current one
    unreadable: str | None = None  # not JSON at all ("syntax"), or too deep etc. (BadJson)


def _bad(seq: int | None, why: str) -> Verdict:
    where = f"seq {seq}: " if seq is not None else ""
    return Verdict(False, f"invalid: {where}{why}", bad_seq=seq)


@dataclass(frozen=True)
class Trust:
    """The keys a verifier trusts. A signature proves something only under one of
    them: anyone can sign a record with a key of their own and put it in the file.

    ``keys`` are public keys (PEM) the verifier holds; ``fingerprints`` name further
    keys the platform itself has sealed with (the ``seals`` table), which a file may
    carry; ``current`` is this instance's key's fingerprint, if it is trusted."""

    keys: tuple[str, ...]
    fingerprints: frozenset[str] = frozenset()
    current: str | None = None


def trust(public_key_pem: str | None = None, *, earlier_keys: bool = False) -> Trust:
    """Whom a verifier trusts: the key it was given, else this instance's evidence key
    and, with ``earlier_keys`` (the review desk, which has the database), every key the
    platform has sealed a session with."""
    if public_key_pem is not None:
        return Trust(keys=(public_key_pem,))
    current = seal.fingerprint()
    fingerprints = {current}
    if earlier_keys:
        fingerprints |= set(db.session.scalars(sa.select(Seal.key_fingerprint).distinct()))
    return Trust(
        keys=(seal.public_key_pem(),), fingerprints=frozenset(fingerprints), current=current
    )


def _fingerprint_or_none(pem: object) -> str | None:
    if not isinstance(pem, str):
        return None
    try:
        return seal.fingerprint_of(pem)
    except (ValueError, TypeError, UnicodeError):
        return None


def signer(trusted: Trust, head_hash: str, signature: str, carried_key: object) -> str | Verdict:
    """The one place that decides whether a signature counts: the fingerprint of the
    trusted key it is sound under, else the invalid verdict that names the signature.
    The key a file carries counts only if it is one the platform has sealed with."""
    for pem in trusted.keys:
        if seal.signature_valid(pem, head_hash, signature):
            return seal.fingerprint_of(pem)
    carried = _fingerprint_or_none(carried_key)
    if (
        carried is not None
        and isinstance(carried_key, str)
        and seal.signature_valid(carried_key, head_hash, signature)
    ):
        if carried in trusted.fingerprints:
            return carried
        return Verdict(
            False,
            f"invalid: signature by {carried}, a key the verifier does not "
            "trust (anyone can sign with a key of their own)",
            untrusted_key=carried,
        )
    return Verdict(False, "invalid: signature does not match the head hash")


# The encoder of ``eventlog.canonical_bytes``, made once (json.dumps with these options
# builds one per call), and its string quoting (non-ASCII kept).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
_QUOTE = json.encoder.encode_basestring


def _canonical(
    session_id: int, seq: int, type_: str, at: str, actor_id: int | None, data: Any
) -> bytes:
    """``eventlog.canonical_bytes`` of a stored event (an int or no actor, text type and
    time), written around its data: the keys in their sorted order, only the data
    sorted by the encoder. The same bytes, at two thirds of the cost."""
    return (
        f'{{"actor_id":{"null" if actor_id is None else int(actor_id)},"at":{_QUOTE(at)},'
        f'"data":{_CANONICAL(data)},"seq":{int(seq)},"session_id":{int(session_id)},'
        f'"type":{_QUOTE(type_)}}}'
    ).encode()


def verify_document(doc: Any, trusted: Trust | None = None) -> Verdict:
    """Check an export on its own: chain, head, and a signature by a trusted key
    (default: this instance's evidence key). Names the first bad seq (or the signature)."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        return _bad(None, "not an sdg-forum-transcript/1 document")
    try:
        session_id = int(doc["session"]["id"])
        events = doc["events"]
        if not isinstance(events, list):
            raise TypeError
    except (KeyError, TypeError, ValueError):
        return _bad(None, "the document lacks its session id or events")
    previous = eventlog.genesis_hash(session_id)
    link = bytes.fromhex(previous)
    sha256 = hashlib.sha256
    for expected, event in enumerate(events, start=1):
        if not isinstance(event, dict):
            return _bad(expected, "not an event")
        if event.get("seq") != expected:
            return _bad(
                expected,
                f"expected seq {expected}, found {event.get('seq')!r} "
                "(missing, extra or reordered event)",
            )
        try:
            # eventlog.canonical_bytes and eventlog.chain, with the encoder made once.
            canonical = _CANONICAL(
                {
                    "session_id": session_id,
                    "seq": expected,
                    "type": event["type"],
                    "at": event["at"],
                    "actor_id": event["actor_id"],
                    "data": event["data"],
                },
            ).encode("utf-8")
        except (KeyError, TypeError, ValueError):
            return _bad(expected, "malformed event")
        digest = sha256(link + canonical).digest()
        computed = digest.hex()
        if computed != event.get("hash"):
            return _bad(expected, "hash does not match the event's content")
        previous, link = computed, digest
    if doc.get("head_hash") != previous:
        return _bad(
            len(events) + 1 if events else None,
            "head_hash does not match the last event (events missing at the end?)",
        )
    signature = doc.get("signature")
    fingerprint = None
    session_doc = doc["session"] if isinstance(doc["session"], dict) else {}
    closed = (
        session_doc.get("status") == "closed"
        or doc.get("sealed_at") is not None
        or any(e.get("type") == "session.closed" for e in events)
    )
    if signature is None and closed:
        # Closing seals: a closed session's record without a signature has lost its seal.
        return Verdict(
            False,
            "invalid: signature missing, but the session was closed (its record must be sealed)",
        )
    if signature is not None:
        if not isinstance(signature, str):
            return Verdict(False, "invalid: signature does not match the head hash")
        trusted = trusted or trust()
        signed = signer(trusted, previous, signature, doc.get("public_key"))
        if isinstance(signed, Verdict):
            return signed
        fingerprint = signed
    status = f"sealed, signed by {fingerprint}" if signature else "not sealed (no signature)"
    return Verdict(
        True,
        f"valid: {len(events)} events, head {previous}, {status}",
        events=len(events),
        fingerprint=fingerprint,
        earlier_key=bool(
            trusted and fingerprint and trusted.current and fingerprint != trusted.current
        ),
    )


def verify_bytes(raw: bytes, trusted: Trust | None = None) -> Verdict:
    """Check an uploaded export, read as every document from outside is
    (``inputs.loads``: a nesting limit, finite numbers; its text is the chain's to judge)."""
    try:
        doc = inputs.loads(raw, text=False)
    except inputs.BadJson as exc:
        why = (
            "not a JSON document"
            if exc.kind == "syntax"
            else f"not a JSON document that can be checked: {exc.detail}"
        )
        return replace(_bad(None, why), unreadable=exc.kind)
    return verify_document(doc, trusted)


def verify_stored(session: ForumSession) -> Verdict:
    """Check the stored log of a session against its seal and the platform key.

    The log is read in batches as plain rows and its chain walked with hashlib
    (``eventlog.first_bad_seq``'s rule, without an ORM object per event)."""
    sid = session.id
    genesis = eventlog.genesis_hash(sid)
    previous = bytes.fromhex(genesis)
    expected = 0
    head = genesis
    sha256, canonical = hashlib.sha256, _canonical
    for rows in log_batches(sid, through_of(session)):
        for seq, type_, at, actor_id, data, hash_ in rows:
            expected += 1
            if seq != expected:
                return _bad(expected, "hash does not match the event's content")
            digest = sha256(previous + canonical(sid, seq, type_, at, actor_id, data)).digest()
            if digest.hex() != hash_:
                return _bad(expected, "hash does not match the event's content")
            previous = digest
        head = rows[-1][5]
    count = expected
    if head != (session.head_hash or genesis):
        return _bad(count + 1, "the session's head does not match its last event")
    sealed = db.session.get(Seal, session.id)
    if sealed is None:
        return Verdict(True, f"valid: {count} events, head {head}, not sealed", events=count)
    if sealed.head_hash != head or not seal.signature_valid(
        seal.public_key_pem(), head, sealed.signature
    ):
        return Verdict(False, "invalid: signature does not match the head hash")
    return Verdict(
        True,
        f"valid: {count} events, head {head}, sealed, signed by {seal.fingerprint()}",
        events=count,
        fingerprint=seal.fingerprint(),
    )

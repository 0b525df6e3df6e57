"""The session record as others read it: the evidence export, CSV, and verification.

The export is the log itself (protocol.md, "Transcript export"): every event with
its chain hash, the head hash and, once sealed, the platform's signature. Names
are not hashed (the hash covers actor_id), so they can be pseudonymised for
reviewers without breaking the proof.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa

from . import csvfile, eventlog, inputs, pseudonyms, seal, sessions
from .extensions import db
from .models import Event, ForumSession, Role, Seal, User
from .pseudonyms import reads_pseudonyms
from .timeutil import iso_utc

FORMAT = "sdg-forum-transcript/1"


# --- who reads it, and how ------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """How a reader sees a record: with names or pseudonyms, hidden text or not."""

    names: bool
    hidden_text: bool


def reading_for(user: User, session: ForumSession, *, pseudonyms: bool = False) -> Reading:
    """Students: their own sessions, no hidden text. Reviewers: everything, students
    under pseudonyms unless their names were revealed (``pseudonyms.reads_pseudonyms``).
    Teachers, admins and reviewers who may read names: names unless they ask not."""
    if user.role == Role.STUDENT:
        return Reading(names=True, hidden_text=False)
    if reads_pseudonyms(user, session.id):
        return Reading(names=False, hidden_text=True)
    return Reading(names=not pseudonyms, hidden_text=True)


def actors(session: ForumSession, events: list[Event], reading: Reading) -> dict[str, dict]:
    """Everyone who caused an event, by id; students as "Student 1, 2 …" (in order of
    first appearance) when the reading asks for pseudonyms."""
    order = pseudonyms.appearance_order(pseudonyms.mentions_of(events))
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(order)))}
    numbering = pseudonyms.numbers(order, {uid: u.role for uid, u in users.items()})
    out: dict[str, dict] = {}
    for uid in order:
        user = users.get(uid)
        if user is None:
            continue
        name = user.display_name
        if numbering.get(uid) and not reading.names:
            name = pseudonyms.label(numbering[uid])
        out[str(uid)] = {
            "name": name,
            "role": user.role.value,
            "school": user.school.slug if user.school else None,
            "country": user.school.country if user.school else None,
        }
    return out


def export(session: ForumSession, reading: Reading) -> dict[str, Any]:
    """The ``sdg-forum-transcript/1`` document for a reader."""
    events = eventlog.record_of(session)
    from .room import hidden_items, visible_data

    withhold = None if reading.hidden_text else hidden_items(session.id)
    items = [
        {
            "seq": event.seq,
            "type": event.type,
            "at": iso_utc(event.at, micro=True),
            "actor_id": event.actor_id,
            "data": visible_data(event, withhold),
            "hash": event.hash,
        }
        for event in events
    ]
    sealed = db.session.get(Seal, session.id)
    return {
        "format": FORMAT,
        "session": sessions.serialize(session),
        "actors": actors(session, events, reading),
        "events": items,
        "head_hash": session.head_hash or eventlog.genesis_hash(session.id),
        "sealed_at": iso_utc(sealed.sealed_at, micro=True) if sealed else None,
        "signature": sealed.signature if sealed else None,
        "public_key": seal.public_key_pem(),
    }


def messages_csv(session: ForumSession, reading: Reading) -> bytes:
    """One row per message, UTF-8 with BOM so spreadsheet programs read CJK text;
    names and messages that a spreadsheet would run as formulas are neutralised
    (``csvfile``)."""
    doc = export(session, reading)
    names = doc["actors"]
    hidden: set[int] = set()
    for event in doc["events"]:
        if event["type"] == "message.hidden":
            hidden.add(event["data"]["message_id"])
        elif event["type"] == "message.unhidden":
            hidden.discard(event["data"]["message_id"])
    buffer = io.StringIO()
    writer = csvfile.writer(buffer)
    writer.writerow(
        ["seq", "at", "author", "role", "school", "country", "lang", "reply_to", "hidden", "body"]
    )
    for event in doc["events"]:
        if event["type"] != "message.posted":
            continue
        actor = names.get(str(event["actor_id"]), {})
        data = event["data"]
        writer.writerow(
            [
                event["seq"],
                event["at"],
                actor.get("name", ""),
                actor.get("role", ""),
                actor.get("school", ""),
                actor.get("country", ""),
                data.get("lang", ""),
                data.get("reply_to") or "",
                "yes" if data["message_id"] in hidden else "",
                data.get("body") or "",
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# --- verification -----------------------------------------------------------------


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
            canonical = eventlog.canonical_bytes(
                session_id, expected, event["type"], event["at"], event["actor_id"], event["data"]
            )
            computed = eventlog.chain(previous, canonical)
        except (KeyError, TypeError, ValueError):
            return _bad(expected, "malformed event")
        if computed != event.get("hash"):
            return _bad(expected, "hash does not match the event's content")
        previous = computed
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
    """Check the stored log of a session against its seal and the platform key."""
    events = eventlog.record_of(session)
    bad = eventlog.first_bad_seq(session.id, events)
    if bad is not None:
        return _bad(bad, "hash does not match the event's content")
    head = events[-1].hash if events else eventlog.genesis_hash(session.id)
    if head != (session.head_hash or eventlog.genesis_hash(session.id)):
        return _bad(len(events) + 1, "the session's head does not match its last event")
    sealed = db.session.get(Seal, session.id)
    if sealed is None:
        return Verdict(
            True, f"valid: {len(events)} events, head {head}, not sealed", events=len(events)
        )
    if sealed.head_hash != head or not seal.signature_valid(
        seal.public_key_pem(), head, sealed.signature
    ):
        return Verdict(False, "invalid: signature does not match the head hash")
    return Verdict(
        True,
        f"valid: {len(events)} events, head {head}, sealed, signed by {seal.fingerprint()}",
        events=len(events),
        fingerprint=seal.fingerprint(),
    )

"""The session record as others read it: the evidence export, CSV, and verification.

The export is the log itself (protocol.md, "Transcript export"): every event with
its chain hash, the head hash and, once sealed, the platform's signature. Names
are not hashed (the hash covers actor_id), so they can be pseudonymised for
reviewers without breaking the proof.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask

from .. import csvfile, inputs, sql
from ..extensions import db
from ..log import eventlog, events
from ..models import Event, ForumSession, Role, Seal, SessionStatus, User
from ..people import pseudonyms
from ..people.pseudonyms import reads_pseudonyms
from ..room import seal
from ..schedule import sessions
from ..timeutil import iso_utc

FORMAT = "sdg-forum-transcript/1"


# --- who reads it, and how ------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """How a reader sees a record: with names or pseudonyms, hidden text or not."""

    names: bool
    hidden_text: bool
    # A student's own copy: only the events they may receive, a vote's choices and
    # voter left out but for their own (the catalogue's ``to`` and ``Private``).
    reader_id: int | None = None
    # A student reads their record without the text of others' messages still held
    # and of the groups they were not in (``eventlog.withheld_items``).
    student_id: int | None = None


def reading_for(user: User, session: ForumSession, *, pseudonyms: bool = False) -> Reading:
    """Students: their own sessions, no hidden text. Reviewers: everything, students
    under pseudonyms unless their names were revealed (``pseudonyms.reads_pseudonyms``).
    Teachers, admins and reviewers who may read names: names unless they ask not."""
    if user.role == Role.STUDENT:
        return Reading(names=True, hidden_text=False, reader_id=user.id, student_id=user.id)
    if reads_pseudonyms(user, session.id):
        return Reading(names=False, hidden_text=True)
    return Reading(names=not pseudonyms, hidden_text=True)


# --- the log, read in batches ------------------------------------------------------

# Events read at a time: a batch is read, its connection given back, and only then
# is it turned into bytes and written (``sql``: nothing shared waits on a client).
BATCH = 2000

# An event as the record reads it: (seq, type, at, actor_id, data, hash), ``at`` as the
# export writes it (UTC ISO-8601 with microseconds and Z), ``data`` parsed.
Row = tuple[int, str, str, int | None, dict[str, Any], str]


def _iso(at: str | datetime) -> str:
    """A stored timestamp as ``iso_utc(..., micro=True)`` writes it. SQLite gives the
    text SQLAlchemy stored (``YYYY-MM-DD HH:MM:SS.ffffff``, naive UTC), read here
    without making a datetime; PostgreSQL a naive UTC datetime."""
    if isinstance(at, str) and len(at) == 26 and at[10] == " ":
        return f"{at[:10]}T{at[11:]}Z"
    return iso_utc(sql.moment(at), micro=True)


def _read(
    run: sql.Statements,
    session_id: int,
    after: int,
    through: int | None,
    limit: int,
    types: tuple[str, ...] | None,
) -> list[Row]:
    mark = "?" if run.sqlite else "%s"
    query = (
        f"SELECT seq, type, at, actor_id, data, hash FROM events "  # noqa: S608
        f"WHERE session_id = {mark} AND seq > {mark}"
    )
    params: list[Any] = [session_id, after]
    if through is not None:
        query += f" AND seq <= {mark}"
        params.append(through)
    if types:
        query += f" AND type IN ({', '.join([mark] * len(types))})"
        params.extend(types)
    query += f" ORDER BY seq LIMIT {int(limit)}"
    cursor = run.raw.cursor()
    try:
        cursor.execute(query, params)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    loads = sql.loads
    return [
        (seq, type_, _iso(at), actor_id, loads(data), hash_)
        for seq, type_, at, actor_id, data, hash_ in rows
    ]


def log_batches(
    session_id: int,
    through: int | None,
    *,
    after: int = 0,
    types: tuple[str, ...] | None = None,
    batch: int | None = None,
    app: Flask | None = None,
) -> Iterator[list[Row]]:
    """The log (of ``types`` only, if given) after ``after`` and up to ``through``
    (None: to its end), in seq order, ``batch`` events at a time, as plain tuples.

    Without ``app`` each batch is read on the current unit of work's connection (a
    request's). With ``app`` — a response streamed after its request has ended —
    each batch is its own unit of work: it passes the admission gate, reads on a
    pooled connection, gives it back and leaves the gate before the batch is
    yielded, so a client reading slowly holds no connection and no slot. The log
    is append-only, so batches read at different moments up to one ``through``
    are one consistent record."""
    last, batch = after, batch or BATCH
    while True:
        if app is None:
            rows = _read(sql.reader(), session_id, last, through, batch, types)
        else:
            with app.app_context(), sql.admitted():
                rows = _read(sql.live(), session_id, last, through, batch, types)
        if rows:
            yield rows
        if len(rows) < batch:
            return
        last = rows[-1][0]


def _through(session: ForumSession) -> int | None:
    """How far a record reads: while the room is live it may write more between
    reading the session and reading its events, so the log is taken as far as the
    head that was read. Once the session is closed nothing more is written: every
    event is taken, and one beyond the head shows as a mismatch
    (``eventlog.record_of``)."""
    return session.head_seq if session.status == SessionStatus.LIVE else None


def _bounded(query, through: int | None):
    return query if through is None else query.where(Event.seq <= through)


def appearance(session_id: int, through: int | None) -> list[int]:
    """User ids in order of first appearance in the log up to ``through``, as the one
    who acted or the one an event is about (``pseudonyms.appearance_order`` over the
    whole log), from an aggregate and the few events about someone."""
    firsts = db.session.execute(
        _bounded(
            sa.select(Event.actor_id, sa.func.min(Event.seq))
            .where(Event.session_id == session_id, Event.actor_id.is_not(None))
            .group_by(Event.actor_id),
            through,
        )
    ).all()
    keyed = [((seq, 0), uid) for uid, seq in firsts]
    about = db.session.execute(
        _bounded(
            sa.select(Event.seq, Event.data).where(
                Event.session_id == session_id, Event.type.in_(pseudonyms.ABOUT_SOMEONE)
            ),
            through,
        )
    ).all()
    keyed += [((seq, 1), (data or {}).get("user_id")) for seq, data in about]
    keyed.sort(key=lambda item: item[0])
    return pseudonyms.appearance_order((key[0], uid) for key, uid in keyed)


def actors(
    session: ForumSession,
    reading: Reading,
    through: int | None = None,
) -> dict[str, dict]:
    """Everyone who caused an event (or whom one is about), by id; students as
    "Student 1, 2 …" (in order of first appearance) when the reading asks for
    pseudonyms."""
    order = appearance(session.id, through)
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


@dataclass
class Snapshot:
    """What a record is read against, taken once at the start: how far the log goes,
    who is named how, what is withheld, the head and the seal. Everything after it
    is the log's events, read in batches."""

    session_id: int
    through: int | None
    reading: Reading
    withhold: set[tuple[str, int]] | None
    actors: dict[str, dict]
    fields: dict[str, Any]  # the export's keys besides "events"


def snapshot(session: ForumSession, reading: Reading) -> Snapshot:
    through = _through(session)
    sealed = db.session.get(Seal, session.id)
    found = actors(session, reading, through)
    fields = {
        "format": FORMAT,
        "session": sessions.serialize(session),
        "actors": found,
        "head_hash": session.head_hash or eventlog.genesis_hash(session.id),
        "sealed_at": iso_utc(sealed.sealed_at, micro=True) if sealed else None,
        "signature": sealed.signature if sealed else None,
        "public_key": seal.public_key_pem(),
    }
    return Snapshot(
        session.id,
        through,
        reading,
        None
        if reading.hidden_text
        else (
            eventlog.withheld_items(session.id, reading.student_id)
            if reading.student_id is not None
            else eventlog.hidden_items(session.id)
        ),
        found,
        fields,
    )


def _item(row: Row, withhold: set[tuple[str, int]] | None) -> dict[str, Any]:
    seq, type_, at, actor_id, data, hash_ = row
    return {
        "seq": seq,
        "type": type_,
        "at": at,
        "actor_id": actor_id,
        "data": events.withheld(type_, data, withhold),
        "hash": hash_,
    }


def _items(rows: list[Row], snap: Snapshot) -> Iterator[dict[str, Any]]:
    """A batch of the log as this reader gets it: whole for staff and reviewers; for a
    student, without the events they may not receive (flags) and without the private
    parts of others' events (who voted what) — so a student's copy, like one with
    hidden text withheld, is theirs to read, not evidence that verifies."""
    reader = snap.reading.reader_id
    for row in rows:
        item = _item(row, snap.withhold)
        if reader is not None:
            type_, author = row[1], row[3] == reader
            if (
                not events.may_receive(type_, moderator=False, author=author)
                and events.CATALOGUE[type_].hides is None
            ):
                continue  # a flag; a held message keeps its seq, its text withheld
            private = events.private_parts(type_, moderator=False, author=author)
            if private is not None:
                item["data"] = private.strip(item["data"])
                if private.actor:
                    item["actor_id"] = None
        yield item


def export(session: ForumSession, reading: Reading) -> dict[str, Any]:
    """The ``sdg-forum-transcript/1`` document for a reader, whole in memory (the API;
    the pages stream it with ``export_chunks``)."""
    snap = snapshot(session, reading)
    items = [item for rows in log_batches(session.id, snap.through) for item in _items(rows, snap)]
    return {**snap.fields, "events": items}


_EVENTS = "sdg-forum-transcript/1 events go here"


def export_chunks(snap: Snapshot, app: Flask) -> Iterator[bytes]:
    """The export as ``jsonify(export(…))`` writes it, byte for byte, a batch of
    events at a time: the document around the events is dumped once with a marker
    where they go (so its key order, escaping and separators are the app's JSON
    provider's), and each event is dumped as the provider would inside it.

    Only for a compact provider (out of debug mode); ``streams_json`` says."""
    provider = app.json
    text = provider.dumps({**snap.fields, "events": _EVENTS}, separators=(",", ":"))
    before, after = text.split(provider.dumps(_EVENTS), 1)
    yield (before + "[").encode()
    first = True
    for rows in log_batches(snap.session_id, snap.through, app=app):
        body = ",".join(provider.dumps(item, separators=(",", ":")) for item in _items(rows, snap))
        if body:
            yield (body if first else "," + body).encode()
            first = False
    yield ("]" + after + "\n").encode()


def streams_json(app: Flask) -> bool:
    """Does ``export_chunks`` write what ``jsonify`` would? (Not when the provider
    indents, as in debug mode: then the export is sent whole.)"""
    provider = app.json
    compact = getattr(provider, "compact", None)
    return not ((compact is None and app.debug) or compact is False) and hasattr(provider, "dumps")


def _hidden_messages(session_id: int, through: int | None) -> set[int]:
    """The messages hidden at the end of the log (as far as ``through``)."""
    hidden: set[int] = set()
    for rows in log_batches(session_id, through, types=("message.hidden", "message.unhidden")):
        for _seq, type_, _at, _actor, data, _hash in rows:
            (hidden.add if type_ == "message.hidden" else hidden.discard)(data["message_id"])
    return hidden


def _released_messages(session_id: int, through: int | None) -> set[int]:
    """The held messages a teacher released (as far as ``through``)."""
    return {
        data["message_id"]
        for rows in log_batches(session_id, through, types=("message.released",))
        for _seq, _type, _at, _actor, data, _hash in rows
    }


def _held_column(type_: str, message_id: int, released: set[int]) -> str:
    """The CSV's ``held``: "released", "held" (still waiting, or hidden), or empty."""
    if type_ != "message.held":
        return ""
    return "released" if message_id in released else "held"


CSV_HEADER = [
    "seq",
    "at",
    "author",
    "role",
    "school",
    "country",
    "lang",
    "reply_to",
    "hidden",
    "body",
    "group",
    "held",
]


def csv_chunks(snap: Snapshot, app: Flask | None = None) -> Iterator[bytes]:
    """One row per message, UTF-8 with BOM so spreadsheet programs read CJK text;
    names and messages that a spreadsheet would run as formulas are neutralised
    (``csvfile``). The hidden messages are read first (with the snapshot's
    connection: call it within the request), then the messages a batch at a time."""
    hidden = _hidden_messages(snap.session_id, snap.through)
    names = snap.actors
    groups = eventlog.group_names(snap.session_id)
    released = _released_messages(snap.session_id, snap.through)

    def chunks() -> Iterator[bytes]:
        buffer = io.StringIO()
        writer = csvfile.writer(buffer)
        writer.writerow(CSV_HEADER)
        yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
        types = ("message.posted", "message.held")
        for rows in log_batches(snap.session_id, snap.through, types=types, app=app):
            buffer = io.StringIO()
            writer = csvfile.writer(buffer)
            for row in rows:
                event = _item(row, snap.withhold)
                data = event["data"]
                if data.get("hidden") and data["message_id"] not in hidden:
                    continue  # a student's: another's held message, another group's talk
                actor = names.get(str(event["actor_id"]), {})
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
                        groups.get(data.get("group_id") or 0, ""),
                        _held_column(event["type"], data["message_id"], released),
                    ]
                )
            yield buffer.getvalue().encode("utf-8")

    return chunks()


def messages_csv(session: ForumSession, reading: Reading) -> bytes:
    """The whole CSV in memory (``csv_chunks`` joined)."""
    return b"".join(csv_chunks(snapshot(session, reading)))


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
    for rows in log_batches(sid, _through(session)):
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

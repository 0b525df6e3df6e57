"""People and how they prove who they are: passwords, access codes, tokens, sign-ins."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from .. import fields, sql
from ..errors import ActionError
from ..extensions import db
from ..inputs import storable, unstorable_message
from ..models import (
    AccessCode,
    ApiToken,
    LoginSession,
    Role,
    SchoolClass,
    SignInFailure,
    User,
    utcnow,
)

# Codes avoid look-alikes (0/O, 1/I/L) because children copy them from paper.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10  # 31**10 ≈ 2**49.5; online guessing is throttled.
# A dummy hash so an unknown username costs as much time as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def digest(secret: str) -> str:
    """SHA-256 hex of a high-entropy secret (codes, tokens, session ids)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def normalise_code(raw: str) -> str:
    """Upper-case a typed code and drop spaces and dashes; "abcd-e fgh" → "ABCDEFGH".

    Full-width letters and digits, as a Chinese, Japanese or Korean input method types
    them ("ＹＹＵ６Ｇ－ＦＭ６９５"), count as the letters and digits they stand for
    (NFKC); anything else that is not an ASCII letter or digit is dropped."""
    text = unicodedata.normalize("NFKC", raw).upper()
    return "".join(ch for ch in text if ch.isascii() and ch.isalnum())


def format_code(code: str) -> str:
    """How a code is printed: two groups of five."""
    return f"{code[:5]}-{code[5:]}"


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


# --- throttling -----------------------------------------------------------------
#
# Failed sign-ins are counted per key over a sliding window (SIGNIN_WINDOW_SECONDS).
# Staff passwords are weak secrets, so they are throttled before they are checked:
# per account *and address* (someone elsewhere cannot lock a teacher out of their own
# school's address) and per address over all accounts (one address trying many
# accounts). Access codes carry ~49.5 bits, so guessing is not what their limit stops:
# a whole school may share one address, so a correct code is always accepted and never
# counted, and only wrong codes past a generous per-address budget (a flood) are
# answered 429, without even being stored.

# An address may fail this many times as often as one account, over all staff accounts,
ADDRESS_FACTOR = 6
# and this many times as often with access codes (5 × 60 = 300 wrong codes in 5 minutes
# by default: a class of 30 mistyping each code three times uses a third of it).
CODE_ADDRESS_FACTOR = 60


def _account_key(identity: str, address: str) -> str:
    """One staff account's failures from one address (the username kept hashed)."""
    pair = identity.lower() + "\n" + address
    return f"staff:acct:{digest(pair)[:32]}"


def _retry_after(limits: dict[str, int]) -> int | None:
    """Seconds until every key is under its limit again, or None if all are now."""
    window = timedelta(seconds=current_app.config["SIGNIN_WINDOW_SECONDS"])
    now = utcnow()
    rows = db.session.execute(
        sa.select(SignInFailure.key, sa.func.count(), sa.func.min(SignInFailure.at))
        .where(SignInFailure.key.in_(list(limits)), SignInFailure.at > now - window)
        .group_by(SignInFailure.key)
    ).all()
    waits = [
        max(1, int((oldest + window - now).total_seconds()) + 1)
        for key, count, oldest in rows
        if count >= limits[key]
    ]
    return max(waits) if waits else None


def _too_many(retry: int, message: str | None = None) -> ActionError:
    return ActionError(
        "rate_limited",
        message
        or ngettext(
            "Too many failed sign-in attempts. Please wait %(num)s minute and try again.",
            "Too many failed sign-in attempts. Please wait %(num)s minutes and try again.",
            max(1, round(retry / 60)),
        ),
        extra={"retry_after": retry},
    )


def record_failure(*keys: str) -> None:
    for key in keys:
        db.session.add(SignInFailure(key=key))
    # Old rows are useless once outside every window.
    db.session.execute(
        sa.delete(SignInFailure).where(SignInFailure.at < utcnow() - timedelta(days=1))
    )
    db.session.commit()


# --- staff ----------------------------------------------------------------------


def set_password(user: User, password: str) -> None:
    user.password_hash = generate_password_hash(password)


def authenticate_staff(username: str, password: str, address: str) -> User:
    """The staff member with that username and password, or ActionError."""
    username = username.strip()
    limit = current_app.config["SIGNIN_MAX_FAILURES"]
    account, anywhere = _account_key(username, address), f"staff:addr:{address}"
    retry = _retry_after({account: limit, anywhere: limit * ADDRESS_FACTOR})
    if retry is not None:
        raise _too_many(retry)
    user = db.session.scalar(sa.select(User).where(User.username == username))
    ok = check_password_hash(
        user.password_hash if user and user.password_hash else _DUMMY_HASH, password
    )
    if not (user and ok and user.is_staff and user.is_active_account):
        record_failure(account, anywhere)
        raise ActionError("unauthorized", _("Wrong username or password."))
    db.session.execute(sa.delete(SignInFailure).where(SignInFailure.key == account))
    return user


# --- students -------------------------------------------------------------------


def issue_code(student: User) -> str:
    """Revoke the student's current code and return a new one (shown once, kept hashed)."""
    if student.role != Role.STUDENT:
        raise ActionError("invalid", _("Only students sign in with an access code."))
    now = utcnow()
    db.session.execute(
        sa.update(AccessCode)
        .where(AccessCode.user_id == student.id, AccessCode.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    while True:
        code = new_code()
        if not db.session.scalar(
            sa.select(AccessCode.id).where(AccessCode.code_hash == digest(code))
        ):
            break
    db.session.add(AccessCode(user_id=student.id, code_hash=digest(code)))
    return code


def revoke_codes(student: User) -> None:
    """Stop the student's code working, and end the sign-ins made with it: a code is
    revoked when a card was lost or someone else used it."""
    end_sign_ins(student)
    db.session.execute(
        sa.update(AccessCode)
        .where(AccessCode.user_id == student.id, AccessCode.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def authenticate_student(raw_code: str, address: str) -> User:
    """The student whose current code this is, or ActionError. A correct code is
    accepted whatever others at the same address typed; a wrong one past the address's
    budget is answered 429 (and not stored: a flood writes nothing more)."""
    code = normalise_code(raw_code)
    row = None
    if len(code) == CODE_LENGTH:
        row = db.session.scalar(sa.select(AccessCode).where(AccessCode.code_hash == digest(code)))
    if row is not None and row.revoked_at is None and row.user.is_active_account:
        return row.user
    key = f"code:addr:{address}"
    budget = current_app.config["SIGNIN_MAX_FAILURES"] * CODE_ADDRESS_FACTOR
    retry = _retry_after({key: budget})
    if retry is not None:
        raise _too_many(
            retry,
            _(
                "We do not know this code, and many wrong codes have come from your network "
                "just now. Please check your code carefully: a correct code still works."
            ),
        )
    record_failure(key)
    if row is not None and row.revoked_at is not None:
        raise ActionError(
            "unauthorized",
            _("This code is no longer valid. Please ask your teacher for a new one."),
        )
    raise ActionError("unauthorized", _("We do not know this code. Please check it and try again."))


def add_student(school_class: SchoolClass, display_name: str) -> tuple[User, str]:
    """Enrol a new student in a class and issue their first code."""
    name = " ".join(display_name.split())
    if not storable(name):
        raise ActionError(
            "invalid", unstorable_message(), fields={"display_name": unstorable_message()}
        )
    if not name:
        raise ActionError(
            "invalid",
            _("A display name is required."),
            fields={"display_name": _("A display name is required.")},
        )
    if len(name) > 100:
        raise ActionError(
            "too_large",
            _("A display name may have at most 100 characters."),
            fields={"display_name": _("At most 100 characters.")},
        )
    student = User(role=Role.STUDENT, display_name=name, school_id=school_class.school_id)
    school_class.students.append(student)
    db.session.add(student)
    db.session.flush()
    return student, issue_code(student)


# --- sign-in sessions -------------------------------------------------------------


def start_login_session(user: User) -> str:
    """A new sign-in session id (the cookie holds it; the database its hash)."""
    sid = secrets.token_urlsafe(32)
    db.session.add(LoginSession(user_id=user.id, sid_hash=digest(sid)))
    user.current_sid = sid
    return sid


def end_login_session(sid: str) -> None:
    db.session.execute(
        sa.update(LoginSession)
        .where(LoginSession.sid_hash == digest(sid), LoginSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


# --- API tokens -------------------------------------------------------------------


def end_sign_ins(user: User) -> None:
    """End every sign-in of the account (its pages at the next request, its live
    connections at their next event)."""
    db.session.execute(
        sa.update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


def issue_token(user: User) -> str:
    """A new API token for the user, shown once."""
    token = "sdgf_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=digest(token)))
    return token


# --- who is asking: each proof's rule, over the ORM and in plain SQL --------------
#
# Pages and the API ask over the ORM (``user_for_login_session``, ``user_for_token``);
# every live event asks again in one plain query (``person_by_proof``), as the ORM
# costs ten times as much there. Both forms call the same predicates below
# (``_sign_in_holds``, ``_token_holds``, the account being active), and
# tests/test_access_agreement.py checks over a matrix of people and proofs that they
# give the same answer.


def _sign_in_holds(ended_at: datetime | None, created_at: datetime) -> bool:
    """A sign-in holds until it is ended (signed out) or outlives the session lifetime."""
    lifetime = timedelta(seconds=current_app.config["PERMANENT_SESSION_LIFETIME"])
    return ended_at is None and created_at + lifetime >= utcnow()


def _token_holds(revoked_at: datetime | None) -> bool:
    """A token holds until it is revoked."""
    return revoked_at is None


def user_for_login_session(sid: str) -> User | None:
    """The signed-in user of a sign-in id (ORM form; plain SQL: ``person_by_proof``)."""
    if not sid:
        return None
    row = db.session.scalar(sa.select(LoginSession).where(LoginSession.sid_hash == digest(sid)))
    if row is None or not _sign_in_holds(row.ended_at, row.created_at):
        return None
    user = row.user
    if not user.is_active_account:
        return None
    user.current_sid = sid
    return user


@functools.cache
def _token_query() -> sa.Select:
    """Built once; the user and their school come in the same query."""
    return (
        sa.select(ApiToken)
        .where(ApiToken.token_hash == sa.bindparam("token_hash"))
        .options(joinedload(ApiToken.user).joinedload(User.school))
    )


def user_for_token(token: str) -> User | None:
    """The user an API token belongs to, or None (unknown, revoked, inactive). ORM
    form; plain SQL: ``person_by_proof``."""
    if not token:
        return None
    row = db.session.scalar(_token_query(), {"token_hash": digest(token)})
    if row is None or not _token_holds(row.revoked_at) or not row.user.is_active_account:
        return None
    now = utcnow()
    if _use_worth_noting(row.last_used_at, now):
        row.last_used_at = now
        db.session.commit()
    return row.user


def _use_worth_noting(last_used_at: datetime | None, now: datetime) -> bool:
    """A token's last use is kept to the minute: no write on every request or event."""
    return last_used_at is None or now - last_used_at > timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class SchoolRef:
    slug: str
    country: str


@dataclass(frozen=True, slots=True)
class Person:
    """Who is behind a token or a sign-in, with what the live room shows of them: read
    in one plain query on every live event (the ORM User costs ten times as much)."""

    id: int
    role: Role
    display_name: str
    locale: str | None
    school: SchoolRef | None


# The person, read by name. ``u`` is users, ``sc`` their school.
_PERSON = sql.Columns(
    is_active_account="u.is_active_account",
    user_id="u.id",
    role="u.role",
    display_name="u.display_name",
    locale="u.locale",
    school_slug="sc.slug",
    school_country="sc.country",
)
# What a live connection kept at connect to prove who it is, and how that is asked
# again on every event: the proof's columns (read by ``_proof_holds``), its tables and
# its key column. The plain-SQL form of ``user_for_token`` and ``user_for_login_session``.
_PROOFS = {
    "token": (
        sql.Columns(proof_id="t.id", revoked_at="t.revoked_at", last_used_at="t.last_used_at"),
        "api_tokens t JOIN users u ON u.id = t.user_id",
        "t.token_hash",
    ),
    "sign_in": (
        sql.Columns(ended_at="ls.ended_at", signed_in_at="ls.created_at"),
        "login_sessions ls JOIN users u ON u.id = ls.user_id",
        "ls.sid_hash",
    ),
}


@functools.cache
def _proof_sql(kind: str, also: sql.Columns | None, joins: str) -> tuple[sql.Columns, str]:
    proof, tables, key = _PROOFS[kind]
    columns = proof + _PERSON + also if also is not None else proof + _PERSON
    return columns, (
        f"SELECT {columns.sql} FROM {tables} "  # noqa: S608
        f"LEFT JOIN schools sc ON sc.id = u.school_id {joins} WHERE {key} = :key"
    )


def person_by_proof(
    kind: str,
    key_hash: str,
    *,
    also: sql.Columns | None = None,
    joins: str = "",
    params: dict[str, Any] | None = None,
) -> tuple[Person | None, dict[str, Any]]:
    """The person behind a live connection's proof — ``"token"`` (the API token's hash)
    or ``"sign_in"`` (the sign-in's hash) — with the same checks as ``user_for_token``
    and ``user_for_login_session``, in one plain query; None if it no longer holds.
    ``also`` and ``joins`` add columns to the same statement; the whole row comes back
    by label (empty when there is none)."""
    if not key_hash:
        return None, {}
    columns, query = _proof_sql(kind, also, joins)
    row = sql.reader().one(query, {**(params or {}), "key": key_hash})
    if row is None:
        return None, {}
    values = columns.read(row)
    if not values["is_active_account"] or not _proof_holds(kind, values):
        return None, values
    slug = values["school_slug"]
    person = Person(
        id=values["user_id"],
        role=_ROLES[values["role"]],
        display_name=values["display_name"],
        locale=values["locale"],
        school=SchoolRef(slug, values["school_country"]) if slug is not None else None,
    )
    return person, values


def _proof_holds(kind: str, row: dict[str, Any]) -> bool:
    """``_token_holds`` or ``_sign_in_holds`` on the proof's columns (noting a token's use)."""
    if kind == "token":
        if not _token_holds(row["revoked_at"]):
            return False
        _touch_token(row["proof_id"], sql.moment(row["last_used_at"]))
        return True
    return _sign_in_holds(sql.moment(row["ended_at"]), sql.moment(row["signed_in_at"]))


_ROLES = {role.value: role for role in Role}


def _touch_token(token_id: int, last_used_at: datetime | None) -> None:
    """Note the token's use (``_use_worth_noting``), on the live connection."""
    now = utcnow()
    if _use_worth_noting(last_used_at, now):
        sql.commit_session()
        run = sql.live()
        run.run(
            "UPDATE api_tokens SET last_used_at = :now WHERE id = :id",
            {"now": run.instant(now), "id": token_id},
        )
        run.commit()


# --- calendar feed ----------------------------------------------------------------


def calendar_feed_key(user: User) -> str:
    """The secret part of a user's calendar feed URL, derived rather than stored."""
    message = f"calendar:{user.id}:{user.calendar_feed_version}".encode()
    mac = hmac.new(current_app.config["SECRET_KEY"].encode(), message, hashlib.sha256)
    return f"{user.id}-{user.calendar_feed_version}-{mac.hexdigest()[:32]}"


def user_for_calendar_key(key: str) -> User | None:
    try:
        user_id, version, _mac = key.split("-", 2)
    except ValueError:
        return None
    user = fields.get_row(User, user_id)
    if user is None or str(user.calendar_feed_version) != version:
        return None
    return user if hmac.compare_digest(calendar_feed_key(user), key) else None

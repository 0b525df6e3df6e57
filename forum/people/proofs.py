"""What proves who is asking, and how it is asked: sign-in sessions (started and
ended), API tokens (issued), the calendar feed's key, each proof's rule over the ORM
(pages, the API) and in one plain query (every live event: ``person_by_proof``)."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from .. import fields, sql
from ..extensions import db
from ..models import ApiToken, LoginSession, Role, User, utcnow


def digest(secret: str) -> str:
    """SHA-256 hex of a high-entropy secret (codes, tokens, session ids)."""
    return hashlib.sha256(secret.encode()).hexdigest()


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


def end_sign_ins(user: User) -> None:
    """End every sign-in of the account (its pages at the next request, its live
    connections at their next event)."""
    db.session.execute(
        sa.update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


# --- API tokens -------------------------------------------------------------------


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

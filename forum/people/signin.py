"""Signing in: staff by username and password, students by access code, each
failed attempt counted and throttled before (staff) or after (codes) it is checked.
What a sign-in then holds is ``proofs``'s."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import ActionError
from ..extensions import db
from ..models import AccessCode, SignInFailure, User, utcnow
from .codes import CODE_LENGTH, normalise_code
from .proofs import digest

# A dummy hash so an unknown username costs as much time as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


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

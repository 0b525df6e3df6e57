"""Students' access codes: made (no look-alikes), printed, issued (kept hashed,
shown once), revoked; a student enrolled with their first code. Signing in with
one is ``signin.authenticate_student``."""

from __future__ import annotations

import secrets
import unicodedata

import sqlalchemy as sa
from flask_babel import gettext as _

from ..errors import ActionError
from ..extensions import db
from ..inputs import storable, unstorable_message
from ..models import AccessCode, Role, SchoolClass, User, utcnow
from .proofs import digest, end_sign_ins

# Codes avoid look-alikes (0/O, 1/I/L) because children copy them from paper.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10  # 31**10 ≈ 2**49.5; online guessing is throttled.


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

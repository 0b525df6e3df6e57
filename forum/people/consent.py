"""Consent to publication: whether a guardian agreed that a student's words may appear,
under a pseudonym, in a published case. It is off unless a teacher records a yes (on
the class page, or a roster's ``publish_consent`` column); every change is kept with
who made it and when (``ConsentChange``)."""

from __future__ import annotations

from flask_babel import gettext as _

from ..errors import ActionError
from ..extensions import db
from ..models import ConsentChange, Role, User, utcnow
from . import access

YES = ("yes", "y", "true", "1", "是", "はい", "예")
NO = ("no", "n", "false", "0", "", "否", "いいえ", "아니요")


def parse(raw: str | None) -> bool | None:
    """A roster cell: True for yes, False for no or empty, None when it is neither."""
    value = (raw or "").strip().casefold()
    if value in YES:
        return True
    if value in NO:
        return False
    return None


def may_change(actor: User, student: User) -> bool:
    """A teacher of one of the student's classes, or an admin."""
    return student.role == Role.STUDENT and any(
        access.can_teach(actor, school_class) for school_class in student.enrolled
    )


def record(actor: User | None, student: User, consent: bool) -> bool:
    """Set the student's consent; True if it changed (and the change was kept). Not
    committed: the caller's transaction holds it with whatever else it writes."""
    if student.publish_consent == consent:
        return False
    student.publish_consent = consent
    db.session.add(
        ConsentChange(
            student_id=student.id, by_id=actor.id if actor else None, consent=consent, at=utcnow()
        )
    )
    return True


def change(actor: User, student: User, consent: bool) -> bool:
    """A teacher switches a student's consent on the class page."""
    if not may_change(actor, student):
        raise ActionError("forbidden", _("Only a teacher of this student's class may do that."))
    changed = record(actor, student, consent)
    db.session.commit()
    return changed

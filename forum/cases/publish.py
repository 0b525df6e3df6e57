"""A case's way to the gallery: its teacher submits it, the Alliance (a reviewer or an
admin) publishes it or sends it back with a comment; the teacher edits and submits it
again. Each step is kept with who and when (``CaseDecision``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import fields
from ..errors import ActionError, ValidationError
from ..extensions import db
from ..models import Case, CaseAction, CaseDecision, CaseStatus, Role, User, utcnow
from . import quotes
from .draft import EDITABLE, require_author

MAX_COMMENT = 2000
ALLIANCE = (Role.REVIEWER, Role.ADMIN)


def _require_status(case: Case, *states: CaseStatus) -> None:
    if case.status not in states:
        raise ActionError("conflict", _("This case cannot do that now."), status=409)


def _still_quotable(case: Case) -> None:
    """Every excerpt is checked again at each step: a guardian may have withdrawn
    consent since it was picked."""
    bad: dict[str, str] = {}
    reasons: dict[str, str] = {}
    for index, excerpt in enumerate(case.excerpts):
        found = quotes.quote(excerpt.session_id, excerpt.seq)
        reason = found if isinstance(found, str) else found.refused
        if reason:
            bad[f"excerpts[{index}]"] = quotes.reason_message(reason)
            reasons[f"excerpts[{index}]"] = reason
    if bad:
        raise ActionError(
            "invalid",
            _("Some excerpts can no longer be quoted: edit the case first."),
            fields=bad,
            extra={"reasons": reasons},
        )


def _comment(data: object) -> str | None:
    errors: dict[str, str] = {}
    comment = fields.text(fields.body(data), "comment", MAX_COMMENT, errors)
    if errors:
        raise ValidationError(errors)
    return comment


def _decide(case: Case, user: User, action: CaseAction, comment: str | None = None) -> None:
    case.decisions.append(CaseDecision(by_id=user.id, action=action, comment=comment, at=utcnow()))
    case.updated_at = utcnow()


def submit(user: User, case: Case, data: object = None) -> Case:
    """A teacher of the case's exchange sends it to the Alliance."""
    require_author(user, case.exchange)
    _require_status(case, *EDITABLE)
    comment = _comment(data)
    _still_quotable(case)
    case.status = CaseStatus.SUBMITTED
    _decide(case, user, CaseAction.SUBMIT, comment)
    db.session.commit()
    return case


def require_alliance(user: User) -> None:
    if user.role not in ALLIANCE:
        raise ActionError("forbidden", _("Only the Alliance's reviewers may do that."))


def publish(user: User, case: Case, data: object = None) -> Case:
    """A reviewer or admin publishes a submitted case in the public gallery."""
    require_alliance(user)
    _require_status(case, CaseStatus.SUBMITTED)
    comment = _comment(data)
    _still_quotable(case)
    case.status = CaseStatus.PUBLISHED
    case.published_at = utcnow()
    _decide(case, user, CaseAction.PUBLISH, comment)
    db.session.commit()
    return case


def reject(user: User, case: Case, data: object = None) -> Case:
    """A reviewer or admin sends a submitted (or published) case back to its teachers,
    with a comment; they may edit and submit it again. A published case leaves the
    gallery."""
    require_alliance(user)
    _require_status(case, CaseStatus.SUBMITTED, CaseStatus.PUBLISHED)
    comment = _comment(data)
    case.status = CaseStatus.RETURNED
    case.comment = comment
    case.published_at = None
    _decide(case, user, CaseAction.REJECT, comment)
    db.session.commit()
    return case


def queue() -> list[Case]:
    """Submitted cases, oldest first: the Alliance's to decide."""
    return list(
        db.session.scalars(
            sa.select(Case).where(Case.status == CaseStatus.SUBMITTED).order_by(Case.updated_at)
        )
    )


def action_label(action: CaseAction) -> str:
    """A step of a case, in the reader's language."""
    labels: dict[CaseAction, Any] = {
        CaseAction.DRAFT: _("drafted"),
        CaseAction.EDIT: _("edited"),
        CaseAction.SUBMIT: _("submitted"),
        CaseAction.PUBLISH: _("published"),
        CaseAction.REJECT: _("sent back"),
    }
    return str(labels[action])


def status_label(status: CaseStatus) -> str:
    """Where a case stands, in the reader's language."""
    labels: dict[CaseStatus, Any] = {
        CaseStatus.DRAFT: _("draft"),
        CaseStatus.SUBMITTED: _("waiting for the Alliance"),
        CaseStatus.RETURNED: _("sent back"),
        CaseStatus.PUBLISHED: _("published"),
    }
    return str(labels[status])

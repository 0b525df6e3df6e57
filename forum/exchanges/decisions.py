"""Answers and decisions on an application: partner classes accept or decline, the
Alliance pairs, approves, returns or declines, the proposer resubmits or withdraws, a
teacher closes it with its outcome. Every one is kept (``ExchangeDecision``)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from .. import fields
from ..clock import academic_year_of
from ..errors import ActionError, ValidationError
from ..extensions import db
from ..models import (
    AllianceDecision,
    DecisionAction,
    Exchange,
    ExchangeStatus,
    Role,
    User,
    utcnow,
)
from ..people import access
from .proposal import _check_dates, _classes, _decide, _details, _one_per_school, _require_state
from .reading import ALLIANCE_ROLES, MAX_COMMENT, MAX_TEXT, _set_accepted, acceptances


def _answering_for(user: User, exchange: Exchange, data: dict[str, Any]) -> list[int]:
    """The partner classes the teacher answers for: the one named by ``class_id``, else
    every partner class of the exchange that they teach. 403 for anyone else."""
    refused = ActionError(
        "forbidden", _("Only a teacher of a partner class may answer this proposal.")
    )
    if user.role != Role.TEACHER:
        raise refused
    mine = [
        c.id
        for c in exchange.classes
        if c.id != exchange.proposer_class_id and access.can_teach(user, c)
    ]
    raw = data.get("class_id")
    if raw is not None:
        ident = access.row_id(raw)
        if ident is None or ident not in mine:
            raise refused
        return [ident]
    if not mine:
        raise refused
    return mine


def accept(user: User, exchange: Exchange, data: dict[str, Any] | None = None) -> Exchange:
    """A partner class's teacher agrees to the exchange."""
    return _answer(user, exchange, data, accepted=True)


def decline(user: User, exchange: Exchange, data: dict[str, Any] | None = None) -> Exchange:
    """A partner class's teacher says no: the application is declined. (Reviewers and
    admins decline for the Alliance: ``reject``.)"""
    if user.role in ALLIANCE_ROLES:
        return reject(user, exchange, data)
    return _answer(user, exchange, data, accepted=False)


def _answer(
    user: User, exchange: Exchange, data: dict[str, Any] | None, *, accepted: bool
) -> Exchange:
    """A partner class's teacher answers the proposal for the classes they teach; a
    no declines the whole application."""
    data = fields.body(data)
    class_ids = _answering_for(user, exchange, data)
    comment = _proposal_comment(exchange, data)
    _set_accepted(exchange, class_ids, accepted)
    action = DecisionAction.ACCEPT if accepted else DecisionAction.DECLINE
    for class_id in class_ids:
        _decide(exchange, user, action, class_id=class_id, comment=comment)
    if not accepted:
        exchange.status = ExchangeStatus.DECLINED
        if comment:
            exchange.comment = comment
    db.session.commit()
    return exchange


def _proposal_comment(exchange: Exchange, data: dict[str, Any]) -> str | None:
    """What every answer and decision on an application checks: it is still proposed,
    and its comment, if any, is text of at most MAX_COMMENT characters."""
    _require_state(exchange, ExchangeStatus.PROPOSED)
    errors: dict[str, str] = {}
    comment = fields.text(data, "comment", MAX_COMMENT, errors)
    if errors:
        raise ValidationError(errors)
    return comment


def _require_alliance(user: User) -> None:
    if user.role not in ALLIANCE_ROLES:
        raise ActionError(
            "forbidden", _("Only the Alliance's reviewers may decide on applications.")
        )


def _alliance_step(user: User, exchange: Exchange, data: dict[str, Any] | None) -> str | None:
    """Checks shared by the Alliance's decisions; the comment given, if any."""
    _require_alliance(user)
    return _proposal_comment(exchange, fields.body(data))


def pair(user: User, exchange: Exchange, data: dict[str, Any] | None) -> Exchange:
    """The Alliance adds partner classes it found; their teachers then answer."""
    _pair(user, exchange, data)
    db.session.commit()
    return exchange


def pair_many(user: User, pairings: list[tuple[Exchange, dict[str, Any]]]) -> list[Exchange]:
    """Several pairings at once, each as ``pair`` does it, all or nothing: if one is
    refused, none is made, and the error names each refused one by ``row-<id>``."""
    _require_alliance(user)
    if not pairings:
        raise ValidationError({"pairings": _("Choose at least one application to pair.")})
    errors: dict[str, str] = {}
    for exchange, data in pairings:
        try:  # each checks before it changes anything; the rollback undoes the rest
            _pair(user, exchange, data)
        except ActionError as exc:
            errors[f"row-{exchange.id}"] = (
                exc.fields.get("partner_class_ids")
                or next(iter(exc.fields.values()), None)
                or exc.message
            )
    if errors:
        db.session.rollback()
        raise ValidationError(
            errors, _("Nothing was paired: please correct the marked applications.")
        )
    db.session.commit()
    return [exchange for exchange, _data in pairings]


def _pair(user: User, exchange: Exchange, data: dict[str, Any] | None) -> None:
    """``pair``'s checks and change, not yet committed."""
    _require_alliance(user)
    data = fields.body(data)
    _require_state(exchange, ExchangeStatus.PROPOSED)
    errors: dict[str, str] = {}
    added = [
        c for c in _classes(data.get("partner_class_ids"), errors) if c not in exchange.classes
    ]
    if not added and not errors:
        errors["partner_class_ids"] = _("Choose a partner class.")
    elif added and not _one_per_school([*exchange.classes, *added]):
        errors["partner_class_ids"] = _("Each class must be from a different school.")
    if errors:
        raise ValidationError(errors)
    exchange.classes.extend(added)
    for cls in added:
        _decide(exchange, user, DecisionAction.PAIR, class_id=cls.id)
    db.session.flush()


def approve(user: User, exchange: Exchange, data: dict[str, Any] | None = None) -> Exchange:
    """The Alliance approves: only once every partner class accepted."""
    comment = _alliance_step(user, exchange, data)
    answers = acceptances(exchange)
    if len(answers) < 2 or not all(a is True for a in answers.values()):
        raise ActionError(
            "conflict", _("Every partner class must accept the exchange before it can be approved.")
        )
    exchange.status = ExchangeStatus.APPROVED
    exchange.alliance = AllianceDecision.APPROVED
    if comment:
        exchange.comment = comment
    _decide(exchange, user, DecisionAction.APPROVE, comment=comment)
    db.session.commit()
    return exchange


def return_(user: User, exchange: Exchange, data: dict[str, Any] | None = None) -> Exchange:
    """The Alliance sends the application back to its teacher with a comment."""
    comment = _alliance_step(user, exchange, data)
    exchange.alliance = AllianceDecision.RETURNED
    exchange.comment = comment
    _decide(exchange, user, DecisionAction.RETURN, comment=comment)
    db.session.commit()
    return exchange


def reject(user: User, exchange: Exchange, data: dict[str, Any] | None = None) -> Exchange:
    """The Alliance declines the application."""
    comment = _alliance_step(user, exchange, data)
    exchange.status = ExchangeStatus.DECLINED
    exchange.alliance = AllianceDecision.DECLINED
    if comment:
        exchange.comment = comment
    _decide(exchange, user, DecisionAction.REJECT, comment=comment)
    db.session.commit()
    return exchange


def resubmit(user: User, exchange: Exchange, data: dict[str, Any] | None = None) -> Exchange:
    """Its proposing teacher sends a returned application to the Alliance again, with
    what they changed (any of ``propose``'s own fields) and a comment in answer."""
    if exchange.created_by_id != user.id:
        raise ActionError(
            "forbidden", _("Only the teacher who proposed this exchange may resubmit it.")
        )
    data = fields.body(data)
    comment = _proposal_comment(exchange, data)
    if exchange.alliance != AllianceDecision.RETURNED:
        raise ActionError(
            "conflict", _("Only an application the Alliance returned can be resubmitted.")
        )
    errors: dict[str, str] = {}
    details = _details(data, errors, only_given=True)
    _check_dates(
        details.get("starts_on", exchange.starts_on),
        details.get("ends_on", exchange.ends_on),
        errors,
    )
    if errors:
        raise ValidationError(errors)
    for name, value in details.items():
        setattr(exchange, name, value)
    if "starts_on" in details:
        exchange.academic_year = academic_year_of(
            exchange.starts_on or exchange.created_at or utcnow()
        )
    exchange.alliance = AllianceDecision.PENDING
    exchange.comment = comment
    # Recorded as the application proposed again: the history reads returned, proposed.
    _decide(
        exchange, user, DecisionAction.PROPOSE, class_id=exchange.proposer_class_id, comment=comment
    )
    db.session.commit()
    return exchange


def withdraw(user: User, exchange: Exchange, data: dict[str, Any] | None = None) -> Exchange:
    """Its proposing teacher takes the application back."""
    if exchange.created_by_id != user.id:
        raise ActionError(
            "forbidden", _("Only the teacher who proposed this exchange may withdraw it.")
        )
    comment = _proposal_comment(exchange, fields.body(data))
    exchange.status = ExchangeStatus.WITHDRAWN
    _decide(exchange, user, DecisionAction.WITHDRAW, comment=comment)
    db.session.commit()
    return exchange


def complete(user: User, exchange: Exchange, data: dict[str, Any] | None) -> Exchange:
    """A teacher of an approved exchange closes it with a short outcome summary."""
    if not access.can_manage_exchange(user, exchange):
        raise ActionError("forbidden", _("Only the teachers of this exchange may do that."))
    data = fields.body(data)
    _require_state(exchange, ExchangeStatus.APPROVED)
    errors: dict[str, str] = {}
    summary = fields.text(data, "summary", MAX_TEXT, errors, required=True)
    if errors:
        raise ValidationError(errors)
    exchange.status = ExchangeStatus.COMPLETED
    exchange.summary = summary
    _decide(exchange, user, DecisionAction.COMPLETE, comment=summary)
    db.session.commit()
    return exchange


def approve_outright(exchange: Exchange) -> None:
    """For seeded data only (the demo): an exchange agreed on by everyone."""
    exchange.status = ExchangeStatus.APPROVED
    exchange.alliance = AllianceDecision.APPROVED
    db.session.flush()
    _set_accepted(exchange, [c.id for c in exchange.classes], True)

"""Exchanges: applications, consent, approval (protocol.md, "Exchanges")."""

from __future__ import annotations

from collections.abc import Callable

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from ... import exchanges
from ...errors import ActionError, ValidationError
from ...extensions import db
from ...models import Exchange, ExchangeKind, ExchangeStatus, Role
from ...people import access
from .base import body, bp, created, optional_body


def _json(exchange):
    return jsonify(exchanges.serialize(exchange, current_user))


@bp.post("/exchanges")
def propose_exchange():
    """A teacher applies for an exchange → 201 with it, status proposed."""
    exchange = exchanges.propose(current_user, body())
    return created(exchanges.serialize(exchange, current_user), f"/api/v1/exchanges/{exchange.id}")


@bp.get("/exchanges")
def list_exchanges():
    """The exchanges I may see; ``?status=proposed`` narrows."""
    query = exchanges.visible(current_user)
    wanted = request.args.get("status")
    if wanted:
        try:
            query = query.where(Exchange.status == ExchangeStatus(wanted))
        except ValueError:
            raise ValidationError({"status": _("Unknown status.")}) from None
    rows = db.session.scalars(query).all()
    return jsonify({"exchanges": [exchanges.serialize(e, current_user) for e in rows]})


@bp.get("/exchanges/<int:exchange_id>")
def get_exchange(exchange_id: int):
    return _json(exchanges.get_for(current_user, exchange_id))


def _decision(exchange_id: int, action: Callable):
    """Load the exchange for a decision: 404 when it does not exist, or when a student
    asks about one they may not see; everyone else learns from the action why not."""
    exchange = access.get_row(Exchange, exchange_id)
    if (
        exchange is None
        or exchange.kind != ExchangeKind.EXCHANGE.value  # a showcase: /showcases
        or (current_user.role == Role.STUDENT and not exchanges.can_see(current_user, exchange))
    ):
        raise ActionError("not_found", _("This exchange does not exist or is not yours to see."))
    return _json(action(current_user, exchange, optional_body()))


@bp.post("/exchanges/<int:exchange_id>/pair")
def pair_exchange(exchange_id: int):
    return _decision(exchange_id, exchanges.pair)


@bp.post("/exchanges/<int:exchange_id>/accept")
def accept_exchange(exchange_id: int):
    return _decision(exchange_id, exchanges.accept)


@bp.post("/exchanges/<int:exchange_id>/decline")
def decline_exchange(exchange_id: int):
    """A partner class's teacher declines; a reviewer or admin declines for the Alliance."""
    return _decision(exchange_id, exchanges.decline)


@bp.post("/exchanges/<int:exchange_id>/approve")
def approve_exchange(exchange_id: int):
    return _decision(exchange_id, exchanges.approve)


@bp.post("/exchanges/<int:exchange_id>/return")
def return_exchange(exchange_id: int):
    return _decision(exchange_id, exchanges.return_)


@bp.post("/exchanges/<int:exchange_id>/withdraw")
def withdraw_exchange(exchange_id: int):
    return _decision(exchange_id, exchanges.withdraw)


@bp.post("/exchanges/<int:exchange_id>/resubmit")
def resubmit_exchange(exchange_id: int):
    """Its teacher sends a returned application again, with what changed."""
    return _decision(exchange_id, exchanges.resubmit)


@bp.post("/exchanges/<int:exchange_id>/complete")
def complete_exchange(exchange_id: int):
    return _decision(exchange_id, exchanges.complete)

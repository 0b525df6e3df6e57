"""Exchanges: pair one of my classes with a class of another school."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import cases, exchanges
from ..errors import ActionError
from ..extensions import db
from ..forms import ExchangeDecisionForm, ExchangeForm
from ..models import (
    AllianceDecision,
    DecisionAction,
    Exchange,
    ExchangeDecision,
    ExchangeStatus,
    Role,
)
from ..people import access
from ..sdgs import GOALS

bp = Blueprint("exchanges", __name__, url_prefix="/exchanges")


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Set up an exchange."""
    if current_user.role not in (Role.TEACHER, Role.ADMIN):
        abort(403)
    form = ExchangeForm()
    locale_name = current_user.locale or "en"
    form.class_id.choices = [
        (c.id, f"{c.school.name_in(locale_name)} · {c.name}") for c in current_user.teaching
    ]
    form.partner_class_ids.choices = [
        (c.id, f"{c.school.name_in(locale_name)} · {c.name}")
        for c in exchanges.partner_classes(current_user)
    ]
    form.sdgs.choices = [(n, f"{n} · {g.name()}") for n, g in GOALS.items()]
    form.partner_country.choices = [("", "—"), *exchanges.countries()]
    status = 200
    if form.validate_on_submit():
        try:
            exchange = exchanges.propose(
                current_user,
                {
                    "title": form.title.data,
                    "class_id": form.class_id.data,
                    "partner_class_ids": form.partner_class_ids.data,
                    "partner_country": form.partner_country.data,
                    "sdgs": form.sdgs.data,
                    "mode": form.mode.data,
                    "starts_on": form.starts_on.data,
                    "ends_on": form.ends_on.data,
                    "goals": form.goals.data,
                },
            )
        except ActionError as exc:
            for field, message in exc.fields.items():
                getattr(form, field).errors = [*getattr(form, field).errors, message]
            status = exc.status
        else:
            flash(
                _(
                    "Your application is sent. The partner class's teacher and the Alliance "
                    "will answer it."
                ),
                "success",
            )
            return redirect(url_for("exchanges.show", exchange_id=exchange.id))
    elif form.is_submitted():
        status = 422
    return render_template("exchanges/form.html", form=form), status


@bp.route("/<int:exchange_id>")
@login_required
def show(exchange_id: int):
    """An exchange: its classes, goals and sessions, and where its application stands,
    with the answers and decisions this person may give."""
    exchange = access.get_row(Exchange, exchange_id)
    if exchange is None or not exchanges.can_see(current_user, exchange):
        abort(404)
    return _page(exchange, ExchangeDecisionForm(formdata=None))


def _page(exchange: Exchange, form: ExchangeDecisionForm, status: int = 200):
    staff = current_user.role != Role.STUDENT
    # Its teachers draft cases once it is completed (``cases.draft``).
    case_author = exchange.status == ExchangeStatus.COMPLETED and access.can_manage_exchange(
        current_user, exchange
    )
    return render_template(
        "exchanges/show.html",
        exchange=exchange,
        manager=access.can_manage_exchange(current_user, exchange)
        and exchange.status == ExchangeStatus.APPROVED,
        sessions=[s for s in exchange.sessions if s.cancelled_at is None],
        staff=staff,
        answers=exchanges.acceptances(exchange),
        status_label=exchanges.status_label(exchange.status),
        actions=[(a, ACTION_LABELS[a]()) for a in _actions(exchange)],
        form=form,
        decisions=exchange.decisions if staff else [],
        decision_label=lambda d: _decision_label(exchange, d),
        case_author=case_author,
        cases=cases.of_exchange(exchange.id)
        if case_author
        or current_user.role
        in (
            Role.REVIEWER,
            Role.ADMIN,
        )
        else [],
        case_title=lambda c: cases.text_of(c)[0],
        case_status=cases.status_label,
    ), status


# What each action is called on its button, and in the history of decisions.
ACTION_LABELS = {
    "accept": lambda: _("Accept for my class"),
    "decline": lambda: _("Decline for my class"),
    "approve": lambda: _("Approve for the Alliance"),
    "return": lambda: _("Return to the teacher with the comment"),
    "reject": lambda: _("Decline for the Alliance"),
    "withdraw": lambda: _("Withdraw the application"),
    "resubmit": lambda: _("Resubmit to the Alliance with this comment"),
    "complete": lambda: _("Close the exchange with this outcome summary"),
}
DECISION_LABELS = {
    "propose": lambda: _("proposed"),
    "accept": lambda: _("accepted"),
    "decline": lambda: _("declined"),
    "pair": lambda: _("paired by the Alliance"),
    "approve": lambda: _("approved by the Alliance"),
    "return": lambda: _("returned by the Alliance"),
    "reject": lambda: _("declined by the Alliance"),
    "withdraw": lambda: _("withdrawn"),
    "complete": lambda: _("completed"),
}
ACTIONS = {
    "accept": exchanges.accept,
    "decline": exchanges.decline,
    "approve": exchanges.approve,
    "return": exchanges.return_,
    "reject": exchanges.reject,
    "withdraw": exchanges.withdraw,
    "resubmit": exchanges.resubmit,
}


def _decision_label(exchange: Exchange, decision: ExchangeDecision) -> str:
    """A decision as the history names it: a proposal after the first is the teacher
    resubmitting a returned application."""
    first = next((d for d in exchange.decisions if d.action == DecisionAction.PROPOSE), None)
    if decision.action == DecisionAction.PROPOSE and decision is not first:
        return _("resubmitted")
    return DECISION_LABELS[decision.action.value]()


def _actions(exchange: Exchange) -> list[str]:
    """What this person may do with the exchange now (the actions check again)."""
    user, status = current_user, exchange.status
    if status == ExchangeStatus.PROPOSED:
        if user.role in exchanges.ALLIANCE_ROLES:
            answers = exchanges.acceptances(exchange)
            ready = answers and all(answers.values())
            return (["approve"] if ready else []) + ["return", "reject"]
        actions = []
        answers = exchanges.acceptances(exchange)
        if user.role == Role.TEACHER and any(
            c.id != exchange.proposer_class_id
            and access.can_teach(user, c)
            and answers.get(c.id) is None
            for c in exchange.classes
        ):
            actions += ["accept", "decline"]
        if exchange.created_by_id == user.id:
            if exchange.alliance == AllianceDecision.RETURNED:
                actions.append("resubmit")
            actions.append("withdraw")
        return actions
    if (
        status == ExchangeStatus.APPROVED
        and user.role == Role.TEACHER
        and access.can_manage_exchange(user, exchange)
    ):
        return ["complete"]
    return []


@bp.post("/<int:exchange_id>/decide")
@login_required
def decide(exchange_id: int):
    """Answer or decide on an exchange from its page: the same actions as the API."""
    exchange = access.get_row(Exchange, exchange_id)
    if exchange is None or not exchanges.can_see(current_user, exchange):
        abort(404)
    form = ExchangeDecisionForm()
    if not form.validate_on_submit():
        return _page(exchange, form, 422)
    action, comment = form.action.data or "", (form.comment.data or "").strip() or None
    try:
        if action == "complete":
            exchanges.complete(current_user, exchange, {"summary": comment})
        else:
            ACTIONS[action](current_user, exchange, {"comment": comment})
    except ActionError as exc:
        db.session.rollback()
        form.comment.errors = list(exc.fields.values()) or [exc.message]
        return _page(exchange, form, exc.status)
    flash(_("Your decision is recorded."), "success")
    return redirect(url_for("exchanges.show", exchange_id=exchange.id))

"""Exchanges: pair one of my classes with a class of another school."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import access, exchanges
from ..errors import ActionError
from ..forms import ExchangeForm
from ..models import Exchange, ExchangeStatus, Role
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
    form.class_id.choices = [(c.id, f"{c.school.name_in(locale_name)} · {c.name}")
                             for c in current_user.teaching]
    form.partner_class_ids.choices = [
        (c.id, f"{c.school.name_in(locale_name)} · {c.name}")
        for c in exchanges.partner_classes(current_user)
    ]
    form.sdgs.choices = [(n, f"{n} · {g.name()}") for n, g in GOALS.items()]
    status = 200
    if form.validate_on_submit():
        try:
            exchange = exchanges.propose(current_user, {
                "title": form.title.data, "class_id": form.class_id.data,
                "partner_class_ids": form.partner_class_ids.data,
                "sdgs": form.sdgs.data, "mode": form.mode.data,
            })
        except ActionError as exc:
            for field, message in exc.fields.items():
                getattr(form, field).errors = [*getattr(form, field).errors, message]
            status = exc.status
        else:
            flash(_("Your application is sent. The partner class's teacher and the Alliance "
                    "will answer it."), "success")
            return redirect(url_for("exchanges.show", exchange_id=exchange.id))
    elif form.is_submitted():
        status = 422
    return render_template("exchanges/form.html", form=form), status


@bp.route("/<int:exchange_id>")
@login_required
def show(exchange_id: int):
    """An exchange: its classes, goals and sessions."""
    exchange = access.get_row(Exchange, exchange_id)
    if exchange is None or not exchanges.can_see(current_user, exchange):
        abort(404)
    return render_template(
        "exchanges/show.html", exchange=exchange,
        manager=access.can_manage_exchange(current_user, exchange)
        and exchange.status == ExchangeStatus.APPROVED,
        sessions=[s for s in exchange.sessions if s.cancelled_at is None],
    )

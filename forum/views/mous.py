"""Admins' pages for the Alliance's MOUs: list, add, edit, delete (``forum/alliance/mous.py``)."""

from __future__ import annotations

from collections.abc import Callable

from babel import Locale
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response  # what redirect() returns

from .. import exchanges
from ..alliance import mous
from ..errors import ActionError
from ..extensions import db
from ..forms import ConfirmForm, MouForm
from ..models import Mou, Role
from ..people import access

bp = Blueprint("mous", __name__, url_prefix="/mous")


@bp.before_request
@login_required
def _admins_only():
    if current_user.role != Role.ADMIN:
        abort(403)


def show_errors(form: FlaskForm, exc: ActionError, aliases: dict[str, str] | None = None) -> None:
    """An action's refusal on the form: each field's message under that field (``aliases``
    maps the action's field names to the form's), else the message as a flash."""
    db.session.rollback()
    placed = False
    for name, message in exc.fields.items():
        field = getattr(form, (aliases or {}).get(name, name), None)
        if field is not None:
            field.errors = [*field.errors, message]
            placed = True
    if not placed:
        flash(exc.message, "error")


def on_submit(
    form: FlaskForm, act: Callable[[], Response], aliases: dict[str, str] | None = None
) -> tuple[Response | None, int]:
    """When the form is sent and valid: ``act()``, the action and where to go next. A
    refusal is shown on the form (``show_errors``) with its status; (None, 200) when
    nothing was sent."""
    if form.validate_on_submit():
        try:
            return act(), 200
        except ActionError as exc:
            show_errors(form, exc, aliases)
            return None, exc.status
    return None, 422 if form.is_submitted() else 200


def country_name(code: str) -> str:
    """A country's name in the reader's language."""
    return Locale.parse(str(get_locale() or "en")).territories.get(code, code)


def _form_data(form: MouForm) -> dict:
    return {
        "region": form.region.data,
        "country": form.country.data,
        "authority": form.authority.data,
        "status": form.status.data,
        "signed_on": form.signed_on.data,
        "academic_year": form.academic_year.data,
    }


def _with_countries(form: MouForm) -> MouForm:
    form.country.choices = [("", "—"), *exchanges.countries()]
    return form


@bp.route("/", methods=["GET", "POST"])
def index():
    """Every MOU, and a form to record one."""
    form = _with_countries(MouForm())

    def act() -> Response:
        mous.record(current_user, _form_data(form))
        flash(_("The MOU is recorded."), "success")
        return redirect(url_for("mous.index"))

    done, status = on_submit(form, act)
    return done or (
        render_template(
            "mous/index.html",
            rows=mous.listed(),
            form=form,
            confirm=ConfirmForm(),
            status_label=mous.status_label,
            country_name=country_name,
        ),
        status,
    )


@bp.route("/<int:mou_id>", methods=["GET", "POST"])
def edit(mou_id: int):
    """Change an MOU (a planned one signed, say)."""
    mou = access.get_row(Mou, mou_id)
    if mou is None:
        abort(404)
    form = _with_countries(MouForm(obj=mou))

    def act() -> Response:
        mous.update(current_user, mou, _form_data(form))
        flash(_("The MOU is saved."), "success")
        return redirect(url_for("mous.index"))

    done, status = on_submit(form, act)
    return done or (render_template("mous/edit.html", mou=mou, form=form), status)


@bp.post("/<int:mou_id>/delete")
def delete(mou_id: int):
    """Delete an MOU recorded by mistake."""
    mou = access.get_row(Mou, mou_id)
    if mou is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    mous.delete(current_user, mou)
    flash(_("The MOU is deleted."), "success")
    return redirect(url_for("mous.index"))

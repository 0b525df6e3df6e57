"""Showcase sessions' pages (``forum/exchanges/showcases.py``): the Alliance schedules them and
manages their audience; a teacher signs a class up as audience, or withdraws it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import i18n
from ..errors import ActionError
from ..exchanges import showcases
from ..extensions import db
from ..forms import ShowcaseForm
from ..models import Role
from ..sdgs import GOALS

bp = Blueprint("showcases", __name__, url_prefix="/showcases")


@bp.before_request
@login_required
def _staff_only():
    if current_user.role == Role.STUDENT:
        abort(403)


def _form() -> ShowcaseForm:
    form = ShowcaseForm()
    form.sdgs.choices = [(n, f"{n} · {g.name()}") for n, g in GOALS.items()]
    locale = i18n.current_language().locale
    form.presenting_class_ids.choices = [
        (c.id, f"{c.school.name_in(locale)} · {c.name}") for c in showcases.presentable_classes()
    ]
    return form


def _form_data(form: ShowcaseForm) -> dict:
    """The form's values as the action takes them: instants in the user's zone."""
    zone = i18n.user_zone()

    def instant(value):
        return value.replace(tzinfo=zone).isoformat() if value else None

    return {
        "title": form.title.data,
        "sdgs": form.sdgs.data,
        "starts_at": instant(form.starts_at.data),
        "ends_at": instant(form.ends_at.data),
        "description": form.description.data or None,
        "presenting_class_ids": form.presenting_class_ids.data,
    }


@bp.route("/", methods=["GET", "POST"])
def index():
    """The Alliance: every showcase, its audience, and the form to schedule one.
    Teachers: the showcases that have not ended, to sign their classes up."""
    alliance = current_user.role in showcases.ALLIANCE
    form = _form() if alliance else None
    status = 200
    if request.method == "POST":
        if form is None:
            abort(403)
        if form.validate_on_submit():
            try:
                showcase = showcases.schedule(current_user, _form_data(form))
            except ActionError as exc:
                db.session.rollback()
                for name, message in exc.fields.items():
                    field = getattr(form, name, None)
                    if field is not None:
                        field.errors = [*field.errors, message]
                if not exc.fields:
                    flash(exc.message, "error")
                status = exc.status
            else:
                flash(_("The showcase session is scheduled."), "success")
                return redirect(url_for("showcases.index", _anchor=f"showcase-{showcase.id}"))
        else:
            status = 422
    rows = showcases.listed(current_user) if alliance else showcases.upcoming(current_user)
    locale = i18n.current_language().locale
    return render_template(
        "showcases/index.html",
        form=form,
        rows=rows,
        alliance=alliance,
        my_classes=showcases.my_classes(current_user),
        every_class=showcases.every_class() if alliance else [],
        parts=showcases.parts,
        session_of=showcases.session_of,
        has_ended=showcases.has_ended,
        locale=locale,
    ), status


@bp.post("/<int:showcase_id>/audience")
def audience(showcase_id: int):
    """Sign a class up as audience (``action=add``) or withdraw it (``action=remove``)."""
    try:
        showcase = showcases.get_for(current_user, showcase_id)
        act = showcases.withdraw if request.form.get("action") == "remove" else showcases.sign_up
        act(current_user, showcase, request.form.get("class_id", ""))
    except ActionError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(
            _("The class left the audience.")
            if request.form.get("action") == "remove"
            else _("The class is in the audience."),
            "success",
        )
    return redirect(url_for("showcases.index", _anchor=f"showcase-{showcase_id}"))

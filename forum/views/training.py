"""Admins' pages for educator training: list, record (with a CSV of participants or a
head count), edit, delete (``forum/alliance/training.py``)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from ..alliance import training
from ..forms import ConfirmForm, TrainingForm
from ..models import Role, TrainingEvent, TrainingKind
from ..people import access
from .mous import on_submit

bp = Blueprint("training", __name__, url_prefix="/training")

# The action names the participants ``participants``; the form's field is the file.
ALIASES = {"participants": "file"}


@bp.before_request
@login_required
def _admins_only():
    if current_user.role != Role.ADMIN:
        abort(403)


def _form(event: TrainingEvent | None = None) -> TrainingForm:
    form = TrainingForm(obj=event)
    form.kind.choices = [(k.value, training.kind_label(k)) for k in TrainingKind]
    if event is not None and not form.is_submitted():
        form.kind.data = event.kind.value
    return form


def _form_data(form: TrainingForm) -> tuple[dict, bytes | None]:
    """The action's input from the form: the fields, and the uploaded file's bytes."""
    data = {
        "kind": form.kind.data,
        "title": form.title.data,
        "held_on": form.held_on.data,
        "online": bool(form.online.data),
        "place": form.place.data,
    }
    if form.head_count.data is not None:
        data["head_count"] = form.head_count.data
    upload = form.file.data
    raw = upload.read(training.MAX_FILE_BYTES + 1) if upload and upload.filename else None
    return data, raw


def _saved(event: TrainingEvent, message: str):
    flash(
        message
        + " "
        + ngettext("%(num)s educator counted.", "%(num)s educators counted.", event.educators),
        "success",
    )
    return redirect(url_for("training.index"))


@bp.route("/", methods=["GET", "POST"])
def index():
    """Every training event, and a form to record one."""
    form = _form()
    done, status = on_submit(
        form,
        lambda: _saved(
            training.record(current_user, *_form_data(form)), _("The training event is recorded.")
        ),
        ALIASES,
    )
    return done or (
        render_template(
            "training/index.html",
            rows=training.listed(),
            form=form,
            confirm=ConfirmForm(),
            kind_label=training.kind_label,
        ),
        status,
    )


@bp.route("/<int:event_id>", methods=["GET", "POST"])
def edit(event_id: int):
    """An event, its participants, and a form to change it."""
    event = access.get_row(TrainingEvent, event_id)
    if event is None:
        abort(404)
    form = _form(event)
    done, status = on_submit(
        form,
        lambda: _saved(
            training.update(current_user, event, *_form_data(form)),
            _("The training event is saved."),
        ),
        ALIASES,
    )
    return done or (
        render_template(
            "training/edit.html", event=event, form=form, kind_label=training.kind_label
        ),
        status,
    )


@bp.post("/<int:event_id>/delete")
def delete(event_id: int):
    """Delete an event recorded by mistake, with its participants."""
    event = access.get_row(TrainingEvent, event_id)
    if event is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    training.delete(current_user, event)
    flash(_("The training event is deleted."), "success")
    return redirect(url_for("training.index"))

"""Teachers' classes: rosters, code cards, regenerating a student's code."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from ..errors import ActionError
from ..extensions import db
from ..forms import ClassForm, ConfirmForm, RosterForm, StudentForm
from ..models import Role, User
from ..people import access, codes, consent, roster
from .confirm import confirmed

bp = Blueprint("classes", __name__, url_prefix="/classes")


@bp.before_request
@login_required
def _staff_only():
    if current_user.role not in (Role.TEACHER, Role.ADMIN):
        abort(403)


@bp.route("/", methods=["GET", "POST"])
def index():
    """My classes, and a form to start a new one at my school."""
    form = ClassForm()
    status = 200
    if form.validate_on_submit():
        try:
            school_class = roster.create_class(current_user, form.name.data or "", form.grade.data)
        except ActionError as exc:
            for name, message in exc.fields.items():
                getattr(form, name).errors = [*getattr(form, name).errors, message]
            status = exc.status
        else:
            flash(_("The class is created. Add its students next."), "success")
            return redirect(url_for("classes.show", class_id=school_class.id))
    elif form.is_submitted():
        status = 422
    return render_template("classes/index.html", classes=current_user.teaching, form=form), status


@bp.route("/<int:class_id>", methods=["GET"])
def show(class_id: int):
    """A class: roster, import form, add one student."""
    school_class = access.get_class_for(current_user, class_id)
    return render_template(
        "classes/show.html",
        school_class=school_class,
        roster_form=RosterForm(),
        student_form=StudentForm(),
        confirm=ConfirmForm(),
    )


def _cards(school_class, issued, status: int = 200):
    """The printable page of code cards; codes are shown this once only."""
    cards = [(s, codes.format_code(c)) for s, c in issued]
    return render_template("classes/cards.html", school_class=school_class, cards=cards), status


def _back_with_errors(form, class_id: int):
    """Back to the class page, the form's problems shown as messages there."""
    for errors in form.errors.values():
        for message in errors:
            flash(message, "error")
    return redirect(url_for("classes.show", class_id=class_id))


@bp.route("/<int:class_id>/roster", methods=["POST"])
def import_roster(class_id: int):
    """Import a CSV of display names; show the new students' code cards."""
    school_class = access.get_class_for(current_user, class_id)
    form = RosterForm()
    if not form.validate_on_submit():
        return _back_with_errors(form, class_id)
    try:
        issued = roster.import_roster(school_class, form.file.data.read(), by=current_user)
    except ActionError as exc:
        flash(exc.message, "error")
        return redirect(url_for("classes.show", class_id=class_id))
    flash(
        ngettext(
            "%(num)s student added. Print the code card now: the code is not shown again.",
            "%(num)s students added. Print their code cards now: the codes are not shown again.",
            len(issued),
        ),
        "success",
    )
    return _cards(school_class, issued)


@bp.route("/<int:class_id>/students", methods=["POST"])
def add_student(class_id: int):
    school_class = access.get_class_for(current_user, class_id)
    form = StudentForm()
    if not form.validate_on_submit():
        return _back_with_errors(form, class_id)
    try:
        name = form.display_name.data or ""
        roster.check_distinct(school_class, [" ".join(name.split())])
        student, code = codes.add_student(school_class, name)
        db.session.commit()
    except ActionError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("classes.show", class_id=class_id))
    return _cards(school_class, [(student, code)])


def _student_of(school_class, student_id: int) -> User:
    student = next((s for s in school_class.students if s.id == student_id), None)
    if student is None:
        abort(404)
    return student


@bp.route("/<int:class_id>/students/<int:student_id>/code", methods=["POST"])
def regenerate_code(class_id: int, student_id: int):
    """Give one student a new code; the old one stops working at once."""
    school_class = access.get_class_for(current_user, class_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    student = _student_of(school_class, student_id)
    code = codes.issue_code(student)
    db.session.commit()
    flash(
        _("New code for %(name)s. The old code no longer works.", name=student.display_name),
        "success",
    )
    return _cards(school_class, [(student, code)])


@bp.route("/<int:class_id>/students/<int:student_id>/revoke", methods=["POST"])
def revoke_code(class_id: int, student_id: int):
    """Stop a student's code working without issuing a new one."""
    school_class = access.get_class_for(current_user, class_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    student = _student_of(school_class, student_id)
    ask = confirmed(
        title=_("Revoke %(name)s's code?", name=student.display_name),
        consequences=[
            _(
                "The code on %(name)s's card stops working at once, and they are "
                "signed out. They cannot sign in again until you issue a new code.",
                name=student.display_name,
            ),
            _("This cannot be undone."),
        ],
        yes=_("Revoke the code"),
        no=_("Keep the code"),
        back=url_for("classes.show", class_id=class_id),
    )
    if ask is not None:
        return ask
    codes.revoke_codes(student)
    db.session.commit()
    flash(_("%(name)s's code no longer works.", name=student.display_name), "success")
    return redirect(url_for("classes.show", class_id=class_id))


@bp.route("/<int:class_id>/students/<int:student_id>/consent", methods=["POST"])
def set_consent(class_id: int, student_id: int):
    """Record (or withdraw) a guardian's consent that the student's words may appear,
    under a pseudonym, in a published case."""
    school_class = access.get_class_for(current_user, class_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    student = _student_of(school_class, student_id)
    agreed = consent.parse(request.form.get("consent"))
    if agreed is None or request.form.get("consent", "") == "":
        abort(400)
    consent.change(current_user, student, agreed)
    flash(
        _("%(name)s: a guardian's consent to publication is recorded.", name=student.display_name)
        if agreed
        else _("%(name)s: consent to publication is withdrawn.", name=student.display_name),
        "success",
    )
    return redirect(url_for("classes.show", class_id=class_id))


@bp.route("/<int:class_id>/cards", methods=["POST"])
def reissue_all(class_id: int):
    """New codes for the whole class, printed as cards (old codes stop working)."""
    school_class = access.get_class_for(current_user, class_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    ask = confirmed(
        title=_("Issue new codes for all of %(name)s?", name=school_class.name),
        consequences=[
            ngettext(
                "Every printed card stops working at once: the %(num)s student "
                "needs the new card to sign in.",
                "Every printed card stops working at once: the %(num)s students "
                "need their new cards to sign in.",
                len(school_class.students),
            ),
            _("This cannot be undone."),
        ],
        yes=_("Issue new codes and print cards"),
        no=_("Keep the current codes"),
        back=url_for("classes.show", class_id=class_id),
    )
    if ask is not None:
        return ask
    issued = roster.reissue_all(school_class)
    flash(_("New codes for the whole class. The old codes no longer work."), "success")
    return _cards(school_class, issued)

"""Administration pages (admins only): schools, staff accounts and the word lists
that hold messages. Thin over ``administration`` and ``words``, the same actions as
the CLI."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import exchanges, i18n
from ..errors import ActionError
from ..extensions import db
from ..forms import (
    ActiveForm,
    PasswordResetForm,
    SchoolForm,
    StaffForm,
    WordRemoveForm,
    WordsForm,
)
from ..models import Role, School, User
from ..people import access, administration
from ..room import words

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _admins_only():
    if current_user.role != Role.ADMIN:
        abort(403)


def _apply_errors(form, exc: ActionError) -> None:
    """Put an action's field errors on the form's fields; the rest as a message."""
    for name, message in exc.fields.items():
        field = getattr(form, name, None)
        if field is None:
            flash(message, "error")
        else:
            field.errors = [*field.errors, message]
    if not exc.fields:
        flash(exc.message, "error")


@bp.route("/")
def index():
    return redirect(url_for("admin.staff"))


# --- Schools -----------------------------------------------------------------------


def _school_choices(form: SchoolForm) -> None:
    form.country.choices = [("", "—"), *exchanges.countries()]
    form.timezone.choices = [("", "—"), *((z, z) for z in sorted(administration.time_zones()))]


def _school_data(form: SchoolForm) -> dict:
    return {
        name: getattr(form, name).data
        for name in (
            "slug",
            "name_en",
            "name_zh_tw",
            "name_ja",
            "name_ko",
            "country",
            "region",
            "city",
            "timezone",
        )
    }


@bp.route("/schools", methods=["GET", "POST"])
def schools():
    """Every school, and a form to register one."""
    form = SchoolForm()
    _school_choices(form)
    status = 200
    if form.validate_on_submit():
        try:
            school = administration.create_school(current_user, _school_data(form))
        except ActionError as exc:
            db.session.rollback()
            _apply_errors(form, exc)
            status = exc.status
        else:
            flash(_("The school %(name)s is registered.", name=school.name_en), "success")
            return redirect(url_for("admin.schools"))
    elif form.is_submitted():
        status = 422
    return render_template(
        "admin/schools.html", schools=administration.schools(), form=form
    ), status


@bp.route("/schools/<int:school_id>", methods=["GET", "POST"])
def school(school_id: int):
    """Change a school's names, country, region, city or time zone."""
    row = access.get_row(School, school_id)
    if row is None:
        abort(404)
    form = SchoolForm(obj=row)
    _school_choices(form)
    form.slug.data = row.slug  # fixed once made
    status = 200
    if form.validate_on_submit():
        try:
            administration.update_school(current_user, row, _school_data(form))
        except ActionError as exc:
            db.session.rollback()
            _apply_errors(form, exc)
            status = exc.status
        else:
            flash(_("The school is saved."), "success")
            return redirect(url_for("admin.schools"))
    elif form.is_submitted():
        status = 422
    return render_template("admin/school.html", school=row, form=form), status


# --- Staff accounts ----------------------------------------------------------------


@bp.route("/staff", methods=["GET", "POST"])
def staff():
    """Every staff account, and a form to create a teacher's or reviewer's."""
    form = StaffForm()
    _school_options(form)
    status, shown = 200, None
    if form.validate_on_submit():
        try:
            user, generated = administration.create_staff(
                current_user,
                {
                    "username": form.username.data,
                    "display_name": form.display_name.data,
                    "role": form.role.data,
                    "school": form.school.data or None,
                    "password": form.password.data,
                },
            )
        except ActionError as exc:
            db.session.rollback()
            _apply_errors(form, exc)
            status = exc.status
        else:
            if generated is None:
                flash(_("The account %(username)s is created.", username=user.username), "success")
                return redirect(url_for("admin.staff"))
            # Shown on this page only, this once: never flashed (the cookie) nor kept.
            shown = (user, generated)
            status = 201
            form = StaffForm(formdata=None)
            _school_options(form)
    elif form.is_submitted():
        status = 422
    return render_template(
        "admin/staff.html", people=administration.staff(), form=form, shown=shown
    ), status


def _school_options(form: StaffForm) -> None:
    locale = i18n.current_language().locale
    form.school.choices = [
        ("", "—"),
        *((s.slug, s.name_in(locale)) for s in administration.schools()),
    ]


def _member(user_id: int) -> User:
    user = access.get_row(User, user_id)
    if user is None or not user.is_staff:
        abort(404)
    return user


@bp.route("/staff/<int:user_id>")
def member(user_id: int):
    """One staff account: reset its password, deactivate or reactivate it."""
    return _member_page(_member(user_id))


def _member_page(
    user: User,
    *,
    reset: PasswordResetForm | None = None,
    shown: str | None = None,
    status: int = 200,
):
    return render_template(
        "admin/member.html",
        member=user,
        reset=reset or PasswordResetForm(formdata=None),
        active=ActiveForm(formdata=None),
        shown=shown,
    ), status


@bp.post("/staff/<int:user_id>/password")
def password(user_id: int):
    """A new password: the one the admin typed, or a generated one shown once."""
    user = _member(user_id)
    form = PasswordResetForm()
    if not form.validate_on_submit():
        return _member_page(user, reset=form, status=422)
    try:
        generated = administration.reset_password(current_user, user, form.password.data)
    except ActionError as exc:
        db.session.rollback()
        _apply_errors(form, exc)
        return _member_page(user, reset=form, status=exc.status)
    if generated is None:
        flash(_("The new password is set."), "success")
        return redirect(url_for("admin.member", user_id=user.id))
    return _member_page(user, shown=generated)


@bp.post("/staff/<int:user_id>/active")
def active(user_id: int):
    """Deactivate or reactivate an account."""
    user = _member(user_id)
    form = ActiveForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        administration.set_active(current_user, user, form.active.data == "1")
    except ActionError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _member_page(user, status=exc.status)
    flash(
        _("The account is active again.")
        if user.is_active_account
        else _("The account is deactivated: it can no longer sign in."),
        "success",
    )
    return redirect(url_for("admin.member", user_id=user.id))


# --- Word lists that hold messages ------------------------------------------------------


# Each list under its language's own name.
LIST_NAMES = {"zh-TW": "繁體中文", "ja": "日本語", "ko": "한국어", "en": "English"}


@bp.route("/words", methods=["GET", "POST"])
def word_lists():
    """The word lists per language (zh-TW, ja, ko, en), and a form to add to one. A
    student's message with a listed word waits for a teacher (``words``)."""
    form = WordsForm()
    form.lang.choices = list(LIST_NAMES.items())
    status = 200
    if form.validate_on_submit():
        try:
            added = words.add_words(form.lang.data, form.words.data, current_user)
        except ActionError as exc:
            db.session.rollback()
            _apply_errors(form, exc)
            status = exc.status
        else:
            flash(_("%(n)s words added to the list.", n=len(added)), "success")
            return redirect(url_for("admin.word_lists", _anchor=f"list-{form.lang.data}"))
    elif form.is_submitted():
        status = 422
    lists = {lang: words.words_of(lang) for lang in words.LANGUAGES}
    return render_template(
        "admin/words.html",
        form=form,
        lists=lists,
        names=LIST_NAMES,
        remove=WordRemoveForm(formdata=None),
    ), status


@bp.post("/words/<int:word_id>/remove")
def word_remove(word_id: int):
    """Take a word off its list."""
    form = WordRemoveForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        word = words.remove_word(word_id)
    except ActionError as exc:
        abort(exc.status)
    flash(_("“%(word)s” is off the list.", word=word.word), "success")
    return redirect(url_for("admin.word_lists", _anchor=f"list-{word.lang}"))

"""Sign-in for staff (username + password) and students (access code); sign-out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from .. import i18n
from ..errors import ActionError
from ..extensions import db
from ..forms import CodeForm, LoginForm, LogoutForm
from ..people import proofs, signin

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so ?next= cannot send anyone to another site."""
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
            and "\\" not in target
        ):
            return target
    return url_for("home.index")


def _sign_in(user) -> None:
    lang = session.get("lang")
    session.clear()  # a fresh session at every sign-in
    if lang:
        session["lang"] = lang
        # A language picked on the sign-in page is the person's choice: keep it.
        chosen = i18n.language_for(lang)
        if chosen is not None:
            user.locale = chosen.locale
    proofs.start_login_session(user)
    db.session.commit()
    login_user(user)


def _form_page(
    template: str,
    form,
    status: int = 200,
    error: str | None = None,
    headers: dict[str, str] | None = None,
):
    return render_template(template, form=form, error=error), status, headers or {}


def _refused(template: str, form, exc: ActionError):
    """The form again with why it was refused (and, when throttled, Retry-After)."""
    headers = {}
    if "retry_after" in exc.extra:
        headers["Retry-After"] = str(exc.extra["retry_after"])
    return _form_page(template, form, exc.status, exc.message, headers)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Staff sign-in."""
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = signin.authenticate_staff(
                form.username.data or "", form.password.data or "", request.remote_addr or ""
            )
        except ActionError as exc:
            return _refused("auth/login.html", form, exc)
        _sign_in(user)
        return redirect(_safe_next(request.args.get("next")))
    status = 422 if request.method == "POST" else 200
    return _form_page("auth/login.html", form, status)


@bp.route("/code", methods=["GET", "POST"])
def code():
    """Student sign-in with the personal code from their teacher."""
    form = CodeForm()
    if form.validate_on_submit():
        try:
            user = signin.authenticate_student(form.code.data or "", request.remote_addr or "")
        except ActionError as exc:
            return _refused("auth/code.html", form, exc)
        _sign_in(user)
        return redirect(_safe_next(request.args.get("next")))
    status = 422 if request.method == "POST" else 200
    return _form_page("auth/code.html", form, status)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out: end this sign-in everywhere it is used, live connections included."""
    form = LogoutForm()
    if not form.validate_on_submit():
        return redirect(url_for("home.index"))
    sid = current_user.get_id()
    user_id = current_user.id
    proofs.end_login_session(sid)
    db.session.commit()
    from ..live.rooms import disconnect_login_session

    disconnect_login_session(user_id, sid)
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.code"))

"""Session pages: the room, scheduling forms, open/close/cancel, the .ics file."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from .. import i18n, jsstrings
from ..errors import ActionError
from ..forms import ConfirmForm, SessionForm
from ..models import Role, SessionStatus
from ..people import access
from ..room import REACTIONS, board
from ..schedule import calendar, sessions
from ..sdgs import GOALS
from .confirm import confirmed

bp = Blueprint("sessions", __name__, url_prefix="/sessions")


def _session_or_404(session_id: int):
    return access.get_session_for(current_user, session_id)


@bp.route("/<int:session_id>")
@login_required
def room(session_id: int):
    """The live room of a session: chat and board (members; reviewers observe)."""
    session = _session_or_404(session_id)
    manager = access.can_manage_exchange(current_user, session.exchange)
    locale = i18n.current_language().locale
    # What the room's scripts need to start; the rest comes with the socket's join.
    room_data = {
        "session_id": session.id,
        "status": session.status.value,
        "csrf_token": generate_csrf(),
        "reactions": list(REACTIONS),
        "colors": jsstrings.color_names(),
        "schools": [
            {"slug": s.slug, "name": s.name_in(locale), "country": s.country}
            for s in session.exchange.schools
        ],
        "signin_url": url_for("auth.code")
        if current_user.role == Role.STUDENT
        else url_for("auth.login"),
    }
    return render_template(
        "sessions/room.html",
        session=session,
        manager=manager,
        form=ConfirmForm(),
        zones=[s.timezone for s in session.exchange.schools],
        strings=jsstrings.room_strings(),
        room_data=room_data,
    )


def _fill_choices(form: SessionForm) -> None:
    form.exchange_id.choices = [
        (e.id, e.title) for e in sessions.exchanges_managed_by(current_user)
    ]
    form.sdgs.choices = [(n, f"{n} · {g.name()}") for n, g in GOALS.items()]
    form.board_template.choices = [(k, str(v)) for k, v in board.TEMPLATE_NAMES.items()]


def _form_data(form: SessionForm) -> dict:
    """The form's values as the action takes them: instants in the user's zone."""
    zone = i18n.user_zone()

    def instant(value):
        return value.replace(tzinfo=zone).isoformat() if value else None

    return {
        "exchange_id": form.exchange_id.data,
        "title": form.title.data,
        "sdgs": form.sdgs.data,
        "starts_at": instant(form.starts_at.data),
        "ends_at": instant(form.ends_at.data),
        "board_template": form.board_template.data,
        "board_columns": (form.board_columns.data or "").splitlines(),
        "video_url": form.video_url.data or None,
    }


def _apply_errors(form: SessionForm, exc: ActionError) -> None:
    for field, message in exc.fields.items():
        getattr(form, field).errors = [*getattr(form, field).errors, message]


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Schedule a session (teachers of the exchange)."""
    if current_user.role not in (Role.TEACHER, Role.ADMIN):
        abort(403)
    form = SessionForm()
    _fill_choices(form)
    if not form.is_submitted():
        form.exchange_id.data = request.args.get("exchange_id", type=int)
    status = 200
    if form.validate_on_submit():
        try:
            session = sessions.schedule(current_user, _form_data(form))
        except ActionError as exc:
            _apply_errors(form, exc)
            status = exc.status
        else:
            flash(_("The session is scheduled."), "success")
            return redirect(url_for("sessions.room", session_id=session.id))
    elif form.is_submitted():
        status = 422
    return render_template("sessions/form.html", form=form, session=None), status


@bp.route("/<int:session_id>/edit", methods=["GET", "POST"])
@login_required
def edit(session_id: int):
    """Reschedule a session that has not started."""
    session = _session_or_404(session_id)
    access.require_manager(current_user, session.exchange)
    form = SessionForm(obj=None)
    _fill_choices(form)
    form.exchange_id.choices = [(session.exchange_id, session.exchange.title)]
    if not form.is_submitted():
        zone = i18n.user_zone()
        form.exchange_id.data = session.exchange_id
        form.title.data = session.title
        form.sdgs.data = list(session.sdgs)
        form.starts_at.data = session.starts_at.astimezone(zone).replace(tzinfo=None)
        form.ends_at.data = session.ends_at.astimezone(zone).replace(tzinfo=None)
        form.board_template.data = session.board_template
        if session.board_template == "custom":
            form.board_columns.data = "\n".join(c["title"] for c in session.board_columns or [])
        form.video_url.data = session.video_url
    status = 200
    if form.validate_on_submit():
        data = _form_data(form)
        data.pop("exchange_id")
        try:
            sessions.reschedule(current_user, session, data)
        except ActionError as exc:
            _apply_errors(form, exc)
            if not exc.fields:
                flash(exc.message, "error")
            status = exc.status
        else:
            flash(_("The session is rescheduled."), "success")
            return redirect(url_for("sessions.room", session_id=session.id))
    elif form.is_submitted():
        status = 422
    return render_template("sessions/form.html", form=form, session=session), status


def _transition(session_id: int, action, done: str):
    session = _session_or_404(session_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        action(current_user, session)
    except ActionError as exc:
        flash(exc.message, "error")
    else:
        flash(done, "success")
    return session


@bp.route("/<int:session_id>/open", methods=["POST"])
@login_required
def open_(session_id: int):
    session = _transition(session_id, sessions.open_session, _("The room is open."))
    return redirect(url_for("sessions.room", session_id=session.id))


@bp.route("/<int:session_id>/close", methods=["POST"])
@login_required
def close(session_id: int):
    session = _transition(session_id, sessions.close_session, _("The session is closed."))
    return redirect(url_for("sessions.room", session_id=session.id))


@bp.route("/<int:session_id>/cancel", methods=["POST"])
@login_required
def cancel(session_id: int):
    session = _session_or_404(session_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    # Asked only when it can be done: a started session is refused at once (below).
    ask = (
        None
        if session.status != SessionStatus.SCHEDULED
        else confirmed(
            title=_("Cancel “%(title)s”?", title=session.title),
            consequences=[
                _(
                    "Both classes' students and teachers no longer see it, and "
                    "calendars that subscribed mark it cancelled."
                ),
                _("The partner school's teachers see on their home page that you cancelled it."),
                _("This cannot be undone: to meet after all, schedule a new session."),
            ],
            yes=_("Cancel the session"),
            no=_("Keep the session"),
            back=url_for("sessions.edit", session_id=session_id),
        )
    )
    if ask is not None:
        return ask
    _transition(session_id, sessions.cancel, _("The session is cancelled."))
    return redirect(url_for("home.index"))


@bp.route("/<int:session_id>.ics")
@login_required
def ics(session_id: int):
    """One session as an iCalendar file."""
    session = _session_or_404(session_id)
    body = calendar.calendar_for([session], name=session.title, url_for_session=_absolute_room_url)
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="sdg-forum-{session.id}.ics"'},
    )


def _absolute_room_url(session_id: int) -> str:
    return url_for("sessions.room", session_id=session_id, _external=True)

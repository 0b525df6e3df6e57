"""JSON API /api/v1: the same actions as the pages, for outside clients.

Auth is the session cookie (writes also need X-CSRFToken) or a Bearer token.
"""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from .. import access, i18n, inputs, sessions
from ..errors import ActionError, ValidationError
from ..extensions import csrf, db

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


@bp.before_request
def _authenticate():
    if not current_user.is_authenticated:
        raise ActionError("unauthorized", _("Please sign in first."))
    # Cookie-authenticated writes must prove they come from our own pages.
    if request.method not in ("GET", "HEAD", "OPTIONS") and not g.get("auth_by_token"):
        from flask_wtf.csrf import CSRFError

        try:
            csrf.protect()
        except CSRFError:
            raise ActionError(
                "forbidden", _("Missing or wrong X-CSRFToken header."), status=403
            ) from None


def _body() -> dict:
    """The request's JSON object, read by ``inputs.loads``: not JSON, too deep or odd
    numbers → 400; text that a database cannot keep → 422 naming the field."""
    not_an_object = ActionError(
        "bad_request", _("The request body must be a JSON object."), status=400)
    if not request.is_json:
        raise not_an_object
    try:
        data = inputs.loads(request.get_data(cache=True))
    except inputs.BadJson as exc:
        if exc.kind == "syntax":
            raise not_an_object from None
        if exc.kind == "text" and exc.field is not None:
            raise ValidationError({exc.field: exc.message()}) from None
        raise ActionError("bad_request", exc.message(), status=400) from None
    if not isinstance(data, dict):
        raise not_an_object
    return data


@bp.get("/me")
def me():
    """Who I am."""
    user = current_user
    return jsonify({
        "id": user.id,
        "role": user.role.value,
        "display_name": user.display_name,
        "username": user.username,
        "school": user.school.slug if user.school else None,
        "language": i18n.current_language().code,
        "timezone": i18n.select_timezone(),
    })


@bp.get("/sessions")
def list_sessions():
    """The sessions I can see, by start time."""
    from ..models import ForumSession

    rows = db.session.scalars(
        access.visible_sessions(current_user).order_by(ForumSession.starts_at)
    )
    return jsonify({"sessions": [sessions.serialize(s) for s in rows]})


@bp.get("/sessions/<int:session_id>")
def get_session(session_id: int):
    return jsonify(sessions.serialize(access.get_session_for(current_user, session_id)))


@bp.post("/sessions")
def create_session():
    """Schedule a session → 201 with the session."""
    session = sessions.schedule(current_user, _body())
    response = jsonify(sessions.serialize(session))
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/sessions/{session.id}"
    return response


@bp.patch("/sessions/<int:session_id>")
def update_session(session_id: int):
    """Reschedule: any of title, sdgs, starts_at, ends_at."""
    session = access.get_session_for(current_user, session_id)
    return jsonify(sessions.serialize(sessions.reschedule(current_user, session, _body())))


@bp.delete("/sessions/<int:session_id>")
def cancel_session(session_id: int):
    """Cancel a session that has not started → 204."""
    session = access.get_session_for(current_user, session_id)
    sessions.cancel(current_user, session)
    return "", 204


@bp.post("/sessions/<int:session_id>/open")
def open_session(session_id: int):
    session = access.get_session_for(current_user, session_id)
    return jsonify(sessions.serialize(sessions.open_session(current_user, session)))


@bp.post("/sessions/<int:session_id>/close")
def close_session(session_id: int):
    session = access.get_session_for(current_user, session_id)
    return jsonify(sessions.serialize(sessions.close_session(current_user, session)))


@bp.get("/sessions/<int:session_id>/transcript")
def session_transcript(session_id: int):
    """Same body as transcript.json."""
    from .. import transcript
    from ..models import Role

    session = access.get_session_for(current_user, session_id)
    pseudonyms = request.args.get("pseudonyms") == "1" or current_user.role == Role.REVIEWER
    return jsonify(transcript.export(
        session, transcript.reading_for(current_user, session, pseudonyms=pseudonyms)))

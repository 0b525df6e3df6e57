"""Who I am, and sessions: scheduling, rescheduling, cancelling, opening, closing,
the transcript."""

from __future__ import annotations

from flask import Response, current_app, jsonify, request
from flask_login import current_user

from ... import i18n
from ...evidence import readers, transcript
from ...extensions import db
from ...models import ForumSession, Role
from ...people import access
from ...schedule import sessions
from .base import body, bp, created


@bp.get("/me")
def me():
    """Who I am."""
    user = current_user
    return jsonify(
        {
            "id": user.id,
            "role": user.role.value,
            "display_name": user.display_name,
            "username": user.username,
            "school": user.school.slug if user.school else None,
            "language": i18n.current_language().code,
            "timezone": i18n.select_timezone(),
        }
    )


@bp.get("/sessions")
def list_sessions():
    """The sessions I can see, by start time."""
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
    session = sessions.schedule(current_user, body())
    return created(sessions.serialize(session), f"/api/v1/sessions/{session.id}")


@bp.patch("/sessions/<int:session_id>")
def update_session(session_id: int):
    """Reschedule: any of title, sdgs, starts_at, ends_at."""
    session = access.get_session_for(current_user, session_id)
    return jsonify(sessions.serialize(sessions.reschedule(current_user, session, body())))


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
    session = access.get_session_for(current_user, session_id)
    pseudonyms = request.args.get("pseudonyms") == "1" or current_user.role == Role.REVIEWER
    reading = readers.reading_for(current_user, session, pseudonyms=pseudonyms)
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a LocalProxy
    if not transcript.streams_json(app):
        return jsonify(transcript.export(session, reading))
    # Streamed as transcript.json is: a batch of events at a time, no connection held
    # while the client reads; the same bytes.
    snap = readers.snapshot(session, reading)
    return Response(transcript.export_chunks(snap, app), mimetype=app.json.mimetype)

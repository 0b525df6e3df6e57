"""Session records: the transcript in HTML, JSON (evidence) and CSV; the public key."""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, render_template, request
from flask_login import current_user, login_required

from .. import access, review, seal, transcript
from ..models import Role

bp = Blueprint("records", __name__)


def _reading(session_id: int):
    """The session if the user may read its record, and how they read it."""
    session = access.get_session_for(current_user, session_id)
    pseudonyms = request.args.get("pseudonyms") == "1"
    if current_user.role == Role.REVIEWER and request.args.get("names") == "1":
        abort(403)  # reviewers see students under pseudonyms
    return session, transcript.reading_for(current_user, pseudonyms=pseudonyms)


@bp.route("/sessions/<int:session_id>/transcript.json")
@login_required
def transcript_json(session_id: int):
    """The evidence export (sdg-forum-transcript/1)."""
    session, reading = _reading(session_id)
    response = jsonify(transcript.export(session, reading))
    response.headers["Content-Disposition"] = (
        f'attachment; filename="sdg-forum-session-{session.id}.json"')
    return response


@bp.route("/sessions/<int:session_id>/transcript.csv")
@login_required
def transcript_csv(session_id: int):
    """One row per message, UTF-8 with BOM."""
    session, reading = _reading(session_id)
    return Response(
        transcript.messages_csv(session, reading), mimetype="text/csv",
        headers={"Content-Disposition":
                 f'attachment; filename="sdg-forum-session-{session.id}.csv"'})


@bp.route("/sessions/<int:session_id>/transcript.html")
@login_required
def transcript_html(session_id: int):
    """The readable, printable record in the reader's language."""
    session, reading = _reading(session_id)
    view = review.record_view(session, reading)
    return render_template("records/transcript.html", view=view, session=session,
                           fingerprint=seal.fingerprint(), reading=reading)


@bp.route("/evidence/public-key")
def public_key():
    """The Ed25519 public key that seals are made with, PEM."""
    return Response(seal.public_key_pem(), mimetype="application/x-pem-file",
                    headers={"X-Key-Fingerprint": seal.fingerprint()})

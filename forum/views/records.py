"""Session records: the transcript in HTML, JSON (evidence) and CSV; the public key."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import access, pseudonyms, review, seal, transcript
from ..errors import ActionError
from ..forms import RevealForm
from ..models import Role

bp = Blueprint("records", __name__)


def _reading(session_id: int):
    """The session if the user may read its record, and how they read it."""
    session = access.get_session_for(current_user, session_id)
    pseudonyms = request.args.get("pseudonyms") == "1"
    reading = transcript.reading_for(current_user, session, pseudonyms=pseudonyms)
    if (
        not reading.names
        and request.args.get("names") == "1"
        and current_user.role == Role.REVIEWER
    ):
        abort(403)  # reviewers see students under pseudonyms unless names were revealed
    return session, reading


@bp.route("/sessions/<int:session_id>/transcript.json")
@login_required
def transcript_json(session_id: int):
    """The evidence export (sdg-forum-transcript/1)."""
    session, reading = _reading(session_id)
    response = jsonify(transcript.export(session, reading))
    response.headers["Content-Disposition"] = (
        f'attachment; filename="sdg-forum-session-{session.id}.json"'
    )
    return response


@bp.route("/sessions/<int:session_id>/transcript.csv")
@login_required
def transcript_csv(session_id: int):
    """One row per message, UTF-8 with BOM."""
    session, reading = _reading(session_id)
    return Response(
        transcript.messages_csv(session, reading),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="sdg-forum-session-{session.id}.csv"'
        },
    )


@bp.route("/sessions/<int:session_id>/transcript.html")
@login_required
def transcript_html(session_id: int):
    """The readable, printable record in the reader's language."""
    session, reading = _reading(session_id)
    view = review.record_view(session, reading)
    return render_template(
        "records/transcript.html",
        view=view,
        session=session,
        fingerprint=seal.fingerprint(),
        reading=reading,
        revealed=pseudonyms.latest_reveal(session.id),
        can_reveal=access.can_manage_exchange(current_user, session.exchange),
        form=RevealForm(),
    )


@bp.post("/sessions/<int:session_id>/names")
@login_required
def reveal_names(session_id: int):
    """A teacher of the exchange or an admin shows reviewers the students' names, or
    takes that back (``reveal`` = 1 or 0); the choice is kept."""
    session = access.get_session_for(current_user, session_id)
    form = RevealForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        choice = pseudonyms.reveal(current_user, session, form.reveal.data == "1")
    except ActionError as exc:
        abort(exc.status)
    flash(
        _("Reviewers now read the students' names.")
        if choice.revealed
        else _("Reviewers now read the students under pseudonyms."),
        "success",
    )
    return redirect(url_for("records.transcript_html", session_id=session.id))


@bp.route("/evidence/public-key")
def public_key():
    """The Ed25519 public key that seals are made with, PEM."""
    return Response(
        seal.public_key_pem(),
        mimetype="application/x-pem-file",
        headers={"X-Key-Fingerprint": seal.fingerprint()},
    )

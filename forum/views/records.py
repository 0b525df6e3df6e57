"""Session records: the transcript in HTML, JSON (evidence) and CSV; the public key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import ActionError
from ..evidence import live_tools, readers, record, transcript
from ..forms import RevealForm
from ..models import Role
from ..people import access, pseudonyms
from ..room import seal

bp = Blueprint("records", __name__)


@dataclass(frozen=True)
class Pager:
    """Links between the pages of a record, on the page that shows it (the printable
    record, the review page), keeping how the reader asked to read it."""

    endpoint: str
    session_id: int
    keep: dict[str, Any]

    def base(self) -> str:
        return url_for(self.endpoint, session_id=self.session_id)

    def url(self, page: int) -> str:
        return url_for(self.endpoint, session_id=self.session_id, page=page, **self.keep)

    def message_url(self, message_id: int) -> str:
        """The page that shows a message, scrolled to it (a reply to a message on
        another page links there)."""
        return url_for(
            self.endpoint,
            session_id=self.session_id,
            message=message_id,
            _anchor=f"m{message_id}",
            **self.keep,
        )

    def window(self, view: record.RecordView, around: int = 2) -> list[int | None]:
        """The page numbers to link: the first, the last and those around the current
        one, None where some are left out."""
        shown = sorted(
            {
                1,
                view.pages,
                *range(max(1, view.page - around), min(view.pages, view.page + around) + 1),
            }
        )
        out: list[int | None] = []
        for n in shown:
            if out and n - (out[-1] or 0) > 1:
                out.append(None)
            out.append(n)
        return out


def paged_record(session, reading, endpoint: str) -> tuple[record.RecordView, Pager]:
    """The page of a record the request asks for (``page``, or the page of
    ``message``), and its pager."""
    page = request.args.get("page", type=int) or 1
    message = request.args.get("message", type=int)
    if message is not None:
        page = record.page_of_message(session, message) or page
    keep = {name: value for name in ("pseudonyms", "names") if (value := request.args.get(name))}
    return record.record_view(session, reading, page), Pager(endpoint, session.id, keep)


def _reading(session_id: int):
    """The session if the user may read its record, and how they read it."""
    session = access.get_session_for(current_user, session_id)
    pseudonyms = request.args.get("pseudonyms") == "1"
    reading = readers.reading_for(current_user, session, pseudonyms=pseudonyms)
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
    """The evidence export (sdg-forum-transcript/1), streamed: what the record is read
    against (``readers.snapshot``) is taken here, then the events are read and
    written a batch at a time after the request has given its connection back, so
    a 100,000-event session costs neither the server's memory nor a connection held
    while a slow client reads. The bytes are those ``jsonify`` would send."""
    session, reading = _reading(session_id)
    headers = {"Content-Disposition": f'attachment; filename="sdg-forum-session-{session.id}.json"'}
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a LocalProxy
    if not transcript.streams_json(app):
        response = jsonify(transcript.export(session, reading))
        response.headers.update(headers)
        return response
    snap = readers.snapshot(session, reading)
    return Response(
        transcript.export_chunks(snap, app), mimetype=app.json.mimetype, headers=headers
    )


@bp.route("/sessions/<int:session_id>/transcript.csv")
@login_required
def transcript_csv(session_id: int):
    """One row per message, UTF-8 with BOM, streamed as the JSON export is."""
    session, reading = _reading(session_id)
    snap = readers.snapshot(session, reading)
    return Response(
        transcript.csv_chunks(snap, current_app._get_current_object()),  # type: ignore[attr-defined]
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="sdg-forum-session-{session.id}.csv"'
        },
    )


@bp.route("/sessions/<int:session_id>/polls.csv")
@login_required
def polls_csv(session_id: int):
    """The session's polls: counts per answer and, for staff and reviewers, who
    answered what (``live_tools.polls_csv``)."""
    session, reading = _reading(session_id)
    name = f"sdg-forum-session-{session.id}-polls.csv"
    return Response(
        live_tools.polls_csv(session, reading),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/sessions/<int:session_id>/transcript.html")
@login_required
def transcript_html(session_id: int):
    """The readable, printable record in the reader's language."""
    session, reading = _reading(session_id)
    view, pager = paged_record(session, reading, "records.transcript_html")
    return render_template(
        "records/transcript.html",
        view=view,
        pager=pager,
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

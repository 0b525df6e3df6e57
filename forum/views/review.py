"""The Alliance review desk: sealed sessions, their records and figures, verdicts,
file verification and the academic-year report."""

from __future__ import annotations

import io
import json

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from .. import body_limit, csvfile, inputs
from ..alliance import mous, training
from ..clock import academic_year_of
from ..errors import ActionError
from ..evidence import readers, verdicts, verification
from ..evidence import report as year_report
from ..extensions import db
from ..forms import ReviewForm, VerifyForm
from ..models import MouStatus, Review, Role, School, Seal, TrainingKind, utcnow
from ..people import access
from ..room import seal
from ..sdgs import GOALS
from .mous import country_name
from .records import paged_record

bp = Blueprint("review", __name__, url_prefix="/review")


@bp.before_request
@login_required
def _reviewers_only():
    if current_user.role not in (Role.REVIEWER, Role.ADMIN):
        abort(403)


def _int_arg(name: str, low: int, high: int) -> int | None:
    value = request.args.get(name, type=int)
    return value if value is not None and low <= value <= high else None


@bp.route("/")
def desk():
    """Sealed sessions, filtered by academic year, country, school, SDG, review state."""
    years = year_report.years_with_data() or [academic_year_of(utcnow())]
    state = request.args.get("state")
    f = verdicts.DeskFilter(
        year=_int_arg("year", 1, 300),
        country=(request.args.get("country") or "").upper()[:2] or None,
        school=request.args.get("school") or None,
        sdg=_int_arg("sdg", 1, 17),
        state=state if state in ("verified", "flagged", "unreviewed") else None,
    )
    rows = verdicts.sealed_sessions(f)
    schools = list(db.session.scalars(sa.select(School).order_by(School.country, School.slug)))
    return render_template(
        "review/desk.html",
        rows=rows,
        f=f,
        years=years,
        schools=schools,
        countries=sorted({s.country for s in schools}),
        goals=GOALS,
        fingerprint=seal.fingerprint(),
    )


@bp.route("/sessions/<int:session_id>", methods=["GET", "POST"])
def session(session_id: int):
    """One sealed session: its record, figures, verification and verdicts."""
    forum_session = access.get_session_for(current_user, session_id)
    form = ReviewForm()
    status = 200
    if form.validate_on_submit():
        try:
            verdicts.mark(current_user, forum_session, form.state.data, form.comment.data)
        except ActionError as exc:
            for name, message in exc.fields.items():
                getattr(form, name).errors = [*getattr(form, name).errors, message]
            if not exc.fields:
                flash(exc.message, "error")
            status = exc.status
        else:
            flash(_("Your review is recorded."), "success")
            return redirect(url_for("review.session", session_id=session_id))
    elif form.is_submitted():
        status = 422
    reading = readers.reading_for(
        current_user, forum_session, pseudonyms=current_user.role == Role.REVIEWER
    )
    view, pager = paged_record(forum_session, reading, "review.session")
    # The whole log is checked on the record's first page (for a long session, about a
    # second); the further pages link back to it instead of checking it again.
    verdict = verification.verify_stored(forum_session) if view.page == 1 else None
    history = list(
        db.session.scalars(
            sa.select(Review).where(Review.session_id == session_id).order_by(Review.at.desc())
        )
    )
    return render_template(
        "review/session.html",
        session=forum_session,
        view=view,
        pager=pager,
        verdict=verdict,
        history=history,
        form=form,
        sealed=db.session.get(Seal, session_id),
        fingerprint=seal.fingerprint(),
    ), status


@bp.route("/verify", methods=["GET", "POST"])
@body_limit(21 * 1024 * 1024)  # a 20 MB transcript and its form around it; 2 MB elsewhere
def verify():
    """Upload a transcript export and see whether it is sound."""
    form = VerifyForm()
    verdict = None
    status = 200
    if form.validate_on_submit():
        raw = form.file.data.read(transcript_max_bytes() + 1)
        if len(raw) > transcript_max_bytes():
            form.file.errors = [*form.file.errors, _("The file is too large.")]
            status = 413
        else:
            # Trusted: this platform's evidence key and every key it has sealed with.
            verdict = verification.verify_bytes(raw, verification.trust(earlier_keys=True))
            status = 200 if verdict.valid else 422
    elif form.is_submitted():
        status = 422
    return render_template(
        "review/verify.html",
        form=form,
        verdict=verdict,
        fingerprint=seal.fingerprint(),
        max_depth=inputs.MAX_DEPTH,
    ), status


def transcript_max_bytes() -> int:
    return 20 * 1024 * 1024


@bp.route("/report")
def report():
    """The academic-year report: page with charts, or ?format=csv|json."""
    years = year_report.years_with_data() or [academic_year_of(utcnow())]
    year = _int_arg("year", 1, 300) or years[0]
    # The picker names the year shown, even one with nothing in it yet.
    years = sorted({*years, year}, reverse=True)
    data = year_report.report(year)
    fmt = request.args.get("format")
    if fmt == "json":
        return Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json")
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csvfile.writer(buffer)
        writer.writerow(["figure", "key", "value"])
        writer.writerows(year_report.report_rows(data))
        return Response(
            "\ufeff" + buffer.getvalue(),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="sdg-forum-report-{year}.csv"'},
        )
    return render_template(
        "review/report.html",
        data=data,
        years=years,
        year=year,
        goals=GOALS,
        fingerprint=seal.fingerprint(),
        **_report_charts(data),
    )


KIND_COLOURS = {
    "task_force": "#00689D",
    "host_family": "#FD9D24",
    "seminar": "#56C02B",
    "other": "#8F1838",
}


def _report_charts(data: dict) -> dict:
    """What the report page draws beside the figures: rows of (label, value, colour)
    for its bar charts, the regions of its table, the MOUs counted by status."""
    statuses = [m["status"] for m in data["mous"]]
    return {
        "region_rows": [
            (region, n, "#00689D") for region, n in data["schools_paired"]["by_region"].items()
        ],
        "regions": sorted(
            set(data["schools_paired"]["by_region"])
            | set(data["sessions_by_region"])
            | set(data["students_by_region"])
        ),
        "trained": [
            (
                training.kind_label(TrainingKind(kind))
                + " · "
                + ngettext(
                    "%(num)s event", "%(num)s events", data["training_events_by_kind"][kind]
                ),
                n,
                KIND_COLOURS[kind],
            )
            for kind, n in data["educators_trained_by_kind"].items()
            if data["training_events_by_kind"][kind]
        ],
        "mous_signed": statuses.count("signed"),
        "mous_planned": statuses.count("planned"),
        "mou_status": lambda status: mous.status_label(MouStatus(status)),
        "country_name": country_name,
    }

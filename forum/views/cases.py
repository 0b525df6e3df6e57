"""The case gallery (public, no sign-in: pages, JSON, Atom, excerpt proofs), the
teachers' drafting pages and the Alliance's queue of submitted cases. Thin views over
``forum.cases``.

The public JSON and the feed carry ``Access-Control-Allow-Origin: *``: they are public,
read without cookies, and the Alliance's website embeds them from its own origin.
"""

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

from .. import cases, i18n
from ..errors import ActionError
from ..models import Case, CaseStatus, Exchange, Role
from ..people import access, throttle
from ..sdgs import GOALS

bp = Blueprint("cases", __name__)

# Endpoints another origin may read (public, cookie-less).
SHARED = frozenset({"cases.gallery_json", "cases.show_json", "cases.feed", "cases.proof_json"})


# The public pages, JSON, feed and proofs need no sign-in: each address gets a burst
# of 120 requests, then 4 a second (a reader, a printer or the Alliance's site fetching
# the feed never meets it; a scraper looping over every id does).
PUBLIC = frozenset(
    {
        "cases.gallery",
        "cases.gallery_json",
        "cases.feed",
        "cases.show",
        "cases.show_json",
        "cases.proof",
        "cases.proof_json",
    }
)
public_limiter = throttle.Limiter("cases-public", burst=120, per_second=4.0)


@bp.before_request
def _limit_public_reads() -> None:
    if request.endpoint in PUBLIC:
        public_limiter.take(request.remote_addr or "unknown")


@bp.after_request
def _public_headers(response: Response) -> Response:
    """Public pages vary by the reader's language; the JSON and feed may be embedded."""
    response.headers.add("Vary", "Accept-Language")
    if request.endpoint in SHARED:
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _viewer():
    return current_user if current_user.is_authenticated else None


def _public_case(case_id: int) -> Case:
    """A published case, whoever asks (the JSON and proofs are public only)."""
    return cases.get_for(None, case_id)


# --- The public gallery ----------------------------------------------------------------


@bp.route("/cases")
def gallery():
    """Published cases in the reader's language, filtered by SDG, year and country."""
    f = cases.Filter.from_args(request.args)
    views = [cases.public_view(c) for c in cases.published(f)]
    return render_template(
        "cases/gallery.html", views=views, f=f, choices=cases.gallery_choices(), goals=GOALS
    )


@bp.route("/cases.json")
def gallery_json():
    f = cases.Filter.from_args(request.args)
    return jsonify(
        {
            "cases": [
                cases.public_json(cases.public_view(c), excerpts=False) for c in cases.published(f)
            ],
            "feed_url": url_for("cases.feed", _external=True),
        }
    )


@bp.route("/cases/feed.atom")
def feed():
    body = cases.atom(cases.published(), i18n.current_language().html_lang)
    return Response(body, mimetype="application/atom+xml")


@bp.route("/cases/<int:case_id>")
def show(case_id: int):
    """A case: public once published; before, its teachers and the Alliance preview it."""
    case = cases.get_for(_viewer(), case_id)
    user = _viewer()
    return render_template(
        "cases/show.html",
        view=cases.public_view(case),
        case=case,
        editable=user is not None
        and case.status in cases.EDITABLE
        and access.can_manage_exchange(user, case.exchange),
        deciding=user is not None
        and user.role in (Role.REVIEWER, Role.ADMIN)
        and case.status in (CaseStatus.SUBMITTED, CaseStatus.PUBLISHED),
        status_label=cases.status_label,
    )


@bp.route("/cases/<int:case_id>.json")
def show_json(case_id: int):
    return jsonify(cases.public_json(cases.public_view(_public_case(case_id))))


@bp.route("/cases/<int:case_id>/excerpts/<int:excerpt_id>/proof")
def proof(case_id: int, excerpt_id: int):
    """Check an excerpt: its event's bytes and hash, and the hashes up to the head."""
    case = _public_case(case_id)
    return render_template(
        "cases/proof.html",
        case=case,
        title=cases.text_of(case)[0],
        proof=cases.proof(case, cases.excerpt_of(case, excerpt_id)),
    )


@bp.route("/cases/<int:case_id>/excerpts/<int:excerpt_id>/proof.json")
def proof_json(case_id: int, excerpt_id: int):
    case = _public_case(case_id)
    return jsonify(cases.proof(case, cases.excerpt_of(case, excerpt_id)))


# --- Teachers draft, edit and submit ---------------------------------------------------


def _form_body(exchange: Exchange) -> dict:
    """The drafting form as the API's body."""
    form = request.form
    lang = i18n.language_for(form.get("lang")) or i18n.current_language()
    translations = {
        other.code: {
            "title": form.get(f"title_{other.code}", ""),
            "summary": form.get(f"summary_{other.code}", ""),
        }
        for other in i18n.LANGUAGES
        if other.code != lang.code
    }
    excerpts = []
    for raw in form.getlist("excerpt"):
        session_id, _sep, seq = raw.partition(":")
        excerpts.append({"session_id": session_id, "seq": seq})
    return {
        "exchange_id": exchange.id,
        "lang": lang.code,
        "title": form.get(f"title_{lang.code}", ""),
        "summary": form.get(f"summary_{lang.code}", ""),
        "translations": translations,
        "sdgs": [int(n) for n in form.getlist("sdgs") if n.isdigit()] or None,
        "session_ids": form.getlist("session_id"),
        "excerpts": excerpts,
    }


def _picker(exchange: Exchange) -> list[tuple]:
    """Each sealed session of the exchange with what it offers to quote (hidden items
    left out; those without consent shown, not selectable)."""
    out = []
    for session in exchange.sessions:
        if session.cancelled_at is None and cases.is_sealed(session):
            items = [
                q for q in cases.quotes_of(session.id).values() if q.refused not in ("hidden",)
            ]
            out.append((session, items))
    return out


def _form_page(exchange: Exchange, case: Case | None, errors: dict, status: int = 200):
    values: dict = {}
    if request.method == "POST":
        values = request.form.to_dict(flat=False)
    elif case is not None:
        values = {"lang": [case.lang]}
        for text in case.texts:
            values[f"title_{text.lang}"] = [text.title]
            values[f"summary_{text.lang}"] = [text.summary]
        values["sdgs"] = [str(n) for n in case.sdgs]
        values["session_id"] = [str(s.id) for s in case.sessions]
        values["excerpt"] = [f"{e.session_id}:{e.seq}" for e in case.excerpts]
    else:
        values = {
            "lang": [i18n.current_language().code],
            "sdgs": [str(n) for n in exchange.sdgs],
        }
    return render_template(
        "cases/form.html",
        exchange=exchange,
        case=case,
        values=values,
        errors=errors,
        picker=_picker(exchange),
        goals=GOALS,
        reason=cases.reason_message,
    ), status


@bp.route("/cases/new/<int:exchange_id>", methods=["GET", "POST"])
@login_required
def new(exchange_id: int):
    """Draft a case from a completed exchange."""
    exchange = access.get_row(Exchange, exchange_id)
    if exchange is None:
        abort(404)
    try:
        from ..cases.draft import exchange_for

        exchange_for(current_user, exchange.id)
    except ActionError as exc:
        abort(exc.status)
    if request.method == "POST":
        try:
            case = cases.create(current_user, _form_body(exchange))
        except ActionError as exc:
            return _form_page(exchange, None, exc.fields or {"": exc.message}, exc.status)
        return _after_save(case)
    return _form_page(exchange, None, {})


@bp.route("/cases/<int:case_id>/edit", methods=["GET", "POST"])
@login_required
def edit(case_id: int):
    """Change a draft, or a case the Alliance sent back."""
    case = cases.get_for(current_user, case_id)
    if not access.can_manage_exchange(current_user, case.exchange):
        abort(403)
    if case.status not in cases.EDITABLE:
        abort(409)
    if request.method == "POST":
        try:
            cases.edit(current_user, case, _form_body(case.exchange))
        except ActionError as exc:
            return _form_page(case.exchange, case, exc.fields or {"": exc.message}, exc.status)
        return _after_save(case)
    return _form_page(case.exchange, case, {})


def _after_save(case: Case):
    """Saved; submitted at once when the teacher asked to."""
    if request.form.get("then") == "submit":
        try:
            cases.submit(current_user, case)
        except ActionError as exc:
            flash(exc.message, "error")
        else:
            flash(_("The case is sent to the Alliance for review."), "success")
            return redirect(url_for("cases.show", case_id=case.id))
    flash(_("The case is saved as a draft."), "success")
    return redirect(url_for("cases.show", case_id=case.id))


@bp.post("/cases/<int:case_id>/submit")
@login_required
def submit(case_id: int):
    case = cases.get_for(current_user, case_id)
    try:
        cases.submit(current_user, case)
    except ActionError as exc:
        flash(exc.message, "error")
    else:
        flash(_("The case is sent to the Alliance for review."), "success")
    return redirect(url_for("cases.show", case_id=case.id))


# --- The Alliance: the queue, publish or send back -------------------------------------


@bp.route("/review/cases")
@login_required
def queue():
    """Submitted cases waiting for the Alliance, and those published."""
    if current_user.role not in (Role.REVIEWER, Role.ADMIN):
        abort(403)
    from ..room import seal

    return render_template(
        "cases/queue.html",
        waiting=[cases.public_view(c) for c in cases.queue()],
        published=[cases.public_view(c) for c in cases.published()],
        fingerprint=seal.fingerprint(),
    )


@bp.post("/cases/<int:case_id>/decide")
@login_required
def decide(case_id: int):
    """Publish, or send back with a comment."""
    case = cases.get_for(current_user, case_id)
    action = request.form.get("action")
    body = {"comment": request.form.get("comment", "")}
    try:
        if action == "publish":
            cases.publish(current_user, case, body)
            flash(_("The case is published in the gallery."), "success")
        elif action == "reject":
            cases.reject(current_user, case, body)
            flash(_("The case is sent back to its teachers."), "success")
        else:
            abort(400)
    except ActionError as exc:
        flash(exc.message, "error")
        for message in exc.fields.values():
            flash(message, "error")
    return redirect(url_for("cases.show", case_id=case.id))

"""The Alliance's desk of applications: a year's applications, filtered; pairing them
with partner classes, several at once; approving, declining or returning them. Thin
over ``exchanges`` (the same actions as the API and the exchange page)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from .. import exchanges
from ..clock import academic_year_of
from ..errors import ActionError
from ..extensions import db
from ..forms import ConfirmForm, DeskDecisionForm
from ..models import Exchange, ExchangeMode, ExchangeStatus, School, utcnow
from ..people import access
from ..room import seal
from ..sdgs import GOALS
from .exchanges import ACTIONS, DECISION_LABELS

bp = Blueprint("desk", __name__, url_prefix="/review/applications")

FILTER_KEYS = ("year", "status", "mode", "country", "region", "sdg")


@bp.before_request
@login_required
def _alliance_only():
    if current_user.role not in exchanges.ALLIANCE_ROLES:
        abort(403)


def _filter(args: MultiDict) -> exchanges.ApplicationFilter:
    """The desk's filters from a query string; what is not understood is left out. No
    ``year`` at all means the latest year with applications (``year=`` means all)."""
    if "year" in args:
        year = args.get("year", type=int)
        year = year if year is not None and 1 <= year <= 300 else None
    else:
        years = exchanges.application_years()
        year = years[0] if years else academic_year_of(utcnow())
    statuses = {s.value: s for s in ExchangeStatus}
    modes = {m.value: m for m in ExchangeMode}
    country = (args.get("country") or "").strip().upper()
    region = " ".join((args.get("region") or "").split())[:100]
    sdg = args.get("sdg", type=int)
    return exchanges.ApplicationFilter(
        year=year,
        status=statuses.get(args.get("status", "")),
        mode=modes.get(args.get("mode", "")),
        country=country if len(country) == 2 and country.isalpha() else None,
        region=region or None,
        sdg=sdg if sdg in GOALS else None,
    )


def _query(f: exchanges.ApplicationFilter) -> dict[str, Any]:
    """The filter as query arguments, for links and redirects back to the desk."""
    return {
        "year": "" if f.year is None else f.year,
        "status": f.status.value if f.status else None,
        "mode": f.mode.value if f.mode else None,
        "country": f.country,
        "region": f.region,
        "sdg": f.sdg,
    }


def _back(raw: str | None) -> exchanges.ApplicationFilter:
    """The filters a form carried back (a query string); only the desk's own keys."""
    pairs = parse_qsl(raw or "", keep_blank_values=True)
    return _filter(MultiDict([(k, v) for k, v in pairs if k in FILTER_KEYS]))


def _desk_url(f: exchanges.ApplicationFilter) -> str:
    return url_for("desk.index", **{k: v for k, v in _query(f).items() if v is not None})


@bp.route("/")
def index():
    """A year's applications, filtered by status, mode, country, region and SDG."""
    return _render(_filter(request.args))


def _render(
    f: exchanges.ApplicationFilter,
    *,
    errors: dict[str, str] | None = None,
    chosen: dict[int, int | None] | None = None,
    status: int = 200,
):
    rows = exchanges.applications(f)
    schools = list(db.session.scalars(sa.select(School)))
    countries = sorted(
        {s.country for s in schools} | {e.partner_country for e in rows if e.partner_country}
    )
    years = sorted({*exchanges.application_years(), academic_year_of(utcnow())}, reverse=True)
    return render_template(
        "review/applications.html",
        rows=rows,
        f=f,
        years=years,
        goals=GOALS,
        countries=countries,
        regions=sorted({s.region for s in schools}),
        statuses=[
            (s, exchanges.status_label(s)) for s in ExchangeStatus if s.name == s.value.upper()
        ],
        answers={e.id: exchanges.acceptances(e) for e in rows},
        waiting={e.id: exchanges.waiting_on(e) for e in rows},
        candidates={
            e.id: exchanges.pairing_candidates(e)
            for e in rows
            if e.status == ExchangeStatus.PROPOSED
        },
        decision_label=lambda d: DECISION_LABELS[d.action.value](),
        status_label=exchanges.status_label,
        errors=errors or {},
        chosen=chosen or {},
        back=_back_string(f),
        pair_form=ConfirmForm(formdata=None),
        fingerprint=seal.fingerprint(),
    ), status


def _back_string(f: exchanges.ApplicationFilter) -> str:
    url = _desk_url(f)
    return url.split("?", 1)[1] if "?" in url else ""


@bp.post("/pair")
def pair():
    """Pair the chosen applications, each with the partner class chosen on its row:
    all of them, or, if one is refused, none (each row says why)."""
    f = _back(request.form.get("back"))
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    picked: list[int] = []
    for raw in request.form.getlist("pick"):
        ident = access.row_id(raw)
        if ident is None:
            abort(400)
        if ident not in picked:
            picked.append(ident)
    chosen = {ident: access.row_id(request.form.get(f"partner-{ident}")) for ident in picked}
    pairings = []
    for ident in picked:
        exchange = db.session.get(Exchange, ident)
        if exchange is None:  # the list on the page is older than the database
            flash(
                _("One of the chosen applications no longer exists. Nothing was paired."), "error"
            )
            return _render(f, chosen=chosen, status=409)
        partner = chosen[ident]
        pairings.append((exchange, {"partner_class_ids": [partner] if partner else []}))
    try:
        exchanges.pair_many(current_user, pairings)
    except ActionError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _render(f, errors=exc.fields, chosen=chosen, status=exc.status)
    flash(_("Paired: the partner classes' teachers are asked to answer."), "success")
    return redirect(_desk_url(f))


@bp.post("/<int:exchange_id>/decide")
def decide(exchange_id: int):
    """Approve, decline or return an application from the desk (``exchanges``' own
    actions), then back to the desk as it was filtered."""
    exchange = access.get_row(Exchange, exchange_id)
    if exchange is None:
        abort(404)
    form = DeskDecisionForm()
    f = _back(form.back.data)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(_desk_url(f))
    comment = (form.comment.data or "").strip() or None
    try:
        ACTIONS[form.action.data or ""](current_user, exchange, {"comment": comment})
    except ActionError as exc:
        db.session.rollback()
        flash(
            f"{exchange.title}: " + (" ".join(exc.fields.values()) if exc.fields else exc.message),
            "error",
        )
    else:
        flash(_("Your decision on “%(title)s” is recorded.", title=exchange.title), "success")
    return redirect(_desk_url(f))

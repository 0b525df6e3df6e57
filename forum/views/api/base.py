"""The blueprint of /api/v1 and what its views share: who is asking (the session
cookie, whose writes also need X-CSRFToken, or a Bearer token), the request's JSON
body, a 201 with its Location, ``?year=``."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from ... import inputs
from ...errors import ActionError, ValidationError
from ...extensions import csrf

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


def body() -> dict:
    """The request's JSON object, read by ``inputs.loads``: not JSON, too deep or odd
    numbers → 400; text that a database cannot keep → 422 naming the field."""
    not_an_object = ActionError(
        "bad_request", _("The request body must be a JSON object."), status=400
    )
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


def optional_body() -> dict:
    """A decision's body: optional (``{"comment"?}``), a JSON object when given."""
    if not request.get_data(cache=True).strip():
        return {}
    return body()


def created(data: dict, location: str) -> Response:
    """201 with what was made and where it now is."""
    response = jsonify(data)
    response.status_code = 201
    response.headers["Location"] = location
    return response


def year_arg() -> int | None:
    """``?year=113`` narrows a list to one ROC academic year."""
    raw = request.args.get("year")
    if raw is None:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 300:
        raise ValidationError({"year": _("Give the academic year in the ROC calendar, e.g. 113.")})
    return int(raw)

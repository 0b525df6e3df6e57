"""The private calendar feed: a secret URL that calendar programs subscribe to."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, url_for
from flask_babel import gettext as _

from ..extensions import db
from ..models import ForumSession
from ..people import proofs
from ..people.access import visible_exchange_ids
from ..schedule import calendar

bp = Blueprint("calendar", __name__, url_prefix="/calendar")


@bp.route("/<key>.ics")
def feed(key: str):
    """Every session of the user's, cancelled ones marked so calendars drop them."""
    user = proofs.user_for_calendar_key(key)
    if user is None:
        abort(404)
    query = sa.select(ForumSession).order_by(ForumSession.starts_at)
    ids = visible_exchange_ids(user)
    if ids is not None:
        query = query.where(ForumSession.exchange_id.in_(ids))
    body = calendar.calendar_for(
        db.session.scalars(query),
        name=_("SDG Forum sessions"),
        url_for_session=lambda sid: url_for("sessions.room", session_id=sid, _external=True),
    )
    return Response(body, mimetype="text/calendar", headers={"Cache-Control": "private"})

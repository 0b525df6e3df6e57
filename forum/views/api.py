"""JSON API /api/v1: the same actions as the pages, for outside clients.

Auth is the session cookie (writes also need X-CSRFToken) or a Bearer token.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from .. import i18n, inputs
from ..errors import ActionError, ValidationError
from ..extensions import csrf, db
from ..people import access
from ..schedule import sessions

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
    from ..evidence import readers, transcript
    from ..models import Role

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


# --- Exchanges: applications, consent, approval (protocol.md, "Exchanges") -------------


def _exchange_json(exchange, status: int = 200):
    from .. import exchanges

    response = jsonify(exchanges.serialize(exchange, current_user))
    response.status_code = status
    return response


def _optional_body() -> dict:
    """A decision's body: optional (``{"comment"?}``), a JSON object when given."""
    if not request.get_data(cache=True).strip():
        return {}
    return _body()


@bp.post("/exchanges")
def propose_exchange():
    """A teacher applies for an exchange → 201 with it, status proposed."""
    from .. import exchanges

    exchange = exchanges.propose(current_user, _body())
    response = _exchange_json(exchange, 201)
    response.headers["Location"] = f"/api/v1/exchanges/{exchange.id}"
    return response


@bp.get("/exchanges")
def list_exchanges():
    """The exchanges I may see; ``?status=proposed`` narrows."""
    from .. import exchanges
    from ..models import Exchange, ExchangeStatus

    query = exchanges.visible(current_user)
    wanted = request.args.get("status")
    if wanted:
        try:
            query = query.where(Exchange.status == ExchangeStatus(wanted))
        except ValueError:
            raise ValidationError({"status": _("Unknown status.")}) from None
    rows = db.session.scalars(query).all()
    return jsonify({"exchanges": [exchanges.serialize(e, current_user) for e in rows]})


@bp.get("/exchanges/<int:exchange_id>")
def get_exchange(exchange_id: int):
    from .. import exchanges

    return _exchange_json(exchanges.get_for(current_user, exchange_id))


def _decision(exchange_id: int, action):
    """Load the exchange for a decision: 404 when it does not exist, or when a student
    asks about one they may not see; everyone else learns from the action why not."""
    from .. import exchanges
    from ..models import Exchange, ExchangeKind, Role

    exchange = access.get_row(Exchange, exchange_id)
    if (
        exchange is None
        or exchange.kind != ExchangeKind.EXCHANGE.value  # a showcase: /showcases
        or (current_user.role == Role.STUDENT and not exchanges.can_see(current_user, exchange))
    ):
        raise ActionError("not_found", _("This exchange does not exist or is not yours to see."))
    return _exchange_json(action(current_user, exchange, _optional_body()))


@bp.post("/exchanges/<int:exchange_id>/pair")
def pair_exchange(exchange_id: int):
    from .. import exchanges

    return _decision(exchange_id, exchanges.pair)


@bp.post("/exchanges/<int:exchange_id>/accept")
def accept_exchange(exchange_id: int):
    from .. import exchanges

    return _decision(exchange_id, exchanges.accept)


@bp.post("/exchanges/<int:exchange_id>/decline")
def decline_exchange(exchange_id: int):
    """A partner class's teacher declines; a reviewer or admin declines for the Alliance."""
    from .. import exchanges

    return _decision(exchange_id, exchanges.decline)


@bp.post("/exchanges/<int:exchange_id>/approve")
def approve_exchange(exchange_id: int):
    from .. import exchanges

    return _decision(exchange_id, exchanges.approve)


@bp.post("/exchanges/<int:exchange_id>/return")
def return_exchange(exchange_id: int):
    from .. import exchanges

    return _decision(exchange_id, exchanges.return_)


@bp.post("/exchanges/<int:exchange_id>/withdraw")
def withdraw_exchange(exchange_id: int):
    from .. import exchanges

    return _decision(exchange_id, exchanges.withdraw)


@bp.post("/exchanges/<int:exchange_id>/resubmit")
def resubmit_exchange(exchange_id: int):
    """Its teacher sends a returned application again, with what changed."""
    from .. import exchanges

    return _decision(exchange_id, exchanges.resubmit)


@bp.post("/exchanges/<int:exchange_id>/complete")
def complete_exchange(exchange_id: int):
    from .. import exchanges

    return _decision(exchange_id, exchanges.complete)


# --- The Alliance's records: MOUs and educator training (admins write, reviewers read) ---


def _year_arg() -> int | None:
    """``?year=113`` narrows a list to one ROC academic year."""
    raw = request.args.get("year")
    if raw is None:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 300:
        raise ValidationError({"year": _("Give the academic year in the ROC calendar, e.g. 113.")})
    return int(raw)


def _created(body: dict, location: str):
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = location
    return response


@bp.get("/mous")
def list_mous():
    """MOUs, newest academic year first; ``?year=`` narrows."""
    from ..alliance import mous

    mous.require_reader(current_user)
    return jsonify({"mous": [mous.serialize(m) for m in mous.listed(_year_arg())]})


@bp.post("/mous")
def record_mou():
    """An admin records an MOU → 201 with it."""
    from ..alliance import mous

    mou = mous.record(current_user, _body())
    return _created(mous.serialize(mou), f"/api/v1/mous/{mou.id}")


@bp.get("/mous/<int:mou_id>")
def get_mou(mou_id: int):
    from ..alliance import mous

    return jsonify(mous.serialize(mous.get(current_user, mou_id)))


@bp.patch("/mous/<int:mou_id>")
def update_mou(mou_id: int):
    """An admin changes any of an MOU's fields."""
    from ..alliance import mous

    mou = mous.get(current_user, mou_id)
    return jsonify(mous.serialize(mous.update(current_user, mou, _body())))


@bp.delete("/mous/<int:mou_id>")
def delete_mou(mou_id: int):
    from ..alliance import mous

    mous.delete(current_user, mous.get(current_user, mou_id))
    return "", 204


@bp.get("/training-events")
def list_training_events():
    """Training events, latest first (without their participants); ``?year=`` narrows."""
    from ..alliance import training

    training.require_reader(current_user)
    return jsonify(
        {
            "training_events": [
                training.serialize(e, participants=False) for e in training.listed(_year_arg())
            ]
        }
    )


@bp.post("/training-events")
def record_training_event():
    """An admin records a training event, with ``participants`` ([{"name", "school"}]) or
    a ``head_count`` → 201 with it."""
    from ..alliance import training

    event = training.record(current_user, _body())
    return _created(training.serialize(event), f"/api/v1/training-events/{event.id}")


@bp.get("/training-events/<int:event_id>")
def get_training_event(event_id: int):
    from ..alliance import training

    return jsonify(training.serialize(training.get(current_user, event_id)))


@bp.patch("/training-events/<int:event_id>")
def update_training_event(event_id: int):
    """An admin changes an event; ``participants`` or ``head_count`` replace the old ones."""
    from ..alliance import training

    event = training.get(current_user, event_id)
    return jsonify(training.serialize(training.update(current_user, event, _body())))


@bp.delete("/training-events/<int:event_id>")
def delete_training_event(event_id: int):
    from ..alliance import training

    training.delete(current_user, training.get(current_user, event_id))
    return "", 204


# --- Showcase sessions (README, "Showcase sessions") -----------------------------------


@bp.get("/showcases")
def list_showcases():
    """The showcases I may see; ``?upcoming=1``: only those that have not ended."""
    from ..exchanges import showcases

    rows = (
        showcases.upcoming(current_user)
        if request.args.get("upcoming") in ("1", "true")
        else showcases.listed(current_user)
    )
    return jsonify({"showcases": [showcases.serialize(s, current_user) for s in rows]})


@bp.post("/showcases")
def schedule_showcase():
    """The Alliance schedules a showcase → 201 with it."""
    from ..exchanges import showcases

    showcase = showcases.schedule(current_user, _body())
    return _created(showcases.serialize(showcase, current_user), f"/api/v1/showcases/{showcase.id}")


@bp.get("/showcases/<int:showcase_id>")
def get_showcase(showcase_id: int):
    from ..exchanges import showcases

    showcase = showcases.get_for(current_user, showcase_id)
    return jsonify(showcases.serialize(showcase, current_user))


def _audience(showcase_id: int, action):
    """Sign a class up (``{"class_id"}``) or withdraw it."""
    from ..exchanges import showcases

    showcase = showcases.get_for(current_user, showcase_id)
    body = _body()
    if "class_id" not in body:
        raise ValidationError({"class_id": _("Choose a class.")})
    return jsonify(
        showcases.serialize(action(current_user, showcase, body["class_id"]), current_user)
    )


@bp.post("/showcases/<int:showcase_id>/audience")
def sign_up_for_showcase(showcase_id: int):
    from ..exchanges import showcases

    return _audience(showcase_id, showcases.sign_up)


@bp.delete("/showcases/<int:showcase_id>/audience")
def withdraw_from_showcase(showcase_id: int):
    from ..exchanges import showcases

    return _audience(showcase_id, showcases.withdraw)


# --- Cases for the public gallery (protocol.md, "Case gallery (public)") ----------------


def _case_json(case, status: int = 200):
    from .. import cases

    response = jsonify(cases.serialize(case))
    response.status_code = status
    return response


@bp.post("/cases")
def draft_case():
    """A teacher of a completed exchange drafts a case → 201 with it, status draft."""
    from .. import cases

    case = cases.create(current_user, _body())
    response = _case_json(case, 201)
    response.headers["Location"] = f"/api/v1/cases/{case.id}"
    return response


@bp.get("/cases/<int:case_id>")
def get_case(case_id: int):
    """A case, for its exchange's teachers and the Alliance (any published one too)."""
    from .. import cases

    return _case_json(cases.get_for(current_user, case_id))


@bp.patch("/cases/<int:case_id>")
def edit_case(case_id: int):
    """Its teacher changes a draft or a case sent back: any of the fields of the draft
    but ``exchange_id``."""
    from .. import cases

    case = cases.get_for(current_user, case_id)
    return _case_json(cases.edit(current_user, case, _body()))


def _case_step(case_id: int, action):
    from .. import cases

    return _case_json(action(current_user, cases.get_for(current_user, case_id), _optional_body()))


@bp.post("/cases/<int:case_id>/submit")
def submit_case(case_id: int):
    from .. import cases

    return _case_step(case_id, cases.submit)


@bp.post("/cases/<int:case_id>/publish")
def publish_case(case_id: int):
    from .. import cases

    return _case_step(case_id, cases.publish)


@bp.post("/cases/<int:case_id>/reject")
def reject_case(case_id: int):
    """Send it back to its teachers with ``{"comment"?}``."""
    from .. import cases

    return _case_step(case_id, cases.reject)

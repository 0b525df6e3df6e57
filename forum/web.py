"""HTTP plumbing shared by every page: sign-in loading, headers, errors, template helpers."""

from __future__ import annotations

import contextlib
from datetime import date

from flask import Flask, flash, g, jsonify, redirect, render_template, request, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from . import clock, i18n, inputs, sdgs, sql
from .errors import (
    UNAVAILABLE_PAGE,
    UNAVAILABLE_RETRY_AFTER,
    ActionError,
)
from .extensions import login_manager
from .people import proofs

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please sign in to see this page.")
login_manager.login_message_category = "info"
# The cookie holds a server-side sign-in id; a stolen cookie is ended at sign-out.
login_manager.session_protection = None


# Pages that students open from a link their teacher gave them: signed out, they are
# asked for their code, not for a staff password (the code page links to staff sign-in).
STUDENT_PAGES = frozenset({"sessions.room"})


@login_manager.unauthorized_handler
def _sign_in_first():
    """Signed out: the API answers 401; a page sends the reader to the sign-in that
    fits it, keeping where they were going (``next``)."""
    if wants_json():
        return jsonify(
            {"error": {"code": "unauthorized", "message": str(login_manager.login_message)}}
        ), 401
    flash(str(login_manager.login_message), login_manager.login_message_category)
    target = request.full_path.rstrip("?") if request.query_string else request.path
    view = "auth.code" if request.endpoint in STUDENT_PAGES else "auth.login"
    return redirect(url_for(view, next=target))


@login_manager.user_loader
def _load_user(sid: str):
    return proofs.user_for_login_session(sid)


@login_manager.request_loader
def _load_user_from_header(req):
    header = req.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        user = proofs.user_for_token(header[7:].strip())
        if user is not None:
            g.auth_by_token = True
        return user
    return None


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie session, its signing serializer made once per app instead
    of on every request: Flask-SocketIO opens the session for every live event too.

    A live connection's events all carry the cookie of its handshake, which cannot
    change; Flask-SocketIO never sends a changed one back. So the session is read and
    its signature checked once per connection, not on every event (``LIVE_SESSION``,
    kept in the connection's environ; an HTTP request's environ is its own)."""

    def open_session(self, app: Flask, request):
        opened = request.environ.get(LIVE_SESSION)
        if opened is None:
            opened = super().open_session(app, request)
            if request.environ.get("forum.live") and opened is not None:
                request.environ[LIVE_SESSION] = opened
        return opened

    def get_signing_serializer(self, app: Flask):
        serializer = app.extensions.get("forum.session_serializer")
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            app.extensions["forum.session_serializer"] = serializer
        return serializer


LIVE_SESSION = "forum.live_session"


def _iso_day(value: str | date | None) -> date | None:
    """A day given as YYYY-MM-DD (report data is JSON-ready), for ``dateformat``."""
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def wants_json() -> bool:
    return (
        request.path.startswith("/api/")
        or request.blueprint == "api"
        or (request.blueprint == "cases" and request.path.endswith(".json"))
    )


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self' ws: wss:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


HSTS = "max-age=31536000; includeSubDomains"


def init_app(app: Flask) -> None:
    """Register blueprints, headers, error pages and template helpers."""
    from .views import (
        admin,
        api,
        auth,
        calendar,
        cases,
        classes,
        desk,
        exchanges,
        health,
        home,
        mous,
        pages,
        records,
        review,
        showcases,
        training,
    )

    for module in (
        auth,
        home,
        classes,
        exchanges,
        pages,
        records,
        review,
        desk,
        admin,
        calendar,
        api,
        health,
        mous,
        training,
        showcases,
        cases,
    ):
        app.register_blueprint(module.bp)
    app.session_interface = CookieSessions()

    @app.before_request
    def _refuse_unusable_query():
        """A query string carries nothing a database cannot keep: ``?school=%00`` is
        refused here, once, before any view takes it to a query (PostgreSQL would
        fail on it)."""
        if not all(inputs.storable(k) and inputs.text_ok(v) for k, v in request.args.lists()):
            raise ActionError(
                "bad_request",
                _(
                    "The link contains a character that cannot be used (a NUL character). "
                    "Please check the link."
                ),
                status=400,
            )

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if app.config["SESSION_COOKIE_SECURE"]:
            # Secure cookies mean the site is served over HTTPS: browsers are to keep
            # to HTTPS for a year, so no first request goes out in plain HTTP.
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        # Only a response that loaded its person can show their things: asking here
        # would load them for every stylesheet (from the database, which may be down).
        user = g.get("_login_user")  # Flask-Login's, once loaded
        if user is not None and user.is_authenticated:
            response.headers.setdefault("Cache-Control", "private, no-store")
        response.headers.add("Vary", "Cookie")
        return response

    @app.errorhandler(ActionError)
    def _action_error(exc: ActionError):
        headers = {}
        if "retry_after" in exc.extra:
            headers["Retry-After"] = str(exc.extra["retry_after"])
        if wants_json():
            return jsonify(exc.to_json()), exc.status, headers
        return (
            render_template("error.html", status=exc.status, message=exc.message),
            exc.status,
            headers,
        )

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError):
        message = _(
            "Your form expired or was sent from another site. Please reload the page and try again."
        )
        if wants_json():
            return jsonify({"error": {"code": "forbidden", "message": message}}), 400
        return render_template("error.html", status=400, message=message), 400

    def _database_unavailable(exc: BaseException):
        """503 in the reader's language, rendered without the database: the person is
        not loaded (the language comes from ?lang, the cookie or Accept-Language), and
        what the request held is rolled back and given back."""
        from .extensions import db

        app.logger.warning(
            "database unavailable on %s %s: %s",
            request.method,
            request.path,
            getattr(exc, "orig", None) or exc,
        )
        g._login_user = login_manager.anonymous_user()  # a loaded one may need a refresh
        with contextlib.suppress(Exception):  # it is given back at teardown anyway
            db.session.rollback()
        sql.discard_live()
        message = str(UNAVAILABLE_PAGE)
        headers = {"Retry-After": str(UNAVAILABLE_RETRY_AFTER), "Cache-Control": "no-store"}
        if wants_json():
            body = {"error": {"code": "unavailable", "message": message}}
            return jsonify(body), 503, headers
        return render_template("error.html", status=503, message=message), 503, headers

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        original = getattr(exc, "original_exception", None)
        if original is not None and sql.unreachable(original):
            # Raised where Flask no longer asks the handlers below (an after_request).
            return _database_unavailable(original)
        messages = {
            400: _("The request could not be understood."),
            401: _("Please sign in first."),
            403: _("You may not do that."),
            404: _("This page does not exist."),
            405: _("This action is not allowed here."),
            413: _("What you sent is too large."),
            429: _("Too many requests. Please wait a moment."),
        }
        status = exc.code or 500
        message = messages.get(status, _("Something went wrong on our side."))
        if wants_json():
            codes = {
                400: "bad_request",
                401: "unauthorized",
                403: "forbidden",
                404: "not_found",
                405: "bad_request",
                413: "too_large",
                429: "rate_limited",
            }
            body = {"error": {"code": codes.get(status, "error"), "message": message}}
            return jsonify(body), status
        return render_template("error.html", status=status, message=message), status

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if sql.unreachable(exc):
            return _database_unavailable(exc)
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        from .extensions import db

        db.session.rollback()
        message = _("Something went wrong on our side. Nothing was saved; please try again.")
        if wants_json():
            return jsonify({"error": {"code": "server_error", "message": message}}), 500
        return render_template("error.html", status=500, message=message), 500

    @app.context_processor
    def _template_helpers():
        return {
            "languages": i18n.LANGUAGES,
            "current_language": i18n.current_language,
            "html_lang": i18n.html_lang,
            "html_lang_of": i18n.html_lang_of,
            "goal": sdgs.goal,
            "clock": clock,
            "user_zone": i18n.select_timezone,
            "iso_day": _iso_day,
        }

"""SDG Forum: live, cross-border class exchanges on the UN Sustainable Development Goals."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, Request, current_app

from .extensions import babel, csrf, db, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


class ForumRequest(Request):
    """Flask's request, whose body limit a view may raise for itself (``body_limit``):
    decided by the matched route before any of the body is read, so Flask-WTF's CSRF
    check, which reads a form before the view runs, is held to the same limit."""

    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is None and self.url_rule is not None and current_app:
            view = current_app.view_functions.get(self.url_rule.endpoint)
            limit = getattr(view, BODY_LIMIT, None)
            if limit is not None:
                return limit
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


BODY_LIMIT = "forum_max_content_length"


def body_limit(size: int):
    """Let one view take a body of up to ``size`` bytes instead of MAX_CONTENT_LENGTH."""

    def mark(view):
        setattr(view, BODY_LIMIT, size)
        return view

    return mark


class ForumApp(Flask):
    """Flask, with one URL adapter per WSGI environ.

    Flask-SocketIO runs every live event in a request context built from its
    connection's environ, which is the same for all the events of a connection;
    binding the URL map to it again was a third of each event's context.
    """

    request_class = ForumRequest

    def create_url_adapter(self, request):
        if request is None:
            return super().create_url_adapter(request)
        adapter = request.environ.get(_URL_ADAPTER)
        if adapter is None:
            adapter = request.environ[_URL_ADAPTER] = super().create_url_adapter(request)
        return adapter


_URL_ADAPTER = "forum.url_adapter"


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application; ``test_config`` overrides the environment."""
    instance = os.environ.get("FORUM_INSTANCE_PATH") or str(ROOT / "instance")
    app = ForumApp(
        __name__,
        instance_path=os.path.abspath(instance),
        instance_relative_config=True,
        static_folder=str(ROOT / "static"),
        template_folder=str(ROOT / "templates"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from .config import from_environment

    app.config.from_mapping(from_environment(Path(app.instance_path)))
    if test_config:
        app.config.update(test_config)

    db.init_app(app)
    from . import sql

    sql.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)

    from . import i18n

    babel.init_app(
        app,
        default_locale="zh_Hant_TW",
        default_translation_directories=str(ROOT / "translations"),
        default_timezone=i18n.DEFAULT_TIMEZONE,
        locale_selector=i18n.select_locale,
        timezone_selector=i18n.select_timezone,
    )
    app.after_request(i18n.save_choice)

    from . import web

    web.init_app(app)

    from .people import throttle

    throttle.init_app(app)

    from .live import init_socketio

    init_socketio(app)

    # The room and the board register their folds in the event catalogue on import;
    # an event type without one could be logged but never applied: refuse to start.
    from . import room  # noqa: F401
    from .log import events  # noqa: F401
    from .room import board  # noqa: F401

    if events.unfolded():
        raise RuntimeError(f"event types without a fold: {', '.join(events.unfolded())}")

    hops = app.config.get("FORUM_TRUSTED_PROXIES", 0)
    if hops:
        # Outermost, so Socket.IO's origin check and every request see the client's
        # address, scheme and host as the trusted proxies passed them on.
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Flask's documented way to wrap its WSGI app; mypy takes it for a method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )

    from .cli import forum_cli

    app.cli.add_command(forum_cli)
    return app

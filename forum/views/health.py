"""GET /healthz: may this process be sent people? For load balancers and monitoring.

200 ``{"status": "ok", ...}`` or 503 ``{"status": "unavailable", ...}``, with what was
checked: the database (``SELECT 1``), the message queue (a Redis PING) and this
process's heartbeat in ``servers`` (``live.servers``). It answers within a few
seconds whatever is down: it signs no one in and reads no cookie, needs no CSRF
token, skips the admission gate, and asks the database on a connection of its own
opened with a short timeout, never one waited for in the pool. Errors are a short
reason (``connection refused``, ``timed out``), never a URL, a name or a password.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, g, jsonify
from sqlalchemy.pool import NullPool

from .. import sql
from ..extensions import csrf, login_manager
from ..live import delivery
from ..live.servers import SERVER_ID, STALE_BEATS
from ..models import Server, utcnow

bp = Blueprint("health", __name__)
csrf.exempt(bp)
sql.OUTSIDE_GATE.add("health.healthz")

# Seconds each check may take: connecting, the statement, the queue's connect and PING.
TIMEOUT = 2


@bp.before_request
def _no_one():
    # A health check is no one's: a cookie sent along is not read, so neither this
    # view nor the headers added after it load a user from the database.
    g._login_user = login_manager.anonymous_user()


@bp.get("/healthz")
def healthz():
    database, heartbeat = _database_and_heartbeat()
    queue = _queue(current_app.config.get("FORUM_MESSAGE_QUEUE"))
    ok = database["ok"] and queue["ok"] and heartbeat["ok"]
    body = {
        "status": "ok" if ok else "unavailable",
        "database": database,
        "queue": queue,
        "heartbeat": heartbeat,
        # Counts only, for monitoring and the test that direct delivery still works.
        "delivery": delivery.counts.as_dict(),
    }
    return jsonify(body), 200 if ok else 503, {"Cache-Control": "no-store"}


def _database_and_heartbeat() -> tuple[dict[str, Any], dict[str, Any]]:
    running = bool(current_app.extensions.get("forum.heartbeat"))
    try:
        with _probe().connect() as conn:
            conn.execute(sa.text("SELECT 1"))
            seen_at = (
                conn.scalar(sa.select(Server.seen_at).where(Server.id == SERVER_ID))
                if running
                else None
            )
    except Exception as exc:
        current_app.logger.warning("health check: database: %s", _driver_error(exc))
        database = {"ok": False, "error": _reason(exc)}
        heartbeat = (
            {"ok": False, "running": True, "error": "database unavailable"}
            if running
            else {"ok": True, "running": False}
        )
        return database, heartbeat
    if not running:  # plain ``flask run``, tests: no heartbeat to look at
        return {"ok": True}, {"ok": True, "running": False}
    if seen_at is None:
        return {"ok": True}, {"ok": False, "running": True, "error": "not seen yet"}
    age = (utcnow() - seen_at).total_seconds()
    fresh = age < STALE_BEATS * current_app.config["FORUM_HEARTBEAT_SECONDS"]
    return {"ok": True}, {
        "ok": fresh,
        "running": True,
        "seen_at": seen_at.isoformat(timespec="seconds"),
        "age_seconds": round(age, 1),
    }


def _probe() -> sa.Engine:
    """An engine on the app's database that opens a fresh connection for each check,
    with short timeouts, and keeps none."""
    engine = current_app.extensions.get(_PROBE)
    if engine is None:
        url = sa.make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
        options = current_app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}
        connect_args = dict(options.get("connect_args") or {})
        if url.get_backend_name() == "postgresql":
            connect_args["connect_timeout"] = TIMEOUT  # also in the eventlet server (wsgi.py)
            connect_args["options"] = " ".join(
                filter(
                    None, [connect_args.get("options"), f"-c statement_timeout={TIMEOUT * 1000}"]
                )
            )
        elif url.get_backend_name() == "sqlite":
            connect_args["timeout"] = TIMEOUT
        engine = current_app.extensions[_PROBE] = sa.create_engine(
            url, poolclass=NullPool, connect_args=connect_args
        )
    return engine


_PROBE = "forum.health.probe"


def _queue(url: str | None) -> dict[str, Any]:
    if not url:
        return {"ok": True, "configured": False}
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return {"ok": True, "configured": True, "checked": False}  # kombu: not looked at
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT)
    try:
        client.ping()
    except Exception as exc:
        current_app.logger.warning("health check: queue: %s", exc)
        return {"ok": False, "configured": True, "error": _reason(exc)}
    finally:
        client.close()
    return {"ok": True, "configured": True}


def _driver_error(exc: BaseException) -> BaseException:
    """The driver's own error under SQLAlchemy's, without the statement."""
    return getattr(exc, "orig", None) or exc


REASONS = [
    ("timeout", "timed out"),
    ("timed out", "timed out"),
    ("refused", "connection refused"),
    ("password", "authentication failed"),
    ("authentication", "authentication failed"),
    ("could not translate host name", "unknown host"),
    ("relation", "not migrated"),
    ("name or service not known", "unknown host"),
    ("does not exist", "no such database or role"),
    ("unable to open database", "cannot open the database file"),
    ("no such table", "not migrated"),
]


def _reason(exc: BaseException) -> str:
    """A short reason that names nothing of the deployment."""
    error = _driver_error(exc)
    text = str(error).lower()
    for needle, reason in REASONS:
        if needle in text:
            return reason
    return type(error).__name__

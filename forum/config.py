"""Configuration read from the environment (see README, "Configuration")."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any


def _secret_key(instance_path: Path) -> str:
    """FORUM_SECRET_KEY, else a random key kept in the instance folder.

    A key made up per process would sign everybody out on every restart and
    break several processes sharing one database, so it is written once.
    """
    configured = os.environ.get("FORUM_SECRET_KEY")
    if configured:
        return configured
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _whole_number(name: str, default: int, *, minimum: int = 0) -> int:
    """An integer setting from the environment, or a message naming what is wrong."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < minimum:
        raise ValueError(f"{name} must be a whole number of at least {minimum}, not {raw!r}")
    return value


def _seconds(name: str, default: float, *, minimum: float = 0.1) -> float:
    """A duration in seconds from the environment, or a message naming what is wrong."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = None
    if value is None or not minimum <= value <= 3600:
        raise ValueError(f"{name} must be a number of seconds from {minimum} to 3600, not {raw!r}")
    return value


def _switch(name: str, default: bool) -> bool:
    """An on/off setting from the environment (1 or 0), or a message naming it."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if raw not in ("0", "1"):
        raise ValueError(f"{name} must be 1 (on) or 0 (off), not {raw!r}")
    return raw == "1"


def database_url(raw: str) -> str:
    """Pin PostgreSQL URLs to psycopg2, which eventlet can make cooperative
    (psycogreen, in wsgi.py); a bare postgresql:// would pick another driver."""
    for prefix in ("postgresql://", "postgres://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg2://" + raw[len(prefix) :]
    return raw


# Seconds to wait for PostgreSQL to accept a connection before the request that needed
# it is answered 503 (libpq counts whole seconds, at least 2).
CONNECT_TIMEOUT = 3


def engine_options(url: str) -> dict:
    """The pool for a database URL: its size, order, tests and timeouts."""
    options: dict[str, Any] = {
        # The most recently used connection first: on SQLite its page cache is the
        # warm one (a round-robin pool made every live event read pages back).
        "pool_use_lifo": True,
        # A fixed number per process; ``sql.Gate`` lets in half as many units
        # of work at once, so none ever waits for a connection while holding one.
        "pool_size": _whole_number("FORUM_DB_POOL_SIZE", 16, minimum=4),
        "max_overflow": 0,
    }
    if not url.startswith("sqlite"):
        # A connection taken from the pool is tested first (one round trip per
        # checkout; the live path's parked connections skip the pool): after the
        # database server restarts, the pool's dead connections are replaced instead
        # of failing the requests they are handed to. A SQLite file never goes away.
        options["pool_pre_ping"] = True
    if url.startswith("postgresql+psycopg2:") and "connect_timeout=" not in url:
        # An unreachable server (a dropped network, not a refusal) would otherwise
        # hold each request for the operating system's TCP timeout, minutes.
        options["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT}
    return options


def from_environment(instance_path: Path) -> dict:
    """Build the Flask config mapping from FORUM_* variables."""
    url = database_url(
        os.environ.get("FORUM_DATABASE_URL") or f"sqlite:///{instance_path / 'forum.sqlite3'}"
    )
    allowed = os.environ.get("FORUM_ALLOWED_ORIGINS", "")
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": {} if url.endswith(":memory:") else engine_options(url),
        "FORUM_MESSAGE_QUEUE": os.environ.get("FORUM_MESSAGE_QUEUE") or None,
        "FORUM_ASYNC_MODE": os.environ.get("FORUM_ASYNC_MODE", "eventlet"),
        # Messages to idle WebSocket connections written at once instead of through
        # engineio's per-connection queue (``live.delivery``; eventlet only).
        "FORUM_DIRECT_DELIVERY": _switch("FORUM_DIRECT_DELIVERY", True),
        # Socket.IO's ping: a client silent for interval + timeout seconds is closed.
        "FORUM_PING_INTERVAL": _seconds("FORUM_PING_INTERVAL", 25.0),
        "FORUM_PING_TIMEOUT": _seconds("FORUM_PING_TIMEOUT", 20.0),
        # At most one presence snapshot per room and process this often
        # (``live.presence``); 0 sends one on every change.
        "FORUM_PRESENCE_SECONDS": _seconds("FORUM_PRESENCE_SECONDS", 1.0, minimum=0.0),
        # In-process tests only: run disconnect clean-ups and presence snapshots in the
        # event's own thread, so a test sees their effects as soon as the call returns.
        "FORUM_LIVE_INLINE": False,
        # Whether a WebSocket that offers permessage-deflate (browsers do) gets it
        # (``live.compression``). Off: for chat-sized frames it cost more CPU and memory
        # than it saved (README, "Live-room benchmark": 1,200 students, 81.5 against
        # 35.2 ms of CPU per 1,000 deliveries, p95 34 against 7 ms, 450 against 208 MB),
        # as socket.io's own server decides.
        "FORUM_WS_DEFLATE": _switch("FORUM_WS_DEFLATE", False),
        # How many client connections (HTTP and live) one process holds at once:
        # eventlet's WSGI server pool (``wsgi.py``); ``capacity`` sees to the open files.
        "FORUM_MAX_CONNECTIONS": _whole_number("FORUM_MAX_CONNECTIONS", 10_000, minimum=1),
        "FORUM_HOST": os.environ.get("FORUM_HOST", "127.0.0.1"),
        "FORUM_PORT": _whole_number("FORUM_PORT", 5000, minimum=1),
        # How often each server process notes that it is alive (``live.servers``); the
        # connections of a process not seen for three beats are swept. The same on
        # every process sharing a database.
        "FORUM_HEARTBEAT_SECONDS": float(os.environ.get("FORUM_HEARTBEAT_SECONDS", "15")),
        # Origins other than the app's own that may open Socket.IO connections.
        "FORUM_ALLOWED_ORIGINS": [o.strip() for o in allowed.split(",") if o.strip()],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("FORUM_SECURE_COOKIES", "") == "1",
        "SESSION_COOKIE_NAME": "forum_session",
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * 12,
        "WTF_CSRF_TIME_LIMIT": None,  # tied to the sign-in session instead
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "FORUM_EVIDENCE_KEY": os.environ.get("FORUM_EVIDENCE_KEY") or None,
        "BABEL_DEFAULT_LOCALE": "zh_Hant_TW",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Taipei",
        # Sign-in throttling: this many failed passwords per window per account and
        # address (``people.signin``: more per address, many more for access codes).
        "SIGNIN_MAX_FAILURES": _whole_number("FORUM_SIGNIN_MAX_FAILURES", 5, minimum=1),
        "SIGNIN_WINDOW_SECONDS": _whole_number("FORUM_SIGNIN_WINDOW_SECONDS", 300, minimum=1),
        # Reverse proxies in front of the server whose X-Forwarded-For, -Proto and -Host
        # are believed (werkzeug's ProxyFix); 0 = none, the peer is the client.
        "FORUM_TRUSTED_PROXIES": _whole_number("FORUM_TRUSTED_PROXIES", 0, minimum=0),
    }

"""Which server processes are alive, and what a dead one leaves behind.

Each process serving live rooms notes itself in ``servers`` every
FORUM_HEARTBEAT_SECONDS, and the ``connections`` rows it writes carry its id. A
process that dies without a word (SIGKILL, out of memory, a power cut) never runs
its disconnect handlers: its rows would show those people online for good, and
their next join would log no ``member.joined``. So every process, when it starts
and at every beat, sweeps the connections of processes not seen for
``STALE_BEATS`` beats: each row goes the way a disconnect would have taken it
(``attendance.end_connection``), so whoever has no other connection to that room is
logged as having left it, and the room is told who is here.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, current_app

from .. import sql
from ..extensions import db, socketio
from ..models import Connection, Server, User, utcnow
from . import attendance

log = logging.getLogger(__name__)

# This process, for its rows in ``connections``; made once per process.
SERVER_ID = secrets.token_hex(16)
# A process not seen for this many beats is taken for dead.
STALE_BEATS = 3


def beat() -> None:
    """Note that this process is alive now."""
    now = utcnow()
    server = db.session.get(Server, SERVER_ID)
    if server is None:
        db.session.add(Server(id=SERVER_ID, started_at=now, seen_at=now))
    else:
        server.seen_at = now
    db.session.commit()


def sweep() -> int:
    """End the connections held by processes taken for dead, and forget those
    processes; returns how many connections were ended."""

    cutoff = utcnow() - timedelta(
        seconds=STALE_BEATS * current_app.config["FORUM_HEARTBEAT_SECONDS"]
    )
    alive = sa.select(Server.id).where(Server.seen_at >= cutoff)
    # Rows without a server id were written before servers were noted: their
    # processes were stopped for the upgrade.
    orphans = db.session.execute(
        sa.select(Connection.sid, Connection.session_id, Connection.user_id).where(
            sa.or_(Connection.server_id.is_(None), Connection.server_id.not_in(alive))
        )
    ).all()
    db.session.rollback()
    for sid, session_id, user_id in orphans:
        try:
            attendance.end_connection(sid, db.session.get(User, user_id), session_id)
        except Exception:
            log.exception("could not end connection %s to session %s", sid, session_id)
            db.session.rollback()
    # A dead process with nothing left to sweep is forgotten.
    db.session.execute(
        sa.delete(Server).where(
            Server.seen_at < cutoff, ~sa.exists().where(Connection.server_id == Server.id)
        )
    )
    db.session.commit()
    if orphans:
        log.info(
            "swept %d connections of server processes not seen since %s",
            len(orphans),
            cutoff.isoformat(timespec="seconds"),
        )
    return len(orphans)


def start(app: Flask) -> None:
    """Beat and sweep in the background, from now on, as long as the server runs."""

    def run() -> None:
        while True:
            try:
                with app.app_context(), sql.admitted():
                    beat()
                    sweep()
            except Exception as exc:
                if sql.unreachable(exc):  # an outage: said once per beat, without a trace
                    log.warning(
                        "heartbeat: database unavailable (%s); trying again at the next beat",
                        exc.__class__.__name__,
                    )
                else:
                    log.exception("heartbeat failed; trying again at the next beat")
            socketio.sleep(app.config["FORUM_HEARTBEAT_SECONDS"])

    app.extensions["forum.heartbeat"] = True  # what /healthz looks at (views.health)
    socketio.start_background_task(run)

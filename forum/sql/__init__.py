"""The database as the live path uses it, beside the ORM: ``connections`` (plain DB-API
statements on db.session's connection or a live one of the app context's own, and the
values they cross) and ``admission`` (the gate every unit of work passes to use the
database, sized to the pool; which failures mean the database is out of reach).
"""

from __future__ import annotations

from flask import Flask

from . import admission, connections
from .admission import (
    OUTSIDE_GATE,
    PER_UNIT,
    WAIT,
    Gate,
    Unavailable,
    admitted,
    unreachable,
)
from .connections import (
    PARKED,
    Columns,
    Statements,
    commit_session,
    discard_live,
    dumps,
    end_read_only_session,
    live,
    loads,
    moment,
    reader,
    release_live,
    session_has_flushed_writes,
    session_has_writes,
    session_in_transaction,
    statements,
)

__all__ = [
    "OUTSIDE_GATE",
    "PARKED",
    "PER_UNIT",
    "WAIT",
    "Columns",
    "Gate",
    "Statements",
    "Unavailable",
    "admitted",
    "commit_session",
    "discard_live",
    "dumps",
    "end_read_only_session",
    "init_app",
    "live",
    "loads",
    "moment",
    "reader",
    "release_live",
    "session_has_flushed_writes",
    "session_has_writes",
    "session_in_transaction",
    "statements",
    "unreachable",
]


def init_app(app: Flask) -> None:
    """The app's parked live connections, closed when its engine is disposed, and
    its admission gate (``admitted``)."""
    connections.init_app(app)
    admission.init_app(app)

"""Admission: at most so many units of work (a live event, an HTTP request, a
heartbeat) use the database at once, so that all of them together never need more
connections than the pool has; and which failures mean the database is out of reach
(``Unavailable``, ``unreachable``) rather than a fault in what was asked.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g, request
from sqlalchemy import exc as sa_exc

from ..extensions import db
from .connections import release_live

# The most pooled connections one unit of work (a live event, an HTTP request, a
# heartbeat) holds at once: its live connection and ``db.session``'s. Disconnect
# handlers run as units of their own (``live.handlers``), never inside another, and
# nothing is held while the room is told (``room.record``).
PER_UNIT = 2


# How long a unit of work waits to come in before it is told the database is
# unavailable: a live event must be answered within 10 s whatever has failed.
WAIT = 4.0


class Unavailable(Exception):
    """The database cannot be used just now (unreachable, or too slow to let anyone
    in); nothing was stored, and the same request may be made again."""


def unreachable(exc: BaseException) -> bool:
    """Is this failure the database being out of reach (or too busy), rather than a
    fault in what was asked? Such a failure is answered ``unavailable``, not as a bug."""
    if isinstance(
        exc,
        Unavailable
        | sa_exc.TimeoutError
        | sa_exc.DisconnectionError
        | sa_exc.OperationalError
        | sa_exc.InterfaceError,
    ):
        return True
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    # The live path's plain statements raise the driver's own errors, unwrapped.
    return type(exc).__name__ in ("OperationalError", "InterfaceError") and type(
        exc
    ).__module__.split(".")[0] in ("sqlite3", "psycopg2")


class Gate:
    """Lets at most ``slots`` units of work use the database at once, so that all of
    them together never need more connections than the pool has.

    Without it a crowd outgrew the pool: on PostgreSQL a greenlet waiting for the
    database lets others run, and when 200 connections joined a room at once every
    pooled connection ended up held by a unit waiting for a second one; they all
    waited out the pool's timeout and failed. Waiting here, a unit holds nothing. A
    unit already inside (a handler run within another) passes at once.
    """

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._free = threading.BoundedSemaphore(slots)
        self._inside = threading.local()  # per greenlet under eventlet

    @classmethod
    def for_pool(cls, pool) -> Gate | None:
        """A gate sized to a queue pool; None for pools that never make one wait."""
        size, overflow = getattr(pool, "size", None), getattr(pool, "_max_overflow", None)
        if not callable(size) or overflow is None or overflow < 0:
            return None  # SingletonThreadPool, StaticPool, NullPool: nothing to wait for
        return cls(max(1, (size() + overflow) // PER_UNIT))

    def depth(self) -> int:
        """How many units this thread (greenlet) is inside, one within another."""
        return getattr(self._inside, "depth", 0)

    def enter(self) -> None:
        """Come in, waiting at most ``WAIT`` seconds for a slot (else ``Unavailable``:
        the database is too slow or gone, and every unit inside is stuck on it)."""
        depth = self.depth()
        if depth == 0 and not self._free.acquire(timeout=WAIT):
            raise Unavailable("no database slot came free")
        self._inside.depth = depth + 1

    def leave(self) -> None:
        self._inside.depth -= 1
        if self._inside.depth == 0:
            self._free.release()


@contextmanager
def admitted() -> Iterator[None]:
    """Run one unit of work's database use through the app's gate. Its connections
    are given back before it leaves: nothing it holds outlives its slot."""
    gate = current_app.extensions.get(_GATE)
    if gate is None:
        yield
        return
    gate.enter()
    try:
        yield
    finally:
        _leave(gate)


def _leave(gate: Gate, exc: BaseException | None = None) -> None:
    """Leave the gate; the outermost unit first gives back its connections."""
    try:
        if gate.depth() == 1:
            db.session.remove()
            release_live(exc)
    finally:
        gate.leave()


# Endpoints that use no pooled connection and must answer however full the gate is
# (the health check, ``views.health``).
OUTSIDE_GATE: set[str] = set()


def _admit_request() -> None:
    gate = current_app.extensions.get(_GATE)
    if gate is not None and _ADMITTED not in g and request.endpoint not in OUTSIDE_GATE:
        gate.enter()
        g.setdefault(_ADMITTED, gate)


def _release_request(exc: BaseException | None = None) -> None:
    gate = g.pop(_ADMITTED, None)
    if gate is not None:
        _leave(gate, exc)


def init_app(app: Flask) -> None:
    """The app's admission gate (``admitted``), sized to its pool."""
    with app.app_context():
        app.extensions[_GATE] = Gate.for_pool(db.engine.pool)
    # HTTP requests pass the gate too, first, before any hook that may read the
    # database; live events pass it in their handlers (``live.handlers``).
    app.before_request_funcs.setdefault(None, []).insert(0, _admit_request)
    app.teardown_request(_release_request)


_GATE = "forum.sql.gate"
_ADMITTED = "forum.sql.admitted"

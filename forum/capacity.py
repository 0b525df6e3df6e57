"""How many people one server process holds at once, and the open files that takes.

``python wsgi.py`` serves at most FORUM_MAX_CONNECTIONS client connections at a time
(HTTP and live alike; eventlet's WSGI server pool). Each is an open file descriptor,
and so is every database and queue connection, the listening socket, the log and,
on SQLite, the database's own files. Many systems start a process with a soft limit
of 1,024 open files: past it ``accept`` fails and the server stops. So at start the
soft limit is raised as far as the setting needs and the hard limit allows, and when
even the hard limit is too low the log says so (see README, "Open files").
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

log = logging.getLogger(__name__)

# Files a process holds besides its clients' and database connections: the listening
# socket, logs, SQLite's database, journal and shared-memory files, the queue's
# connections, health checks' own database connections, what libraries open.
MARGIN = 64


def other_files(config: Mapping[str, Any]) -> int:
    """Open files a process may hold besides its client connections."""
    return config.get("SQLALCHEMY_ENGINE_OPTIONS", {}).get("pool_size", 5) + MARGIN


def raise_open_files_limit(config: Mapping[str, Any]) -> int:
    """Raise this process's soft RLIMIT_NOFILE to what FORUM_MAX_CONNECTIONS needs if
    it is lower, as far as the hard limit allows, and warn when that is not enough.
    Returns the soft limit now in force."""
    others = other_files(config)
    needed = config["FORUM_MAX_CONNECTIONS"] + others
    try:
        import resource
    except ImportError:  # not a Unix: no such limit to raise
        return needed
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return soft
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if target > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as exc:
            log.warning("could not raise the open files limit to %d: %s", target, exc)
    if soft < needed:
        log.warning(
            "FORUM_MAX_CONNECTIONS=%d needs about %d open files, but this process may "
            "open only %d (hard limit %s): connections past about %d will fail. Raise "
            "the limit (LimitNOFILE= in the systemd unit, ulimit -n in the shell that "
            "starts the server) or lower FORUM_MAX_CONNECTIONS.",
            config["FORUM_MAX_CONNECTIONS"],
            needed,
            soft,
            "unlimited" if hard == resource.RLIM_INFINITY else hard,
            max(0, soft - others),
        )
    return soft


class ArrivalsTakeTurns:
    """A listening socket that accepts at most ``PER_TURN`` connections per turn of the
    server's event loop (``sleep(0)`` gives the turn up: ``eventlet.sleep`` in
    ``python wsgi.py``).

    eventlet's accept loop takes every connection waiting in the backlog at once, and
    all of them start in the hub's next turn. A class of 300 reconnecting together
    then ran 300 handshakes before the hub read any socket again, and a message from a
    student already in the room waited behind them all: in the storm benchmark the
    chat handlers ran in ~5 ms once started, yet the chatters' acks took up to 2 s.
    Giving the turn up after every few accepts lets the hub read the open connections
    between arrivals (acks p95 302 ms, at the same hour). One accept per turn made the
    storm itself last twice as long; 16 left acks p95 at 608 ms."""

    PER_TURN = 8

    def __init__(self, listener: Any, sleep: Callable[[float], Any]) -> None:
        self._listener, self._sleep = listener, sleep
        self._taken = 0

    def accept(self) -> Any:
        self._taken += 1
        if self._taken >= self.PER_TURN:
            self._taken = 0
            self._sleep(0)  # every open socket is read before more arrivals start
        return self._listener.accept()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._listener, name)  # getsockname, close: eventlet.wsgi's others

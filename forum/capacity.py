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
from collections.abc import Mapping
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

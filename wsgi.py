"""Entry point: ``python wsgi.py`` serves the app; ``flask --app wsgi`` runs commands.

This is the only module that may know about eventlet: everything else runs under
whatever FORUM_ASYNC_MODE names (eventlet, gevent or threading).
"""

import os
import warnings

# Eventlet warns on import that it is in maintenance mode; we know (see README).
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

if __name__ == "__main__" and os.environ.get("FORUM_ASYNC_MODE", "eventlet") == "eventlet":
    import eventlet

    eventlet.monkey_patch()
    # psycopg2 waits on PostgreSQL through libpq; this lets eventlet switch meanwhile.
    import re
    import time

    import psycopg2.extensions
    from eventlet.hubs import trampoline
    from psycogreen.eventlet import eventlet_wait_callback

    _CONNECT_TIMEOUT = re.compile(r"\bconnect_timeout=(\d+)")

    def _green_wait(conn, timeout=None) -> None:
        """psycogreen's wait, except that a connection attempt gives up after the DSN's
        connect_timeout (config.CONNECT_TIMEOUT): libpq counts it only when it waits
        itself, and a server that drops packets would hold each request for minutes."""
        if conn.status != psycopg2.extensions.STATUS_SETUP:
            return eventlet_wait_callback(conn)  # a statement: no change
        setting = _CONNECT_TIMEOUT.search(conn.dsn or "")
        if not setting:
            return eventlet_wait_callback(conn)
        deadline = time.monotonic() + max(2, int(setting.group(1)))
        while (state := conn.poll()) != psycopg2.extensions.POLL_OK:
            if state not in (psycopg2.extensions.POLL_READ, psycopg2.extensions.POLL_WRITE):
                raise psycopg2.OperationalError(f"Bad result from poll: {state!r}")
            trampoline(
                conn.fileno(),
                read=state == psycopg2.extensions.POLL_READ,
                write=state == psycopg2.extensions.POLL_WRITE,
                timeout=max(0.0, deadline - time.monotonic()),
                timeout_exc=psycopg2.OperationalError("timeout expired"),
            )
        return None

    psycopg2.extensions.set_wait_callback(_green_wait)

from forum import create_app  # noqa: E402
from forum.extensions import socketio  # noqa: E402

app = create_app()


def serve_eventlet() -> None:
    """Serve with eventlet's WSGI server on a listening socket with TCP_NODELAY (Linux
    passes it on to accepted connections): otherwise an ack written right after a
    broadcast can wait ~40 ms for the client's delayed ACK."""
    import socket

    import eventlet.wsgi

    from forum import capacity

    host, port = app.config["FORUM_HOST"], app.config["FORUM_PORT"]
    family, *_, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    listener = eventlet.listen(address, family)
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    # One green thread per client connection, HTTP or live, up to this many at once;
    # more wait to be accepted. eventlet's own default, 1,024, is one big class day.
    eventlet.wsgi.server(
        capacity.ArrivalsTakeTurns(listener, eventlet.sleep),
        app,
        max_size=app.config["FORUM_MAX_CONNECTIONS"],
        log_output=os.environ.get("FORUM_ACCESS_LOG", "1") == "1",
    )


def settle_heap() -> None:
    """Tune the garbage collector for a long-running server.

    What start-up made (modules, the ORM's metadata, catalogs) is frozen out of the
    full passes: a busy room's heap is mostly that, and each full pass over it
    stopped every connection for ~0.1 s. The youngest generation is collected every
    10,000 allocations instead of 700: each live event leaves a few hundred objects
    in flight (packets queued to 20 sockets), which the default collected about
    every seventh message, at ~0.5 ms a pass.
    """
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


if __name__ == "__main__":
    settle_heap()
    from forum import capacity

    capacity.raise_open_files_limit(app.config)  # FORUM_MAX_CONNECTIONS files, and more
    from forum.live import servers

    servers.start(app)  # heartbeat; sweeps what a killed process left in its rooms
    if app.config["FORUM_ASYNC_MODE"] == "eventlet":
        serve_eventlet()
    else:
        socketio.run(
            app,
            host=app.config["FORUM_HOST"],
            port=app.config["FORUM_PORT"],
            log_output=os.environ.get("FORUM_ACCESS_LOG", "1") == "1",
            allow_unsafe_werkzeug=True,
        )

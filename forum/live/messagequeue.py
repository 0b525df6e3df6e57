"""Several processes on ``FORUM_MESSAGE_QUEUE`` (Redis): ``QueueManager``, the
client manager that relays what arrives from the queue, and from this process, as
``relay.LocalManager`` does (through the sequencer, in seq order); publishes on a
greenlet of its own, never in the writer's; logs an outage once when it starts and
once when it ends, and at its end has every room this process serves catch up from
the log.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Any

import socketio
from flask import Flask

from . import observers
from .relay import Relayed, Sequencer, local_emit, told_to_a_room

log = logging.getLogger("forum.live")

# Publishing waits this long for Redis to answer, connecting or sending.
QUEUE_TIMEOUT = 3.0
# The most messages kept to publish while the queue is down; the oldest go first
# (room events are caught up from the log; presence is sent again).
MAX_OUTBOX = 10_000


class QueueManager(Relayed, socketio.RedisManager):
    """Several processes on Redis, with the sequencer on every process's receiving
    side, publishing on a greenlet of its own, and outages logged and caught up."""

    def __init__(self, app: Flask, url: str, channel: str = "flask-socketio") -> None:
        super().__init__(
            url,
            channel=channel,
            redis_options={"socket_connect_timeout": QUEUE_TIMEOUT, "socket_keepalive": True},
        )
        self.app = app
        self.sequencer = None
        self.observers = observers.Observers(app, self)
        self._outbox: deque[dict[str, Any]] = deque()
        self._wake: Any = None
        self._publisher: Any = None  # the Redis client that publishes
        self._down_since: float | None = None
        self._health_lock = threading.Lock()

    def initialize(self) -> None:
        self.sequencer = Sequencer(
            self.app, local_emit(self), self.server.start_background_task, self.server.sleep
        )
        self._wake = self.server.eio.create_event()
        super().initialize()
        self.server.start_background_task(self._publish_forever)

    # --- the queue's health ----------------------------------------------------------

    @property
    def reachable(self) -> bool:
        return self._down_since is None

    def _went_down(self, exc: BaseException) -> None:
        with self._health_lock:
            if self._down_since is not None:
                return
            self._down_since = time.monotonic()
        log.warning(
            "message queue unreachable: %s; live events still reach this "
            "process's rooms, other processes' rooms catch up when it is back",
            exc.__class__.__name__,
        )

    def _came_back(self) -> bool:
        """Log the end of an outage (once) and catch up; False if none was under way."""
        with self._health_lock:
            if self._down_since is None:
                return False
            seconds, self._down_since = time.monotonic() - self._down_since, None
        log.warning("message queue reachable again after %.0f s; catching up", seconds)
        self._catch_up()
        return True

    def _catch_up(self) -> None:
        """Every session this process has people in reads what it may have missed."""
        from . import presence
        from .rooms import NAMESPACE, session_of

        rooms = self.rooms.get(NAMESPACE, {})
        session_ids = sorted({s for s in map(session_of, list(rooms)) if s is not None})
        if self.sequencer is not None:
            self.sequencer.catch_up(session_ids)
        for session_id in session_ids:
            presence.changed(self.app, session_id)

    # --- receiving --------------------------------------------------------------------

    def _handle_emit(self, message: dict[str, Any]) -> None:
        event = message.get("event", "")
        if told_to_a_room(
            event, message.get("namespace"), message.get("room"), message.get("callback")
        ):
            data = message["data"]
            self._relay(
                event,
                data[0] if isinstance(data, list) else data,
                lambda: super(QueueManager, self)._handle_emit(message),
            )
            return
        super()._handle_emit(message)

    def _redis_listen_with_retries(self):  # pragma: no cover - exercised by real servers
        """As python-socketio's, with the outage logged once and caught up after."""
        retry = 1.0
        subscribed = missed = False
        while True:
            try:
                if not subscribed:
                    self._redis_connect()
                    self.pubsub.subscribe(self.channel)
                    subscribed = True
                    retry = 1.0
                    # Whatever was published while this process was not listening is
                    # read from the log, even if publishing noticed the return first.
                    if not self._came_back() and missed:
                        self._catch_up()
                    missed = False
                yield from self.pubsub.listen()
            except Exception as exc:
                self._went_down(exc)
                subscribed, missed = False, True
                time.sleep(retry)
                retry = min(retry * 2, 10.0)

    # --- publishing -------------------------------------------------------------------

    def _publish(self, data: dict[str, Any]) -> None:
        """Queue a message for the publisher greenlet: the caller (a writer, a
        handler) never waits for Redis. A process serving no connections yet (a
        command, the first request) has no greenlet: it publishes at once."""
        if self._wake is None:
            try:
                self._send(data)
            except Exception as exc:
                self._went_down(exc)
                self._publisher = None
            return
        self._outbox.append(data)
        if len(self._outbox) > MAX_OUTBOX:
            self._outbox.popleft()
        self._wake.set()

    def _send(self, data: dict[str, Any]) -> None:
        if self._publisher is None:
            self._publisher = self._get_redis_module().Redis.from_url(
                self.redis_url,
                socket_connect_timeout=QUEUE_TIMEOUT,
                socket_timeout=QUEUE_TIMEOUT,
                socket_keepalive=True,
            )
        self._publisher.publish(self.channel, self.json.dumps(data))

    def _publish_forever(self) -> None:  # pragma: no cover - exercised by real servers
        retry = 0.5
        while True:
            if not self._outbox:
                self._wake.wait()
                self._wake.clear()
                continue
            try:
                while self._outbox:
                    self._send(self._outbox[0])
                    self._outbox.popleft()
            except Exception as exc:
                self._went_down(exc)
                self._publisher = None
                time.sleep(retry)
                retry = min(retry * 2, 5.0)
            else:
                retry = 0.5
                self._came_back()

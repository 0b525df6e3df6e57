"""Direct delivery: a message to an idle WebSocket is written at once, not queued.

python-engineio gives every connection a queue and a writer greenlet. Each packet
sent to a client is put on the queue; the writer wakes (a greenlet switch and a hub
timer), takes it with a fresh 45-second timeout (another timer, started and
cancelled), frames it and writes it. In a room of twenty that is twenty wake-ups per
message. In a profile of a bare python-socketio broadcast server the writers took
half of all its CPU, two thirds of that outside the socket writes themselves; the
same server delivering as below used half the CPU per delivery (``benchmarks/``).

Here a MESSAGE packet for a WebSocket connection whose writer is idle — nothing
queued, the writer parked in ``get``, no frame half-written — is framed once for
every recipient of an emit and written straight to the socket, without blocking:
whatever the kernel does not take at once goes on the queue for the writer, ahead
of anything sent later, so the order of packets on a connection never changes.
A busy connection, a slow reader, a polling client, pings and the close all take the
usual path. A connection whose write fails is handed to the writer, which meets the
same error and closes it as it always did.

Only MESSAGE packets go direct: engineio's writer gives up on a connection when its
queue has been empty for ping interval + ping timeout, and the server's PING every
ping interval, still queued, is what keeps it waiting.

``install(server)`` sets this up on one python-socketio (or Flask-SocketIO's)
server, with the eventlet async mode; other modes are left as they are.
"""

from __future__ import annotations

import logging
from typing import Any

from engineio import packet as eio_packet

log = logging.getLogger(__name__)


class Counts:
    """MESSAGE packets for open WebSockets since the process started: written straight
    to the socket (``direct``), or left to engineio's queue because the connection
    was busy (``queued``). Shown by /healthz; a test checks that a room's chat goes
    direct, so a release of engineio or eventlet that turns this path off (see
    ``_compatible``) fails CI instead of only slowing the server down."""

    __slots__ = ("direct", "queued")

    def __init__(self) -> None:
        self.direct = 0
        self.queued = 0

    def as_dict(self) -> dict[str, int]:
        return {"direct": self.direct, "queued": self.queued}


counts = Counts()


class _Tail(bytes):
    """The unsent end of a frame, queued for the writer to send as it is."""

    def encode(self, b64: bool = False) -> _Tail:  # the writer calls pkt.encode()
        return self


class _Frames:
    """The last packet framed, so an emit to a room frames its packet once.

    python-socketio's emit sends the same Packet object to every recipient in turn;
    holding it keeps its identity from being reused while it is cached."""

    __slots__ = ("frame", "packet")

    def __init__(self) -> None:
        self.packet: Any = None
        self.frame = b""

    def of(self, pkt: Any, ws: Any) -> bytes:
        if pkt is not self.packet:
            # Unmasked, uncompressed: what a server sends on a connection without
            # permessage-deflate (those are framed by their own ``ws``, below).
            self.frame = ws._pack_message(pkt.encode())
            self.packet = pkt
        return self.frame


class DirectSocket:
    """Wraps one engineio Socket's ``send`` once its WebSocket is open."""

    __slots__ = ("deflate", "fd", "frames", "queued_send", "sock", "ws")

    def __init__(self, sock: Any, ws: Any, frames: _Frames) -> None:
        self.sock, self.ws, self.frames = sock, ws, frames
        self.queued_send = sock.send  # engineio's own: check, then queue
        self.fd = ws.socket.fd  # the non-blocking OS socket under eventlet's GreenSocket
        # Settled by the handshake, before this is made.
        self.deflate = ws.extensions.get("permessage-deflate") is not None

    def send(self, pkt: Any) -> None:
        sock, ws = self.sock, self.ws
        if (
            pkt.packet_type != eio_packet.MESSAGE
            or pkt.binary
            or sock.closing
            or sock.closed
            or sock.upgrading
            or not sock.upgraded
            or ws.websocket_closed
            or sock.queue.qsize()
            or not sock.queue.getting()
            or ws._sendlock.locked()
        ):
            if pkt.packet_type == eio_packet.MESSAGE:
                counts.queued += 1
            self.queued_send(pkt)
            return
        if not sock.check_ping_timeout():  # as engineio's send: a gone client is closed
            return
        counts.direct += 1
        # A deflate connection's compressor is its own and remembers what it has
        # compressed: the frame it makes here is the one the connection must carry next.
        frame = ws._pack_message(pkt.encode()) if self.deflate else self.frames.of(pkt, ws)
        try:
            sent = self.fd.send(frame)
        except OSError:  # full (BlockingIOError) or broken: the writer takes over
            sent = 0
        if sent < len(frame):
            # The rest waits on the queue, ahead of anything sent later. On a broken
            # connection the writer meets the same error and closes it, as it would.
            sock.queue.put(_Tail(frame[sent:]))


def install(server: Any) -> bool:
    """Deliver directly on this Socket.IO server's WebSocket connections (eventlet
    only). Returns whether it was installed."""
    eio = getattr(server, "eio", None)
    if eio is None or getattr(eio, "async_mode", None) != "eventlet":
        return False
    base = eio._async.get("websocket")
    if base is None or getattr(base, "forum_direct", False):
        return False
    frames = _Frames()

    class DirectWebSocketWSGI(base):  # type: ignore[misc, valid-type]
        """engineio's eventlet WebSocket app, handing each open WebSocket to
        ``DirectSocket`` before engineio's handler runs."""

        forum_direct = True

        def __init__(self, handler: Any, server: Any) -> None:
            super().__init__(_direct(handler, frames), server)

    # The server's own copy of the driver table: other servers keep theirs.
    eio._async = {**eio._async, "websocket": DirectWebSocketWSGI}
    return True


def _direct(handler: Any, frames: _Frames) -> Any:
    """engineio's ``Socket._websocket_handler``, with its socket's sends made direct
    and its WebSocket's send taught to pass a queued frame tail through unframed."""
    sock: Any = getattr(handler, "__self__", None)

    def run(ws: Any) -> Any:
        if _compatible(sock, ws):
            framed_send = ws.send

            def send(message: Any, **kw: Any) -> None:
                if type(message) is _Tail:
                    ws._send(message)
                else:
                    framed_send(message, **kw)

            ws.send = send
            sock.send = DirectSocket(sock, ws, frames).send
        return handler(ws)

    return run


def _compatible(sock: Any, ws: Any) -> bool:
    """Are the engineio socket and eventlet WebSocket what this module was written
    against? If a new release of either moves them, the connection keeps the queue:
    slower, never wrong."""
    queue = getattr(sock, "queue", None)
    green: Any = getattr(ws, "socket", None)
    ok = (
        all(hasattr(sock, name) for name in _SOCKET_NEEDS)
        and all(hasattr(queue, name) for name in ("qsize", "getting", "put"))
        and all(hasattr(ws, name) for name in _WEBSOCKET_NEEDS)
        and hasattr(ws._sendlock, "locked")
        and hasattr(green, "fd")
        and hasattr(green.fd, "send")
    )
    if not ok and not _warned:
        _warned.append(True)
        log.warning("direct delivery is off: engineio or eventlet is not as expected")
    return ok


_SOCKET_NEEDS = ("send", "closing", "closed", "upgrading", "upgraded", "check_ping_timeout")
_WEBSOCKET_NEEDS = ("send", "_send", "_pack_message", "_sendlock", "extensions", "websocket_closed")
_warned: list[bool] = []

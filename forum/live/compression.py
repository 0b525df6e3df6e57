"""FORUM_WS_DEFLATE=0: live WebSockets without permessage-deflate.

Browsers and the official socket.io client offer permessage-deflate on every
WebSocket, and eventlet's WebSocketWSGI accepts whatever is offered: it reads the
offer from the environ (``HTTP_SEC_WEBSOCKET_EXTENSIONS``) in its handshake, and has
no setting to decline it. Compression costs each connection a compressor (zlib's
window, its memory) and each message a compression per connection: a compressed
connection cannot share the frame written once per emit (``delivery``), and the
chat's short messages shrink little. So when it is switched off, the offer is taken
out of the environ of Socket.IO requests before the engine sees it: the handshake
answers without the extension and the connection stays plain, as the WebSocket
protocol allows a server to. ``delivery`` reads ``ws.extensions`` at the handshake,
so it frames such connections once per emit like any other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


class DeclineDeflate:
    """WSGI middleware: Socket.IO requests reach the engine without any
    ``Sec-WebSocket-Extensions`` offer; every other request is left alone."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], path: str) -> None:
        self.wsgi_app = wsgi_app
        self.path = path

    def __call__(self, environ: dict[str, Any], start_response) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith(self.path):
            environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return self.wsgi_app(environ, start_response)

"""Direct delivery (``forum.live.delivery``) against a real eventlet server.

Messages to an idle WebSocket are written straight to the socket; what the kernel
does not take at once waits on the connection's queue. These tests drive that edge
with raw WebSocket clients: one that stops reading while the room floods (its frames
must arrive whole and in order when it reads again, and it must hold no one else
up), with and without permessage-deflate (whose compressor remembers every frame).
Each runs against the same server with engineio's queue only, as the reference.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from servers import ROOT

from forum.live import delivery

pytestmark = pytest.mark.server

FLOOD = 600  # items of SIZE characters: ~10 MB, more than loopback buffers hold
SIZE = 16_000


class RawClient:
    """A Socket.IO client on a bare TCP socket, reading frames itself."""

    def __init__(self, port: int, *, deflate: bool = False, small_buffer: bool = False) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if small_buffer:  # a reader the server quickly fills up
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(60)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        extensions = "Sec-WebSocket-Extensions: permessage-deflate\r\n" if deflate else ""
        self.sock.sendall(
            (
                f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{extensions}\r\n"
            ).encode()
        )
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._recv()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101"), head
        self.deflated = b"permessage-deflate" in head.lower()
        self.inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        assert self.text().startswith("0")  # engine.io open
        self.send_text("40")
        assert self.text().startswith("40")  # socket.io connected

    def _recv(self) -> bytes:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        return chunk

    def _take(self, n: int) -> bytes:
        while len(self.buffer) < n:
            self.buffer += self._recv()
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def text(self) -> str:
        """The next text message, inflated if it was compressed."""
        while True:
            b0, b1 = self._take(2)
            length = b1 & 0x7F
            if length == 126:
                (length,) = struct.unpack("!H", self._take(2))
            elif length == 127:
                (length,) = struct.unpack("!Q", self._take(8))
            assert not b1 & 0x80, "a server never masks"
            assert b0 & 0x80, "the server sends whole messages"
            payload = self._take(length)
            if b0 & 0x40:
                payload = self.inflater.decompress(payload + b"\x00\x00\xff\xff")
            if b0 & 0x0F == 1:
                message = payload.decode()
                if message == "2":  # engine.io ping
                    self.send_text("3")
                    continue
                return message
            raise AssertionError(f"unexpected frame opcode {b0 & 0x0F}")

    def send_text(self, message: str) -> None:
        data, mask = message.encode(), os.urandom(4)
        header = bytes([0x81])
        if len(data) < 126:
            header += bytes([0x80 | len(data)])
        else:
            header += bytes([0x80 | 126]) + struct.pack("!H", len(data))
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def emit(self, event: str, data: object, ack_id: int) -> None:
        self.send_text(f"42{ack_id}" + json.dumps([event, data]))

    def event(self) -> tuple[str, object]:
        """The next event ("item", data) or ack ("ack", [id, value])."""
        message = self.text()
        if message.startswith("43"):
            ack_id, _, rest = message[2:].partition("[")
            return "ack", [int(ack_id), json.loads("[" + rest)[0]]
        assert message.startswith("42"), message
        name, data = json.loads(message[2:])
        return name, data

    def close(self) -> None:
        self.sock.close()


@contextmanager
def server(direct: bool) -> Iterator[int]:
    args = [sys.executable, "tests/delivery_server.py"] + (["--direct"] if direct else [])
    proc = subprocess.Popen(
        args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        line = proc.stdout.readline()
        if not line.strip().isdigit():
            proc.kill()
            raise RuntimeError(f"delivery server did not start: {proc.stderr.read()}")
        yield int(line)
    finally:
        proc.kill()
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()


def _items_in_order(client: RawClient, n: int) -> list[int]:
    seen = []
    while len(seen) < n:
        name, data = client.event()
        if name == "item":
            assert data["pad"] == (f"{data['i']:07d}-" * (SIZE // 8 + 1))[:SIZE]
            seen.append(data["i"])
    return seen


@pytest.mark.parametrize("deflate", [False, True], ids=["plain", "deflate"])
@pytest.mark.parametrize("direct", [True, False], ids=["direct", "queued"])
def test_a_reader_that_stalls_gets_every_message_in_order_and_holds_no_one_up(direct, deflate):
    with server(direct) as port:
        fast = RawClient(port, deflate=deflate)
        stalled = RawClient(port, deflate=deflate, small_buffer=True)
        try:
            assert fast.deflated == stalled.deflated == deflate
            for n, client in enumerate((fast, stalled)):
                client.emit("join", "class", n)
                assert client.event() == ("ack", [n, "ok"])
            received: list[int] = []
            reader = threading.Thread(target=lambda: received.extend(_items_in_order(fast, FLOOD)))
            reader.start()
            fast.emit("flood", {"room": "class", "n": FLOOD, "size": SIZE}, 7)
            # The stalled reader reads nothing until everyone else has everything.
            reader.join(timeout=90)
            assert not reader.is_alive(), "a stalled reader held up the rest of the room"
            assert received == list(range(FLOOD))
            assert _items_in_order(stalled, FLOOD) == list(range(FLOOD))
        finally:
            fast.close()
            stalled.close()


def test_direct_delivery_needs_eventlet():
    import socketio

    assert delivery.install(socketio.Server(async_mode="threading")) is False

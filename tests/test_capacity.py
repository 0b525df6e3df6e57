"""How many connections one server process holds (FORUM_MAX_CONNECTIONS) and the open
files that takes, and whether its WebSockets may be compressed (FORUM_WS_DEFLATE).

Real ``python wsgi.py`` processes, reached over bare TCP sockets: an idle connection
or an HTTP/1.1 keep-alive one holds a place in the server's pool as a WebSocket does.
"""

from __future__ import annotations

import base64
import contextlib
import os
import socket
import subprocess
import sys

import pytest
from servers import ROOT, flask_cli, server_env, start_server

resource = pytest.importorskip("resource")

# Only how long a test gives up after, when what it waits for does not come.
PATIENCE = 30


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    """One migrated SQLite instance folder for the module's servers, one at a time."""
    folder = tmp_path_factory.mktemp("capacity")
    flask_cli(["db", "upgrade"], server_env(folder))
    return folder


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=PATIENCE)


def send_get(sock: socket.socket, path: str = "/static/favicon.svg") -> None:
    """An HTTP/1.1 request: the connection stays open (keep-alive) once answered."""
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())


def head_of_response(sock: socket.socket, wait: float = PATIENCE) -> bytes | None:
    """The status line and headers of the next response, None if none came in ``wait``
    seconds."""
    sock.settimeout(wait)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except TimeoutError:
        return None
    return data.split(b"\r\n\r\n", 1)[0] if data else None


@pytest.mark.server
def test_a_process_holds_as_many_connections_as_forum_max_connections(instance):
    env = server_env(instance, FORUM_ACCESS_LOG="0", FORUM_MAX_CONNECTIONS="40")
    with start_server(env) as server, contextlib.ExitStack() as stack:
        idle = [stack.enter_context(connect(server.port)) for _ in range(39)]
        fortieth = stack.enter_context(connect(server.port))
        send_get(fortieth)
        head = head_of_response(fortieth)
        assert head and head.startswith(b"HTTP/1.1 200"), head
        # Forty are held (39 idle, one kept alive): the next one is not served ...
        waiting = stack.enter_context(connect(server.port))
        send_get(waiting, "/auth/code")
        assert head_of_response(waiting, wait=2) is None
        # ... until one of them goes.
        idle.pop().close()
        head = head_of_response(waiting)
        assert head and head.startswith(b"HTTP/1.1 200"), head


@pytest.mark.server
def test_by_default_a_process_serves_past_1024_connections(instance):
    held = 1100
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = held + 200
    if hard != resource.RLIM_INFINITY and hard < wanted:
        pytest.skip(f"this test needs {wanted} open files; the hard limit is {hard}")
    # The server starts under the soft limit many systems give, 1,024 (it inherits
    # this process's), and must raise its own.
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, 1024), hard))
    try:
        server = start_server(server_env(instance, FORUM_ACCESS_LOG="0"))
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    with server, contextlib.ExitStack() as stack:
        for number in range(1, held + 1):
            sock = stack.enter_context(connect(server.port))
            send_get(sock)
            head = head_of_response(sock)
            assert head and head.startswith(b"HTTP/1.1 200"), (
                f"connection {number} was not served while {number - 1} were open: {head}"
            )
        last = stack.enter_context(connect(server.port))
        send_get(last, "/auth/code")
        head = head_of_response(last)
        assert head and head.startswith(b"HTTP/1.1 200"), head
        assert server.alive()


@pytest.mark.parametrize(
    ("limits", "setting", "soft_after", "warned"),
    [
        ((256, 4096), 1000, 1000 + 16 + 64, False),  # raised as far as needed
        ((256, 512), 1000, 512, True),  # only as far as the hard limit: a warning
        ((2048, 4096), 1000, 2048, False),  # already enough: left alone
    ],
)
def test_the_open_files_limit_is_raised_for_the_setting(limits, setting, soft_after, warned):
    code = (
        "import resource\n"
        f"resource.setrlimit(resource.RLIMIT_NOFILE, {limits!r})\n"
        "from forum import capacity\n"
        f"config = {{'FORUM_MAX_CONNECTIONS': {setting},"
        " 'SQLALCHEMY_ENGINE_OPTIONS': {'pool_size': 16}}\n"
        "print(capacity.raise_open_files_limit(config))\n"
        "print(resource.getrlimit(resource.RLIMIT_NOFILE)[0])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=PATIENCE,
        check=True,
    )
    assert result.stdout.split() == [str(soft_after)] * 2
    assert (
        f"FORUM_MAX_CONNECTIONS={setting} needs about 1080 open files" in result.stderr
    ) == warned, result.stderr
    if warned:
        assert "LimitNOFILE" in result.stderr


def websocket_handshake(port: int) -> tuple[bytes, dict[str, str]]:
    """Open a Socket.IO WebSocket offering permessage-deflate, as browsers do; the
    status line and headers of the answer."""
    key = base64.b64encode(os.urandom(16)).decode()
    with connect(port) as sock:
        sock.sendall(
            (
                "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
            ).encode()
        )
        head = head_of_response(sock)
    assert head, "no answer to the WebSocket handshake"
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status.encode(), headers


@pytest.mark.server
@pytest.mark.parametrize(("setting", "compressed"), [("1", True), ("0", False)])
def test_forum_ws_deflate_decides_whether_websockets_are_compressed(instance, setting, compressed):
    env = server_env(instance, FORUM_ACCESS_LOG="0", FORUM_WS_DEFLATE=setting)
    with start_server(env) as server:
        status, headers = websocket_handshake(server.port)
    assert status.startswith(b"HTTP/1.1 101"), status
    offered = headers.get("sec-websocket-extensions", "")
    assert ("permessage-deflate" in offered) == compressed, headers


def test_arrivals_take_turns_with_the_open_connections():
    """A class reconnecting at once is accepted a few at a time: after every
    ``PER_TURN`` accepts the accept loop gives the event loop up, so messages on the
    connections already open are read between arrivals (the storm benchmark's acks)."""
    from forum.capacity import ArrivalsTakeTurns

    happened: list[str] = []

    class Listener:
        def accept(self):
            happened.append("accept")
            return object(), ("127.0.0.1", len(happened))

        def getsockname(self):
            return ("127.0.0.1", 5000)

    listener = ArrivalsTakeTurns(Listener(), lambda seconds: happened.append(f"turn {seconds}"))
    for _ in range(20):
        listener.accept()
    per_turn = ArrivalsTakeTurns.PER_TURN
    assert happened.count("accept") == 20
    turns = [i for i, what in enumerate(happened) if what.startswith("turn")]
    assert len(turns) == 20 // per_turn and all(happened[i] == "turn 0" for i in turns)
    # Never more than PER_TURN arrivals between two turns.
    runs = "".join("a" if what == "accept" else "|" for what in happened).split("|")
    assert max(len(run) for run in runs) <= per_turn
    assert listener.getsockname() == ("127.0.0.1", 5000)  # the rest passes through

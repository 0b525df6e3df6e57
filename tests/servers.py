"""Real server processes for tests: ``python wsgi.py`` on a free port, and the CLI.

    env = server_env(tmp_path)                 # isolated instance folder, fresh SQLite
    flask_cli(["db", "upgrade"], env)
    demo = json.loads(flask_cli(["forum", "seed-demo", "--json"], env).stdout)
    with start_server(env) as server:          # waits until it answers HTTP
        requests.get(server.url + "/")
    # stopped here; server.stop() / server.kill() end it earlier

Every server started here is also ended when the test process exits, so none is left
running even when a test forgets to stop it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_running: set[Server] = set()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(instance_path: Path | str, **overrides: str) -> dict[str, str]:
    """The environment for a server or CLI process of its own.

    Starts from this process's environment without any FORUM_* variable (the test
    fixtures set some, e.g. FORUM_ASYNC_MODE=threading), so the child gets the
    defaults: eventlet and a SQLite file in ``instance_path``. ``overrides`` add or
    replace variables, e.g. ``FORUM_DATABASE_URL`` or ``FORUM_MESSAGE_QUEUE``.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORUM_")}
    env.update(
        {
            "FORUM_INSTANCE_PATH": str(instance_path),
            "FORUM_SECRET_KEY": secrets.token_urlsafe(32),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(overrides)
    return env


def flask_cli(
    args: list[str], env: dict[str, str], *, check: bool = True, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``flask --app wsgi ARGS`` in ``env``; raise with its output if it fails."""
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        raise RuntimeError(
            f"flask {' '.join(args)} exited {result.returncode}\n"
            f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
        )
    return result


class Server:
    """A running ``python wsgi.py``; use it as a context manager or call stop()."""

    def __init__(
        self, process: subprocess.Popen, port: int, env: dict[str, str], log_path: Path, log_file
    ) -> None:
        self.process = process
        self.port = port
        self.env = env
        self.log_path = log_path
        self._log_file = log_file
        host = env.get("FORUM_HOST", "127.0.0.1")
        self.url = f"http://{host}:{port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        """What the server wrote to stdout and stderr so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self, timeout: float = 10) -> int | None:
        """SIGTERM, then SIGKILL if it has not exited within ``timeout`` seconds."""
        return self._end(signal.SIGTERM, timeout)

    def kill(self) -> int | None:
        """SIGKILL at once: a crash, as far as the other processes can tell."""
        return self._end(signal.SIGKILL, 5)

    def _end(self, sig: int, timeout: float) -> int | None:
        if self.alive():
            self._signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.process.wait(5)
        else:
            self.process.wait()
        _running.discard(self)
        if not self._log_file.closed:
            self._log_file.close()
        return self.process.returncode

    def _signal(self, sig: int) -> None:
        # To its whole process group (anything it started goes too). Only called
        # while the process is not yet reaped, so the group id is still its own.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, sig)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.alive() else f"exited {self.process.returncode}"
        return f"<Server {self.url} pid={self.pid} {state}>"


def start_server(
    env: dict[str, str],
    *,
    port: int | None = None,
    timeout: float = 30,
    ready_path: str = "/auth/code",
    log_dir: Path | str | None = None,
    attempts: int = 3,
) -> Server:
    """Start ``python wsgi.py`` with ``env`` and wait until it answers HTTP.

    The database must already be migrated (see flask_cli). ``FORUM_PORT`` is set to
    ``port`` or a free one; if another process grabs that port first, a new one is
    tried. The output goes to ``server-PORT.log`` in ``log_dir`` (default: the
    instance folder). Raises RuntimeError with the output if it does not come up.
    """
    last_error = ""
    for _ in range(attempts if port is None else 1):
        chosen = port or free_port()
        server = _spawn(env, chosen, log_dir)
        try:
            _wait_ready(server, ready_path, timeout)
            return server
        except RuntimeError as exc:
            server.kill()
            last_error = str(exc)
            if "Address already in use" not in server.output():
                break
    raise RuntimeError(last_error)


def _spawn(env: dict[str, str], port: int, log_dir: Path | str | None) -> Server:
    env = {**env, "FORUM_PORT": str(port)}
    folder = Path(log_dir or env.get("FORUM_INSTANCE_PATH") or ROOT / "instance")
    folder.mkdir(parents=True, exist_ok=True)
    log_path = folder / f"server-{port}.log"
    log_file = open(log_path, "ab")  # noqa: SIM115 - closed in Server._end
    process = subprocess.Popen(
        [sys.executable, "wsgi.py"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so stop() ends all of it
    )
    server = Server(process, port, env, log_path, log_file)
    _running.add(server)
    return server


def _wait_ready(server: Server, path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.alive():
            raise RuntimeError(
                f"server exited {server.process.returncode} before answering\n{server.output()}"
            )
        try:
            with urllib.request.urlopen(server.url + path, timeout=2) as response:
                if response.status < 500:
                    return
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code < 500:
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.1)
    raise RuntimeError(
        f"server did not answer on {server.url} within {timeout}s\n{server.output()}"
    )


@atexit.register
def _stop_all() -> None:
    for server in list(_running):
        server.kill()

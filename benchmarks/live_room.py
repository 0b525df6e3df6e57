"""Live-room benchmark: the forum's ``/live`` chat as a school would see it.

    .venv/bin/python benchmarks/live_room.py [--scenario chat|capacity|storm]
        [--client js|python] [--auth cookie|token] [--deflate] [--rooms R --clients N
        --rate MSG_PER_S --duration S --warmup S] [--tools] [--check]

Scenarios (each writes its own file in ``benchmarks/results/``):

- ``chat`` (``latest.json``): 10 rooms x 20 clients x 0.5 msg/s against the forum and
  against ``benchmarks/floor_server.py`` (same stack, no auth, no storage), side by
  side with the ratios and the aims (CPU per delivery <= 1.25x the floor's and never
  above 1.5x, p95 <= 2x, nothing lost).
- ``capacity`` (``capacity.json``): one forum process, 20 rooms x 60 students, one
  message per 10 s each; p95 send->receipt (aim under 100 ms) and lost (aim 0).
- ``storm`` (``storm.json``): one room of 300 students, all joined; all drop their
  connection at once and re-connect and re-``join`` with ``since`` at once, while 10
  more students in the room chat at 1 msg/s (in a Node process of their own, as each
  student has a browser of their own). Time until each is back (join ack),
  the chatters' ack latency meanwhile, the ``presence`` messages and bytes everyone
  received, the server's RSS before and after.
- ``chat --tools`` (``tools.json``): the chat scenario, plus the forum once more with
  the live tools in use (``forum+tools``; protocol.md "Live tools"): in each room a
  teacher, signed in as the students are, opens a poll every ``--poll-every`` s and
  closes it two thirds of the way on, forms breakout groups of ``--group-size``
  (schools mixed) a third into the measured window and ends them at two thirds, and
  dismisses each flag a second after it arrives; students vote and change their
  votes, and flag messages (teachers-only events: a ``skip`` for everyone else),
  instead of a ``--tool-share`` of their chats (they act at rate / (1 - share), so
  the chats keep ``--rate`` and their send times: the floor and the forum without
  tools get the same chat); in a group they chat to the group (the others get skips).
  Latency is measured on the chats as ever. "Nothing lost" stays exact: every member
  must get every seq after its join up to the room's last acked one, as the event
  when it is in the event's audience and as a ``skip`` when not (an event outside its
  audience counts as leaked). The floor runs the same lesson too (``floor+tools``:
  ``floor_server.py`` carries the live tools as the forum's wire does, with no auth or
  database), and must pass the same checks; the aims are judged again for
  ``forum+tools`` against ``floor+tools``, and the forum's figures with tools and
  without are set side by side (and forum+tools against the bare floor, as before).

The clients (``--client js``, the default) are the official socket.io JavaScript
client from node_modules, run by ``benchmarks/clients.mjs`` in Node processes: like a
browser, it offers permessage-deflate. The forum declines it by default
(``FORUM_WS_DEFLATE=0``) and so does the floor; ``--deflate`` has both accept it, so
that every message is compressed once per recipient. Each run reports how many
connections negotiated it. ``--client python`` keeps the older python-socketio load generator
(never offers deflate; the storm needs the JS clients).

What one run does:

1. Makes a fresh instance folder (SQLite; ``--database-url`` for PostgreSQL),
   ``flask db upgrade``, and - inside the app, through the app's own actions -
   creates per room one exchange of two classes (TW and JP) with N students,
   schedules and opens its session (``sessions.open_session``), issues an API
   token per student (``proofs.issue_token``) and signs each student in
   (``proofs.start_login_session`` + Flask-Login, as ``POST /auth/code`` does),
   keeping the session cookie it would set (``--sign-in http``: over HTTP instead).
2. Starts the real server (``python wsgi.py``, eventlet) on a free port; the clients
   connect (websocket transport, the sign-in cookie, or ``auth: {token}`` with
   ``--auth token``), join their room and each sends ``chat.send`` at ``--rate``
   messages per second (Poisson arrivals) for ``--warmup`` + ``--duration`` seconds.
   Every body carries its send time; every client records its acks and when each
   ``message.posted`` reaches it.
3. ``chat``: does the same against the floor, with the same clients, counts and rates.
4. Prints a table and writes the results file.

Figures (over the measured window, after the warm-up):
- deliveries/s: ``message.posted`` events received by clients per second;
- latency: send (just before ``emit``) -> receipt by each room member, p50/p95/p99;
- lost: (acked message, room member) pairs never delivered, plus sends whose ack
  failed or never came (warm-up included);
- server CPU per 1,000 deliveries: utime+stime of the server process
  (``/proc/<pid>/stat``) over the window, divided by deliveries in the window.

Exit status is 0 (it is a measurement) unless ``--check`` is given and an aim fails.
"""

from __future__ import annotations

import sys

if __name__ == "__main__" and "--worker" in sys.argv[1:]:
    # A load-generator process: green threads, so that python-socketio's thread per
    # incoming message (engineio's run_async) costs microseconds, not an OS thread.
    import warnings

    warnings.filterwarnings("ignore", message="Eventlet is deprecated")
    import eventlet

    eventlet.monkey_patch()

import argparse
import contextlib
import heapq
import json
import logging
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "benchmarks" / "results"
OUTPUTS = {"chat": "latest.json", "capacity": "capacity.json", "storm": "storm.json"}
# Each scenario's load, where the command line does not say.
SCENARIOS: dict[str, dict[str, Any]] = {
    "chat": {
        "rooms": 10,
        "clients": 20,
        "rate": 0.5,
        "duration": 60,
        "warmup": 5,
        "arrivals": "poisson",
    },
    "capacity": {
        "rooms": 20,
        "clients": 60,
        "rate": 0.1,
        "duration": 60,
        "warmup": 10,
        "arrivals": "poisson",
    },
    "storm": {
        "rooms": 1,
        "clients": 300,
        "rate": 1.0,
        "duration": 60,
        "warmup": 5,
        "arrivals": "uniform",
    },
}
NAMESPACE = "/live"
CLK_TCK = os.sysconf("SC_CLK_TCK")

# The aims, at 10 rooms x 20 clients x 0.5 msg/s.
AIM_CPU_RATIO = 1.25  # forum CPU per delivery within 1.25x the floor's ...
AIM_CPU_RATIO_MAX = 1.5  # ... and never above 1.5x
AIM_P95_RATIO = 2.0  # p95 latency within 2x the floor's
AIM_CAPACITY_P95_MS = 100  # capacity: p95 send -> receipt under 100 ms

BODIES = [
    "Our school planted forty trees this term. How about yours?",
    "我們班上週去淡水河邊撿垃圾，撿到很多塑膠瓶。",
    "静岡では海の近くでゴミ拾いをしました。",
    "What do you do with plastic bottles in Japan?",
    "Typhoons are getting stronger here. Do you have drills at school?",
    "我覺得大家可以一起少用一次性餐具！",
]


# --- setup: runs inside the app, in its own process -------------------------------


def setup_data(
    rooms: int, clients: int, cookies: bool = False, teachers: bool = False
) -> dict[str, Any]:
    """Create, through the app's own actions, R live sessions with N students each;
    return {"rooms": [{"session_id", "tokens": [...], "codes": [...], "cookies"?: [...]}]}:
    each student's API token and sign-in code, and with ``cookies`` the Cookie header
    of a sign-in made here as ``POST /auth/code`` makes it (a sign-in session, then
    Flask-Login's ``login_user``; the session cookie signed with the app's key, which
    the server shares: ``FORUM_SECRET_KEY``). With ``teachers`` (``--tools``), each room
    also has its teacher's ``teacher`` credentials: the Taipei class's teacher, signed in
    once per room (a device each) in the same way, and an API token."""
    sys.path.insert(0, str(ROOT))
    from flask import session as cookie_session
    from flask_login import login_user

    from forum import create_app, exchanges
    from forum.extensions import db
    from forum.models import Role, School, SchoolClass, User, utcnow
    from forum.people import codes, proofs
    from forum.schedule import sessions

    app = create_app()

    def signed_in(student: User) -> str:
        with app.test_request_context("/auth/code", method="POST"):
            proofs.start_login_session(student)
            login_user(student)
            value = app.session_interface.get_signing_serializer(app).dumps(dict(cookie_session))
        return f"{app.config['SESSION_COOKIE_NAME']}={value}"

    out: list[dict[str, Any]] = []
    with app.app_context(), app.test_request_context("/"):
        tag = secrets.token_hex(3)  # several runs may share one PostgreSQL database
        tw = School(
            slug=f"bench-tw-{tag}",
            country="TW",
            region="Taipei",
            timezone="Asia/Taipei",
            name_zh_tw="臺北測試國中",
            name_en="Taipei Bench Junior High",
            name_ja="台北ベンチ中学",
            name_ko="타이베이 벤치 중학교",
        )
        jp = School(
            slug=f"bench-jp-{tag}",
            country="JP",
            region="Shizuoka",
            timezone="Asia/Tokyo",
            name_zh_tw="靜岡測試中學",
            name_en="Shizuoka Bench Junior High",
            name_ja="静岡ベンチ中学校",
            name_ko="시즈오카 벤치 중학교",
        )
        teacher_tw = User(
            role=Role.TEACHER,
            username=f"bench.tw.{tag}",
            display_name="林 老師",
            school=tw,
            locale="zh_Hant_TW",
        )
        teacher_jp = User(
            role=Role.TEACHER,
            username=f"bench.jp.{tag}",
            display_name="佐藤 先生",
            school=jp,
            locale="ja",
        )
        db.session.add_all([tw, jp, teacher_tw, teacher_jp])
        db.session.commit()
        start = utcnow().replace(microsecond=0)
        for r in range(rooms):
            class_tw = SchoolClass(school=tw, name=f"八年{r + 1}班", grade=8)
            class_tw.teachers.append(teacher_tw)
            class_jp = SchoolClass(school=jp, name=f"2年{r + 1}組", grade=8)
            class_jp.teachers.append(teacher_jp)
            db.session.add_all([class_tw, class_jp])
            db.session.flush()
            students, student_codes = [], []
            for i in range(clients):
                home, locale = (class_tw, "zh_Hant_TW") if i % 2 == 0 else (class_jp, "ja")
                student, code = codes.add_student(home, f"Student {r + 1}-{i + 1}")
                student.locale = locale
                students.append(student)
                student_codes.append(code)
            db.session.commit()
            exchange = exchanges.create(
                teacher_tw,
                {
                    "title": f"Bench exchange {r + 1}",
                    "sdgs": [13, 14],
                    "mode": "online",
                    "class_id": class_tw.id,
                    "partner_class_ids": [class_jp.id],
                },
            )
            # The benchmark's rooms stand for agreed exchanges (partner yes, Alliance yes).
            exchanges.approve_outright(exchange)
            db.session.commit()
            session = sessions.schedule(
                teacher_tw,
                {
                    "exchange_id": exchange.id,
                    "title": f"Bench room {r + 1}",
                    "sdgs": [14],
                    "starts_at": start.isoformat(),
                    "ends_at": (start + timedelta(hours=2)).isoformat(),
                },
            )
            sessions.open_session(teacher_tw, session)
            tokens = [proofs.issue_token(s) for s in students]
            room_out = {"session_id": session.id, "tokens": tokens, "codes": student_codes}
            if cookies:
                room_out["cookies"] = [signed_in(s) for s in students]
            if teachers:
                room_out["teacher"] = {
                    "token": proofs.issue_token(teacher_tw),
                    "cookie": signed_in(teacher_tw),
                }
            db.session.commit()
            out.append(room_out)
    return {"rooms": out}


# --- servers ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def forum_env(instance: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORUM_")}
    env.update(
        {
            "FORUM_INSTANCE_PATH": str(instance),
            "FORUM_SECRET_KEY": secrets.token_urlsafe(32),
            "FORUM_ACCESS_LOG": "0",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if database_url:
        env["FORUM_DATABASE_URL"] = database_url
    return env


def run_checked(args: list[str], env: dict[str, str], timeout: float = 600) -> str:
    result = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise SystemExit(
            f"{' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
        )
    return result.stdout


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of a process so far (fields 14 and 15 of /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent not idle so far (/proc/stat)."""
    with open("/proc/stat") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / CLK_TCK  # without guest time, counted in user


def wait_for_quiet(limit: float, label: str) -> None:
    """Wait (up to ``limit`` seconds) until other processes use < 25 % of a core."""
    deadline = time.monotonic() + limit
    while True:
        busy0, t0 = machine_busy_seconds(), time.monotonic()
        time.sleep(3)
        share = (machine_busy_seconds() - busy0) / (time.monotonic() - t0)
        if share < 0.25 or time.monotonic() >= deadline:
            if share >= 0.25:
                print(
                    f"  {label}: machine still busy ({share:.0%} of a core), going ahead",
                    flush=True,
                )
            return
        print(f"  {label}: machine busy ({share:.0%} of a core), waiting", flush=True)


NICE = 0  # --nice: the priority of the servers and the load generators


def _niceness() -> None:
    """In the child before exec: take the --nice priority (negative needs root)."""
    if NICE:
        os.nice(NICE)


class ServerProcess:
    """A server subprocess in its own process group, logging to a file."""

    def __init__(
        self, name: str, args: list[str], env: dict[str, str], log: Path, port: int
    ) -> None:
        self.name, self.log, self.port = name, log, port
        self.url = f"http://127.0.0.1:{port}"
        self._log = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_niceness,
        )

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        probe = f"{self.url}/socket.io/?EIO=4&transport=polling"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            with contextlib.suppress(OSError), urllib.request.urlopen(probe, timeout=2) as response:
                if response.status == 200:
                    return
            time.sleep(0.1)
        self.stop()
        raise SystemExit(
            f"{self.name} server did not come up; log {self.log}:\n"
            + self.log.read_text(errors="replace")[-3000:]
        )

    def cpu_seconds(self) -> float:
        return process_cpu_seconds(self.proc.pid)

    def rss_mb(self) -> float:
        with open(f"/proc/{self.proc.pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self._log.close()


# --- the load generator: runs in worker processes ----------------------------------


def _client_class():
    """python-socketio's Client, except that each incoming message is handled in the
    green thread that read it: engineio starts a new thread per message by default,
    which costs the load generator more than the rest of its receiving together
    (and may reorder what one client sees)."""
    import engineio
    import socketio
    from engineio import packet as eio_packet

    class InlineEngineIOClient(engineio.Client):
        def _receive_packet(self, pkt):
            if pkt.packet_type == eio_packet.MESSAGE:
                self._trigger_event("message", pkt.data, run_async=False)
            else:
                super()._receive_packet(pkt)

    class InlineClient(socketio.Client):
        def _engineio_client_class(self):
            return InlineEngineIOClient

    return InlineClient


class BenchClient:
    """One python-socketio client in one room; records acks and receipts."""

    client_class = None

    def __init__(self, index: int, session_id: int, credential: dict[str, str] | None) -> None:
        if BenchClient.client_class is None:
            BenchClient.client_class = _client_class()
        # {"token": ...}, {"cookie": ...} (a browser's sign-in) or None (the floors)
        self.index, self.session_id, self.credential = index, session_id, credential or {}
        # websocket-client checks the UTF-8 of every frame in pure Python unless told
        # not to (or wsaccel is installed): at 2,000 frames/s that alone would make
        # the load generator the bottleneck. The server checks what it receives.
        self.sio = BenchClient.client_class(
            reconnection=False,
            logger=False,
            engineio_logger=False,
            websocket_extra_options={"skip_utf8_validation": True},
        )
        self.received: list[tuple[str, float]] = []  # (client_id, monotonic receipt)
        self.sends: list[dict[str, Any]] = []
        self.sent = 0
        self.sio.on("event", self._on_event, namespace=NAMESPACE)
        for name in ("presence", "typing"):
            self.sio.on(name, lambda *_a: None, namespace=NAMESPACE)

    def _on_event(self, event: dict[str, Any]) -> None:
        now = time.monotonic()
        if event.get("type") == "message.posted":
            self.received.append((event["data"]["client_id"], now))

    def connect(self, url: str) -> None:
        self.sio.connect(
            url,
            transports=["websocket"],
            namespaces=[NAMESPACE],
            auth={"token": self.credential["token"]} if "token" in self.credential else None,
            headers={"Cookie": self.credential["cookie"]} if "cookie" in self.credential else {},
            wait_timeout=30,
        )
        ack = self.sio.call(
            "join", {"session_id": self.session_id}, namespace=NAMESPACE, timeout=60
        )
        if not ack or not ack.get("ok"):
            raise RuntimeError(f"join refused: {ack}")

    def send(self, body: str) -> None:
        self.sent += 1
        client_id = f"b{self.index}-{self.sent}"
        record: dict[str, Any] = {
            "client_id": client_id,
            "session_id": self.session_id,
            "sender": self.index,
            "ack": None,
        }

        def on_ack(ack=None, *_rest):
            record["ack_at"] = time.monotonic()
            record["ack"] = {
                "ok": bool(ack and ack.get("ok")),
                "error": None if not ack or ack.get("ok") else ack.get("error"),
            }

        record["t"] = time.monotonic()
        self.sends.append(record)
        payload = {
            "session_id": self.session_id,
            "client_id": client_id,
            "body": f"{body} [t={record['t']:.6f} {client_id}]",
        }
        try:
            self.sio.emit("chat.send", payload, namespace=NAMESPACE, callback=on_ack)
        except Exception as exc:  # a send that cannot even be written is a lost send
            record["ack"] = {"ok": False, "error": f"emit failed: {exc}"}

    def disconnect(self) -> None:
        with contextlib.suppress(Exception):
            self.sio.disconnect()


def worker_main() -> int:
    """A load-generator process (``--worker``, eventlet-patched at import time).

    Protocol on stdin/stdout, one JSON object a line: reads its config
    {"url", "members": [[index, session_id, token]], "rate", "arrivals", "seed",
    "out"}; connects and joins every member; writes {"ready": n} (or {"error"});
    reads the plan {"start", "measure", "end", "drain"} (monotonic clock, which is
    system-wide on Linux); sends until "end", drains, writes what it saw to "out"
    and {"done": true}.
    """
    import eventlet

    logging.basicConfig(level=logging.ERROR)
    config = json.loads(sys.stdin.readline())
    rate, url = config["rate"], config["url"]
    rng = random.Random(config["seed"])
    clients = [BenchClient(i, s, t) for i, s, t, *_role in config["members"]]

    def say(obj: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    pool = eventlet.GreenPool(16)
    try:
        list(pool.imap(lambda c: c.connect(url), clients))
    except Exception as exc:
        say({"error": f"connect/join failed: {exc!r}"})
        for c in clients:
            c.disconnect()
        return 1
    say({"ready": len(clients), "deflate": 0})  # python-socketio never offers it
    plan = json.loads(sys.stdin.readline())
    start, end = plan["start"], plan["end"]

    def gap() -> float:
        if config["arrivals"] == "poisson":
            return rng.expovariate(rate)
        return (1.0 / rate) * rng.uniform(0.5, 1.5)  # uniform with +-50% jitter

    # Poisson: the first gap is a gap like the others (memoryless), so the rate is the
    # same from the start; uniform: each client starts at its own point of one period.
    heap = [
        (start + (gap() if config["arrivals"] == "poisson" else rng.uniform(0, 1.0 / rate)), n)
        for n in range(len(clients))
    ]
    heapq.heapify(heap)
    while heap:
        when, n = heap[0]
        now = time.monotonic()
        if when >= end:
            break
        if when > now:
            time.sleep(min(when - now, 0.05))
            continue
        heapq.heapreplace(heap, (when + gap(), n))
        clients[n].send(BODIES[clients[n].sent % len(BODIES)])
    while time.monotonic() < end:
        time.sleep(0.01)
    # Drain: wait for every ack, then a little longer for the last broadcasts.
    deadline = end + plan["drain"]
    while time.monotonic() < deadline and any(r["ack"] is None for c in clients for r in c.sends):
        time.sleep(0.05)
    time.sleep(min(2.0, max(0.0, deadline - time.monotonic())))
    result = {
        "sends": [r for c in clients for r in c.sends],
        "received": [(c.index, c.session_id, c.received) for c in clients],
    }
    Path(config["out"]).write_text(json.dumps(result))
    say({"done": True})
    list(pool.imap(lambda c: c.disconnect(), clients))
    return 0


CLIENTS_JS = ROOT / "benchmarks" / "clients.mjs"


def node_command() -> list[str]:
    node = shutil.which("node")
    if node is None:
        raise SystemExit("--client js needs Node.js (node) on the PATH; or use --client python")
    if not (ROOT / "node_modules" / "socket.io-client").is_dir():
        raise SystemExit("--client js needs node_modules/socket.io-client: run make install")
    return [node, str(CLIENTS_JS)]


def js_client_version() -> str | None:
    with contextlib.suppress(OSError, ValueError):
        package = ROOT / "node_modules" / "socket.io-client" / "package.json"
        return json.loads(package.read_text())["version"]
    return None


class Worker:
    """A load-generator subprocess and its line protocol: ``clients.mjs`` in Node
    (``--client js``) or this file with ``--worker`` (``--client python``)."""

    def __init__(self, n: int, config: dict[str, Any], log: Path, client: str = "js") -> None:
        self._log = open(log, "ab")  # noqa: SIM115 - closed in close()
        command = (
            node_command()
            if client == "js"
            else [sys.executable, str(Path(__file__).resolve()), "--worker"]
        )
        config = {**config, "clock": time.monotonic()}
        self.proc = subprocess.Popen(
            command,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            start_new_session=True,
            preexec_fn=_niceness,
        )
        self.out = Path(config["out"])
        self.log = log
        self.tell(config)

    def tell(self, obj: dict[str, Any]) -> None:
        self.proc.stdin.write(json.dumps(obj) + "\n")
        self.proc.stdin.flush()

    def hear(self) -> dict[str, Any]:
        line = self.proc.stdout.readline()
        if not line:
            return {"error": f"load generator exited {self.proc.wait()}; log {self.log}"}
        return json.loads(line)

    def close(self) -> None:
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        self._log.close()


def profile_tool() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(found).exists():
        raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy")
    return found


def client_procs(args: argparse.Namespace, clients: int) -> int:
    """Load-generator processes: --client-procs, or (0) one Node process per 600
    clients (one Node process holds a few thousand sockets; past a few hundred busy
    ones, its single thread is what delays receipts), one python process."""
    if args.client_procs:
        return max(1, min(args.client_procs, clients))
    if args.client == "python":
        return 1
    return max(1, min(os.cpu_count() or 1, -(-clients // 600)))


def start_workers(
    workers: list[Worker],
    url: str,
    members: list[tuple[int, int, Any, str]],
    args: argparse.Namespace,
    server: ServerProcess,
    label: str,
    workdir: Path,
    mode: str,
    rate: float | None = None,
    arrivals: str | None = None,
    tools: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Start the load generators (appended to ``workers``, for the caller to close);
    return once every member is connected and joined: {"clients", "deflate",
    "extensions"}, deflate being how many connections negotiated permessage-deflate."""
    procs = client_procs(args, len(members))
    t_connect = time.monotonic()
    started = len(workers)  # workers already there were heard by an earlier call
    for w in range(procs):
        workers.append(
            Worker(
                w,
                {
                    "url": url,
                    "mode": mode,
                    "members": members[w::procs],
                    "rate": args.rate if rate is None else rate,
                    "arrivals": args.arrivals if arrivals is None else arrivals,
                    "seed": args.seed * 1000 + w,
                    "out": str(workdir / f"{label}-worker-{w}.json"),
                    **({"tools": tools} if tools else {}),
                },
                workdir / f"{label}-worker-{w}.log",
                args.client,
            )
        )
    ready = {"clients": 0, "deflate": 0, "extensions": None, "procs": procs}
    for w in workers[started:]:
        msg = w.hear()
        if "error" in msg:
            raise SystemExit(
                f"{label}: {msg['error']}; server log {server.log}; client log {w.log}"
            )
        ready["clients"] += msg["ready"]
        ready["deflate"] += msg.get("deflate", 0)
        ready["extensions"] = ready["extensions"] or msg.get("extensions")
    print(
        f"  {label}: {len(members)} {args.client} clients ({procs} process"
        f"{'es' if procs > 1 else ''}) connected and joined in "
        f"{time.monotonic() - t_connect:.1f} s; permessage-deflate negotiated by "
        f"{ready['deflate']} of {len(members)}",
        flush=True,
    )
    return ready


def drive(
    url: str,
    rooms: list[dict[str, Any]],
    args: argparse.Namespace,
    server: ServerProcess,
    label: str,
    workdir: Path,
    profile: Path | None = None,
    tools: bool = False,
) -> dict[str, Any]:
    """Run the load against one server; return its figures. With ``tools``, each room
    has its teacher too, and the clients use the live tools (``tool_config``)."""
    if args.wait_quiet:
        wait_for_quiet(args.wait_quiet, label)
    members = []
    for room in rooms:
        for credential in room["credentials"]:
            members.append((len(members), room["session_id"], credential, "chat"))
    # The teachers (--tools) come last: the students keep their numbers, load generator
    # and send times, those of the runs without tools.
    for room in rooms if tools else []:
        members.append((len(members), room["session_id"], room["teacher_credential"], "teacher"))
    workers: list[Worker] = []
    try:
        ready = start_workers(
            workers,
            url,
            members,
            args,
            server,
            label,
            workdir,
            "chat",
            tools=tool_config(args) if tools else None,
        )
        time.sleep(1.0)  # let the join presence broadcasts settle
        start = time.monotonic() + 0.5
        measure = start + args.warmup
        end = measure + args.duration
        plan: dict[str, Any] = {
            "start": start,
            "measure": measure,
            "end": end,
            "drain": args.drain,
        }
        if tools:
            # The groups: formed a third into the measured window, ended at two thirds.
            plan["groups_at"] = [measure + args.duration / 3, measure + args.duration * 2 / 3]
        for w in workers:
            w.tell(plan)
        time.sleep(max(0.0, measure - time.monotonic()))
        cpu0, wall0 = server.cpu_seconds(), time.monotonic()
        clients0 = sum(process_cpu_seconds(w.proc.pid) for w in workers)
        busy0 = machine_busy_seconds()
        profiler = None
        if profile:
            profiler = subprocess.Popen(
                [
                    profile_tool(),
                    "record",
                    "--pid",
                    str(server.proc.pid),
                    "--duration",
                    str(int(args.duration)),
                    "--rate",
                    "100",
                    "--nonblocking",
                    "--format",
                    "raw"
                    if profile.suffix == ".txt"
                    else ("speedscope" if profile.suffix == ".json" else "flamegraph"),
                    "-o",
                    str(profile),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        time.sleep(max(0.0, end - time.monotonic()))
        cpu1, wall1 = server.cpu_seconds(), time.monotonic()
        clients1 = sum(process_cpu_seconds(w.proc.pid) for w in workers)
        busy1 = machine_busy_seconds()
        if profiler is not None:
            _out, err = profiler.communicate(timeout=60)
            print(
                f"  {label}: py-spy profile in {profile}"
                if profiler.returncode == 0
                else f"  {label}: py-spy failed: {err.strip()[-500:]}",
                flush=True,
            )
        rss = server.rss_mb()
        results = []
        for w in workers:
            msg = w.hear()
            if "error" in msg:
                raise SystemExit(f"{label}: {msg['error']}")
            results.append(json.loads(w.out.read_text()))
    finally:
        for w in workers:
            w.close()
    wall = wall1 - wall0
    client_share = (clients1 - clients0) / wall
    other_share = max(0.0, (busy1 - busy0) / wall - (cpu1 - cpu0) / wall - client_share)
    summary = summarise(
        label,
        rooms,
        results,
        measure,
        end,
        cpu1 - cpu0,
        wall,
        rss,
        client_share,
        other_share,
        args,
        audience=tool_audience(results) if tools else None,
    )
    summary["client"] = args.client
    summary["client_procs"] = ready["procs"]
    summary["deflate_negotiated"] = ready["deflate"]
    if tools:
        summary["tools"] = summarise_tools(results, args)
        lost = summary["lost"]
        lost["chat_total"] = lost["total"]
        lost["tool_events"] = summary["tools"]["lost"]
        lost["total"] += summary["tools"]["lost"]["total"]
    return summary


def percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    k = max(0, min(len(sorted_values) - 1, int(round(q / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def summarise(
    label: str,
    rooms: list[dict[str, Any]],
    results: list[dict[str, Any]],
    measure: float,
    end: float,
    server_cpu: float,
    wall: float,
    rss: float,
    client_cpu_share: float,
    other_cpu_share: float,
    args: argparse.Namespace,
    audience: Callable[[dict[str, Any]], list[int] | None] | None = None,
) -> dict[str, Any]:
    """The figures of one side. ``audience`` (the live tools) names who should receive
    a message, when not the whole room (a breakout group's, and the teachers)."""
    sends = {r["client_id"]: r for res in results for r in res["sends"]}
    members_of: dict[int, list[int]] = {}
    got: dict[int, set[str]] = {}
    latencies: list[float] = []
    deliveries_in_window = 0
    duplicates = 0
    for res in results:
        for index, session_id, received in res["received"]:
            members_of.setdefault(session_id, []).append(index)
            seen = got.setdefault(index, set())
            for client_id, at, *replayed in received:
                if client_id in seen:
                    duplicates += 1
                    continue
                seen.add(client_id)
                if measure <= at < end:
                    deliveries_in_window += 1
                sent = sends.get(client_id)
                if sent is not None and measure <= sent["t"] < end and not replayed:
                    latencies.append((at - sent["t"]) * 1000)
    latencies.sort()
    failed: dict[str, int] = {}
    missing_pairs = 0
    messages_missing = 0
    acked = 0
    ack_ms: list[float] = []
    for client_id, r in sends.items():
        ack = r["ack"]
        if ack is None or not ack["ok"]:
            reason = "no ack" if ack is None else str(ack["error"])
            failed[reason] = failed.get(reason, 0) + 1
            continue
        acked += 1
        if measure <= r["t"] < end:
            ack_ms.append((r["ack_at"] - r["t"]) * 1000)
        targets = audience(r) if audience is not None else None
        if targets is None:
            targets = members_of[r["session_id"]]
        missing = sum(1 for m in targets if client_id not in got[m])
        missing_pairs += missing
        messages_missing += bool(missing)
    ack_ms.sort()
    sent_in_window = sum(1 for r in sends.values() if measure <= r["t"] < end)
    n_clients = sum(len(v) for v in members_of.values())
    return {
        "server": label,
        "sent": len(sends),
        "sent_per_s": sent_in_window / args.duration,
        "acked": acked,
        "deliveries_per_s": deliveries_in_window / args.duration,
        "deliveries_in_window": deliveries_in_window,
        "latency_ms": {
            "p50": percentile(latencies, 50),
            "p95": percentile(latencies, 95),
            "p99": percentile(latencies, 99),
            "max": latencies[-1] if latencies else None,
            "samples": len(latencies),
        },
        "ack_ms": {
            "p50": percentile(ack_ms, 50),
            "p95": percentile(ack_ms, 95),
            "p99": percentile(ack_ms, 99),
        },
        "lost": {
            "undelivered_pairs": missing_pairs,
            "messages_not_fully_delivered": messages_missing,
            "failed_sends": sum(failed.values()),
            "failed_by_reason": failed,
            "duplicate_deliveries": duplicates,
            "total": missing_pairs + sum(failed.values()),
        },
        "server_cpu_s": server_cpu,
        "server_cpu_share": server_cpu / wall if wall else None,
        "server_cpu_ms_per_1000_deliveries": server_cpu * 1000 / deliveries_in_window * 1000
        if deliveries_in_window
        else None,
        "server_rss_mb": rss,
        "client_cpu_share": client_cpu_share,
        "other_cpu_share": other_cpu_share,
        "clients": n_clients,
    }


# --- the live tools (--tools) ------------------------------------------------------

# Events that only the session's teachers hear (everyone else gets a ``skip``), and
# those that its author hears too (never made here: the benchmark's bodies match no
# word list and the teacher never switches on approval).
TEACHERS_ONLY = frozenset({"item.flagged", "flag.dismissed"})
TEACHERS_AND_AUTHOR = frozenset({"message.held"})
TOOL_EVENTS = (
    "poll.opened",
    "poll.voted",
    "poll.closed",
    "item.flagged",
    "flag.dismissed",
    "groups.formed",
    "groups.ended",
)


def tool_config(args: argparse.Namespace) -> dict[str, Any]:
    """What clients.mjs needs of --tools (see its header)."""
    return {
        "share": args.tool_share,
        "flag_share": args.flag_share,
        "poll_every": args.poll_every,
        "poll_open": args.poll_every * 2 / 3,
        "group_size": args.group_size,
    }


def tool_members(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for res in results for m in res.get("tools", [])]


def group_members(results: list[dict[str, Any]]) -> dict[tuple[int, int], set[int]]:
    """(session_id, group_id) -> the member indexes in it, from the teacher's
    ``groups.form`` ack (the groups as logged)."""
    members = tool_members(results)
    index_of = {(m["session_id"], m["user_id"]): m["index"] for m in members}
    groups: dict[tuple[int, int], set[int]] = {}
    for m in members:
        sid = m["session_id"]
        for action in m["actions"]:
            for group_id, user_ids in action.get("groups") or []:
                groups[(sid, group_id)] = {
                    index_of[(sid, u)] for u in user_ids if (sid, u) in index_of
                }
    return groups


def tool_audience(
    results: list[dict[str, Any]],
) -> Callable[[dict[str, Any]], list[int] | None]:
    """Who should receive a chat message: None (the whole room) unless it was said in
    a breakout group, then the group's members and the room's teachers."""
    teachers: dict[int, set[int]] = {}
    for m in tool_members(results):
        if m["role"] == "teacher":
            teachers.setdefault(m["session_id"], set()).add(m["index"])
    groups = group_members(results)

    def audience(record: dict[str, Any]) -> list[int] | None:
        group_id = record.get("group_id")
        if group_id is None:
            return None
        sid = record["session_id"]
        return sorted(groups.get((sid, group_id), set()) | teachers.get(sid, set()))

    return audience


def summarise_tools(results: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    """The live tools' figures: the actions and their acks, the events they logged, and
    whether every event reached its audience and only it: for each member, every seq
    after its join up to the room's last acked seq must have come, as the event when
    the member is in its audience, as a ``skip`` when not."""
    members = tool_members(results)
    groups = group_members(results)
    sends = [r for res in results for r in res["sends"]]
    actions = [
        {**a, "session_id": m["session_id"], "role": m["role"]}
        for m in members
        for a in m["actions"]
    ]
    by_kind: dict[str, dict[str, Any]] = {}
    no_ack = 0
    for a in actions:
        kind = by_kind.setdefault(a["kind"], {"tried": 0, "ok": 0, "refused": {}})
        kind["tried"] += 1
        if a["kind"] == "idle":
            continue
        if a["ok"]:
            kind["ok"] += 1
        else:
            reason = "no ack" if a["ack_at"] is None else str(a["error"])
            no_ack += reason == "no ack"
            kind["refused"][reason] = kind["refused"].get(reason, 0) + 1
    vote_changes = sum(1 for a in actions if a["kind"] == "poll.vote" and a["ok"] and a["change"])
    # The last seq each room's own actions were acked with (a flag's id is its seq).
    head: dict[int, int] = {}
    for r in sends:
        if r["ack"] and r["ack"]["ok"] and r.get("seq"):
            head[r["session_id"]] = max(head.get(r["session_id"], 0), r["seq"])
    for a in actions:
        seq = a.get("seq") or (a.get("flag_id") if a["kind"] == "flag" else None)
        if a.get("ok") and seq:
            head[a["session_id"]] = max(head.get(a["session_id"], 0), seq)
    # What each seq is, as those who heard it got it: (type, group_id).
    kind_of: dict[tuple[int, int], tuple[str, int | None]] = {}
    for m in members:
        for seq, type_, group_id, *_flag in (e for e in m["seen"] if e[1] is not None):
            kind_of.setdefault((m["session_id"], seq), (type_, group_id))
    logged: dict[str, int] = {}
    for (sid, seq), (type_, _group) in kind_of.items():
        if seq <= head.get(sid, 0):
            logged[type_] = logged.get(type_, 0) + 1
    missing = undelivered = leaked = skips = tool_deliveries = 0
    for m in members:
        sid, teacher = m["session_id"], m["role"] == "teacher"
        heard = {e[0] for e in m["seen"] if e[1] is not None}
        skipped = {e[0] for e in m["seen"] if e[1] is None}
        skips += len(skipped)
        tool_deliveries += sum(1 for e in m["seen"] if e[1] in TOOL_EVENTS)
        for seq in range(m["join_head"] + 1, head.get(sid, 0) + 1):
            known = kind_of.get((sid, seq))
            if known is None or known[0] in TEACHERS_AND_AUTHOR:
                due = "event" if teacher else None  # a student may get either
            elif known[0] in TEACHERS_ONLY:
                due = "event" if teacher else "skip"
            elif known[1] is not None:
                in_group = m["index"] in groups.get((sid, known[1]), ())
                due = "event" if teacher or in_group else "skip"
            else:
                due = "event"
            if seq in heard:
                leaked += due == "skip"
            elif seq in skipped:
                undelivered += due == "event"
            else:
                missing += 1
    chats_ok = [r for r in sends if r["ack"] and r["ack"]["ok"]]
    return {
        "config": tool_config(args),
        "teachers": sum(1 for m in members if m["role"] == "teacher"),
        "actions": by_kind,
        "vote_changes": vote_changes,
        "chats": {
            "acked": len(chats_ok),
            "to_a_group": sum(1 for r in chats_ok if r.get("group_id") is not None),
            "sent_again_to_the_room": sum(1 for r in sends if r.get("resent")),
        },
        "log": {"seqs": sum(head.values()), "events_by_type": dict(sorted(logged.items()))},
        "deliveries": {"tool_events": tool_deliveries, "skips": skips},
        "lost": {
            "seqs_not_received": missing,
            "skipped_instead_of_delivered": undelivered,
            "tool_actions_without_ack": no_ack,
            "total": missing + undelivered + no_ack,
        },
        "leaked": leaked,
    }


# --- the runs -------------------------------------------------------------------


def start_forum(
    args: argparse.Namespace, workdir: Path, rooms: int, clients: int, teachers: bool = False
) -> tuple[ServerProcess, list[dict[str, Any]]]:
    """A fresh forum instance with ``rooms`` live sessions of ``clients`` students,
    served by ``python wsgi.py``; returns the running server and the rooms, each with
    its students' ``credentials`` as --auth and --sign-in say (and with ``teachers``,
    its teacher's ``teacher_credential``: a token with --auth token, else a sign-in
    cookie made in the app)."""
    instance = workdir / "forum-instance"
    instance.mkdir(parents=True)
    env = forum_env(instance, args.database_url)
    env["FORUM_WS_DEFLATE"] = "0" if args.no_deflate else "1"
    if args.max_connections:
        env["FORUM_MAX_CONNECTIONS"] = str(args.max_connections)
    print(
        f"forum: migrating and preparing {rooms} rooms x {clients} students in {instance}",
        flush=True,
    )
    t0 = time.monotonic()
    run_checked([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], env)
    setup_env = {**env, "FORUM_ASYNC_MODE": "threading"}
    in_app = args.auth == "cookie" and args.sign_in == "app"
    data = json.loads(
        run_checked(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--setup",
                "--rooms",
                str(rooms),
                "--clients",
                str(clients),
                *(["--setup-cookies"] if in_app else []),
                *(["--setup-teachers"] if teachers else []),
            ],
            setup_env,
        )
    )
    print(f"forum: data ready in {time.monotonic() - t0:.1f} s", flush=True)
    port = free_port()
    server = ServerProcess(
        "forum",
        [sys.executable, "wsgi.py"],
        {**env, "FORUM_PORT": str(port)},
        workdir / "forum-server.log",
        port,
    )
    try:
        server.wait_ready()
        print(f"forum: python wsgi.py pid {server.proc.pid} on {server.url}", flush=True)
        t0 = time.monotonic()
        for room in data["rooms"]:
            if teachers:
                kind = "token" if args.auth == "token" else "cookie"
                room["teacher_credential"] = {kind: room["teacher"][kind]}
            if args.auth == "token":
                room["credentials"] = [{"token": t} for t in room["tokens"]]
            elif in_app:
                room["credentials"] = [{"cookie": c} for c in room["cookies"]]
            else:
                with ThreadPoolExecutor(8) as pool:
                    cookies = pool.map(lambda code: sign_in(server.url, code), room["codes"])
                    room["credentials"] = [{"cookie": c} for c in cookies]
        if args.auth == "cookie" and not in_app:
            print(
                f"forum: {rooms * clients} students signed in over HTTP in "
                f"{time.monotonic() - t0:.1f} s",
                flush=True,
            )
    except BaseException:
        server.stop()
        raise
    return server, data["rooms"]


def run_forum(args: argparse.Namespace, workdir: Path, tools: bool = False) -> dict[str, Any]:
    """The forum's chat; with ``tools``, the same chat in a lesson (``--tools``): a
    teacher in each room, polls, votes, flags and breakout groups (``forum+tools``)."""
    if tools:
        workdir = workdir.with_name(workdir.name + "-tools")
    server, rooms = start_forum(args, workdir, args.rooms, args.clients, teachers=tools)
    try:
        result = drive(
            server.url,
            rooms,
            args,
            server,
            "forum+tools" if tools else "forum",
            workdir,
            # With --tools the lesson is what the aims are about: profile that side.
            profile=args.profile if tools == bool(args.tools) else None,
            tools=tools,
        )
    finally:
        server.stop()
    return result


def run_storm(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """The reconnect storm: one room of ``--clients`` re-joiners and ``--chatters``
    chatting students; at ``--warmup`` s every re-joiner's connection drops at once
    (its TCP socket destroyed, no goodbye) and each connects again at once and
    re-joins with ``since`` = the last seq it saw; ``--duration`` s of the storm are
    watched (then up to ``--drain`` s more for late re-joins and acks)."""
    if args.client != "js":
        raise SystemExit("the storm scenario needs --client js")
    server, rooms = start_forum(args, workdir, 1, args.chatters + args.clients)
    room = rooms[0]
    # Alternate chatters among the re-joiners: both schools chat (students alternate).
    step = max(1, len(room["credentials"]) // max(1, args.chatters))
    roles = ["rejoin"] * len(room["credentials"])
    for n in range(args.chatters):
        roles[min(n * step, len(roles) - 1)] = "chat"
    members = [
        (n, room["session_id"], credential, roles[n])
        for n, credential in enumerate(room["credentials"])
    ]
    workers: list[Worker] = []
    try:
        if args.chatters_with_rejoiners:
            ready = start_workers(
                workers, server.url, members, args, server, "storm", workdir, "storm"
            )
        else:
            # Each student is a browser of their own: the chatters' acks must not wait
            # for a load generator busy bringing 300 others back, which no chatter's
            # browser does. They get a Node process of their own.
            chatting = [m for m in members if m[3] == "chat"]
            back = start_workers(
                workers,
                server.url,
                [m for m in members if m[3] != "chat"],
                args,
                server,
                "storm",
                workdir,
                "storm",
            )
            ready = start_workers(
                workers, server.url, chatting, args, server, "storm-chatters", workdir, "storm"
            )
            ready = {
                "clients": back["clients"] + ready["clients"],
                "deflate": back["deflate"] + ready["deflate"],
                "procs": back["procs"] + ready["procs"],
            }
        time.sleep(1.0)
        start = time.monotonic() + 0.5
        storm_at = start + args.warmup
        end = storm_at + args.duration
        for w in workers:
            w.tell(
                {
                    "start": start,
                    "measure": storm_at,
                    "end": end,
                    "drain": args.drain,
                    "storm_at": storm_at,
                }
            )
        time.sleep(max(0.0, storm_at - 0.05 - time.monotonic()))
        rss_before = server.rss_mb()
        cpu0, wall0 = server.cpu_seconds(), time.monotonic()
        clients0 = sum(process_cpu_seconds(w.proc.pid) for w in workers)
        busy0 = machine_busy_seconds()
        print(
            f"  storm: {args.clients} connections dropped; watching for {args.duration:g} s",
            flush=True,
        )
        time.sleep(max(0.0, end - time.monotonic()))
        cpu1, wall1 = server.cpu_seconds(), time.monotonic()
        clients1 = sum(process_cpu_seconds(w.proc.pid) for w in workers)
        busy1 = machine_busy_seconds()
        rss_after = server.rss_mb()
        results = []
        for w in workers:
            msg = w.hear()
            if "error" in msg:
                raise SystemExit(f"storm: {msg['error']}")
            results.append(json.loads(w.out.read_text()))
        rss_settled = server.rss_mb()
    finally:
        for w in workers:
            w.close()
        server.stop()
    wall = wall1 - wall0
    client_share = (clients1 - clients0) / wall
    return summarise_storm(
        args,
        room,
        members,
        results,
        storm_at,
        end,
        {
            "server_cpu_s": cpu1 - cpu0,
            "server_cpu_share": (cpu1 - cpu0) / wall,
            "client_cpu_share": client_share,
            "other_cpu_share": max(0.0, (busy1 - busy0 - cpu1 + cpu0) / wall - client_share),
            "server_rss_mb": {"before": rss_before, "after": rss_after, "after_drain": rss_settled},
            "deflate_negotiated": ready["deflate"],
            "client_procs": ready["procs"],
        },
    )


def summarise_storm(
    args: argparse.Namespace,
    room: dict[str, Any],
    members: list[tuple[int, int, Any, str]],
    results: list[dict[str, Any]],
    storm_at: float,
    end: float,
    measured: dict[str, Any],
) -> dict[str, Any]:
    rejoins = [r for res in results for r in res["rejoins"]]
    back = sorted((r["back_at"] - r["dropped_at"]) * 1000 for r in rejoins if r["back_at"])
    connected = sorted(
        (r["connected_at"] - r["dropped_at"]) * 1000 for r in rejoins if r["connected_at"]
    )
    errors: dict[str, int] = {}
    for r in rejoins:
        if not r["back_at"]:
            reason = r["error"] or "not back in time"
            errors[reason] = errors.get(reason, 0) + 1
    all_back = len(back) == len(rejoins)
    storm_end = max(r["back_at"] for r in rejoins if r["back_at"]) if all_back and back else end
    # The chatters' acks while the re-joiners were coming back (and over the whole watch).
    sends = [r for res in results for r in res["sends"]]
    during = sorted(
        (r["ack_at"] - r["t"]) * 1000
        for r in sends
        if storm_at <= r["t"] <= storm_end and r["ack"] and r["ack"]["ok"]
    )
    watched = sorted(
        (r["ack_at"] - r["t"]) * 1000
        for r in sends
        if storm_at <= r["t"] < end and r["ack"] and r["ack"]["ok"]
    )
    failed: dict[str, int] = {}
    for r in sends:
        if r["ack"] is None or not r["ack"]["ok"]:
            reason = "no ack" if r["ack"] is None else str(r["ack"]["error"])
            failed[reason] = failed.get(reason, 0) + 1
    # Nothing lost: every acked message reached every member who is back (or never
    # left), live or in its re-join's replay. Those not back are counted above.
    gone = {r["index"] for r in rejoins if not r["back_at"]}
    got = {
        index: {cid for cid, *_rest in received}
        for res in results
        for index, _sid, received in res["received"]
        if index not in gone
    }
    undelivered = sum(
        1 for r in sends if r["ack"] and r["ack"]["ok"] for m in got if r["client_id"] not in got[m]
    )
    presence = [p for res in results for p in res["presence"]]
    last_presence = max((p["last_at"] for p in presence if p["last_at"]), default=None)
    rejoiners = [p for p in presence if p["role"] == "rejoin"]
    chatters = [p for p in presence if p["role"] == "chat"]
    return {
        "server": "forum",
        "scenario": "storm",
        "clients": len(members),
        "rejoiners": len(rejoins),
        "chatters": args.chatters,
        "back": len(back),
        "back_ms": {
            "p50": percentile(back, 50),
            "p95": percentile(back, 95),
            "max": back[-1] if back else None,
        },
        "reconnected_ms": {
            "p50": percentile(connected, 50),
            "p95": percentile(connected, 95),
            "max": connected[-1] if connected else None,
        },
        "not_back": errors,
        "storm_s": storm_end - storm_at,
        "chat_ack_ms_during_storm": {
            "p50": percentile(during, 50),
            "p95": percentile(during, 95),
            "max": during[-1] if during else None,
            "samples": len(during),
        },
        "chat_ack_ms_watched": {
            "p50": percentile(watched, 50),
            "p95": percentile(watched, 95),
            "max": watched[-1] if watched else None,
            "samples": len(watched),
        },
        "sent": len(sends),
        "lost": {
            "undelivered_pairs": undelivered,
            "failed_sends": sum(failed.values()),
            "failed_by_reason": failed,
            "total": undelivered + sum(failed.values()),
        },
        "presence": {
            "messages": sum(p["count"] for p in presence),
            "bytes": sum(p["bytes"] for p in presence),
            "per_rejoiner": statistics.mean(p["count"] for p in rejoiners) if rejoiners else 0,
            "per_chatter": statistics.mean(p["count"] for p in chatters) if chatters else 0,
            "last_s_after_drop": last_presence - storm_at if last_presence else None,
        },
        "wire_bytes_received": sum(res["wire_bytes"] for res in results),
        **measured,
    }


def report_storm(args: argparse.Namespace, r: dict[str, Any]) -> dict[str, bool]:
    print()
    print(
        f"reconnect storm: one room, {r['rejoiners']} students drop and re-join at once, "
        f"{r['chatters']} chat at {args.rate:g} msg/s; {args.duration:g} s watched; "
        f"{args.client} clients ({r['client_procs']} processes, the chatters "
        + ("among the re-joiners" if args.chatters_with_rejoiners else "in one of their own")
        + "), permessage-deflate negotiated by "
        f"{r['deflate_negotiated']} of {r['clients']}"
        + ("; the server declines it (FORUM_WS_DEFLATE=0)" if args.no_deflate else "")
    )
    rows = [
        ("back (join acked)", f"{r['back']} / {r['rejoiners']}"),
        (
            "back after p50 / p95 / max ms",
            " / ".join(fmt(r["back_ms"][k]) for k in ("p50", "p95", "max")),
        ),
        (
            "connected after p50 / p95 / max ms",
            " / ".join(fmt(r["reconnected_ms"][k]) for k in ("p50", "p95", "max")),
        ),
        (
            "chatters' ack p50 / p95 / max ms",
            " / ".join(fmt(r["chat_ack_ms_during_storm"][k]) for k in ("p50", "p95", "max"))
            + f"  ({r['chat_ack_ms_during_storm']['samples']} sends in {r['storm_s']:.1f} s)",
        ),
        ("presence messages received", f"{r['presence']['messages']:,}"),
        ("presence bytes received (inflated)", f"{r['presence']['bytes'] / 1e6:,.1f} MB"),
        (
            "presence per re-joiner / chatter",
            f"{r['presence']['per_rejoiner']:,.0f} / {r['presence']['per_chatter']:,.0f}",
        ),
        ("last presence after the drop", f"{fmt(r['presence']['last_s_after_drop'])} s"),
        ("bytes on the wire, all clients", f"{r['wire_bytes_received'] / 1e6:,.1f} MB"),
        (
            "lost (undelivered / failed sends)",
            f"{r['lost']['undelivered_pairs']} / {r['lost']['failed_sends']}",
        ),
        (
            "server RSS before / after MB",
            f"{r['server_rss_mb']['before']:,.0f} / {r['server_rss_mb']['after']:,.0f}",
        ),
        ("server CPU (share of 1 core)", f"{r['server_cpu_share'] * 100:.0f} %"),
        ("client CPU (share of 1 core)", f"{r['client_cpu_share'] * 100:.0f} %"),
        ("other processes' CPU", f"{r['other_cpu_share'] * 100:.0f} %"),
    ]
    for name, value in rows:
        print(f"  {name:<38}{value}")
    if r["not_back"]:
        print(f"  not back: {r['not_back']} (their messages are not counted as lost)")
    last = r["presence"]["last_s_after_drop"]
    if last is not None and last > args.duration + args.drain - 3:
        print(
            "  note: presence messages were still arriving when the watch ended "
            "(--duration, --drain)"
        )
    if r["lost"]["failed_by_reason"]:
        print(f"  failed sends: {r['lost']['failed_by_reason']}")
    p95 = r["chat_ack_ms_during_storm"]["p95"]
    aims = {
        f"everyone back ({r['rejoiners']}/{r['rejoiners']})": r["back"] == r["rejoiners"],
        "chatters' ack p95 during the storm < 1 s": p95 is not None and p95 < 1000,
        "nothing lost": r["lost"]["total"] == 0,
    }
    print()
    for name, ok in aims.items():
        print(f"  {'PASS' if ok else 'FAIL'}  {name}")
    if r["client_cpu_share"] > 0.8 * r["client_procs"]:
        print(
            f"  note: the clients used {r['client_cpu_share']:.0%} of a core; they may be "
            "the bottleneck"
        )
    return aims


def sign_in(url: str, code: str) -> str:
    """Sign a student in with their code, as the browser does; the Cookie header."""
    import re

    import requests

    with requests.Session() as http:
        page = http.get(f"{url}/auth/code", timeout=30).text
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        response = http.post(
            f"{url}/auth/code",
            data={"code": code, "csrf_token": csrf},
            allow_redirects=False,
            timeout=30,
        )
        if response.status_code != 302:
            raise SystemExit(f"sign-in with a student code failed: {response.status_code}")
        return "; ".join(f"{c.name}={c.value}" for c in http.cookies)


def run_floor(
    args: argparse.Namespace,
    workdir: Path,
    *,
    store: bool = False,
    direct: bool = False,
    tools: bool = False,
) -> dict[str, Any]:
    """The bare floor; with ``store``, the floor that also keeps a durable chained log;
    with ``direct``, the floor delivering as the forum does (``forum.live.delivery``);
    with ``tools``, the floor carrying the same lesson as forum+tools (``floor+tools``:
    a teacher in each room, known to the floor by ``auth: {"token": "teacher"}``)."""
    label = (
        "floor+log" if store else "floor+direct" if direct else "floor+tools" if tools else "floor"
    )
    port = free_port()
    command = [sys.executable, "benchmarks/floor_server.py", "--port", str(port)]
    if args.no_deflate:
        command.append("--no-deflate")
    if args.max_connections:
        command += ["--max-size", str(args.max_connections)]
    if store:
        log = workdir / f"floor-log-{port}.sqlite3"
        command += ["--store", str(log)]
    if direct:
        command.append("--direct")
    server = ServerProcess(
        label,
        command,
        {**os.environ, "PYTHONUNBUFFERED": "1"},
        workdir / f"{label}-server.log",
        port,
    )
    rooms = [
        {
            "session_id": r + 1,
            "credentials": [None] * args.clients,
            "teacher_credential": {"token": "teacher"},
        }
        for r in range(args.rooms)
    ]
    try:
        server.wait_ready()
        print(
            f"{label}: benchmarks/floor_server.py pid {server.proc.pid} on {server.url}",
            flush=True,
        )
        return drive(server.url, rooms, args, server, label, workdir, tools=tools)
    finally:
        server.stop()


def fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def cpu_of(result: dict[str, Any] | None) -> float | None:
    return result["server_cpu_ms_per_1000_deliveries"] if result else None


def p95_of(result: dict[str, Any] | None) -> float | None:
    return result["latency_ms"]["p95"] if result else None


SERVERS = ("forum", "floor", "floor+log", "floor+direct")
SERVERS_TOOLS = ("forum", "forum+tools", "floor", "floor+tools", "floor+log", "floor+direct")


def servers_of(args: argparse.Namespace) -> tuple[str, ...]:
    return SERVERS_TOOLS if args.tools else SERVERS


def report(args: argparse.Namespace, rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Print the last round's table, every round's ratios, and the aims over the rounds:
    the median CPU ratio within AIM_CPU_RATIO, the largest within AIM_CPU_RATIO_MAX."""
    last = rounds[-1]
    floor, stored, direct = last.get("floor"), last.get("floor+log"), last.get("floor+direct")
    cols = [(name, last.get(name)) for name in servers_of(args)]
    cols = [(name, r) for name, r in cols if r]
    rows = [
        ("messages sent/s", lambda r: fmt(r["sent_per_s"])),
        ("deliveries/s", lambda r: fmt(r["deliveries_per_s"])),
        ("latency p50 ms", lambda r: fmt(r["latency_ms"]["p50"])),
        ("latency p95 ms", lambda r: fmt(r["latency_ms"]["p95"])),
        ("latency p99 ms", lambda r: fmt(r["latency_ms"]["p99"])),
        ("ack p95 ms", lambda r: fmt(r["ack_ms"]["p95"])),
        ("lost (undelivered pairs)", lambda r: str(r["lost"]["undelivered_pairs"])),
        ("lost (failed/no ack)", lambda r: str(r["lost"]["failed_sends"])),
        ("server CPU ms / 1k deliv.", lambda r: fmt(r["server_cpu_ms_per_1000_deliveries"])),
        ("server CPU (share of 1 core)", lambda r: fmt(r["server_cpu_share"] * 100, 0) + " %"),
        ("client CPU (share of 1 core)", lambda r: fmt(r["client_cpu_share"] * 100, 0) + " %"),
        ("other processes' CPU", lambda r: fmt(r["other_cpu_share"] * 100, 0) + " %"),
        ("server RSS MB", lambda r: fmt(r["server_rss_mb"], 0)),
        ("permessage-deflate", lambda r: f"{r.get('deflate_negotiated', 0)}/{r['clients']}"),
    ]
    for one in rounds:
        one["cpu_ratio"] = ratio(cpu_of(one.get("forum")), cpu_of(one.get("floor")))
        one["p95_ratio"] = ratio(p95_of(one.get("forum")), p95_of(one.get("floor")))
        one["log_cpu_ratio"] = ratio(cpu_of(one.get("floor+log")), cpu_of(one.get("floor")))
        one["direct_cpu_ratio"] = ratio(cpu_of(one.get("forum")), cpu_of(one.get("floor+direct")))
        if args.tools:
            # The aims with the tools: forum+tools against the floor carrying the same
            # lesson (floor+tools); against the bare floor too, as measured before.
            tools, floor_tools = one.get("forum+tools"), one.get("floor+tools")
            one["tools_cpu_ratio"] = ratio(cpu_of(tools), cpu_of(floor_tools))
            one["tools_p95_ratio"] = ratio(p95_of(tools), p95_of(floor_tools))
            one["tools_cpu_ratio_bare_floor"] = ratio(cpu_of(tools), cpu_of(one.get("floor")))
            one["tools_p95_ratio_bare_floor"] = ratio(p95_of(tools), p95_of(one.get("floor")))
    print()
    client = (
        f"socket.io-client {js_client_version()} (Node)"
        if args.client == "js"
        else "python-socketio"
    )
    print(
        f"live room ({args.scenario}): {args.rooms} rooms x {args.clients} clients x "
        f"{args.rate} msg/s ({args.arrivals}), {args.duration:g} s measured after "
        f"{args.warmup:g} s warm-up, database {'PostgreSQL' if args.database_url else 'SQLite'}, "
        f"clients {client}, forum clients by {args.auth}"
        + (f" ({args.sign_in} sign-in)" if args.auth == "cookie" else "")
        + (
            "; servers decline permessage-deflate (the forum's default)"
            if args.no_deflate
            else "; servers accept permessage-deflate (--deflate)"
        )
        + (f"; round {len(rounds)} of {len(rounds)}" if len(rounds) > 1 else "")
    )
    header = f"{'':<30}" + "".join(f"{name:>13}" for name, _r in cols) + f"{'ratio':>10}"
    if args.tools:
        header += f"{'tools ratio':>13}"  # forum+tools / floor+tools; "ratio": forum / floor
    print(header)
    print("-" * len(header))
    ratios = {"server CPU ms / 1k deliv.": last["cpu_ratio"], "latency p95 ms": last["p95_ratio"]}
    tools_ratios = {
        "server CPU ms / 1k deliv.": last.get("tools_cpu_ratio"),
        "latency p95 ms": last.get("tools_p95_ratio"),
    }
    for name, get in rows:
        line = f"{name:<30}" + "".join(f"{get(r):>13}" for _, r in cols)
        if ratios.get(name) is not None:
            line += f"{ratios[name]:>9.2f}x"
        if args.tools and tools_ratios.get(name) is not None:
            line = f"{line:<{len(header) - 13}}{tools_ratios[name]:>12.2f}x"
        print(line)
    if args.tools:
        print(
            "\n(ratio: forum / floor; tools ratio: forum+tools / floor+tools, the floor "
            "carrying the same lesson)"
        )
    if args.tools and last.get("forum+tools"):
        report_tools(last["forum+tools"], last.get("forum"))
    if args.tools and last.get("floor+tools"):
        report_tools(last["floor+tools"], last.get("floor"), label="floor+tools")
    if stored and floor:
        print(
            "\nfloor+log (the floor, storing and chaining each message before it tells anyone): "
            f"{fmt(last['log_cpu_ratio'], 2)}x the floor's CPU per delivery"
        )
    if direct and floor:
        print(
            "floor+direct (the floor, delivering as the forum does): "
            f"{fmt(ratio(cpu_of(direct), cpu_of(floor)), 2)}x the floor's CPU per delivery; "
            f"the forum is {fmt(last['direct_cpu_ratio'], 2)}x floor+direct"
        )
    if len(rounds) > 1:
        print(
            "\nrounds (forum/floor): "
            + ", ".join(
                f"CPU {fmt(r['cpu_ratio'], 2)}x p95 {fmt(r['p95_ratio'], 2)}x" for r in rounds
            )
        )
        if args.tools:
            print(
                "rounds (forum+tools/floor+tools): "
                + ", ".join(
                    f"CPU {fmt(r['tools_cpu_ratio'], 2)}x p95 {fmt(r['tools_p95_ratio'], 2)}x"
                    for r in rounds
                )
            )
        if any(r["direct_cpu_ratio"] for r in rounds):
            print(
                "rounds (forum/floor+direct): CPU "
                + ", ".join(f"{fmt(r['direct_cpu_ratio'], 2)}x" for r in rounds)
            )
    cpu_ratios = [r["cpu_ratio"] for r in rounds if r["cpu_ratio"] is not None]
    p95_ratios = [r["p95_ratio"] for r in rounds if r["p95_ratio"] is not None]
    cpu_ratio = statistics.median(cpu_ratios) if cpu_ratios else None
    cpu_ratio_max = max(cpu_ratios) if cpu_ratios else None
    p95_ratio = statistics.median(p95_ratios) if p95_ratios else None
    aims: dict[str, bool | None] = {}
    if args.scenario == "capacity":
        side = last.get("forum") or last.get("floor")
        p95 = side["latency_ms"]["p95"]
        aims = {
            f"{side['server']}: p95 send->receipt < {AIM_CAPACITY_P95_MS} ms": p95 is not None
            and p95 < AIM_CAPACITY_P95_MS,
            f"{side['server']}: nothing lost": side["lost"]["total"] == 0,
        }
        print()
        if (args.rooms, args.clients, args.rate) != (20, 60, 0.1):
            print("(the aims are set for 20 rooms x 60 clients x 0.1 msg/s; shown anyway)")
        for name, ok in aims.items():
            print(f"  {'PASS' if ok else 'FAIL'}  {name}")
    elif cpu_ratios:
        middle = "median " if len(rounds) > 1 else ""
        aims = {
            f"{middle}CPU per delivery <= {AIM_CPU_RATIO}x floor": cpu_ratio <= AIM_CPU_RATIO,
            f"CPU per delivery never > {AIM_CPU_RATIO_MAX}x floor": cpu_ratio_max
            <= AIM_CPU_RATIO_MAX,
            f"{middle}p95 latency <= {AIM_P95_RATIO}x floor": p95_ratio is not None
            and p95_ratio <= AIM_P95_RATIO,
            "nothing lost": all(r["forum"]["lost"]["total"] == 0 for r in rounds),
        }
    if args.tools:
        aims.update(tools_aims(rounds, len(rounds) > 1))
    if aims and args.scenario != "capacity":
        at_aim_load = (args.rooms, args.clients, args.rate) == (10, 20, 0.5)
        print()
        if not at_aim_load:
            print("(the aims are set for 10 rooms x 20 clients x 0.5 msg/s; shown anyway)")
        for name, ok in aims.items():
            print(f"  {'PASS' if ok else 'FAIL'}  {name}")
    negotiated = {r.get("deflate_negotiated", 0) for _name, r in cols}
    if len(negotiated) > 1:
        print(
            "  note: the servers negotiated permessage-deflate on different numbers of "
            "connections (last row); their ratios compare unlike work"
        )
    for _name, r in cols:
        if r["client_cpu_share"] > 0.8 * r.get("client_procs", 1):
            print(
                f"  note ({r['server']}): the clients used {r['client_cpu_share']:.0%} of a "
                "core; they may be the bottleneck"
            )
        if r["other_cpu_share"] > 0.25:
            print(
                f"  note ({r['server']}): other processes used {r['other_cpu_share']:.0%} of "
                "a core during the window; the figures are disturbed, run again when quiet"
            )
    return {
        "cpu_per_delivery_ratio": cpu_ratio,
        "cpu_per_delivery_ratio_max": cpu_ratio_max,
        "p95_ratio": p95_ratio,
        "aims": aims,
    }


def report_tools(
    tools: dict[str, Any], plain: dict[str, Any] | None, label: str = "forum+tools"
) -> None:
    """The live tools' part of the report: the lesson's actions and events, and the
    server's figures with the tools against those without, from the same run (the
    forum's, or with ``label`` floor+tools the floor's)."""
    t = tools["tools"]
    print(
        f"\n{label}: the same chat in a lesson, {t['teachers']} teacher(s) (one a room) "
        f"and the live tools (a share {t['config']['share']:g} of the students' actions; "
        f"a poll every {t['config']['poll_every']:g} s; groups of "
        f"{t['config']['group_size']} for the middle third of the window)"
    )
    for kind, k in sorted(t["actions"].items(), key=lambda item: (item[0] == "idle", item[0])):
        if kind == "idle":
            print(f"  {'tool turns with no poll open':<38}{k['tried']:>7,}")
            continue
        refused = ", ".join(f"{n} {why}" for why, n in sorted(k["refused"].items()))
        extra = f"  (changed votes {t['vote_changes']:,})" if kind == "poll.vote" else ""
        print(
            f"  {kind + ' acked / tried':<38}{k['ok']:>7,} / {k['tried']:,}"
            + (f"  refused: {refused}" if refused else "")
            + extra
        )
    chats = t["chats"]
    print(
        f"  {'chats to a group / acked':<38}{chats['to_a_group']:>7,} / {chats['acked']:,}"
        f"  (sent again to the room after the groups ended: {chats['sent_again_to_the_room']})"
    )
    logged = ", ".join(f"{name} {n:,}" for name, n in t["log"]["events_by_type"].items())
    print(f"  {'events logged':<38}{t['log']['seqs']:>7,}  ({logged})")
    print(
        f"  {'tool events / skips received':<38}{t['deliveries']['tool_events']:>7,} / "
        f"{t['deliveries']['skips']:,}"
    )
    lost = t["lost"]
    print(
        f"  {'seqs not received / skipped':<38}{lost['seqs_not_received']:>7,} / "
        f"{lost['skipped_instead_of_delivered']:,}  (tool actions without an ack: "
        f"{lost['tool_actions_without_ack']}; events to someone outside their audience: "
        f"{t['leaked']})"
    )
    if plain is None:
        return
    print(f"\n  the {label.split('+')[0]} with tools / without (same run)")
    for name, get in (
        ("latency p95 ms", p95_of),
        ("lost", lambda r: float(r["lost"]["total"])),
        ("server CPU ms / 1k deliv.", cpu_of),
        ("deliveries/s", lambda r: r["deliveries_per_s"]),
    ):
        with_, without = get(tools), get(plain)
        r = ratio(with_, without)
        digits = 0 if name == "lost" else 1
        print(
            f"  {name:<38}{fmt(with_, digits):>9} / {fmt(without, digits)}"
            + (f"  ({r:.2f}x)" if r is not None and name != "lost" else "")
        )


def tools_comparison(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The forum's figures with the live tools and without, from the same run (last
    round), the tools' counts, and the ratios to the floor over the rounds."""
    last = rounds[-1]

    def figures(side: dict[str, Any] | None) -> dict[str, Any] | None:
        if side is None:
            return None
        return {
            "latency_p95_ms": p95_of(side),
            "lost": side["lost"]["total"],
            "server_cpu_ms_per_1000_deliveries": cpu_of(side),
            "deliveries_per_s": side["deliveries_per_s"],
            "sent_per_s": side["sent_per_s"],
        }

    tools = last.get("forum+tools")
    floor_tools = last.get("floor+tools")

    def over_rounds(cpu_key: str, p95_key: str) -> dict[str, float | None]:
        cpu = [r[cpu_key] for r in rounds if r.get(cpu_key) is not None]
        p95 = [r[p95_key] for r in rounds if r.get(p95_key) is not None]
        return {
            "cpu_per_delivery_ratio": statistics.median(cpu) if cpu else None,
            "cpu_per_delivery_ratio_max": max(cpu) if cpu else None,
            "p95_ratio": statistics.median(p95) if p95 else None,
        }

    return {
        "forum": figures(last.get("forum")),
        "forum+tools": figures(tools),
        "floor": figures(last.get("floor")),
        "floor+tools": figures(floor_tools),
        "tools": tools["tools"] if tools else None,
        "floor_tools": floor_tools["tools"] if floor_tools else None,
        # The aims' measure: against the floor carrying the same lesson.
        "forum+tools_to_floor+tools": over_rounds("tools_cpu_ratio", "tools_p95_ratio"),
        # As measured before floor+tools: against the floor carrying the chat alone.
        "forum+tools_to_floor": over_rounds(
            "tools_cpu_ratio_bare_floor", "tools_p95_ratio_bare_floor"
        ),
    }


def tools_aims(rounds: list[dict[str, Any]], several: bool) -> dict[str, bool]:
    """The aims again, for the forum with the live tools (``forum+tools``) against the
    floor carrying the same lesson (``floor+tools``); and every event to its audience,
    and only to it. The floor must pass those checks too, or the comparison is void."""
    sides = [r["forum+tools"] for r in rounds if r.get("forum+tools")]
    floors = [r["floor+tools"] for r in rounds if r.get("floor+tools")]
    aims: dict[str, bool] = {}
    if floors:
        aims["floor+tools: nothing lost or leaked (it carries the same lesson)"] = all(
            s["lost"]["total"] == 0 and s["tools"]["leaked"] == 0 for s in floors
        )
    if not sides:
        return aims
    aims |= {
        "with tools: nothing lost (chats, tool events, skips)": all(
            s["lost"]["total"] == 0 for s in sides
        ),
        "with tools: no event to anyone outside its audience": all(
            s["tools"]["leaked"] == 0 for s in sides
        ),
    }
    cpu = [r["tools_cpu_ratio"] for r in rounds if r.get("tools_cpu_ratio") is not None]
    p95 = [r["tools_p95_ratio"] for r in rounds if r.get("tools_p95_ratio") is not None]
    middle = "median " if several else ""
    if cpu:
        aims[f"with tools: {middle}CPU per delivery <= {AIM_CPU_RATIO}x floor+tools"] = (
            statistics.median(cpu) <= AIM_CPU_RATIO
        )
        aims[f"with tools: CPU per delivery never > {AIM_CPU_RATIO_MAX}x floor+tools"] = (
            max(cpu) <= AIM_CPU_RATIO_MAX
        )
    if p95:
        aims[f"with tools: {middle}p95 latency <= {AIM_P95_RATIO}x floor+tools"] = (
            statistics.median(p95) <= AIM_P95_RATIO
        )
    return aims


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Live-room benchmark: forum /live chat against a bare Socket.IO floor.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--scenario",
        choices=sorted(SCENARIOS),
        default="chat",
        help="chat: forum against the floor at 10 rooms x 20 x 0.5 msg/s; capacity: one "
        "forum process, 20 rooms x 60 students, a message per 10 s each; storm: 300 "
        "students of one room drop and re-join at once while 10 chat",
    )
    parser.add_argument(
        "--client",
        choices=["js", "python"],
        default="js",
        help="load generator: the official socket.io JavaScript client in Node "
        "(benchmarks/clients.mjs; offers permessage-deflate, as browsers do), or "
        "python-socketio (never offers it)",
    )
    parser.add_argument("--rooms", type=int, help="live sessions (chat 10, capacity 20, storm 1)")
    parser.add_argument(
        "--clients",
        type=int,
        help="clients (students) per room (chat 20, capacity 60); storm: the re-joiners (300)",
    )
    parser.add_argument(
        "--chatters", type=int, default=10, help="storm: students who keep chatting"
    )
    parser.add_argument(
        "--chatters-with-rejoiners",
        action="store_true",
        help="storm: run the chatters in the re-joiners' Node process (before 2026-11-30 "
        "the only way), so their acks also wait for that process's own storm; by default "
        "they have a process of their own, as each student has a browser of their own",
    )
    parser.add_argument(
        "--rate", type=float, help="messages/s per client (chat 0.5, capacity 0.1, storm 1)"
    )
    parser.add_argument(
        "--duration",
        type=float,
        help="measured seconds (chat and capacity 60); storm: seconds watched after the drop (60)",
    )
    parser.add_argument(
        "--warmup",
        type=float,
        help="seconds before measuring (chat 5, capacity 10); storm: chatting before the drop (5)",
    )
    parser.add_argument(
        "--deflate",
        dest="no_deflate",
        action="store_false",
        help="servers accept the clients' permessage-deflate: FORUM_WS_DEFLATE=1 for the "
        "forum, floor_server.py without --no-deflate",
    )
    parser.add_argument(
        "--no-deflate",
        dest="no_deflate",
        action="store_true",
        help="servers decline permessage-deflate, as the forum does by default "
        "(FORUM_WS_DEFLATE=0, floor_server.py --no-deflate); the default",
    )
    parser.set_defaults(no_deflate=True)
    parser.add_argument(
        "--max-connections",
        type=int,
        help="FORUM_MAX_CONNECTIONS for the forum, --max-size for the floor (eventlet's "
        "default pool serves 1,024 connections; the forum reads it once that lands)",
    )
    parser.add_argument(
        "--drain", type=float, default=10, help="seconds to wait for late acks and deliveries"
    )
    parser.add_argument(
        "--arrivals",
        choices=["poisson", "uniform"],
        help="gaps between one client's sends: exponential (poisson; chat, capacity), or "
        "1/rate +-50%% (uniform; storm, whose chatters send at the rate limit's 1/s)",
    )
    parser.add_argument(
        "--client-procs",
        type=int,
        default=0,
        help="load-generator processes (0: one Node process per 600 clients, at most one "
        "per core; one python process)",
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0,
        metavar="SECONDS",
        help="before each side, wait up to this long for other processes "
        "to go quiet (< 25%% of a core)",
    )
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="run the servers and load generators at this niceness (e.g. -10, as root, "
        "on a machine that other work shares; both sides get the same)",
    )
    parser.add_argument("--database-url", help="PostgreSQL URL (default: fresh SQLite)")
    parser.add_argument("--only", choices=["forum", "floor"], help="run one side only")
    parser.add_argument(
        "--auth",
        choices=["cookie", "token"],
        default="cookie",
        help="how the forum's clients prove who they are: a sign-in cookie, as the "
        "room page in a browser, or an API token",
    )
    parser.add_argument(
        "--sign-in",
        choices=["app", "http"],
        default="app",
        help="--auth cookie: sign the students in inside the app at setup (the same steps "
        "as POST /auth/code, fast for 1,200), or over HTTP with their codes",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="py-spy record the forum server over the measured window into "
        "this file (.svg flame graph, .txt collapsed stacks, "
        ".json speedscope); with --tools, the forum+tools side",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed of the send times")
    # The floor now always sets TCP_NODELAY, as python wsgi.py; kept for old commands.
    parser.add_argument("--floor-nodelay", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--stored-floor",
        action="store_true",
        help="also run the floor with a durable chained log (floor_server.py --store): "
        "what storing alone costs here",
    )
    parser.add_argument(
        "--direct-floor",
        action="store_true",
        help="also run the floor delivering as the forum does (floor_server.py --direct, "
        "forum.live.delivery): the forum's own cost against a floor on the same footing",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run the sides this many times, one after the other; the aims are judged on "
        "the median ratio and the largest",
    )
    parser.add_argument(
        "--tools",
        action="store_true",
        help="chat: also run the forum with the live tools in use (forum+tools): a teacher "
        "in each room opens polls, forms and ends breakout groups and dismisses flags; "
        "students vote, change votes and flag messages instead of some chats (chats keep "
        "--rate); and the floor carrying the same lesson (floor+tools), the aims' "
        "measure; compared with the floor and with the forum without tools too; "
        "writes benchmarks/results/tools.json",
    )
    parser.add_argument(
        "--tool-share",
        type=float,
        default=0.2,
        help="--tools: the share of the students' actions that are tool actions (they act at "
        "rate / (1 - share), so that chats keep --rate)",
    )
    parser.add_argument(
        "--flag-share",
        type=float,
        default=0.1,
        help="--tools: the share of the tool actions that flag a message (the rest vote "
        "while a poll is open)",
    )
    parser.add_argument(
        "--poll-every",
        type=float,
        default=15,
        help="--tools: seconds between the teacher's polls (each open for two thirds of it)",
    )
    parser.add_argument(
        "--group-size", type=int, default=4, help="--tools: breakout groups of this size"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--output",
        type=Path,
        help="the JSON results file (benchmarks/results/latest.json for chat, capacity.json, "
        "storm.json)",
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when an aim fails (default: always exit 0)"
    )
    parser.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--setup-cookies", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--setup-teachers", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        return worker_main()
    for name, value in SCENARIOS[args.scenario].items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    global NICE
    NICE = args.nice
    if args.setup:  # the in-app data step, in its own process (see start_forum)
        print(
            json.dumps(
                setup_data(args.rooms, args.clients, args.setup_cookies, args.setup_teachers)
            )
        )
        return 0
    if args.tools and (args.scenario != "chat" or args.client != "js"):
        raise SystemExit("--tools is for --scenario chat with --client js")
    if args.tools and not 0 <= args.tool_share < 1:
        raise SystemExit("--tool-share must be at least 0 and below 1")
    if args.tools and 1 + args.poll_every * 2 / 3 >= args.warmup + args.duration - 0.5:
        print(
            "warning: no poll fits in --warmup + --duration (a poll opens 1 s in and stays "
            "open two thirds of --poll-every): the students will only flag",
            file=sys.stderr,
        )
    if args.output is None:
        args.output = RESULTS_DIR / ("tools.json" if args.tools else OUTPUTS[args.scenario])
    if args.scenario == "capacity" and args.only is None:
        args.only = "forum"  # one forum process; --only floor measures the floor instead
    if args.rate > 1.0:
        print(
            "warning: above 1 msg/s per client the forum's rate limit (burst 10, then "
            "1/s) refuses sends; those count as failed",
            file=sys.stderr,
        )
    students = args.rooms * args.clients + (args.chatters if args.scenario == "storm" else 0)
    if students > 1000 and not args.max_connections and args.only != "forum":
        # The forum serves FORUM_MAX_CONNECTIONS (10,000 by default); the floor keeps
        # eventlet's default unless told.
        print(
            f"warning: {students} connections, and the floor's eventlet WSGI server serves "
            "at most 1,024 at once unless told otherwise: pass --max-connections",
            file=sys.stderr,
        )
    if args.scenario != "chat" and (args.rounds > 1 or args.stored_floor or args.direct_floor):
        raise SystemExit("--rounds, --stored-floor and --direct-floor are for --scenario chat")

    workdir = Path(tempfile.mkdtemp(prefix="forum-live-bench-"))
    rounds: list[dict[str, Any]] = []
    storm: dict[str, Any] | None = None
    try:
        if args.scenario == "storm":
            storm = run_storm(args, workdir)
        for number in range(1, max(1, args.rounds) + 1):
            if storm is not None:
                break
            if args.rounds > 1:
                print(f"round {number} of {args.rounds}", flush=True)
            one: dict[str, Any] = {}
            if args.only != "floor":
                one["forum"] = run_forum(args, workdir / f"round-{number}")
                if args.tools:
                    one["forum+tools"] = run_forum(args, workdir / f"round-{number}", tools=True)
            if args.only != "forum":
                one["floor"] = run_floor(args, workdir)
                if args.tools:
                    one["floor+tools"] = run_floor(args, workdir, tools=True)
                if args.stored_floor:
                    one["floor+log"] = run_floor(args, workdir, store=True)
                if args.direct_floor:
                    one["floor+direct"] = run_floor(args, workdir, direct=True)
            rounds.append(one)
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    out: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([".venv/bin/python", "benchmarks/live_room.py", *sys.argv[1:]]),
        "scenario": args.scenario,
        "load": {
            "rooms": args.rooms,
            "clients_per_room": args.clients,
            **(
                {
                    "chatters": args.chatters,
                    "chatters_in_own_process": not args.chatters_with_rejoiners,
                }
                if args.scenario == "storm"
                else {}
            ),
            "rate": args.rate,
            "arrivals": args.arrivals,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "client": args.client,
            "socket_io_client": js_client_version() if args.client == "js" else None,
            "client_procs": args.client_procs,
            "nice": args.nice,
            "database": "postgresql" if args.database_url else "sqlite",
            "auth": args.auth,
            "sign_in": args.sign_in if args.auth == "cookie" else None,
            "server_deflate": not args.no_deflate,
            "max_connections": args.max_connections,
            **({"tools": tool_config(args)} if args.tools else {}),
        },
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
    }
    if storm is not None:
        aims = report_storm(args, storm)
        out.update({"storm": storm, "aims": aims})
    else:
        verdict = report(args, rounds)
        out.update(
            {
                "forum": rounds[-1].get("forum"),
                **({"forum+tools": rounds[-1].get("forum+tools")} if args.tools else {}),
                "floor": rounds[-1].get("floor"),
                **({"floor+tools": rounds[-1].get("floor+tools")} if args.tools else {}),
                "floor+log": rounds[-1].get("floor+log"),
                "floor+direct": rounds[-1].get("floor+direct"),
                "rounds": [
                    {
                        "cpu_ratio": r["cpu_ratio"],
                        "p95_ratio": r["p95_ratio"],
                        "log_cpu_ratio": r["log_cpu_ratio"],
                        "direct_cpu_ratio": r["direct_cpu_ratio"],
                        **(
                            {
                                "tools_cpu_ratio": r.get("tools_cpu_ratio"),
                                "tools_p95_ratio": r.get("tools_p95_ratio"),
                                "tools_cpu_ratio_bare_floor": r.get("tools_cpu_ratio_bare_floor"),
                                "tools_p95_ratio_bare_floor": r.get("tools_p95_ratio_bare_floor"),
                            }
                            if args.tools
                            else {}
                        ),
                        **{
                            f"{name}_cpu_ms_per_1000_deliveries": cpu_of(r.get(name))
                            for name in servers_of(args)
                        },
                    }
                    for r in rounds
                ],
                **verdict,
            }
        )
        aims = verdict["aims"]
        if args.tools:
            out["with_tools_vs_without"] = tools_comparison(rounds)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    shown = args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output
    print(f"\nwrote {shown}")
    if args.check and aims and not all(aims.values()):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

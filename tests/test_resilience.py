"""Issue 13's findings, replayed against real servers (``python wsgi.py``, eventlet):
what users notice when something behind the server fails or misbehaves.

- a sleeping laptop (a WebSocket that stops reading and answers no ping) holds no one
  else up, before or after the server gives up on it, with and without direct delivery;
- a reconnect storm: everyone back, no event lost or repeated, presence traffic linear;
- PostgreSQL cut mid-flood (through a TCP proxy the test controls): every send is
  answered, ``unavailable`` when nothing was stored, and the server recovers by itself;
- Redis killed and restarted between two processes: both say so once, and a client on
  the other process catches up without rejoining.

The server side of these is being written alongside; it adds FORUM_PING_INTERVAL and
FORUM_PING_TIMEOUT, the ``unavailable`` ack, the message-queue log lines and coalesced
presence (protocol.md). Each test waits generously and asserts outcomes, never timings.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import random
import selectors
import signal
import socket
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio
from servers import flask_cli, free_port, server_env
from test_delivery import RawClient
from test_live_server import (
    NS,
    Client,
    Forum,
    _skip_unless_ci,
    pg_forum,  # noqa: F401  (fixture)
    pg_schema,
    sign_in,
    wait_until,
)

pytestmark = pytest.mark.server

BODY = 2000  # the longest message a student may send


def body(tag: str) -> str:
    """A message of BODY characters that starts with ``tag``, in Chinese as the class
    writes it: each character goes out JSON-escaped, six bytes on the wire."""
    return (tag + " " + "我們的河流與海洋，" * (BODY // 9 + 1))[:BODY]


class Member(Client):
    """A Client that also keeps every ``presence`` it is sent, with when it came, and
    the online members of the last."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.presences: list[float] = []
        self.online: set[int] = set()
        self.sio.on("presence", self._on_presence, namespace=NS)

    def _on_presence(self, payload=None) -> None:
        with self._lock:
            self.presences.append(time.monotonic())
            if isinstance(payload, dict):
                self.online = {m["id"] for m in payload["members"] if m["online"]}

    def presence_since(self, start: float) -> int:
        with self._lock:
            return sum(1 for t in self.presences if t >= start)


def call(client: Client, event: str, payload: dict, timeout: float = 15) -> dict | None:
    """The ack, or None when none came within ``timeout`` (or the connection broke)."""
    try:
        return client.sio.call(event, payload, namespace=NS, timeout=timeout)
    except (socketio.exceptions.SocketIOError, OSError):
        return None


def api(url: str, token: str, method: str, path: str, **kw) -> requests.Response:
    return requests.request(
        method, url + path, headers={"Authorization": f"Bearer {token}"}, timeout=30, **kw
    )


def second_room(forum: Forum, url: str) -> int:
    """The demo's TW-KR session, opened: a room that has nothing to do with the first."""
    live = next(s for s in forum.demo["sessions"] if s["id"] == forum.live)
    other = next(
        s
        for s in forum.demo["sessions"]
        if s["exchange_id"] != live["exchange_id"] and s["status"] != "closed"
    )
    if other["status"] != "live":
        response = api(url, forum.token, "POST", f"/api/v1/sessions/{other['id']}/open")
        assert response.status_code == 200, response.text
    return other["id"]


# --- 1. the sleeping laptop ---------------------------------------------------------------


class Sleeper(RawClient):
    """A browser tab on a laptop that goes to sleep: a raw WebSocket with a small
    receive buffer that connects with its sign-in cookie, joins, reads the join's ack
    and then never reads (nor answers a ping) again."""

    def __init__(self, port: int, cookie: str, session_id: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        # The segment size of a real network (loopback's is 64 KB): it keeps the kernel
        # from buffering megabytes for a reader that has stopped, as it would not over
        # Wi-Fi either.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 1400)
        self.sock.settimeout(30)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"Cookie: {cookie}\r\n\r\n"
            ).encode()
        )
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._recv()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101"), head
        assert self.text().startswith("0")  # engine.io open
        self.send_text(f"40{NS},")
        connected = self.text()
        assert connected.startswith(f"40{NS},"), connected
        self.send_text(f"42{NS},1" + json.dumps(["join", {"session_id": session_id}]))
        while True:  # presence or events may come first
            message = self.text()
            if message.startswith(f"43{NS},1"):
                self.joined = json.loads(message[len(f"43{NS},1") :])[0]
                break
        assert self.joined["ok"], self.joined
        # From here on it reads nothing.


@pytest.fixture
def sqlite_forum_fresh(tmp_path):
    """A fresh SQLite forum for one test (the servers it starts are stopped after)."""
    forum = Forum(server_env(tmp_path, FORUM_ACCESS_LOG="0")).seed()
    yield forum
    forum.stop_all()


@pytest.mark.parametrize("direct", ["1", "0"], ids=["direct", "queued"])
def test_a_sleeping_laptop_holds_no_one_up(sqlite_forum_fresh, direct):
    forum = sqlite_forum_fresh
    server = forum.start(
        FORUM_PING_INTERVAL="1", FORUM_PING_TIMEOUT="2", FORUM_DIRECT_DELIVERY=direct
    )
    url, sid = server.url, forum.live
    other_sid = second_room(forum, url)
    students = forum.users("student", "taipei-daan") + forum.users("student", "shizuoka-aoi")
    assert len(students) >= 6
    with ThreadPoolExecutor(6) as pool:
        cookies = list(pool.map(lambda u: sign_in(url, u), students[:6]))
    teacher_cookie = sign_in(url, forum.users("teacher", "shizuoka-aoi")[0])

    listener = Member(url, cookie=teacher_cookie).connect()  # watches the room
    listener.ok("join", {"session_id": sid})
    chatters = [Client(url, cookie=c).connect() for c in cookies[:5]]
    for client in chatters:
        client.ok("join", {"session_id": sid})
    elsewhere = Client(url, token=forum.token).connect()  # the TW teacher, in room 2
    elsewhere.ok("join", {"session_id": other_sid})

    sleeper = Sleeper(server.port, cookies[5], sid)
    sleeper_id = sleeper.joined["you"]["id"]

    stop = threading.Event()
    lock = threading.Lock()
    sends: list[tuple[str, float, dict | None]] = []  # (who, when, ack or None)
    pages: list[tuple[float, int | str]] = []

    def chat(who: str, client: Client, room: int) -> None:
        rng = random.Random(who)
        for n in range(200):  # bounded; the test stops it long before
            if stop.is_set():
                return
            ack = call(
                client,
                "chat.send",
                {"session_id": room, "client_id": f"{who}-{n}", "body": body(f"{who} {n}")},
            )
            with lock:
                sends.append((who, time.monotonic(), ack))
            # A burst first, then just under the rate limit (1 a second after a burst
            # of 10): every send should be stored, so every ack should be ok. The burst
            # fills the sleeper's socket before its ping timeout.
            stop.wait(0.1 if n < 8 else rng.uniform(1.05, 1.4))

    def browse() -> None:
        while not stop.is_set():
            try:
                status: int | str = requests.get(url + "/auth/code", timeout=15).status_code
            except requests.RequestException as exc:
                status = type(exc).__name__
            with lock:
                pages.append((time.monotonic(), status))
            stop.wait(1)

    threads = [
        threading.Thread(target=chat, args=(f"s{i}", c, sid), daemon=True)
        for i, c in enumerate(chatters)
    ]
    threads.append(threading.Thread(target=chat, args=("room2", elsewhere, other_sid), daemon=True))
    threads.append(threading.Thread(target=browse, daemon=True))
    for thread in threads:
        thread.start()

    def sleeper_left() -> bool:
        return any(
            e["type"] == "member.left" and (e["actor"] or {}).get("id") == sleeper_id
            for e in listener.heard()
        )

    try:
        # The server gives up on the sleeper at its ping timeout (a few seconds with the
        # settings above; 45 s with engineio's defaults): wait for that, then chat on.
        gone_at = None
        with contextlib.suppress(AssertionError):
            wait_until(sleeper_left, timeout=75, what="the sleeper to be dropped")
            gone_at = time.monotonic()
        stop.wait(15)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
        for client in (listener, *chatters, elsewhere):
            client.close()
        sleeper.close()
    assert not any(t.is_alive() for t in threads), "a chat thread is still waiting"

    unanswered = [(who, round(t - sends[0][1], 1)) for who, t, ack in sends if ack is None]
    assert not unanswered, (
        f"{len(unanswered)} of {len(sends)} sends got no ack within 15 s "
        f"(who, seconds into the chat): {unanswered[:10]}"
    )
    refused = [(who, ack) for who, _, ack in sends if not ack["ok"]]
    assert not refused, f"sends refused: {refused[:5]}"
    broken = [(round(t - pages[0][0], 1), s) for t, s in pages if s != 200]
    assert not broken, f"GET /auth/code did not answer 200 (seconds in, status): {broken[:10]}"
    assert gone_at is not None, "the server never dropped the sleeping client (no member.left)"
    # Well after the sleeper's ping timeout, everyone is still being served.
    late = {who for who, t, ack in sends if t > gone_at + 10 and ack and ack["ok"]}
    assert late == {f"s{i}" for i in range(5)} | {"room2"}, late
    assert any(t > gone_at + 10 for t, _ in pages)


# --- 2. a reconnect storm ------------------------------------------------------------------


@pytest.fixture(scope="module")
def crowded_forum(tmp_path_factory):
    """A SQLite forum whose TW class has 120 more students, each signed in once."""
    folder = tmp_path_factory.mktemp("storm")
    forum = Forum(server_env(folder, FORUM_ACCESS_LOG="0")).seed()
    roster = folder / "roster.csv"
    roster.write_text(
        "display_name\n" + "".join(f"Storm {i:03d}\n" for i in range(120)), encoding="utf-8"
    )
    tw_class = next(c for c in forum.demo["classes"] if c["school"] == "taipei-daan")
    forum.crowd = json.loads(
        flask_cli(
            ["forum", "import-roster", str(tw_class["id"]), str(roster), "--json"], forum.env
        ).stdout
    )
    forum.server = forum.start()
    with ThreadPoolExecutor(8) as pool:
        forum.crowd_cookies = list(pool.map(lambda u: sign_in(forum.server.url, u), forum.crowd))
    yield forum
    forum.stop_all()


class Rejoiner:
    """One student's view across the storm: a connection, dropped, and a new one."""

    def __init__(self, url: str, cookie: str) -> None:
        self.url, self.cookie = url, cookie
        self.before = Member(url, cookie=cookie)
        self.after: Member | None = None
        self.first_head = 0
        self.rejoin: dict | None = None

    def join(self, sid: int) -> None:
        self.before.connect()
        self.first_head = self.before.ok("join", {"session_id": sid})["head"]

    def last_seq(self) -> int:
        return max([self.first_head] + [e["seq"] for e in self.before.heard()])

    def back(self, sid: int) -> dict | None:
        self.after = Member(self.url, cookie=self.cookie)
        try:
            self.after.connect()
        except socketio.exceptions.ConnectionError as exc:
            return {"ok": False, "error": f"connect failed: {exc}"}
        self.rejoin = call(
            self.after, "join", {"session_id": sid, "since": self.last_seq()}, timeout=60
        )
        return self.rejoin

    def seqs(self) -> set[int]:
        """Every seq this student has: heard before the drop, replayed, heard after."""
        have = {e["seq"] for e in self.before.heard()}
        have |= {e["seq"] for e in (self.rejoin or {}).get("events", [])}
        return have | {e["seq"] for e in self.after.heard()}


def _storm(forum: Forum, n: int) -> int:
    """``n`` students in the room drop at once and come back at once, ``since`` their
    last seq, while two others chat. Checks that everyone is back with every event;
    returns how many ``presence`` messages all clients got from the drop on."""
    url, sid = forum.server.url, forum.live
    crowd = [Rejoiner(url, c) for c in forum.crowd_cookies[:n]]
    talkers_people = forum.users("student", "shizuoka-aoi")[:2]
    talkers = [Member(url, cookie=sign_in(url, u)).connect() for u in talkers_people]
    for talker in talkers:
        talker.ok("join", {"session_id": sid})
    with ThreadPoolExecutor(32) as pool:
        list(pool.map(lambda r: r.join(sid), crowd))

    stop = threading.Event()
    acked: list[int] = []
    problems: list[Any] = []

    def chat(i: int) -> None:
        for k in range(300):
            if stop.is_set():
                return
            ack = call(
                talkers[i],
                "chat.send",
                {"session_id": sid, "client_id": f"storm{n}-{i}-{k}", "body": f"still here {k}"},
                timeout=60,
            )
            if ack and ack["ok"]:
                acked.append(ack["event"]["seq"])
            elif not ack or ack["error"] != "rate_limited":
                problems.append(ack)
            stop.wait(1.1)

    chatting = [threading.Thread(target=chat, args=(i,), daemon=True) for i in range(2)]
    clients: list[Member] = list(talkers)
    try:
        for thread in chatting:
            thread.start()
        wait_until(lambda: len(acked) >= 4, timeout=60, what="some chat before the storm")
        dropped_at = time.monotonic()
        barrier = threading.Barrier(n)

        def drop(r: Rejoiner) -> None:
            barrier.wait()
            r.before.close()

        with ThreadPoolExecutor(n) as pool:
            list(pool.map(drop, crowd))
        barrier = threading.Barrier(n)

        def back(r: Rejoiner) -> dict | None:
            barrier.wait()
            return r.back(sid)

        with ThreadPoolExecutor(n) as pool:
            acks = list(pool.map(back, crowd))
        clients += [r.after for r in crowd]
        print(f"{n} students dropped and rejoined in {time.monotonic() - dropped_at:.1f} s")
        failed = [a for a in acks if not (a and a["ok"])]
        assert not failed, f"{len(failed)} of {n} rejoins failed: {failed[:3]}"
        # Let the chat go on a little with everyone back, then let presence settle.
        count = len(acked)
        wait_until(lambda: len(acked) >= count + 4, timeout=60, what="chat after the storm")
        stop.set()
        for thread in chatting:
            thread.join(90)
        assert not problems, problems[:5]
        head = max(acked)
        time.sleep(3)

        for r in crowd:
            wait_until(
                lambda r=r: max(r.seqs()) >= head, timeout=60, what=f"seq {head} at every client"
            )
            have = r.seqs()
            missing = sorted(set(range(r.first_head + 1, head + 1)) - have)
            assert not missing, f"a client that rejoined never got seqs {missing[:20]}"
            live = [e["seq"] for e in r.after.heard()]
            assert len(live) == len(set(live)), f"live events after the rejoin repeat: {live}"
            assert live == sorted(live), f"live events after the rejoin out of order: {live}"
            # Each is shown who is here, themselves among them (one snapshot, encoded
            # once, goes to every joiner of the storm).
            assert r.after.presences, "a student back in the room was never shown who is here"
            assert r.rejoin is not None and r.rejoin["you"]["id"] in r.after.online
        return sum(c.presence_since(dropped_at) for c in clients)
    finally:
        stop.set()
        for client in clients:
            client.close()
        for r in crowd:
            r.before.close()


def test_a_reconnect_storm_loses_nothing_and_presence_stays_linear(crowded_forum):
    n = 60
    small = _storm(crowded_forum, n)
    large = _storm(crowded_forum, 2 * n)
    counts = (
        f"presence messages during the storm: {small} for {n} students, "
        f"{large} for {2 * n} ({large / max(small, 1):.1f}x; quadratic is 4x)"
    )
    print(counts)
    assert small < 10 * n and large < 10 * 2 * n, f"{counts}: fewer than 10 a student expected"
    # One presence per join per member is quadratic: 3.7x here, the rest being the join
    # acks' own snapshots. Coalesced snapshots (about one a second per room) grow with
    # the room and a little with how long the storm lasts, hence not 2x.
    assert large <= 3 * small, f"{counts}: presence grows faster than the room"


# --- 3. the database cut mid-flood ---------------------------------------------------------


class Proxy:
    """A TCP forwarder on a free port to ``target``; ``cut()`` closes every connection
    and refuses new ones until ``restore()``."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self.listener: socket.socket | None = None
        self.pairs: set[tuple[socket.socket, socket.socket]] = set()
        self.lock = threading.Lock()
        self.restore()

    def restore(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                downstream, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                downstream.close()
                continue
            pair = (downstream, upstream)
            with self.lock:
                self.pairs.add(pair)
            threading.Thread(target=self._pump, args=(pair,), daemon=True).start()

    def _pump(self, pair: tuple[socket.socket, socket.socket]) -> None:
        downstream, upstream = pair
        with selectors.DefaultSelector() as sel:
            sel.register(downstream, selectors.EVENT_READ, upstream)
            sel.register(upstream, selectors.EVENT_READ, downstream)
            try:
                while True:
                    for key, _ in sel.select():
                        data = key.fileobj.recv(65536)
                        if not data:
                            raise ConnectionError
                        key.data.sendall(data)
            except (OSError, ValueError):
                pass
        self._close(pair)

    def _close(self, pair: tuple[socket.socket, socket.socket]) -> None:
        with self.lock:
            self.pairs.discard(pair)
        for sock in pair:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def cut(self) -> None:
        if self.listener is not None:
            self.listener.close()  # new connections are refused
            self.listener = None
        with self.lock:
            pairs = list(self.pairs)
        for pair in pairs:
            self._close(pair)


@pytest.fixture
def pg_forum_behind_proxy(tmp_path):
    """A fresh schema in PostgreSQL, migrated and seeded directly; its servers reach it
    through a Proxy (``forum.proxy``). Dropped at the end."""
    from urllib.parse import urlsplit

    with pg_schema() as (admin_url, _schema, direct):
        target = urlsplit(admin_url)
        proxy = Proxy((target.hostname or "127.0.0.1", target.port or 5432))
        forum = Forum(server_env(tmp_path, FORUM_ACCESS_LOG="0", FORUM_DATABASE_URL=direct))
        forum.proxy = proxy
        forum.proxied_url = direct.replace(
            target.netloc,
            f"{target.username + '@' if target.username else ''}127.0.0.1:{proxy.port}",
            1,
        )
        try:
            forum.seed()
            yield forum
        finally:
            forum.stop_all()
            proxy.cut()


def _answered_as_promised(ack: dict | None) -> bool:
    if ack is None:
        return False
    if ack["ok"]:
        return True
    if ack["error"] == "unavailable":
        return isinstance(ack.get("retry_after"), int | float) and ack["retry_after"] > 0
    return ack["error"] == "rate_limited"


def test_a_database_cut_mid_flood_is_answered_and_survived(pg_forum_behind_proxy):
    forum = pg_forum_behind_proxy
    server = forum.start(FORUM_DATABASE_URL=forum.proxied_url)
    url, sid = server.url, forum.live
    students = forum.users("student", "taipei-daan") + forum.users("student", "shizuoka-aoi")
    with ThreadPoolExecutor(len(students)) as pool:
        cookies = list(pool.map(lambda u: sign_in(url, u), students))
    clients = [Client(url, cookie=c).connect() for c in cookies]
    for client in clients:
        client.ok("join", {"session_id": sid})
    assert forum.proxy.pairs, "the server does not reach the database through the proxy"

    stop = threading.Event()
    lock = threading.Lock()
    phase = ["before"]
    sends: list[tuple[int, str, str, dict | None]] = []  # (who, client_id, phase, ack)

    def flood(i: int) -> None:
        for n in range(300):
            if stop.is_set():
                return
            client_id = f"cut-{i}-{n}"
            sent_in = phase[0]
            ack = call(
                clients[i],
                "chat.send",
                {"session_id": sid, "client_id": client_id, "body": f"flood {i} {n}"},
                timeout=12,
            )
            with lock:
                sends.append((i, client_id, sent_in, ack))
            if ack and not ack["ok"] and ack.get("retry_after"):
                stop.wait(min(float(ack["retry_after"]), 3))
            else:
                stop.wait(random.uniform(0.5, 1.0))

    threads = [threading.Thread(target=flood, args=(i,), daemon=True) for i in range(len(clients))]
    page_during_cut: int | str = "not asked"
    try:
        for thread in threads:
            thread.start()
        wait_until(
            lambda: sum(1 for s in sends if s[3] and s[3]["ok"]) >= 10,
            timeout=60,
            what="some sends before the cut",
        )
        phase[0] = "cut"
        forum.proxy.cut()
        time.sleep(1)
        try:
            page_during_cut = requests.get(
                url + "/auth/code",
                headers={"Cookie": cookies[0]},
                timeout=15,
                allow_redirects=False,
            ).status_code
        except requests.RequestException as exc:
            page_during_cut = type(exc).__name__
        time.sleep(7)
        forum.proxy.restore()
        phase[0] = "after"
        time.sleep(8)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    assert not any(t.is_alive() for t in threads)
    summary: dict[str, dict[str, int]] = {}
    for _, _, sent_in, ack in sends:
        answer = "none" if ack is None else "ok" if ack["ok"] else ack["error"]
        summary.setdefault(sent_in, {}).setdefault(answer, 0)
        summary[sent_in][answer] += 1
    print(f"sends by phase and answer: {summary}; the page during the cut: {page_during_cut}")

    unanswered = [(cid, p) for _, cid, p, ack in sends if ack is None]
    assert not unanswered, f"sends with no ack within 12 s (client_id, phase): {unanswered[:10]}"
    odd = [(cid, p, ack) for _, cid, p, ack in sends if not _answered_as_promised(ack)]
    assert not odd, f"sends answered neither ok nor unavailable with retry_after: {odd[:5]}"
    unavailable = [
        (i, cid) for i, cid, _, ack in sends if not ack["ok"] and ack["error"] == "unavailable"
    ]
    assert unavailable, "no send was answered unavailable while the database was cut"
    assert page_during_cut == 503, (
        f"GET /auth/code (signed in) while the database was cut answered {page_during_cut}"
    )

    # The server recovered by itself: every student can send again.
    for i, client in enumerate(clients):
        ack = None
        for k in range(30):
            ack = call(
                client,
                "chat.send",
                {"session_id": sid, "client_id": f"after-{i}-{k}", "body": "back"},
            )
            if ack and ack["ok"]:
                break
            time.sleep(1)
        assert ack and ack["ok"], f"student {i} still cannot send after the restore: {ack}"
    # A send answered unavailable may be sent again, and is stored once.
    who, client_id = unavailable[0]
    again = call(
        clients[who], "chat.send", {"session_id": sid, "client_id": client_id, "body": "sent again"}
    )
    assert again and again["ok"], again
    twice = call(
        clients[who], "chat.send", {"session_id": sid, "client_id": client_id, "body": "sent again"}
    )
    assert twice and twice["ok"] and twice["event"] == again["event"], (again, twice)

    reader = Client(url, token=forum.token).connect()
    try:
        final = reader.ok("join", {"session_id": sid, "since": 0})
    finally:
        reader.close()
        for client in clients:
            client.close()
    events = final["events"]
    assert [e["seq"] for e in events] == list(range(1, final["head"] + 1))
    posted = [
        (e["actor"]["id"], e["data"]["client_id"], e["seq"])
        for e in events
        if e["type"] == "message.posted"
    ]
    stored = {(cid, seq) for _, cid, seq in posted}
    acked = {(cid, ack["event"]["seq"]) for _, cid, _, ack in sends if ack["ok"]}
    lost = acked - stored
    assert not lost, f"acknowledged but not in the transcript: {sorted(lost)[:10]}"
    assert sum(1 for _, cid, _ in posted if cid == client_id) == 1


# --- 4. Redis killed and restarted between two processes ------------------------------------


class Redis:
    """A redis-server of this test's own, on a port of its own, without persistence."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        import redis

        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)

        def up() -> bool:
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False

        wait_until(up, timeout=15, what=f"redis-server on port {self.port}")
        client.close()

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


@pytest.fixture
def own_redis(tmp_path):
    import shutil

    if not shutil.which("redis-server"):
        _skip_unless_ci("redis-server is not installed")
    redis_server = Redis(tmp_path)
    redis_server.start()
    yield redis_server
    redis_server.kill()


def _lines(output: str, text: str) -> list[str]:
    return [line for line in output.splitlines() if text in line]


def test_redis_killed_and_restarted_between_two_processes(pg_forum, own_redis):  # noqa: F811
    forum = pg_forum
    sid = forum.live
    a = forum.start(FORUM_MESSAGE_QUEUE=own_redis.url)
    b = forum.start(FORUM_MESSAGE_QUEUE=own_redis.url)
    listener_person = forum.users("student", "shizuoka-aoi")[0]
    on_b = Client(b.url, cookie=sign_in(b.url, listener_person)).connect()
    first = on_b.ok("join", {"session_id": sid})["head"]
    senders_people = forum.users("student", "taipei-daan")[:3]
    senders = [Client(a.url, cookie=sign_in(a.url, u)).connect() for u in senders_people]
    for sender in senders:
        sender.ok("join", {"session_id": sid})
    sent: list[int] = []

    def send(n: int) -> None:
        ack = senders[n % len(senders)].send(sid, f"mq-outage-{n}", f"number {n}")
        assert ack["ok"], (n, ack)
        sent.append(ack["event"]["seq"])
        time.sleep(0.4)

    try:
        for n in range(10):
            send(n)
        wait_until(
            lambda: on_b.last_seq() >= sent[-1],
            timeout=30,
            what="process B's client to hear the first messages",
        )
        own_redis.kill()
        for n in range(10, 25):
            send(n)
        time.sleep(2)
        own_redis.start()
        time.sleep(3)
        for n in range(25, 30):
            send(n)

        def caught_up() -> bool:
            return {e["seq"] for e in on_b.heard()} >= set(sent)

        with contextlib.suppress(AssertionError):
            wait_until(caught_up, timeout=60, what="process B's client to catch up")
        heard = [e["seq"] for e in on_b.heard()]
        posted = {e["seq"] for e in on_b.heard() if e["type"] == "message.posted"}
        missing = sorted(set(sent) - posted)
        assert not missing, (
            f"the client on process B never got seqs {missing} of {len(sent)} messages "
            f"sent on process A (it heard {heard})"
        )
        # Live events may begin at or before the join's head (the joiner's own
        # member.joined is told to the room it is already in); from there on, each
        # seq once, in order, no gap.
        assert heard and heard[0] <= first + 1, (first, heard)
        assert heard == list(range(heard[0], heard[0] + len(heard))), (
            f"the client on process B heard seqs out of order, with gaps or twice: {heard}"
        )
    finally:
        on_b.close()
        for sender in senders:
            sender.close()
        a.stop()
        b.stop()

    for server in (a, b):
        output = server.output()
        down = _lines(output, "message queue unreachable")
        up = _lines(output, "message queue reachable again")
        assert len(down) == 1 and len(up) == 1, (
            f"process {server.url}: {len(down)} 'message queue unreachable' and {len(up)} "
            f"'message queue reachable again' lines for one outage; its output ends:\n"
            + "\n".join(output.splitlines()[-15:])
        )
        assert output.index(down[0]) < output.index(up[0])

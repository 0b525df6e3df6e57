"""The live room against real servers: ``python wsgi.py`` (eventlet) processes, real
Socket.IO clients over WebSocket (python-socketio), SQLite and PostgreSQL, Redis.

- 20 concurrent senders get a gapless seq, and every listener hears it all in order;
- a resend with the same client_id creates nothing;
- a client that drops and rejoins with ``since`` gets exactly what it missed;
- a server killed with SIGKILL mid-flood loses no acknowledged message (SQLite and
  PostgreSQL);
- two servers sharing Redis and one PostgreSQL database behave as one.

The PostgreSQL ones use FORUM_TEST_DATABASE_URL, else the local default (DEFAULT_PG),
whatever database the in-process tests use: CI runs them once, in its SQLite run. They
are skipped when PostgreSQL or Redis is not reachable, unless CI is set.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
import socketio
from livekit import check_ack, check_event, check_seqs
from servers import Server, flask_cli, server_env, start_server

from forum.log import eventlog

pytestmark = pytest.mark.server

NS = "/live"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/5"


def wait_until(predicate: Callable[[], bool], timeout: float = 15, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        time.sleep(0.02)


# --- clients ----------------------------------------------------------------------------


class Client:
    """One real Socket.IO connection to ``/live``; every pushed ``event`` is kept in the
    order it came off the wire."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        cookie: str | None = None,
        user_id: int | None = None,
    ) -> None:
        self.url, self.token, self.cookie, self.user_id = url, token, cookie, user_id
        self.sio = socketio.Client(reconnection=False, handle_sigint=False)
        # The engine.io client runs each incoming message's handler in a thread of its
        # own, which could reorder them; run them in the read loop, in arrival order.
        trigger = self.sio.eio._trigger_event

        def in_order(event, *args, **kwargs):
            kwargs["run_async"] = False
            return trigger(event, *args, **kwargs)

        self.sio.eio._trigger_event = in_order
        self.events: list[dict[str, Any]] = []
        self.connect_error: Any = None
        self._lock = threading.Lock()
        self.sio.on("event", self._on_event, namespace=NS)
        self.sio.on("connect_error", self._on_connect_error, namespace=NS)

    def _on_event(self, event) -> None:
        with self._lock:
            self.events.append(event)

    def _on_connect_error(self, data=None) -> None:
        self.connect_error = data

    def connect(self) -> Client:
        self.sio.connect(
            self.url,
            namespaces=[NS],
            transports=["websocket"],
            auth={"token": self.token} if self.token else None,
            headers={"Cookie": self.cookie} if self.cookie else {},
            wait_timeout=10,
        )
        return self

    def call(self, event: str, payload: Any, timeout: float = 20) -> dict[str, Any]:
        ack = self.sio.call(event, payload, namespace=NS, timeout=timeout)
        check_ack(ack)
        return ack

    def ok(self, event: str, payload: Any) -> dict[str, Any]:
        ack = self.call(event, payload)
        assert ack["ok"], (event, payload, ack)
        return ack

    def send(self, session_id: int, client_id: str, body: str) -> dict[str, Any]:
        """chat.send, waiting out the rate limit (burst 10, then 1/s per user)."""
        for _ in range(60):
            ack = self.call(
                "chat.send", {"session_id": session_id, "client_id": client_id, "body": body}
            )
            if ack["ok"] or ack["error"] != "rate_limited":
                return ack
            time.sleep(ack["retry_after"])
        raise AssertionError(f"still rate limited: {ack}")

    def heard(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.events)

    def last_seq(self) -> int:
        heard = self.heard()
        return heard[-1]["seq"] if heard else 0

    def check_heard(self, through: int) -> list[dict[str, Any]]:
        """Wait until this client has heard seq ``through``; what it heard must be in
        seq order, gapless, each event well formed."""
        wait_until(lambda: self.last_seq() >= through, what=f"seq {through} at {self.url}")
        heard = self.heard()
        for event in heard:
            check_event(event)
        check_seqs(heard)
        return heard

    def close(self) -> None:
        if self.sio.connected:
            self.sio.disconnect()
        # After a server crash engine.io ends its loops but leaves the socket open.
        ws = getattr(self.sio.eio, "ws", None)
        if ws is not None:
            with contextlib.suppress(Exception):
                ws.shutdown()


def sign_in(url: str, user: dict) -> str:
    """Sign in over HTTP as a browser would; the Cookie header of that sign-in."""
    path = "/auth/code" if "code" in user else "/auth/login"
    form = (
        {"code": user["code"]}
        if "code" in user
        else {"username": user["username"], "password": user["password"]}
    )
    with requests.Session() as http:
        html = http.get(url + path, timeout=20).text
        token = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
        response = http.post(
            url + path, data={**form, "csrf_token": token}, allow_redirects=False, timeout=20
        )
        assert response.status_code == 302, response.text
        return "; ".join(f"{c.name}={c.value}" for c in http.cookies)


# --- a seeded forum and its servers ------------------------------------------------------


class Forum:
    """A migrated, seeded database (its own instance folder) and the servers on it."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.servers: list[Server] = []
        self.demo: dict = {}
        self.token = ""

    def seed(self, after_upgrade: Callable[[], None] | None = None) -> Forum:
        flask_cli(["db", "upgrade"], self.env)
        if after_upgrade:
            after_upgrade()
        self.demo = json.loads(flask_cli(["forum", "seed-demo", "--json"], self.env).stdout)
        self.token = flask_cli(["forum", "token", "lin.teacher"], self.env).stdout.strip()
        assert self.token
        live = next(s for s in self.demo["sessions"] if s["status"] == "live")
        self.live = live["id"]
        return self

    def start(self, **env: str) -> Server:
        server = start_server({**self.env, **env})
        self.servers.append(server)
        return server

    def stop_all(self) -> None:
        for server in self.servers:
            server.stop()

    def users(self, role: str, school: str | None = None) -> list[dict]:
        return [
            u
            for u in self.demo["users"]
            if u["role"] == role and (school is None or u["school"] == school)
        ]

    def people(self, url: str) -> list[dict[str, Any]]:
        """How each member of the live session connects: the TW teacher with the API
        token, the JP teacher and the students with a sign-in cookie."""
        people = [{"token": self.token, "name": "lin.teacher"}]
        members = self.users("teacher", "shizuoka-aoi")
        for school in ("taipei-daan", "shizuoka-aoi"):
            members += self.users("student", school)
        with ThreadPoolExecutor(len(members)) as pool:
            cookies = list(pool.map(lambda u: sign_in(url, u), members))
        people += [{"cookie": c, "name": u["display_name"]} for u, c in zip(members, cookies)]
        return people

    def client(self, url: str, person: dict[str, Any]) -> Client:
        return Client(url, token=person.get("token"), cookie=person.get("cookie")).connect()


def _pg_admin_url() -> str:
    return (os.environ.get("FORUM_TEST_DATABASE_URL") or DEFAULT_PG).replace(
        "postgresql+psycopg2://", "postgresql://"
    )


def _pg_reachable(url: str) -> str | None:
    import psycopg2

    try:
        psycopg2.connect(url, connect_timeout=3).close()
    except psycopg2.Error as exc:
        return str(exc).strip()
    return None


def _skip_unless_ci(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def sqlite_forum(tmp_path_factory):
    """A fresh SQLite forum served by one eventlet server."""
    forum = Forum(server_env(tmp_path_factory.mktemp("live-sqlite"), FORUM_ACCESS_LOG="0"))
    forum.seed()
    forum.server = forum.start()
    yield forum
    forum.stop_all()


@contextlib.contextmanager
def pg_schema() -> Iterator[tuple[str, str, str]]:
    """A fresh schema in PostgreSQL (FORUM_TEST_DATABASE_URL, else the local default;
    skipped where it is unreachable, unless in CI): (admin URL, schema, the URL of a
    connection to it). Dropped at the end."""
    import psycopg2

    admin_url = _pg_admin_url()
    problem = _pg_reachable(admin_url)
    if problem:
        _skip_unless_ci(f"PostgreSQL at {admin_url} is not reachable: {problem}")
    schema = f"t_{secrets.token_hex(6)}"
    with psycopg2.connect(admin_url) as conn, conn.cursor() as cur:
        cur.execute(f'CREATE SCHEMA "{schema}"')
    conn.close()
    joiner = "&" if "?" in admin_url else "?"
    try:
        yield admin_url, schema, f"{admin_url}{joiner}options=-csearch_path%3D{schema}"
    finally:
        with psycopg2.connect(admin_url) as conn, conn.cursor() as cur:
            cur.execute(f'DROP SCHEMA "{schema}" CASCADE')
        conn.close()


@pytest.fixture(scope="module")
def pg_forum(tmp_path_factory):
    """A fresh schema in PostgreSQL, migrated and seeded; dropped at the end."""

    with pg_schema() as (admin_url, schema, url):
        forum = Forum(
            server_env(
                tmp_path_factory.mktemp("live-pg"), FORUM_ACCESS_LOG="0", FORUM_DATABASE_URL=url
            )
        )
        forum.schema = schema
        yield from _seeded(forum, admin_url, schema)


def _seeded(forum: Forum, admin_url: str, schema: str) -> Iterator[Forum]:
    import psycopg2

    def start_ids_far_apart() -> None:
        # Redis pub/sub channels ignore the database number: servers of another test
        # run on the same Redis would hear these rooms if session and user ids (the
        # room names) were the same small numbers in every fresh schema.
        with (
            psycopg2.connect(admin_url, options=f"-csearch_path={schema}") as conn,
            conn.cursor() as cur,
        ):
            for table in ("forum_sessions", "users"):
                cur.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                    (table, secrets.randbelow(10**9) + 10**6),
                )
        conn.close()

    try:
        forum.seed(after_upgrade=start_ids_far_apart)
        yield forum
    finally:
        forum.stop_all()


def test_the_app_keeps_the_query_string_of_a_postgresql_url():
    from forum.config import database_url

    url = "postgresql://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dt_abc"
    assert database_url(url) == (
        "postgresql+psycopg2://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dt_abc"
    )


# --- one server ---------------------------------------------------------------------------


def test_connections_without_a_sign_in_are_refused(sqlite_forum):
    url = sqlite_forum.server.url
    for client in (
        Client(url),
        Client(url, token="sdgf_nope"),
        Client(url, cookie="forum_session=forged"),
    ):
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect()
        # What a browser's socket.io client gets as err.data (static/js/room.js).
        assert client.connect_error["data"]["code"] == "unauthorized", client.connect_error
    assert sqlite_forum.client(url, {"token": sqlite_forum.token}).sio.connected


def test_twenty_concurrent_senders_get_a_gapless_seq(sqlite_forum):
    forum = sqlite_forum
    url, sid = forum.server.url, forum.live
    people = forum.people(url)  # 2 teachers and 8 students: two connections each
    assert len(people) == 10
    with ThreadPoolExecutor(20) as pool:
        clients = list(pool.map(lambda i: forum.client(url, people[i % 10]), range(20)))
    try:
        for client in clients:
            client.ok("join", {"session_id": sid})
        per_client = 4  # 8 per person: within the burst of 10
        start = threading.Barrier(len(clients))

        def flood(i: int) -> list[dict]:
            start.wait()
            return [
                clients[i].send(sid, f"flood-{i}-{n}", f"message {n} from sender {i}")
                for n in range(per_client)
            ]

        with ThreadPoolExecutor(len(clients)) as pool:
            acks = [ack for batch in pool.map(flood, range(len(clients))) for ack in batch]
        assert all(ack["ok"] for ack in acks), [a for a in acks if not a["ok"]]
        sent = {ack["event"]["data"]["client_id"]: ack["event"]["seq"] for ack in acks}
        assert len(sent) == len(acks) == 20 * per_client
        assert len(set(sent.values())) == len(sent), "two messages got the same seq"

        # The log: 1..head, each message once, as acknowledged.
        reader = forum.client(url, {"token": forum.token})
        final = reader.ok("join", {"session_id": sid, "since": 0})
        seqs = [e["seq"] for e in final["events"]]
        assert seqs == list(range(1, final["head"] + 1))
        posted = {
            e["data"]["client_id"]: e["seq"]
            for e in final["events"]
            if e["type"] == "message.posted" and e["data"]["client_id"] in sent
        }
        assert posted == sent
        # Every listener heard all of it, in seq order, with no gap and no repeat.
        for client in clients:
            heard = client.check_heard(max(sent.values()))
            assert set(sent.values()) <= {e["seq"] for e in heard}
        reader.close()
    finally:
        for client in clients:
            client.close()


def delivery_counts(url: str) -> dict[str, int]:
    """The server's direct and queued MESSAGE packets so far (/healthz)."""
    return requests.get(url + "/healthz", timeout=10).json()["delivery"]


def test_a_rooms_chat_is_delivered_directly(sqlite_forum):
    """forum/live/delivery.py writes to idle WebSockets itself, through private parts
    of python-engineio and eventlet. If a release moves them, it quietly falls back to
    engineio's queue (correct, but about twice the CPU): this test makes that fail."""
    forum = sqlite_forum
    url, sid = forum.server.url, forum.live
    people = forum.people(url)[:8]
    clients = [forum.client(url, person) for person in people]
    try:
        for client in clients:
            client.ok("join", {"session_id": sid})
        before = delivery_counts(url)
        sender, messages = clients[0], 8  # within the burst: no rate-limit wait
        for n in range(messages):
            ack = sender.send(sid, f"direct-{secrets.token_hex(4)}", f"direct {n}")
            assert ack["ok"], ack
            for client in clients:  # each one idle again before the next message
                client.check_heard(ack["event"]["seq"])
        after = delivery_counts(url)
    finally:
        for client in clients:
            client.close()
    direct = after["direct"] - before["direct"]
    queued = after["queued"] - before["queued"]
    deliveries = messages * len(clients)  # each event to each member, besides the acks
    assert direct >= deliveries, (direct, queued, deliveries)
    assert direct + queued <= deliveries * 2, "each delivery counted once (plus acks)"
    assert queued <= (direct + queued) // 10, (direct, queued)


def test_a_resend_with_the_same_client_id_creates_nothing(sqlite_forum):
    forum = sqlite_forum
    url, sid = forum.server.url, forum.live
    teacher = forum.client(url, {"token": forum.token})
    try:
        teacher.ok("join", {"session_id": sid})
        first = teacher.send(sid, "resend-1", "once only")["event"]
        head = teacher.ok("join", {"session_id": sid})["head"]
        assert head == first["seq"]
        again = teacher.send(sid, "resend-1", "once only, but twice")
        assert again["ok"] and again["event"] == first
        # Also from a new connection, as after a reconnect.
        other = forum.client(url, {"token": forum.token})
        assert other.send(sid, "resend-1", "once only")["event"] == first
        after = teacher.ok("join", {"session_id": sid, "since": head})
        assert after["head"] == head and after["events"] == []
        other.close()
    finally:
        teacher.close()


def test_a_client_that_drops_and_rejoins_gets_exactly_what_it_missed(sqlite_forum):
    forum = sqlite_forum
    url, sid = forum.server.url, forum.live
    people = forum.people(url)
    student = next(p for p in people if p["name"] == forum.users("student")[0]["display_name"])
    others = [p for p in people if p is not student][1:3]
    listener = forum.client(url, people[0])
    talkers = [forum.client(url, p) for p in others]
    dropper = forum.client(url, student)
    try:
        for client in (listener, *talkers, dropper):
            client.ok("join", {"session_id": sid})
        last = max(dropper.ok("join", {"session_id": sid})["head"], dropper.last_seq())
        dropper.close()
        sent = [
            talker.send(sid, f"meanwhile-{i}-{n}", f"while you were away {n}")
            for i, talker in enumerate(talkers)
            for n in range(3)
        ]
        assert all(a["ok"] for a in sent)
        back = Client(url, cookie=student["cookie"]).connect()
        ack = back.ok("join", {"session_id": sid, "since": last})
        missed = ack["events"]
        assert [e["seq"] for e in missed] == list(range(last + 1, ack["head"] + 1))
        # Exactly what a listener who stayed heard after `last`: nothing more, nothing less.
        heard = [e for e in listener.check_heard(ack["head"]) if e["seq"] > last]
        assert [(e["seq"], e["type"], e["data"]) for e in missed] == [
            (e["seq"], e["type"], e["data"]) for e in heard
        ]
        messages = [e["data"]["client_id"] for e in missed if e["type"] == "message.posted"]
        assert messages == [a["event"]["data"]["client_id"] for a in sent]
        back.close()
    finally:
        for client in (listener, *talkers, dropper):
            client.close()


# --- crashes --------------------------------------------------------------------------------


def _flood_then_kill(forum: Forum, server: Server) -> dict[str, int]:
    """Clients send continuously; SIGKILL the server once enough are acknowledged.
    Returns client_id → seq of every ok-acked message."""
    url, sid = server.url, forum.live
    people = forum.people(url)[:6]
    clients = [forum.client(url, p) for p in people]
    for client in clients:
        client.ok("join", {"session_id": sid})
    acked: dict[str, int] = {}
    lock = threading.Lock()
    stop = threading.Event()

    def sender(i: int) -> None:
        n = 0
        while not stop.is_set():
            client_id = f"kill-{i}-{n}"
            n += 1
            try:
                ack = clients[i].sio.call(
                    "chat.send",
                    {"session_id": sid, "client_id": client_id, "body": f"flood {n}"},
                    namespace=NS,
                    timeout=10,
                )
            except (socketio.exceptions.SocketIOError, OSError):
                return  # the server is gone
            if ack["ok"]:
                with lock:
                    acked[client_id] = ack["event"]["seq"]
            elif ack["error"] == "rate_limited":
                time.sleep(0.25)
            else:
                raise AssertionError(ack)

    threads = [threading.Thread(target=sender, args=(i,), daemon=True) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: len(acked) >= 30, timeout=60, what="30 acknowledged messages")
        server.kill()  # mid-flood: every sender is in the middle of a call
    finally:
        stop.set()
        for thread in threads:
            thread.join(15)
        for client in clients:
            client.close()
    assert not any(t.is_alive() for t in threads)
    with lock:
        return dict(acked)


def _check_nothing_acknowledged_was_lost(
    forum: Forum, server: Server, acked: dict[str, int]
) -> None:
    sid = forum.live
    reader = forum.client(server.url, {"token": forum.token})
    try:
        final = reader.ok("join", {"session_id": sid, "since": 0})
    finally:
        reader.close()
    events = final["events"]
    assert [e["seq"] for e in events] == list(range(1, final["head"] + 1))
    stored = {e["data"]["client_id"]: e["seq"] for e in events if e["type"] == "message.posted"}
    lost = {cid: seq for cid, seq in acked.items() if stored.get(cid) != seq}
    assert not lost, f"acknowledged but not stored as acknowledged: {lost}"
    # The hash chain over the whole log is sound, too.
    response = requests.get(
        f"{server.url}/api/v1/sessions/{sid}/transcript",
        headers={"Authorization": f"Bearer {forum.token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    record = response.json()
    previous = eventlog.genesis_hash(sid)
    for expected, event in enumerate(record["events"], start=1):
        assert event["seq"] == expected
        previous = eventlog.chain(
            previous,
            eventlog.canonical_bytes(
                sid, event["seq"], event["type"], event["at"], event["actor_id"], event["data"]
            ),
        )
        assert event["hash"] == previous, f"chain broken at seq {expected}"
    assert record["head_hash"] == previous


def _kill_and_restart(forum: Forum, server: Server) -> Server:
    acked = _flood_then_kill(forum, server)
    assert server.process.returncode == -9
    assert len(acked) >= 30
    # A short heartbeat, so that the killed process is taken for dead within seconds.
    restarted = forum.start(FORUM_HEARTBEAT_SECONDS="1")
    _check_nothing_acknowledged_was_lost(forum, restarted, acked)
    # And it goes on from where the log ends.
    teacher = forum.client(restarted.url, {"token": forum.token})
    try:
        teacher.ok("join", {"session_id": forum.live})
        assert teacher.send(forum.live, "after-restart", "we are back")["ok"]

        # The killed process never saw its clients go: the new one sweeps their
        # connections, and the log says they left.
        def nobody_else_is_here() -> bool:
            time.sleep(0.3)
            ack = teacher.ok("join", {"session_id": forum.live, "since": 0})
            return _present(ack["events"]) == {ack["you"]["id"]}

        wait_until(nobody_else_is_here, timeout=30, what="the killed server's people to leave")
    finally:
        teacher.close()
    return restarted


def _present(events: list[dict[str, Any]]) -> set[int]:
    """Who the attendance in a log says is in the room now."""
    here: set[int] = set()
    for event in events:
        if event["type"] == "member.joined":
            here.add(event["actor"]["id"])
        elif event["type"] == "member.left":
            here.discard(event["actor"]["id"])
        elif event["type"] == "member.removed":
            here.discard(event["data"]["user_id"])
    return here


def test_sigkill_mid_flood_loses_no_acknowledged_message_sqlite(sqlite_forum):
    sqlite_forum.server = _kill_and_restart(sqlite_forum, sqlite_forum.server)


def test_sigkill_mid_flood_loses_no_acknowledged_message_postgresql(pg_forum):
    _kill_and_restart(pg_forum, pg_forum.start()).stop()


def _a_class_arrives_at_once(forum: Forum, url: str, copies: int = 4) -> None:
    """Everyone connects, joins and sends in the same instant, several times over (a
    class opening the room on the bell): every join and every send is acknowledged,
    and the seq stays gapless. The server has the smallest pool (FORUM_DB_POOL_SIZE=4)
    and far more units of work than connections, each needing more than one: none may
    wait for the pool while holding a connection (they would all wait out the pool's
    timeout, then fail)."""
    sid = forum.live
    people = forum.people(url)
    crowd = [people[i % len(people)] for i in range(copies * len(people))]
    with ThreadPoolExecutor(len(crowd)) as pool:
        clients = list(pool.map(lambda p: forum.client(url, p), crowd))
    try:
        start = threading.Barrier(len(clients))

        def arrive(i: int) -> tuple[dict, dict]:
            start.wait()
            joined = clients[i].call("join", {"session_id": sid})
            return joined, clients[i].send(sid, f"bell-{i}", f"hello from seat {i}")

        with ThreadPoolExecutor(len(clients)) as pool:
            acks = list(pool.map(arrive, range(len(clients))))
        assert all(joined["ok"] for joined, _ in acks), [j for j, _ in acks if not j["ok"]][:3]
        assert all(sent["ok"] for _, sent in acks), [s for _, s in acks if not s["ok"]][:3]
        seqs = sorted(sent["event"]["seq"] for _, sent in acks)
        assert len(set(seqs)) == len(clients)
        final = clients[0].ok("join", {"session_id": sid, "since": 0})
        assert [e["seq"] for e in final["events"]] == list(range(1, final["head"] + 1))
    finally:
        for client in clients:
            client.close()


def test_a_class_arriving_at_once_is_served_sqlite(sqlite_forum):
    server = sqlite_forum.start(FORUM_DB_POOL_SIZE="4")
    try:
        _a_class_arrives_at_once(sqlite_forum, server.url)
    finally:
        server.stop()


def test_a_class_arriving_at_once_is_served_postgresql(pg_forum, redis_queue):
    # With the message queue, a write also takes publish_order's advisory-lock
    # connection: the most connections one unit holds.
    server = pg_forum.start(FORUM_DB_POOL_SIZE="4", FORUM_MESSAGE_QUEUE=redis_queue)
    try:
        _a_class_arrives_at_once(pg_forum, server.url)
    finally:
        server.stop()


# --- several processes ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def redis_queue():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        _skip_unless_ci(f"Redis at {REDIS_URL} is not reachable: {exc}")
    finally:
        client.close()
    return REDIS_URL


def test_two_servers_with_a_message_queue_behave_as_one(pg_forum, redis_queue):
    forum = pg_forum
    sid = forum.live
    a = forum.start(FORUM_MESSAGE_QUEUE=redis_queue)
    b = forum.start(FORUM_MESSAGE_QUEUE=redis_queue)
    people = forum.people(a.url)  # cookies work on both: one database, one secret key
    # Everyone twice, once on each server: 20 connections, 10 on each.
    with ThreadPoolExecutor(20) as pool:
        on_a = list(pool.map(lambda p: forum.client(a.url, p), people))
        on_b = list(pool.map(lambda p: forum.client(b.url, p), people[::-1]))
    clients = on_a + on_b
    try:
        for client in clients:
            client.ok("join", {"session_id": sid})
        # Each hears the other.
        from_a = on_a[0].send(sid, "from-a", "hello from server A")["event"]["seq"]
        from_b = on_b[0].send(sid, "from-b", "hello from server B")["event"]["seq"]
        for client in (on_b[0], on_a[0]):
            heard = client.check_heard(max(from_a, from_b))
            assert {from_a, from_b} <= {e["seq"] for e in heard}

        # Concurrent sends through both: one gapless seq.
        start = threading.Barrier(len(clients))

        def flood(i: int) -> list[dict]:
            start.wait()
            return [
                clients[i].send(sid, f"mq-{i}-{n}", f"message {n} via {clients[i].url}")
                for n in range(3)
            ]

        with ThreadPoolExecutor(len(clients)) as pool:
            acks = [ack for batch in pool.map(flood, range(len(clients))) for ack in batch]
        assert all(ack["ok"] for ack in acks)
        sent = {ack["event"]["data"]["client_id"]: ack["event"]["seq"] for ack in acks}
        assert len(set(sent.values())) == len(sent) == 3 * len(clients)
        for server in (a, b):
            reader = forum.client(server.url, {"token": forum.token})
            final = reader.ok("join", {"session_id": sid, "since": 0})
            reader.close()
            assert [e["seq"] for e in final["events"]] == list(range(1, final["head"] + 1))
            stored = {
                e["data"]["client_id"]: e["seq"]
                for e in final["events"]
                if e["type"] == "message.posted"
            }
            assert sent.items() <= stored.items()
        # Everyone, on either server, heard every message in seq order: the processes
        # publish in the order they commit (eventlog.publish_order).
        for client in clients:
            heard = client.check_heard(max(sent.values()))
            assert set(sent.values()) <= {e["seq"] for e in heard}
    finally:
        for client in clients:
            client.close()


def test_a_poll_and_a_flag_over_a_real_server(sqlite_forum):
    """The live tools (issue 18) over WebSocket: a poll opened, answered and closed, a
    flag raised; the students hear the counts with no voter, and the flag only as a
    ``skip`` — while the teacher hears it all."""
    forum = sqlite_forum
    url, sid = forum.server.url, forum.live
    teacher = forum.client(url, {"token": forum.token})
    students = []
    skips: dict[str, list[int]] = {"tw": [], "jp": []}
    for key, school in (("tw", "taipei-daan"), ("jp", "shizuoka-aoi")):
        client = Client(url, cookie=sign_in(url, forum.users("student", school)[0]))
        client.sio.on("skip", lambda d, key=key: skips[key].append(d["seq"]), namespace=NS)
        students.append(client.connect())
    tw, jp = students
    try:
        for client in (teacher, tw, jp):
            client.ok("join", {"session_id": sid})
        poll = teacher.ok(
            "poll.open",
            {
                "session_id": sid,
                "client_id": f"real-poll-{secrets.token_hex(3)}",
                "question": "森か海か？",
                "options": ["森", "海"],
            },
        )["event"]
        pid = poll["data"]["poll"]["id"]
        mine = tw.ok("poll.vote", {"session_id": sid, "poll_id": pid, "choices": [1]})["event"]
        assert mine["data"]["choices"] == [1]
        bad = jp.call("poll.vote", {"session_id": sid, "poll_id": pid, "choices": [0, 1]})
        assert bad["error"] == "invalid"
        jp.ok("poll.vote", {"session_id": sid, "poll_id": pid, "choices": [0]})
        said = jp.send(sid, f"real-flag-{secrets.token_hex(3)}", "a rude word")["event"]
        flag = tw.ok("flag", {"session_id": sid, "target": "message", "id": said["seq"]})
        closed = teacher.ok("poll.close", {"session_id": sid, "poll_id": pid})["event"]
        assert closed["data"]["counts"] == [1, 1]
        teacher.check_heard(closed["seq"])
        assert any(
            e["type"] == "item.flagged" and e["data"]["flag_id"] == flag["flag_id"]
            for e in teacher.heard()
        )
        for key, client in (("tw", tw), ("jp", jp)):
            wait_until(lambda c=client: c.last_seq() >= closed["seq"], what="the poll's close")
            heard = client.heard()
            assert not any(e["type"] == "item.flagged" for e in heard)
            assert flag["flag_id"] in skips[key]
            votes = [e for e in heard if e["type"] == "poll.voted"]
            assert [e["data"] for e in votes][-2:] == [
                {"poll_id": pid, "counts": [0, 1]},
                {"poll_id": pid, "counts": [1, 1]},
            ]
            assert all(e["actor"] is None for e in votes)
            for event in heard:
                check_event(event)
            seqs = sorted({e["seq"] for e in heard} | set(skips[key]))
            assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    finally:
        for client in (teacher, tw, jp):
            client.close()

"""Paging a long room against a real ``python wsgi.py`` (issue 17): Socket.IO clients
over WebSocket page the log exactly as a full replay gives it (a student, a teacher and
an observing reviewer), re-join with ``since`` after a short and a long gap, and the
room page in Chromium loads older messages on scroll, keeps its place, keeps its DOM
bounded and shows what replies to older messages answer.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import socketio
from browsers import chromium
from livekit import check_ack, check_seqs
from servers import flask_cli, server_env, start_server
from test_live_server import sign_in

pytestmark = pytest.mark.server

NS = "/live"
ROOT = Path(__file__).resolve().parent.parent
EVENTS = 900  # under room.SINCE_LIMIT: `since: 0` is still a full replay to compare with


def fill(env: dict[str, str], session_id: int, events: int) -> None:
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "long_session.py"),
            "--session",
            str(session_id),
            "--events",
            str(events),
        ],
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def forum(tmp_path_factory):
    env = server_env(tmp_path_factory.mktemp("paging"), FORUM_ACCESS_LOG="0")
    flask_cli(["db", "upgrade"], env)
    demo = json.loads(flask_cli(["forum", "seed-demo", "--json"], env).stdout)
    live = next(s for s in demo["sessions"] if s["status"] == "live")["id"]
    fill(env, live, EVENTS)
    server = start_server(env)
    yield {"env": env, "demo": demo, "live": live, "server": server}
    server.stop()


class Client:
    def __init__(self, url: str, *, token: str | None = None, cookie: str | None = None):
        self.sio = socketio.Client(reconnection=False, handle_sigint=False)
        self.sio.connect(
            url,
            namespaces=[NS],
            transports=["websocket"],
            auth={"token": token} if token else None,
            headers={"Cookie": cookie} if cookie else {},
            wait_timeout=10,
        )

    def ok(self, event: str, payload: dict) -> dict:
        ack = self.sio.call(event, payload, namespace=NS, timeout=30)
        check_ack(ack)
        assert ack["ok"], (event, payload, ack)
        return ack

    def close(self) -> None:
        self.sio.disconnect()


def person(forum, who: str) -> Client:
    url = forum["server"].url
    if who == "reviewer":
        return Client(
            url, token=flask_cli(["forum", "token", "chen.reviewer"], forum["env"]).stdout.strip()
        )
    if who == "teacher":
        return Client(
            url, token=flask_cli(["forum", "token", "lin.teacher"], forum["env"]).stdout.strip()
        )
    student = next(
        u
        for u in forum["demo"]["users"]
        if u["role"] == "student" and u["school"] == "shizuoka-aoi"
    )
    return Client(url, cookie=sign_in(url, student))


def paged(client: Client, sid: int, ack: dict) -> list[dict]:
    events, before = list(ack["events"]), ack.get("history_before")
    while before is not None:
        page = client.ok("history", {"session_id": sid, "before": before})
        events = page["events"] + events
        before = page.get("history_before")
    return events


@pytest.mark.parametrize("who", ["student", "teacher", "reviewer"])
def test_pages_give_the_full_replay_on_a_real_server(forum, who):
    sid = forum["live"]
    client = person(forum, who)
    try:
        ack = client.ok("join", {"session_id": sid})
        assert len(ack["events"]) == 200 and ack["history_before"] == ack["events"][0]["seq"]
        events = paged(client, sid, ack)
        check_seqs(events)
        assert events[0]["seq"] == 1
        full = client.ok("join", {"session_id": sid, "since": 0})
        assert "history_before" not in full
        assert events == [e for e in full["events"] if e["seq"] <= ack["head"]]
        if who == "student":
            hidden = [e for e in events if e["data"].get("hidden")]
            assert hidden and all(e["data"]["body"] is None for e in hidden)
        # A short gap: exactly what came after.
        again = client.ok("join", {"session_id": sid, "since": full["head"] - 10})
        assert "history_before" not in again
        assert again["events"][:10] == full["events"][-10:]
    finally:
        client.close()


def test_rejoin_after_a_long_gap_gets_a_page_and_history_fills_it(forum):
    sid = forum["live"]
    client = person(forum, "student")
    try:
        before = client.ok("join", {"session_id": sid, "since": 0})["events"]
        fill(forum["env"], sid, EVENTS + 300)  # the room goes on while this one is away
        ack = client.ok("join", {"session_id": sid, "since": 100})
        assert ack["head"] - 100 > 1000 and ack["history_before"] > 101
        events = list(ack["events"])
        while events[0]["seq"] > 101:
            events = (
                client.ok("history", {"session_id": sid, "before": events[0]["seq"]})["events"]
                + events
            )
        events = [e for e in events if e["seq"] > 100]
        check_seqs(events)
        rest = client.ok("join", {"session_id": sid, "since": 300})["events"]
        assert "history_before" not in client.ok("join", {"session_id": sid, "since": 300})
        assert events == [e for e in before if 100 < e["seq"] <= 300] + [
            e for e in rest if e["seq"] <= ack["head"]
        ]
    finally:
        client.close()


# --- the room page ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser(forum):
    with chromium() as browser:
        yield browser


def test_the_room_page_loads_older_messages_on_scroll_and_keeps_its_place(forum, browser):
    from playwright.sync_api import expect

    expect.set_options(timeout=20_000)
    server = forum["server"]
    student = next(
        u for u in forum["demo"]["users"] if u["role"] == "student" and u["school"] == "taipei-daan"
    )
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    context.set_default_timeout(20_000)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(f"{server.url}/auth/code?lang=en")
        page.fill("input[name=code]", student["code"])
        page.click("form button[type=submit]")
        page.wait_for_url(server.url + "/")
        page.goto(f"{server.url}/sessions/{forum['live']}")
        expect(page.locator("#room-connection")).to_have_attribute("data-state", "connected")
        log = page.locator("[data-log]")
        expect(log).to_have_attribute("data-history", "more")
        drawn = page.locator("[data-log] .msg[data-message-id]")
        first_count = drawn.count()
        assert 0 < first_count <= 200
        strings = json.loads(page.locator("#i18n").text_content())
        # Replies to messages older than the page show what they answer.
        quotes = page.locator("[data-log] .msg-quote:visible")
        assert quotes.count() > 0
        assert strings["reply_unknown"] not in quotes.all_text_contents()

        seen: set[str] = set()
        for _ in range(60):
            ids = drawn.evaluate_all("ns => ns.map(n => n.dataset.messageId)")
            seen.update(ids)
            assert len(ids) <= 400, len(ids)  # the DOM stays bounded
            if log.get_attribute("data-history") == "done":
                break
            # At the top: where the top message is, before the scroll event is handled.
            anchor_id, y = log.evaluate("""n => { n.scrollTop = 0;
                const top = n.querySelector('.msg[data-message-id]');
                return [top.dataset.messageId, top.getBoundingClientRect().top]; }""")
            # Older messages come in above; the one that was on top stays where it was.
            # (The last page back may hold no message at all, only arrivals: then the
            # top stays and the log says it is done.)
            page.wait_for_function(
                """anchor => { const n = document.querySelector('[data-log]');
                    const top = n.querySelector('.msg[data-message-id]');
                    const moved = top.dataset.messageId !== anchor;
                    return n.dataset.history === 'done'
                        || (moved && n.dataset.history !== 'loading'); }""",
                arg=anchor_id,
            )
            kept = page.locator(f"[data-log] .msg[data-message-id='{anchor_id}']")
            if kept.count():
                assert abs(kept.bounding_box()["y"] - y) < 5
        assert log.get_attribute("data-history") == "done"
        assert page.locator("[data-older-status]").text_content() == strings["session_start"]
        # Every message of the log was drawn at some point, the first one included.
        posted = client_posted_ids(forum)
        assert posted <= {int(i) for i in seen}
    finally:
        context.close()
    assert errors == []


def client_posted_ids(forum) -> set[int]:
    client = person(forum, "teacher")
    try:
        ack = client.ok("join", {"session_id": forum["live"]})
        return {
            e["seq"] for e in paged(client, forum["live"], ack) if e["type"] == "message.posted"
        }
    finally:
        client.close()

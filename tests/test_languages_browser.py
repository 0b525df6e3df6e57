"""The room in each of the four languages, in a real browser: the interface reads in
the reader's language with no English left, and screenshots of it go into docs/.

A Taipei student reads 繁體中文, a Shizuoka student 日本語, a Seoul student 한국어 (in
the TW–KR session, which the Korean teacher opens through the API), and a Taipei
student English.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from browsers import chromium, open_session, served_forum
from test_i18n import english_leftovers

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "docs" / "screenshots"
pytestmark = pytest.mark.browser

# lang, html lang, student's school, time zone, catalog
READERS = [
    ("zh-TW", "zh-Hant-TW", "taipei-daan", 0, "Asia/Taipei", "zh_Hant_TW"),
    ("ja", "ja", "shizuoka-aoi", 0, "Asia/Tokyo", "ja"),
    ("ko", "ko", "seoul-hanbit", 0, "Asia/Seoul", "ko"),
    ("en", "en", "taipei-daan", 1, "Asia/Taipei", None),
]


@pytest.fixture(scope="module")
def forum(tmp_path_factory):
    """A seeded server whose TW–JP and TW–KR sessions are both live, with a little
    conversation in each so the screenshots show a room in use."""
    with served_forum(tmp_path_factory, "lang-instance") as (server, demo, env):
        live = next(s for s in demo["sessions"] if s["status"] == "live")
        tw_kr = next(s for s in demo["sessions"] if s["exchange_id"] != live["exchange_id"])
        open_session(server, env, tw_kr["id"], "kim.teacher")
        yield (
            server,
            demo,
            {"taipei-daan": live["id"], "shizuoka-aoi": live["id"], "seoul-hanbit": tw_kr["id"]},
        )


@pytest.fixture(scope="module")
def browser(forum):
    with chromium() as browser:
        yield browser


def _student(demo: dict, school: str, index: int) -> dict:
    return [u for u in demo["users"] if u["role"] == "student" and u["school"] == school][index]


@pytest.mark.parametrize(
    ("lang", "html_lang", "school", "index", "zone", "locale"), READERS, ids=[r[0] for r in READERS]
)
def test_the_room_reads_in_the_readers_language(
    forum, browser, lang, html_lang, school, index, zone, locale
):
    from playwright.sync_api import expect

    server, demo, rooms = forum
    context = browser.new_context(
        viewport={"width": 1280, "height": 860}, timezone_id=zone, locale="en-US"
    )
    context.set_default_timeout(15_000)
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{server.url}/auth/code?lang={lang}")
        page.fill("input[name=code]", _student(demo, school, index)["code"])
        page.click("form button[type=submit]")
        page.wait_for_url(server.url + "/")
        page.goto(f"{server.url}/sessions/{rooms[school]}")
        expect(page.locator("#room-connection")).to_have_attribute("data-state", "connected")
        expect(page.locator("html")).to_have_attribute("lang", html_lang)

        strings = json.loads(page.locator("#i18n").text_content())
        greeting = {
            "zh-TW": "大家好！我們在臺北。",
            "ja": "こんにちは！静岡から参加しています。",
            "ko": "안녕하세요! 서울에서 왔어요.",
            "en": "Hello from Taipei!",
        }[lang]
        page.fill("#chat-input", greeting)
        page.press("#chat-input", "Enter")
        mine = page.locator(".msg[data-message-id]").filter(has_text=greeting)
        expect(mine).to_have_count(1)
        # The message carries its author's language, so Han characters take its shapes.
        expect(mine.locator("[lang]").first).to_have_attribute("lang", html_lang)
        page.evaluate("document.fonts.ready")

        text = page.locator("body").inner_text()
        if locale is not None:
            # Whole interface in the language: the send button, the board's columns…
            send = page.locator("button[data-send]").inner_text().strip()
            assert send and send != "Send"
            assert strings["pending"] != "Sending…"
            leftovers = english_leftovers(text, locale)
            assert not leftovers, f"{lang}: English left on the room page: {leftovers}"
            assert not re.search(r"\b(Send|Board|Chat|What we see|Live now)\b", text)
        else:
            assert "Send" in text and "What we see" in text

        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"room-{lang}.png"))
        assert (SHOTS / f"room-{lang}.png").stat().st_size > 10_000
    finally:
        context.close()
    assert errors == [], errors


def test_screenshots_are_shown_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for lang, *_ in READERS:
        assert f"docs/screenshots/room-{lang}.png" in readme

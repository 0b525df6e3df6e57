"""The room's JavaScript strings: every key the scripts use is served, translated, and
the room page embeds them with the bootstrap data its scripts read."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from forum import jsstrings

JS = Path(__file__).resolve().parent.parent / "static" / "js"
# t("key") and t(`prefix_${x}`) in the scripts.
LITERAL = re.compile(r"""\bt\(\s*"([a-z_]+)\"""")
TEMPLATED = re.compile(r"""\bt\(\s*`([a-z_]+)\$\{""")


def _keys_used() -> tuple[set[str], set[str]]:
    source = "\n".join(p.read_text(encoding="utf-8") for p in JS.glob("*.js"))
    return set(LITERAL.findall(source)), set(TEMPLATED.findall(source))


def test_every_key_the_scripts_use_is_served(app):
    literal, prefixes = _keys_used()
    assert literal, "no t(...) calls found: did the scripts move?"
    with app.test_request_context("/?lang=en"):
        served = jsstrings.room_strings()
    plural = {k.rsplit(".", 1)[0] for k in served if "." in k}
    missing = sorted(k for k in literal if k not in served and k not in plural)
    assert missing == []
    for prefix in prefixes:
        assert any(k.startswith(prefix) for k in served), prefix
    # The dynamic ones: connection states and session statuses.
    for state in ("connecting", "connected", "reconnecting", "removed", "unauthorized"):
        assert f"status_{state}" in served
    for status in ("scheduled", "live", "closed"):
        assert f"session_{status}" in served


@pytest.mark.parametrize("lang", ["zh-TW", "en", "ja", "ko"])
def test_strings_keep_their_placeholders_for_the_browser(app, lang):
    with app.test_request_context(f"/?lang={lang}"):
        served = jsstrings.room_strings()
    assert all(isinstance(v, str) and v for v in served.values())
    for key, value in served.items():
        if key.startswith("votes."):
            assert "%(num)s" in value, (key, value)
    assert "%(names)s" in served["typing.one"]
    assert {k.rsplit(".", 1)[1] for k in served if "." in k} == {"one", "other"}


def test_colour_names_follow_the_board(app):
    from forum.room.board import COLORS

    with app.test_request_context("/?lang=en"):
        colors = jsstrings.color_names()
    assert [c["id"] for c in colors] == list(COLORS)
    assert all(c["name"] for c in colors)


def _json_block(html: str, block_id: str) -> dict:
    match = re.search(
        rf'<script type="application/json" id="{block_id}">(.*?)</script>', html, re.S
    )
    assert match, f"no #{block_id} block"
    return json.loads(match.group(1))


@pytest.mark.parametrize("role", ["student", "teacher"])
def test_room_page_embeds_strings_and_bootstrap_data(client, auth, demo, role):
    auth.login(role, "taipei-daan")
    live = next(s for s in demo["sessions"] if s["status"] == "live")
    html = client.get(f"/sessions/{live['id']}?lang=ja").get_data(as_text=True)
    strings = _json_block(html, "i18n")
    data = _json_block(html, "room-data")
    assert "send_again_in.other" in strings and "hidden_notice" in strings
    assert data["session_id"] == live["id"]
    assert data["status"] == "live"
    assert data["reactions"] and data["colors"]
    assert {s["country"] for s in data["schools"]} == {"TW", "JP"}
    assert data["signin_url"] == ("/auth/code" if role == "student" else "/auth/login")
    # Scripts are files, never inline: the page runs under script-src 'self'.
    assert re.findall(r"<script(?![^>]*type=\"application/json\")(?![^>]*\bsrc=)[^>]*>", html) == []
    assert 'src="/static/js/room.js"' in html
    assert " style=" not in html
    if role == "teacher":
        assert "data-room-controls" in html
    else:
        assert "data-room-controls" not in html

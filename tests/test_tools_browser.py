"""Breakout groups in a real browser (issue 18): a teacher forms two mixed groups by
size with the keyboard, a Taipei student (繁體中文) and a Shizuoka student (日本語)
talk in their group while a student of the other group sees none of it, then the
teacher brings everyone back. Chromium through Playwright against ``python wsgi.py``,
as in test_room_browser.py (whose fixtures this module takes: a server of its own)."""

from __future__ import annotations

import pytest
from test_room_browser import (  # noqa: F401 - fixtures
    browser,
    jp_student,
    live_server,
    message,
    room,
    say,
    strings,
    tag,
    teacher,
    tw_student,
)

pytestmark = pytest.mark.browser


def test_two_mixed_groups_talk_apart_and_come_back_together(room):  # noqa: F811
    from playwright.sync_api import expect

    lin = teacher(room)
    students = {
        "tw0": tw_student(room, 0),
        "tw1": tw_student(room, 1),
        "jp0": jp_student(room, 0),
        "jp1": jp_student(room, 1),
    }
    for page in (lin, *students.values()):
        room.enter(page)
    expect(lin.locator("[data-room-tools]")).to_be_visible()

    # The teacher forms groups of two with the keyboard alone.
    size = lin.locator("[data-group-size]")
    size.focus()
    size.fill("2")
    size.press("Tab")
    expect(lin.locator("[data-form-groups]")).to_be_focused()
    lin.keyboard.press("Enter")
    expect(lin.locator("[data-end-groups]")).to_be_visible()
    expect(lin.locator("[data-group-banner]")).to_be_visible()

    # Each student sees their group; every group has a Taipei and a Shizuoka student.
    groups: dict[str, str] = {}
    for name, page in students.items():
        expect(page.locator("[data-group-banner]")).to_be_visible()
        expect(page.locator("#room")).not_to_have_attribute("data-group", "")
        groups[name] = page.locator("#room").get_attribute("data-group")
    assert groups["tw0"] != groups["tw1"] and groups["jp0"] != groups["jp1"]
    partner = "jp0" if groups["jp0"] == groups["tw0"] else "jp1"
    outsider = "tw1"
    tw, jp, other = students["tw0"], students[partner], students[outsider]
    # A student writes to their own group first.
    expect(tw.locator("[data-chat-target]")).to_have_value(groups["tw0"])

    t = tag()
    zh = f"我們這組想討論海洋垃圾 {t}"
    ja = f"いいですね、海のごみについて話しましょう {t}"
    say(tw, zh)
    say(jp, ja)
    for page in (tw, jp, lin):
        expect(message(page, zh)).to_have_count(1)
        expect(message(page, ja)).to_have_count(1)
    expect(message(jp, zh)).to_have_attribute("lang", "zh-Hant-TW")
    expect(message(tw, ja)).to_have_attribute("lang", "ja")
    expect(message(lin, zh).locator(".badge-group")).to_be_visible()

    # The teacher speaks to everyone: it reaches the other group, the group's talk does not.
    everyone = f"Five more minutes, everyone {t}"
    say(lin, everyone)
    expect(message(other, everyone)).to_have_count(1)
    expect(other.locator("[data-log]")).not_to_contain_text(zh)
    expect(other.locator("[data-log]")).not_to_contain_text(ja)
    other.reload()  # nor on joining again
    expect(other.locator("#room-connection")).to_have_attribute("data-state", "connected")
    expect(message(other, everyone)).to_have_count(1)
    assert zh not in other.content() and ja not in other.content()

    # The teacher brings everyone back: no banner, and a message reaches all again.
    lin.locator("[data-end-groups]").click()
    for page in (lin, *students.values()):
        expect(page.locator("[data-group-banner]")).to_be_hidden()
    expect(lin.locator("[data-form-groups]")).to_be_visible()
    back = f"みんな、おかえり {t}"
    say(jp, back)
    for page in students.values():
        expect(message(page, back)).to_have_count(1)
    expect(tw.locator("[data-chat-target-label]")).to_be_hidden()
    assert strings(tw)["groups_ended"]

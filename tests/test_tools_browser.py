"""Breakout groups in a real browser (issue 18): a teacher forms two mixed groups by
size with the keyboard, a Taipei student (繁體中文) and a Shizuoka student (日本語)
talk in their group while a student of the other group sees none of it, then the
teacher brings everyone back; and a Shizuoka teacher in 日本語 forms two named groups by
hand. Chromium through Playwright against ``python wsgi.py``, as in test_room_browser.py
(whose fixtures this module takes: a server of its own)."""

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


def test_a_teacher_in_japanese_forms_named_groups_by_hand(room):  # noqa: F811
    """By hand: the Shizuoka teacher, on a phone in 日本語, has "by size" propose mixed
    groups, sees an empty group refused in Japanese, then names two groups and chooses
    their members (a Taipei and a Shizuoka student in each); each student's page says
    their group's name. After the groups end, the menus hold them again."""
    from babel.support import Translations
    from playwright.sync_api import expect
    from servers import ROOT

    from forum.room.groups import MAX_GROUP_MEMBERS

    sato = room.page(viewport=(390, 844), timezone="Asia/Tokyo", locale="ja-JP")
    room.sign_in_teacher(sato, "sato.teacher", "ja")
    students = {
        "tw0": tw_student(room, 0),
        "tw1": tw_student(room, 1),
        "jp0": jp_student(room, 0),
        "jp1": jp_student(room, 1),
    }
    names = {
        key: room.student("taipei-daan" if key.startswith("tw") else "shizuoka-aoi", int(key[2]))[
            "display_name"
        ]
        for key in students
    }
    for page in (sato, *students.values()):
        room.enter(page)
    expect(sato.locator("html")).to_have_attribute("lang", "ja")
    said = strings(sato)

    def menu(key: str):
        return sato.locator("[data-hand-students] .hand-student").filter(has_text=names[key])

    # "By size" proposes: groups of two, each with a Taipei and a Shizuoka student.
    # All four here (the menus may also list students of the groups formed before, away).
    expect(sato.locator("[data-hand-students] .hand-student.is-online")).to_have_count(4)
    sato.locator("[data-group-size]").fill("2")
    sato.locator("[data-propose-groups]").click()
    expect(sato.locator("[data-groups-by-hand]")).to_be_visible()
    expect(sato.locator("[data-groups-by-size]")).to_be_hidden()
    expect(sato.locator("[data-group-mode][value=hand]")).to_be_checked()
    expect(sato.locator("[data-hand-count]")).to_have_value("2")
    expect(sato.locator("[data-hand-students] .hand-student")).to_have_count(4)
    for summary in sato.locator("[data-hand-summary]").all():
        expect(summary).to_contain_text("TW 1")
        expect(summary).to_contain_text("JP 1")

    # An empty group: the server refuses, and says so in Japanese; nothing is formed.
    menu("tw0").locator("select").select_option("0")
    menu("jp1").locator("select").select_option("0")
    menu("tw1").locator("select").select_option("")
    menu("jp0").locator("select").select_option("")
    sato.locator("[data-form-hand]").click()
    ja = Translations.load(str(ROOT / "translations"), ["ja"])
    refused = ja.gettext("Each group needs between 1 and %(n)s students.") % {
        "n": MAX_GROUP_MEMBERS
    }
    assert not refused.startswith("Each group")  # the catalog has it in Japanese
    expect(sato.locator("#room-message")).to_have_text(refused)
    expect(sato.locator("[data-groups-by-hand]")).to_be_visible()
    expect(students["tw0"].locator("[data-group-banner]")).to_be_hidden()

    # Two named groups, chosen by hand, sent with the keyboard. Until named, they are
    # A and B, as groups formed by size are.
    expect(sato.locator("#hand-name-0")).to_have_value("A")
    expect(sato.locator("#hand-name-1")).to_have_value("B")
    sato.locator("#hand-name-0").fill("富士")
    sato.locator("#hand-name-1").fill("桜")
    sakura = said["group_named"].replace("%(name)s", "桜")
    menu("tw1").locator("select").select_option(label=sakura)  # the menus say the new names
    menu("jp0").locator("select").select_option(label=sakura)
    sato.locator("[data-form-hand]").focus()
    sato.keyboard.press("Enter")
    expect(sato.locator("[data-end-groups]")).to_be_focused()
    expect(sato.locator("#room-message")).to_be_hidden()
    expect(sato.locator("[data-groups-form]")).to_be_hidden()
    expect(sato.locator("[data-group-banner]")).to_contain_text("富士")
    expect(sato.locator("[data-group-banner]")).to_contain_text("桜")
    # A phone's width holds the teacher's page.
    assert sato.evaluate("document.documentElement.scrollWidth") <= 390

    for key, page in students.items():
        group = "富士" if key in ("tw0", "jp1") else "桜"
        expect(page.locator("[data-group-banner]")).to_contain_text(group)
        other = "桜" if group == "富士" else "富士"
        expect(page.locator("[data-group-banner]")).not_to_contain_text(other)
    assert students["tw0"].locator("#room").get_attribute("data-group") == students["jp1"].locator(
        "#room"
    ).get_attribute("data-group")

    # Back together: the by-hand menus hold the groups just ended, to adjust and form again.
    sato.locator("[data-end-groups]").click()
    for page in students.values():
        expect(page.locator("[data-group-banner]")).to_be_hidden()
    expect(sato.locator("[data-groups-by-hand]")).to_be_visible()
    expect(sato.locator("#hand-name-0")).to_have_value("富士")
    expect(sato.locator("#hand-name-1")).to_have_value("桜")
    expect(menu("jp0").locator("select")).to_have_value("1")

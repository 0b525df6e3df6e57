"""The live tools in a real browser (issue 18): a teacher asks a poll, a Taipei student
(繁體中文) and a Shizuoka student (日本語) answer it on phones and see the counts change,
one changes their answer; a student flags a message, the Shizuoka teacher finds it in
the flag queue at once and hides it. Students' pages are read through data attributes
and the page's own strings, so the test holds whatever the catalogs say."""

from __future__ import annotations

import re

import pytest
from test_room_browser import (  # the same served forum, browser and people
    Room,  # noqa: F401
    browser,  # noqa: F401
    jp_student,
    live_server,  # noqa: F401
    message,
    room,  # noqa: F401
    say,
    strings,
    tag,
    teacher,
    tw_student,
)

pytestmark = pytest.mark.browser
PHONE = (390, 844)


def counts(page) -> list[str]:
    """The values of the newest poll's bars."""
    bars = page.locator(".poll").first.locator(".poll-option progress")
    return [bars.nth(i).get_attribute("value") for i in range(bars.count())]


def test_a_poll_and_a_flag_across_two_schools_on_phones(room):  # noqa: F811
    from playwright.sync_api import expect

    lin = teacher(room)
    sato = room.page()
    room.sign_in_teacher(sato, "sato.teacher")
    tw = tw_student(room, viewport=PHONE)
    jp = jp_student(room, viewport=PHONE)
    for page in (lin, sato, tw, jp):
        room.enter(page)

    # The teacher asks: a question and two answers (an empty third is left out).
    t = tag()
    question = f"Which goal first? {t}"
    lin.locator("[data-poll-new] summary").click()
    lin.fill("#poll-question", question)
    lin.fill("#poll-option-0", "Climate")
    lin.fill("#poll-option-1", "Oceans")
    lin.locator("[data-poll-form] button[type=submit]").click()
    for page in (lin, sato, tw, jp):
        expect(page.locator(".poll").first.locator(".poll-question")).to_have_text(question)
    # Students answer on their phones: the Taipei student with the mouse, the
    # Shizuoka student with the keyboard alone.
    tw_poll = tw.locator(".poll").first
    tw_poll.locator("label.poll-option-text").first.click()
    tw_poll.locator("button[type=submit]").click()
    expect(tw_poll.locator(".poll-status")).to_have_text(strings(tw)["poll_saved"])
    jp_poll = jp.locator(".poll").first
    jp_poll.locator("input[type=radio]").nth(1).focus()
    jp.keyboard.press("Space")
    jp_poll.locator("button[type=submit]").focus()
    jp.keyboard.press("Enter")
    for page in (lin, sato, tw, jp):
        expect(
            page.locator(".poll").first.locator(".poll-option progress").nth(1)
        ).to_have_attribute("value", "1")
        assert counts(page) == ["1", "1"]
    # Each sees their own answer marked, and nobody's else.
    expect(tw_poll.locator(".poll-option.is-mine")).to_have_count(1)
    expect(tw_poll.locator(".poll-option").first).to_have_class(re.compile("is-mine"))
    expect(lin.locator(".poll").first.locator(".poll-option.is-mine")).to_have_count(0)
    # The Shizuoka student changes their mind: the counts move for everyone.
    jp_poll.locator("label.poll-option-text").first.click()
    jp_poll.locator("button[type=submit]").click()
    for page in (lin, sato, tw, jp):
        expect(
            page.locator(".poll").first.locator(".poll-option progress").first
        ).to_have_attribute("value", "2")
    # Nothing overflows a phone's width.
    for page in (tw, jp):
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]

    # A student flags a message, with a reason; the teachers of both schools see it.
    rude = f"ひどいことば {t}"
    say(jp, rude)
    expect(message(tw, rude)).to_have_count(1)
    flag_text = strings(tw)["flag"]
    message(tw, rude).locator(".msg-actions button", has_text=flag_text).click()
    dialog = tw.locator("[data-flag-dialog]")
    expect(dialog).to_be_visible()
    tw.fill("#flag-reason", "不友善")
    dialog.locator("[data-flag-send]").click()
    expect(dialog).to_be_hidden()
    expect(tw.locator("#room-message")).to_have_text(strings(tw)["flag_received"])
    queue = sato.locator("[data-flag-queue]")
    expect(queue).to_be_visible()
    flagged = queue.locator(".flag").filter(has_text=rude)
    expect(flagged).to_have_count(1)
    expect(flagged).to_contain_text("不友善")
    expect(flagged.locator("q")).to_have_attribute("lang", "ja")
    expect(lin.locator("[data-flag-queue] .flag").filter(has_text=rude)).to_have_count(1)
    # Students have no queue, and the author never learns who flagged.
    assert jp.locator("[data-flag-queue]").count() == 0
    assert tw.locator("[data-flag-queue]").count() == 0
    flagger = room.student("taipei-daan")["display_name"]
    expect(jp.locator("body")).not_to_contain_text(f"{strings(jp)['flag_by'].split('%')[0]}")
    assert flagger  # named to the teachers only
    expect(flagged).to_contain_text(flagger)

    # The Shizuoka teacher hides it: the flag is resolved for both teachers, and the
    # message is hidden from the students.
    flagged.get_by_role("button", name="Hide").click()
    expect(queue).to_be_hidden()
    expect(lin.locator("[data-flag-queue]")).to_be_hidden()
    expect(message(tw, rude)).to_have_count(0)  # its text is withheld
    expect(jp.locator(".msg-withheld").last).to_be_visible()

    # The teacher closes the poll: no more answers.
    lin.locator(".poll").first.get_by_role("button", name="Close the poll").click()
    for page in (tw, jp):
        poll = page.locator(".poll").first
        expect(poll).to_have_class(re.compile("poll-closed"))
        expect(poll.locator("input").first).to_be_disabled()
        expect(poll.locator("button[type=submit]")).to_be_hidden()

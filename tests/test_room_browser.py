"""The live room in a real browser: Debian's Chromium through Playwright, against a
real ``python wsgi.py`` (eventlet) with the demo data.

Two students (Taipei in 繁體中文, Shizuoka in 日本語) and a teacher (in English) share
the demo's live session. Students' pages are checked through data attributes and the
page's own string table (``#i18n``), so the tests hold whatever the catalogs say.

Skipped when /usr/bin/chromium is missing, unless FORUM_REQUIRE_BROWSER=1 (as in CI),
which turns the missing browser into a failure.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest
from browsers import Pages, chromium, served_forum
from servers import ROOT

SHOTS = ROOT / "docs" / "screenshots"

pytestmark = pytest.mark.browser


# --- the server, the browser and the people -----------------------------------------------


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """A served, migrated, seeded forum of its own: (server, demo JSON, env)."""
    with served_forum(tmp_path_factory, "room-instance") as served:
        yield served


@pytest.fixture(scope="module")
def browser(live_server):
    with chromium() as browser:
        yield browser


Room = Pages  # the room's tests read as what they are about


@pytest.fixture
def room(browser, live_server):
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)  # a busy CI machine; nothing here is a timing test
    server, demo, _env = live_server
    room = Room(browser, server, demo)
    yield room
    room.close()
    assert room.errors == [], room.errors  # no uncaught script error on any page


def tw_student(room: Room, index: int = 0, **kwargs):
    page = room.page(**kwargs)
    room.sign_in_student(page, room.student("taipei-daan", index), "zh-TW")
    return page


def jp_student(room: Room, index: int = 0, **kwargs):
    page = room.page(timezone="Asia/Tokyo", **kwargs)
    room.sign_in_student(page, room.student("shizuoka-aoi", index), "ja")
    return page


def teacher(room: Room):
    page = room.page()
    room.sign_in_teacher(page)
    return page


def strings(page) -> dict[str, str]:
    """The page's own translated strings (what the scripts show)."""
    return json.loads(page.locator("#i18n").text_content())


def say(page, text: str) -> None:
    page.fill("#chat-input", text)
    page.press("#chat-input", "Enter")


def message(page, text: str):
    """The stored (not pending) message whose own text contains ``text``."""
    return page.locator(".msg[data-message-id]").filter(
        has=page.locator(".msg-body", has_text=text)
    )


def tag() -> str:
    return uuid.uuid4().hex[:8]


# --- chat -----------------------------------------------------------------------------------


def test_students_chat_and_a_hidden_message_disappears_for_both(room):
    from playwright.sync_api import expect

    tw, jp, lin = tw_student(room), jp_student(room), teacher(room)
    for page in (tw, jp, lin):
        room.enter(page)
    expect(tw.locator("html")).to_have_attribute("lang", "zh-Hant-TW")
    expect(jp.locator("html")).to_have_attribute("lang", "ja")

    t = tag()
    secret = f"這句話會被老師隱藏 {t}"
    hello = f"こんにちは、静岡から {t}"
    say(tw, secret)
    say(jp, hello)
    for page in (tw, jp, lin):
        expect(message(page, secret)).to_have_count(1)
        expect(message(page, hello)).to_have_count(1)
    # Each message carries its author's language, so Han characters take the right shapes.
    expect(message(jp, secret)).to_have_attribute("lang", "zh-Hant-TW")
    expect(message(tw, hello)).to_have_attribute("lang", "ja")
    # Author, school and a country label; the sender sees "sent".
    expect(message(jp, secret).locator(".country")).to_have_text("TW")
    expect(message(tw, hello).locator(".country")).to_have_text("JP")
    expect(message(tw, secret)).to_have_class(re.compile("msg-mine"))
    expect(message(tw, secret).locator(".msg-state")).to_be_visible()

    # A reply quotes; a reaction counts for everyone.
    message(tw, hello).locator(".msg-actions button").first.click()  # Reply
    say(tw, f"回覆 {t}")
    expect(message(jp, f"回覆 {t}").locator(".msg-quote")).to_contain_text(hello)
    message(jp, hello).locator(".reaction-add").click()
    message(jp, hello).locator(".reaction-choice").first.click()
    expect(message(tw, hello).locator(".reaction .reaction-count")).to_have_text("1")
    expect(message(jp, hello).locator(".reaction")).to_have_attribute("aria-pressed", "true")

    # The teacher hides the Taipei message: it goes from both students' screens at once.
    hidden_id = message(lin, secret).get_attribute("data-message-id")
    message(lin, secret).get_by_role("button", name="Hide", exact=True).click()
    for page in (tw, jp):
        item = page.locator(f".msg[data-message-id='{hidden_id}']")
        expect(item.locator(".msg-body")).to_have_text(strings(page)["hidden_notice"])
        expect(page.locator("[data-log]")).not_to_contain_text(secret)
    # The teacher still reads it, dimmed and marked.
    item = lin.locator(f".msg[data-message-id='{hidden_id}']")
    expect(item).to_have_class(re.compile("msg-hidden"))
    expect(item.locator(".badge-hidden")).to_be_visible()
    expect(item.locator(".msg-body")).to_have_text(secret)

    # Coming back later, the student is not sent the text at all.
    jp.reload()
    expect(jp.locator("#room-connection")).to_have_attribute("data-state", "connected")
    expect(jp.locator(f".msg[data-message-id='{hidden_id}'] .msg-body")).to_have_text(
        strings(jp)["hidden_notice"]
    )
    assert secret not in jp.content()

    # Shown again: the student gets the text back without reloading.
    item.get_by_role("button", name="Unhide", exact=True).click()
    expect(tw.locator(f".msg[data-message-id='{hidden_id}'] .msg-body")).to_have_text(secret)
    expect(jp.locator(f".msg[data-message-id='{hidden_id}'] .msg-body")).to_have_text(secret)

    # Pinned prompt at the top of everyone's chat.
    message(lin, hello).get_by_role("button", name="Pin", exact=True).click()
    expect(tw.locator("[data-pinned]")).to_contain_text(hello)
    expect(jp.locator("[data-pinned]")).to_contain_text(hello)


def test_a_message_of_blank_lines_or_a_long_paste_does_not_push_the_chat_away(room):
    """300 blank lines between two words made one message 7,558 px tall for everyone.
    The room shows a run of blank lines as two and folds a long message to about
    eight lines behind "Show more"; the record keeps what was written."""
    from playwright.sync_api import expect

    tw, jp = tw_student(room, 1), jp_student(room, 1)
    room.enter(tw)
    room.enter(jp)
    t = tag()
    blank = f"上 {t}" + "\n" * 301 + f"下 {t}"
    say(tw, blank)
    poem = "\n".join(f"{i} 行目 {t}" for i in range(1, 41))
    say(jp, poem)
    for page in (tw, jp):
        spaced = message(page, f"上 {t}")
        expect(spaced.locator(".msg-body")).to_have_text(f"上 {t}\n\n\n下 {t}")
        assert spaced.bounding_box()["height"] < 200
        expect(spaced.locator(".msg-more")).to_be_hidden()

        long = message(page, f"1 行目 {t}")
        more = long.locator(".msg-more")
        expect(more).to_have_text(strings(page)["show_more"])
        expect(more).to_have_attribute("aria-expanded", "false")
        assert long.bounding_box()["height"] < 320
        assert page.locator("[data-log]").bounding_box()["height"] < 700  # the chat stays put
        more.click()
        expect(more).to_have_attribute("aria-expanded", "true")
        expect(more).to_have_text(strings(page)["show_less"])
        assert long.bounding_box()["height"] > 600  # all forty lines
        expect(long.locator(".msg-body")).to_have_text(poem)
        more.click()
        expect(more).to_have_attribute("aria-expanded", "false")

    # A teacher's record (the transcript) keeps the blank lines as they were written.
    lin = teacher(room)
    response = lin.request.get(f"{room.server.url}/sessions/{room.session_id()}/transcript.json")
    assert response.ok, response.status
    bodies = [
        e["data"].get("body") for e in response.json()["events"] if e["type"] == "message.posted"
    ]
    assert blank in bodies


def test_typing_is_shown_to_the_others(room):
    from playwright.sync_api import expect

    tw, jp = tw_student(room, 1), jp_student(room, 1)
    room.enter(tw)
    room.enter(jp)
    jp.locator("#chat-input").press_sequentially("abc")
    expect(tw.locator("[data-typing]")).to_contain_text(
        room.student("shizuoka-aoi", 1)["display_name"]
    )


def test_composer_counts_and_shift_enter_breaks_the_line(room):
    from playwright.sync_api import expect

    tw = tw_student(room, 1)
    room.enter(tw)
    box = tw.locator("#chat-input")
    box.fill("  ab")
    expect(tw.locator("[data-counter]")).to_have_text("2 / 2000")
    box.press("Shift+Enter")
    box.press_sequentially("cd")
    expect(box).to_have_value("  ab\ncd")
    box.fill("x" * 2001)
    expect(tw.locator("[data-send]")).to_be_disabled()
    box.fill("   ")
    expect(tw.locator("[data-send]")).to_be_disabled()
    box.press("Enter")
    expect(tw.locator(".msg-pending")).to_have_count(0)


def test_refused_message_fails_and_retry_sends_it_once_with_the_same_client_id(room):
    from playwright.sync_api import expect

    sent: list[dict] = []

    def record_chat_sends(ws):
        server = ws.connect_to_server()

        def to_server(frame):
            if isinstance(frame, str) and '"chat.send"' in frame:
                sent.append(json.loads(frame[frame.index("[") :])[1])
            server.send(frame)

        ws.on_message(to_server)
        server.on_message(lambda frame: ws.send(frame))

    lin = teacher(room)
    # A student who writes nothing else in this session: slow mode counts from the
    # last message, so an earlier one would refuse the first message here as well.
    student = tw_student(room, 3, route=record_chat_sends)
    room.enter(lin)
    room.enter(student)
    slow = lin.locator("[data-slow-select]")
    try:
        slow.select_option("30")
        expect(student.locator("[data-slow]")).to_be_visible()
        t = tag()
        say(student, f"first {t}")
        expect(message(student, f"first {t}")).to_have_count(1)
        # The page counts down before the next message…
        expect(student.locator("[data-send]")).to_be_disabled()
        expect(student.locator("[data-composer-note]")).not_to_be_empty()
        # …a fresh page does not know, so the server says no: slow mode, with its wait.
        student.reload()
        expect(student.locator("#room-connection")).to_have_attribute("data-state", "connected")
        say(student, f"second {t}")
        failed = student.locator(".msg-pending", has_text=f"second {t}")
        expect(failed).to_have_attribute("data-state", "failed")
        expect(failed.locator(".msg-error")).not_to_be_empty()
        expect(failed.get_by_role("button")).to_be_visible()  # Retry
        expect(student.locator("[data-composer-note]")).not_to_be_empty()  # the countdown
        slow.select_option("0")
        expect(student.locator("[data-slow]")).to_be_hidden()
        failed.get_by_role("button").click()
        expect(message(lin, f"second {t}")).to_have_count(1)
        expect(message(student, f"second {t}")).to_have_count(1)
        expect(student.locator(".msg-pending")).to_have_count(0)
    finally:
        slow.select_option("0")
    attempts = [s for s in sent if s["body"] == f"second {t}"]
    assert len(attempts) == 2
    assert attempts[0]["client_id"] == attempts[1]["client_id"]


# --- the event stream: gaps, reconnects, offline sends ---------------------------------------


class Network:
    """A switchable connection for one page: pass frames, drop one, or cut it."""

    def __init__(self) -> None:
        self.blocked = False
        self.drop: str | None = None
        self.links: list[tuple] = []

    def route(self, ws) -> None:
        if self.blocked:
            ws.close()
            return
        server = ws.connect_to_server()

        def from_server(frame):
            if self.drop and isinstance(frame, str) and self.drop in frame:
                self.drop = None  # lost on the way: the next event arrives after a gap
                return
            ws.send(frame)

        server.on_message(from_server)
        ws.on_message(lambda frame: server.send(frame))
        self.links.append((ws, server))

    def cut(self) -> None:
        self.blocked = True
        for ws, server in self.links:
            ws.close()
            server.close()
        self.links.clear()

    def restore(self) -> None:
        self.blocked = False


def test_a_lost_event_is_fetched_and_folded_in_order(room):
    from playwright.sync_api import expect

    net = Network()
    tw = tw_student(room, 2, route=net.route)
    jp = jp_student(room, 2)
    room.enter(tw)
    room.enter(jp)
    t = tag()
    net.drop = f"lost {t}"
    say(jp, f"lost {t}")
    expect(message(jp, f"lost {t}")).to_have_count(1)
    say(jp, f"after {t}")
    expect(message(tw, f"after {t}")).to_have_count(1)
    expect(message(tw, f"lost {t}")).to_have_count(1)
    bodies = tw.locator(".msg-body").all_text_contents()
    assert bodies.index(f"lost {t}") < bodies.index(f"after {t}")
    expect(tw.locator("#room")).to_have_attribute(
        "data-seq", jp.locator("#room").get_attribute("data-seq")
    )


def test_reconnect_resumes_from_the_last_seq_without_gap_or_duplicate(room):
    from playwright.sync_api import expect

    net = Network()
    tw = tw_student(room, 2, route=net.route)
    jp = jp_student(room, 2)
    room.enter(tw)
    room.enter(jp)
    net.cut()
    expect(tw.locator("#room-connection")).to_have_attribute("data-state", "reconnecting")
    t = tag()
    for i in range(3):
        say(jp, f"while away {i} {t}")
        expect(message(jp, f"while away {i} {t}")).to_have_count(1)
    net.restore()
    expect(tw.locator("#room-connection")).to_have_attribute("data-state", "connected")
    for i in range(3):
        expect(message(tw, f"while away {i} {t}")).to_have_count(1)
    expect(tw.locator("#room")).to_have_attribute(
        "data-seq", jp.locator("#room").get_attribute("data-seq")
    )
    ids = tw.locator(".msg[data-message-id]").evaluate_all(
        "els => els.map(e => e.dataset.messageId)"
    )
    assert len(ids) == len(set(ids))


def test_a_message_written_offline_is_pending_then_failed_and_retry_sends_it_once(room):
    from playwright.sync_api import expect

    net = Network()
    tw = tw_student(room, 2, route=net.route)
    # The page's timers run on Playwright's clock: time flows as usual, and the test
    # moves it past the ack timeout instead of waiting 10 s for it.
    tw.clock.install()
    jp = jp_student(room, 2)
    room.enter(tw)
    room.enter(jp)
    net.cut()
    expect(tw.locator("#room-connection")).to_have_attribute("data-state", "reconnecting")
    t = tag()
    say(tw, f"offline {t}")
    mine = tw.locator(".msg-pending", has_text=f"offline {t}")
    expect(mine).to_have_attribute("data-state", "pending")
    tw.clock.fast_forward(9_000)  # room.js ACK_TIMEOUT_MS is 10 s: not yet
    expect(mine).to_have_attribute("data-state", "pending")
    # No answer within the ack timeout: failed, with a Retry button.
    tw.clock.fast_forward(1_500)
    expect(mine).to_have_attribute("data-state", "failed")
    net.restore()
    expect(tw.locator("#room-connection")).to_have_attribute(
        "data-state", "connected", timeout=30_000
    )
    mine.get_by_role("button").click()
    expect(message(jp, f"offline {t}")).to_have_count(1)
    expect(message(tw, f"offline {t}")).to_have_count(1)
    expect(tw.locator(".msg-pending")).to_have_count(0)


# --- the board ----------------------------------------------------------------------------------


def add_note(page, column: str, text: str, color_index: int = 0) -> None:
    form = page.locator(f".board-column[data-column='{column}'] .note-form")
    form.locator("textarea").fill(text)
    form.locator(".swatch").nth(color_index).click()
    form.locator("button[type=submit]").click()


def note_in(page, column: str, text: str):
    return page.locator(f".board-column[data-column='{column}'] .note", has_text=text)


def drag(page, note, column: str) -> None:
    """Drag a note by its grip onto another column, in small pointer steps."""
    grip = note.locator(".note-grip").bounding_box()
    target = page.locator(f".board-column[data-column='{column}']").bounding_box()
    x0, y0 = grip["x"] + grip["width"] / 2, grip["y"] + grip["height"] / 2
    x1, y1 = target["x"] + target["width"] / 2, target["y"] + 40
    page.mouse.move(x0, y0)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(x0 + (x1 - x0) * step / 10, y0 + (y1 - y0) * step / 10)
    page.mouse.up()


def test_a_note_dragged_to_another_column_moves_for_the_others(room):
    from playwright.sync_api import expect

    tw, jp = tw_student(room), jp_student(room)
    room.enter(tw)
    room.enter(jp)
    columns = tw.locator(".board-column").evaluate_all("els => els.map(e => e.dataset.column)")
    assert len(columns) >= 3
    first, second, third = columns[:3]
    t = tag()
    text = f"海邊有很多塑膠 {t}"
    add_note(tw, first, text, color_index=1)
    expect(note_in(jp, first, text)).to_have_count(1)
    expect(note_in(jp, first, text)).to_have_class(re.compile("note-pink"))
    expect(note_in(jp, first, text)).to_have_attribute("lang", "zh-Hant-TW")

    drag(tw, note_in(tw, first, text), second)
    expect(note_in(jp, second, text)).to_have_count(1)
    expect(note_in(jp, first, text)).to_have_count(0)
    expect(note_in(tw, second, text)).to_have_count(1)

    # The keyboard way: pick a column, press Move.
    note = note_in(tw, second, text)
    note.locator("select.note-move").select_option(third)
    note.locator(".note-move-button").focus()
    tw.keyboard.press("Enter")
    expect(note_in(jp, third, text)).to_have_count(1)

    # Votes toggle and count for everyone; only the author may edit or move.
    note_in(jp, third, text).locator("button.vote").click()
    expect(note_in(tw, third, text).locator(".vote-count")).to_have_text("1")
    expect(note_in(jp, third, text).locator("button.vote")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(note_in(jp, third, text).locator(".note-grip")).to_be_hidden()
    expect(note_in(jp, third, text).locator("select.note-move")).to_be_hidden()


def test_an_edit_on_an_old_version_is_refused_and_the_text_is_kept(room):
    from playwright.sync_api import expect

    tw, lin = tw_student(room, 3), teacher(room)
    room.enter(tw)
    room.enter(lin)
    column = tw.locator(".board-column").first.get_attribute("data-column")
    t = tag()
    add_note(tw, column, f"原本的想法 {t}")
    mine = note_in(tw, column, f"原本的想法 {t}")
    expect(mine).to_have_count(1)
    note_id = mine.get_attribute("data-note-id")
    mine = tw.locator(f".note[data-note-id='{note_id}']")
    theirs = lin.locator(f".note[data-note-id='{note_id}']")

    mine.locator(".note-actions button.link").first.click()  # Edit
    mine.locator(".note-editor textarea").fill(f"學生的修改 {t}")
    theirs.get_by_role("button", name="Edit", exact=True).click()
    theirs.locator(".note-editor textarea").fill(f"teacher's edit {t}")
    theirs.get_by_role("button", name="Save", exact=True).click()
    expect(mine.locator(".note-text")).to_have_text(f"teacher's edit {t}")

    mine.locator(".note-editor button[type=submit]").click()
    expect(mine.locator(".note-editor .form-error")).to_contain_text(
        strings(tw)["edit_not_applied"]
    )
    expect(mine.locator(".note-text")).to_have_text(f"teacher's edit {t}")  # the newer note
    expect(mine.locator(".note-editor textarea")).to_have_value(f"學生的修改 {t}")  # ours, kept
    mine.locator(".note-editor button[type=submit]").click()  # apply it on top
    expect(theirs.locator(".note-text")).to_have_text(f"學生的修改 {t}")

    # Hidden by the teacher: the student sees the notice, then the text again.
    theirs.get_by_role("button", name="Hide", exact=True).click()
    expect(mine.locator(".note-text")).to_have_text(strings(tw)["hidden_notice"])
    theirs.get_by_role("button", name="Unhide", exact=True).click()
    expect(mine.locator(".note-text")).to_have_text(f"學生的修改 {t}")


# --- teachers' controls -----------------------------------------------------------------------


def test_lock_and_mute_stop_students_writing(room):
    from playwright.sync_api import expect

    tw, jp, lin = tw_student(room, 1), jp_student(room, 1), teacher(room)
    for page in (tw, jp, lin):
        room.enter(page)
    lock = lin.locator("[data-lock]")
    try:
        lock.click()
        expect(lock).to_have_attribute("aria-pressed", "true")
        for page in (tw, jp):
            expect(page.locator("#chat-input")).to_be_disabled()
            expect(page.locator(".note-form textarea").first).to_be_disabled()
            expect(page.locator("[data-room-notice]")).to_have_text(strings(page)["locked_notice"])
        expect(lin.locator("#chat-input")).to_be_enabled()  # teachers still write
    finally:
        if lock.get_attribute("aria-pressed") == "true":
            lock.click()
    expect(jp.locator("#chat-input")).to_be_enabled()

    name = room.student("shizuoka-aoi", 1)["display_name"]
    person = lin.locator(".person", has_text=name)
    person.locator("select").select_option("5")
    person.locator("[data-role=mute]").click()
    expect(jp.locator("#chat-input")).to_be_disabled()
    expect(tw.locator("#chat-input")).to_be_enabled()
    expect(lin.locator(".person", has_text=name).locator(".badge-muted")).to_be_visible()
    lin.locator(".person", has_text=name).locator("[data-role=unmute]").click()
    expect(jp.locator("#chat-input")).to_be_enabled()


def test_a_screen_reader_hears_others_in_their_language_and_being_muted(room):
    """The live region reads a Japanese message and note with a Japanese voice on a
    Chinese page; being muted and unmuted is said, not only shown; the board's
    Ctrl+Enter and the chat's Alt+M are told."""
    from playwright.sync_api import expect

    tw, jp, lin = tw_student(room, 2), jp_student(room, 2), teacher(room)
    for page in (tw, jp, lin):
        room.enter(page)
    announcer = tw.locator("#room-announcer")
    expect(announcer).to_have_attribute("lang", "zh-Hant-TW")

    t = tag()
    say(jp, f"海はみんなのもの {t}")
    expect(announcer.locator("span[lang=ja]")).to_have_text(f"海はみんなのもの {t}")
    expect(announcer).to_contain_text(room.student("shizuoka-aoi", 2)["display_name"])

    add_note(jp, "why", f"プラスチックが多すぎる {t}")
    expect(announcer.locator("span[lang=ja]")).to_have_text(f"プラスチックが多すぎる {t}")
    column = tw.locator(".board-column[data-column='why'] .board-column-title").inner_text()
    expect(announcer).to_contain_text(column)

    name = room.student("taipei-daan", 2)["display_name"]
    lin.locator(".person", has_text=name).locator("[data-role=mute]").click()
    expect(tw.locator("#chat-input")).to_be_disabled()
    until = strings(tw)["muted_until_notice"].split("%(time)s")[0]  # a timed mute by default
    expect(announcer).to_contain_text(until)
    expect(announcer).to_have_text(tw.locator("[data-composer-note]").inner_text())
    lin.locator(".person", has_text=name).locator("[data-role=unmute]").click()
    expect(tw.locator("#chat-input")).to_be_enabled()
    expect(announcer).to_have_text(strings(tw)["unmuted_notice"])

    # The note box says its shortcut, to the eye and to assistive technology.
    box = tw.locator(".board-column[data-column='why'] .note-form textarea")
    assert "Ctrl+Enter" in box.get_attribute("placeholder")
    expect(box).to_have_attribute("aria-keyshortcuts", re.compile("Control\\+Enter"))
    box.fill(f"Ctrl+Enter {t}")
    box.press("Control+Enter")
    expect(note_in(jp, "why", f"Ctrl+Enter {t}")).to_have_count(1)


def test_the_keyboard_jumps_past_the_messages_to_the_message_box(room):
    """Every message adds buttons to the tab order; a link at the top of the chat (and
    Alt+M from anywhere in the room, which it names) goes straight to the message box,
    while the messages' buttons stay reachable with Tab."""
    from playwright.sync_api import expect

    tw = tw_student(room, 2)
    room.enter(tw)
    say(tw, f"tab stops {tag()}")
    expect(tw.locator(".msg[data-message-id] .msg-actions button").first).to_be_visible()
    jump = tw.get_by_role("link", name=re.compile("Alt\\+M"))
    expect(jump).to_be_visible()
    tw.locator("h1").click()
    for _ in range(40):
        tw.keyboard.press("Tab")
        if tw.evaluate("document.activeElement.matches('[data-jump-composer]')"):
            break
    else:
        raise AssertionError("the jump link is not in the tab order")
    tw.keyboard.press("Enter")
    expect(tw.locator("#chat-input")).to_be_focused()

    tw.locator(".board-column textarea").first.focus()
    tw.keyboard.press("Alt+KeyM")
    expect(tw.locator("#chat-input")).to_be_focused()
    expect(tw.locator("#chat-input")).to_have_attribute("aria-keyshortcuts", "Alt+M")

    # The messages' own buttons are still reached from the log with Tab.
    tw.locator("[data-log]").focus()
    tw.keyboard.press("Tab")
    assert tw.evaluate("document.activeElement.closest('.msg') !== null")


def test_who_is_here_groups_people_by_school(room):
    from playwright.sync_api import expect

    tw, jp = tw_student(room), jp_student(room)
    room.enter(tw)
    room.enter(jp)
    groups = tw.locator(".people-school")
    expect(groups).to_have_count(2)
    expect(groups.filter(has_text="JP").locator(".person.is-online")).to_contain_text(
        [room.student("shizuoka-aoi")["display_name"]]
    )
    me = groups.filter(has_text="TW").locator(
        ".person", has_text=room.student("taipei-daan")["display_name"]
    )
    expect(me).to_have_class(re.compile("is-online"))
    expect(tw.locator(".person-controls")).to_have_count(0)  # students moderate nobody


def test_teacher_removes_a_student_who_cannot_come_back(room):
    from playwright.sync_api import expect

    removed = room.student("shizuoka-aoi", 3)
    jp, lin = jp_student(room, 3), teacher(room)
    room.enter(jp)
    room.enter(lin)
    lin.locator(".person", has_text=removed["display_name"]).locator("[data-role=remove]").click()
    expect(jp.locator("#room-stopped")).to_have_text(strings(jp)["removed_notice"])
    expect(jp.locator("#room-connection")).to_have_attribute("data-state", "removed")
    expect(jp.locator("#chat-input")).to_be_disabled()
    expect(lin.locator(".person", has_text=removed["display_name"])).to_have_count(0)
    # Removed from the record too (issue 14): the room page itself is refused now.
    response = jp.reload()
    assert response is not None and response.status == 403
    expect(jp.locator("main h1")).to_have_text("403")
    expect(jp.locator("#chat-input")).to_have_count(0)


def test_teacher_opens_and_closes_a_session_from_the_room(room):
    from playwright.sync_api import expect

    session_id = room.session_id("scheduled", "Typhoons, heavy rain and us")
    tw, lin = tw_student(room, 3), teacher(room)
    room.enter(tw, session_id)
    room.enter(lin, session_id)
    expect(tw.locator("#chat-input")).to_be_disabled()
    expect(tw.locator("[data-room-notice]")).to_have_text(strings(tw)["notice_scheduled"])
    # The teacher reads what is theirs to do, not the students' "your teacher opens it".
    expect(lin.locator("[data-room-notice]")).to_have_text(strings(lin)["notice_scheduled_teacher"])

    lin.get_by_role("button", name="Open the room").click()
    expect(tw.locator("[data-session-status]")).to_have_class(re.compile("status-live"))
    expect(tw.locator("#chat-input")).to_be_enabled()
    say(tw, "颱風要來了")
    expect(message(lin, "颱風要來了")).to_have_count(1)

    lin.get_by_role("button", name="Close the session").click()  # confirmed by the fixture
    expect(tw.locator("[data-session-status]")).to_have_class(re.compile("status-closed"))
    expect(tw.locator("[data-room-notice]")).to_have_text(strings(tw)["notice_closed"])
    expect(tw.locator("#chat-input")).to_be_hidden()
    expect(tw.locator(".note-form")).to_have_count(3)
    expect(tw.locator(".note-form").first).to_be_hidden()


def test_a_teacher_runs_a_class_from_a_phone(room):
    """At 390 px a teacher opens the room, hides a message, mutes and unmutes a
    student, locks the chat and closes the session, each control within the screen's
    width and big enough to tap; no page scrolls sideways (issue 20)."""
    from playwright.sync_api import expect

    typhoons = room.session_id("scheduled", "Typhoons, heavy rain and us")
    session_id = next(
        s["id"] for s in room.demo["sessions"] if s["status"] == "scheduled" and s["id"] != typhoons
    )
    lin = room.page(viewport=(390, 844))
    room.sign_in_teacher(lin)
    kr = room.page(timezone="Asia/Seoul")
    seoul = room.student("seoul-hanbit", 1)
    room.sign_in_student(kr, seoul, "ko")
    room.enter(lin, session_id)
    room.enter(kr, session_id)

    def tappable(locator) -> None:
        # The people list is drawn anew on every presence change, so the element may be
        # replaced between two Playwright calls: scroll and measure in one page call.
        expect(locator).to_be_enabled()
        box = locator.evaluate(
            "e => { e.scrollIntoView({block: 'nearest', inline: 'nearest'});"
            " const r = e.getBoundingClientRect();"
            " return {x: r.x, y: r.y, width: r.width, height: r.height}; }"
        )
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        assert box["height"] >= 24 and box["width"] >= 24, box
        assert lin.evaluate("document.documentElement.scrollWidth") <= 390

    opening = lin.get_by_role("button", name="Open the room")
    tappable(opening)
    opening.click()
    expect(kr.locator("#chat-input")).to_be_enabled()
    text = f"태풍이 와요 {tag()}"
    say(kr, text)
    said = message(kr, text).get_attribute("data-message-id")
    hide = message(lin, text).get_by_role("button", name="Hide", exact=True)
    tappable(hide)
    hide.click()
    expect(kr.locator(f".msg[data-message-id='{said}'] .msg-body")).to_have_text(
        strings(kr)["hidden_notice"]
    )

    lin.locator("#tab-people").click()
    person = lin.locator(".person", has_text=seoul["display_name"])
    tappable(person.locator("[data-role=mute]"))
    person.locator("[data-role=mute]").click()
    expect(kr.locator("#chat-input")).to_be_disabled()
    tappable(person.locator("[data-role=unmute]"))
    person.locator("[data-role=unmute]").click()
    expect(kr.locator("#chat-input")).to_be_enabled()

    lock = lin.locator("[data-lock]")
    tappable(lock)
    lock.click()
    expect(kr.locator("#chat-input")).to_be_disabled()
    lock.click()
    expect(kr.locator("#chat-input")).to_be_enabled()

    lin.locator("#tab-chat").click()
    lin.evaluate("window.scrollTo(0, 0)")
    lin.screenshot(path=str(SHOTS / "room-teacher-phone.png"))
    closing = lin.get_by_role("button", name="Close the session")
    tappable(closing)
    closing.click()  # confirmed by the fixture
    expect(kr.locator("[data-session-status]")).to_have_class(re.compile("status-closed"))
    expect(lin.locator("[data-session-status]")).to_have_class(re.compile("status-closed"))


def test_signing_out_elsewhere_sends_the_room_to_the_sign_in_page(room):
    from playwright.sync_api import expect

    tw = tw_student(room, 3)
    room.enter(tw)
    other = tw.context.new_page()
    other.goto(room.server.url + "/")
    other.locator("form[action='/auth/logout'] button").click()
    expect(tw).to_have_url(re.compile(r"/auth/code"))


# --- layout ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "size", [(1280, 800), (1024, 768), (390, 844)], ids=lambda s: f"{s[0]}x{s[1]}"
)
def test_layout_fits_the_screen(room, size, tmp_path):
    from playwright.sync_api import expect

    jp = jp_student(room, viewport=size)
    room.enter(jp)
    width = jp.evaluate("document.documentElement.scrollWidth")
    assert width <= size[0], f"the page scrolls sideways: {width}px"
    chat, board = jp.locator("#panel-chat"), jp.locator("#panel-board")
    if size[0] >= 760:
        expect(jp.locator(".room-tabs")).to_be_hidden()
        a, b = chat.bounding_box(), board.bounding_box()
        assert a["x"] + a["width"] <= b["x"], "chat and board side by side"
        first, second = jp.locator(".board-column").nth(0), jp.locator(".board-column").nth(1)
        assert first.bounding_box()["x"] < second.bounding_box()["x"], "columns side by side"
    else:
        # Phones: chat and board as tabs, one panel at a time.
        expect(chat).to_be_visible()
        expect(board).to_be_hidden()
        jp.locator("#tab-board").click()
        expect(board).to_be_visible()
        expect(chat).to_be_hidden()
        expect(jp.locator("#tab-board")).to_have_attribute("aria-selected", "true")
    if size == (1280, 800):
        say(jp, "教室の電気をこまめに消しています。")
        expect(message(jp, "教室の電気をこまめに消しています。")).to_have_count(1)
        # A laptop sees chat, board and who is here at once, the message box in view,
        # without scrolling the page (issue 20, point 13).
        people = jp.locator("#panel-people").bounding_box()
        b = board.bounding_box()
        assert people["x"] >= b["x"] + b["width"] and people["y"] < 400, people
        send = jp.locator("[data-send]").bounding_box()
        assert send["y"] + send["height"] <= size[1], send
        third = jp.locator(".board-column").nth(2).bounding_box()
        assert third["x"] + third["width"] <= b["x"] + b["width"], "all three columns in view"
        # The header is three lines to scan: title and status, the times, the schools.
        for line in ("h1", ".room-when .when", ".room-header .schools"):
            box = jp.locator(line).bounding_box()
            assert box["height"] < 48, (line, box)
        assert "–" in jp.locator(".room-when .when").inner_text()
        jp.screenshot(path=str(SHOTS / "room-laptop.png"))
    jp.screenshot(path=str(tmp_path / f"room-{size[0]}x{size[1]}.png"), full_page=True)


def test_chat_times_are_in_the_readers_zone_not_the_browsers(room):
    """A Taipei student whose laptop is set to Seoul: the chat's times are Taipei's, as
    every other time on the page (the server's), not the browser's hour ahead."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    page = tw_student(room, timezone="Asia/Seoul")
    room.enter(page)
    text = f"zone {tag()}"
    say(page, text)
    stamp = message(page, text).locator(".msg-time")
    stamp.wait_for()
    at = datetime.fromisoformat(stamp.get_attribute("datetime").replace("Z", "+00:00"))
    assert stamp.text_content() == at.astimezone(ZoneInfo("Asia/Taipei")).strftime("%H:%M")
    assert stamp.text_content() != at.astimezone(ZoneInfo("Asia/Seoul")).strftime("%H:%M")

"""A showcase session in a real browser (issue 19, part 3): a Seoul student in the
audience asks a question in 한국어, it waits for a teacher; the Taipei teacher, whose
class presents, releases it; a Taipei student then sees it. Chromium through
Playwright against ``python wsgi.py`` with the demo data and its showcase (``seed-demo
--with-showcase``: the Taipei class presents, the Seoul class is in the audience)."""

from __future__ import annotations

import pytest
from browsers import Pages, chromium, open_session, served_forum
from test_room_browser import message, say, strings, tag

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    with served_forum(tmp_path_factory, "showcase-instance", "--with-showcase") as served:
        yield served


@pytest.fixture
def pages(live_server):
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)  # a busy CI machine; nothing here is a timing test
    server, demo, _env = live_server
    with chromium() as browser:
        pages = Pages(browser, server, demo)
        yield pages
        pages.close()
        assert pages.errors == [], pages.errors


def test_an_audience_question_waits_for_the_presenting_teacher(pages, live_server):
    from playwright.sync_api import expect

    server, demo, env = live_server
    showcase = demo["showcase"]
    sid = showcase["id"]
    open_session(server, env, sid, "lin.teacher")

    seoul = pages.page(timezone="Asia/Seoul", locale="ko-KR")
    pages.sign_in_student(seoul, pages.student("seoul-hanbit"), "ko")
    expect(seoul.get_by_role("link", name=showcase["title"]).first).to_be_visible()
    pages.enter(seoul, sid)
    expect(seoul.locator("#chat-input")).to_be_enabled()
    expect(seoul.locator(".composer-note, [data-composer-note]").first).to_have_text(
        strings(seoul)["audience_notice"]
    )

    teacher = pages.page()
    pages.sign_in_teacher(teacher)
    pages.enter(teacher, sid)
    taipei = pages.page(locale="zh-TW")
    pages.sign_in_student(taipei, pages.student("taipei-daan"), "zh-TW")
    pages.enter(taipei, sid)

    question = f"질문이 있어요: 쓰레기는 어떻게 분류했나요? {tag()}"
    say(seoul, question)
    # Its author sees it waiting; the presenting teacher has it in the queue.
    expect(message(seoul, question)).to_have_count(1)
    held = teacher.locator(".held-item").filter(has_text=question)
    expect(held).to_be_visible()
    # The Taipei student does not, until the teacher releases it.
    expect(message(taipei, question)).to_have_count(0)
    held.locator("button.primary").click()
    expect(message(taipei, question)).to_be_visible()
    expect(teacher.locator(".held-item").filter(has_text=question)).to_be_hidden()

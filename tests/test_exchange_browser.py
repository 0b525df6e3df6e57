"""An exchange from application to session in a real browser (Debian's Chromium, driven
by Playwright, against a real ``python wsgi.py`` with the demo data): a Taipei teacher
proposes an exchange with a Shizuoka class, the Shizuoka teacher accepts it in Japanese,
a reviewer approves it on the Alliance's desk, a session is scheduled, and only then
does a Shizuoka student see anything of it.

Skipped when /usr/bin/chromium is missing, unless FORUM_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from browsers import chromium, new_page, served_forum

pytestmark = pytest.mark.browser

TITLE = "Rivers that reach the sea (browser)"
SESSION = "Our rivers, side by side (browser)"


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """A served, migrated, seeded forum of its own: (server, demo JSON, env)."""
    with served_forum(tmp_path_factory, "exchange-browser") as served:
        yield served


@pytest.fixture(scope="module")
def browser(live_server):
    with chromium() as browser:
        yield browser


def _person(demo: dict, role: str, school: str | None = None) -> dict:
    return next(
        u for u in demo["users"] if u["role"] == role and (school is None or u["school"] == school)
    )


def _page(browser, locale: str = "en-US"):
    return new_page(browser, locale=locale)


def _staff_page(browser, server, user: dict, lang: str):
    from playwright.sync_api import expect

    page = _page(browser)
    page.goto(f"{server.url}/auth/login?lang={lang}")
    page.locator("#username").fill(user["username"])
    page.locator("#password").fill(user["password"])
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(server.url + "/")
    page.goto(f"{server.url}/?lang={lang}")  # the interface language, saved as theirs
    return page


def _student_page(browser, server, student: dict):
    from playwright.sync_api import expect

    page = _page(browser, "ja-JP")
    page.goto(server.url + "/auth/code?lang=ja")
    page.locator("#code").fill(student["code"])
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(server.url + "/")
    return page


def _student_sees(page, server) -> tuple[str, set[str]]:
    """The student's home page text, and the titles of the exchanges the API lists."""
    page.goto(server.url + "/")
    listed = page.request.get(server.url + "/api/v1/exchanges").json()["exchanges"]
    return page.locator("main").inner_text(), {e["title"] for e in listed}


def test_proposal_acceptance_in_japanese_approval_session(live_server, browser):
    from playwright.sync_api import expect

    server, demo, _env = live_server
    jp_class = next(c["id"] for c in demo["classes"] if c["school"] == "shizuoka-aoi")
    student = _person(demo, "student", "shizuoka-aoi")
    student_page = _student_page(browser, server, student)

    # A Taipei teacher proposes the exchange with the Shizuoka class.
    lin = _staff_page(browser, server, _person(demo, "teacher", "taipei-daan"), "zh-TW")
    lin.goto(server.url + "/exchanges/new")
    lin.locator("#title").fill(TITLE)
    lin.locator(f'#partner_class_ids input[value="{jp_class}"]').check()
    for goal in ("6", "14"):
        lin.locator(f'#sdgs input[value="{goal}"]').check()
    lin.locator("#mode").select_option("online")
    lin.locator("#starts_on").fill("2026-09-01")
    lin.locator("#ends_on").fill("2027-06-30")
    lin.locator("#goals").fill("Compare our rivers and what they carry to the sea.")
    lin.locator("main form button[type=submit]").click()
    expect(lin).to_have_url(re.compile(re.escape(server.url) + r"/exchanges/\d+$"))
    exchange_url = lin.url
    expect(lin.get_by_role("heading", level=1)).to_have_text(TITLE)

    # The Shizuoka student sees nothing of it.
    home, listed = _student_sees(student_page, server)
    assert TITLE not in home and TITLE not in listed

    # The Shizuoka teacher finds it waiting on their home page, in Japanese, and accepts.
    sato = _staff_page(browser, server, _person(demo, "teacher", "shizuoka-aoi"), "ja")
    expect(sato.locator("html")).to_have_attribute("lang", "ja")
    waiting = sato.get_by_role("region", name="あなたの対応待ち")
    waiting.get_by_role("link", name=TITLE).click()
    expect(sato).to_have_url(exchange_url)
    sato.locator("#decision-comment").fill("喜んで参加します。")
    sato.get_by_role("button", name="自分のクラスとして承諾する").click()
    expect(sato.locator(".flash-success")).to_have_text("あなたの判断を記録しました。")
    home, listed = _student_sees(student_page, server)
    assert TITLE not in home and TITLE not in listed  # not yet: the Alliance decides

    # A reviewer approves it on the Alliance's desk.
    reviewer = _staff_page(browser, server, _person(demo, "reviewer"), "en")
    reviewer.goto(server.url + "/")
    reviewer.get_by_role("region", name="Waiting for you").get_by_role(
        "link", name="Open the applications desk"
    ).click()
    row = reviewer.locator("tr", has=reviewer.get_by_role("link", name=TITLE))
    expect(row).to_contain_text("ready for the Alliance's decision")
    row.get_by_label("Comment").fill("A good plan.")
    row.get_by_role("button", name="Approve").click()
    expect(reviewer.locator(".flash-success")).to_contain_text(TITLE)
    # Back on the desk as it was filtered (waiting applications): it has left the list.
    expect(reviewer).to_have_url(re.compile(r"status=proposed"))
    expect(reviewer.get_by_role("link", name=TITLE)).to_have_count(0)
    reviewer.get_by_label("Status").select_option("approved")
    reviewer.get_by_role("button", name="Filter").click()
    row = reviewer.locator("tr", has=reviewer.get_by_role("link", name=TITLE))
    expect(row).to_contain_text("approved by the Alliance")
    expect(reviewer.get_by_label("Status")).to_have_value("approved")

    # The Taipei teacher schedules a session; the Shizuoka student now sees it.
    start = (datetime.now(ZoneInfo("Asia/Taipei")) + timedelta(days=3)).replace(
        hour=14, minute=0, second=0, microsecond=0
    )
    lin.goto(exchange_url)
    lin.locator("a[href^='/sessions/new?exchange_id=']").click()
    lin.locator("#title").fill(SESSION)
    lin.locator('#sdgs input[value="6"]').check()
    lin.locator("#starts_at").fill(start.strftime("%Y-%m-%dT%H:%M"))
    lin.locator("#ends_at").fill((start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    lin.locator("main form button[type=submit]").click()
    expect(lin).to_have_url(re.compile(re.escape(server.url) + r"/sessions/\d+$"))

    home, listed = _student_sees(student_page, server)
    assert SESSION in home and TITLE in listed
    # 15:00 in Tokyo, where the student is, beside 14:00 in Taipei.
    expect(student_page.get_by_role("link", name=SESSION)).to_be_visible()

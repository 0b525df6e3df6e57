"""End to end in a real browser: Debian's Chromium, driven by Playwright, against a
real ``python wsgi.py`` (eventlet) on a migrated SQLite database with the demo data.

Skipped when /usr/bin/chromium is missing, unless FORUM_REQUIRE_BROWSER=1 (as in CI),
which turns the missing browser into a failure.
"""

from __future__ import annotations

import re

import pytest
from browsers import chromium, new_page, served_forum
from servers import ROOT

SCREENSHOTS = ROOT / "docs" / "screenshots"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """A served, migrated, seeded forum of its own: (server, demo JSON, env)."""
    with served_forum(tmp_path_factory, "browser-instance") as served:
        yield served


@pytest.fixture(scope="module")
def browser(live_server):
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser):
    page = new_page(browser)
    yield page
    page.context.close()


def _student(demo: dict, school: str) -> dict:
    return next(u for u in demo["users"] if u["role"] == "student" and u["school"] == school)


def test_student_signs_in_with_code_and_enters_live_room(live_server, page):
    from playwright.sync_api import expect

    server, demo, _env = live_server
    student = _student(demo, "taipei-daan")
    title = "Our rivers and the sea"
    assert any(s["title"] == title and s["status"] == "live" for s in demo["sessions"])

    page.goto(server.url + "/auth/code?lang=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_label("Access code").fill(student["code"])
    page.get_by_role("button", name="Enter", exact=True).click()

    # Signed in: home, with the student's name in the top bar.
    expect(page).to_have_url(server.url + "/")
    expect(page.locator("header.topbar")).to_contain_text(student["display_name"])
    # The live session is listed under the first group, whatever the language.
    live = page.locator("section.group-live")
    expect(live.get_by_role("link", name=title)).to_be_visible()

    # In English (the student's saved language may differ): the "Live now" region.
    page.goto(server.url + "/?lang=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    live = page.get_by_role("region", name="Live now")
    link = live.get_by_role("link", name=title)
    expect(link).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "home-student.png"), full_page=True)

    link.click()
    expect(page).to_have_url(re.compile(re.escape(server.url) + r"/sessions/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page).to_have_title(re.compile(re.escape(title)))

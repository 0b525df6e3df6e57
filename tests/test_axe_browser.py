"""axe-core on every page each role reaches, in each of the four languages.

axe-core comes from the npm registry (``package.json`` devDependencies, pinned by the
lockfile) and is read from ``node_modules/``: nothing is fetched at run time. Each test
signs one student, one teacher, one reviewer and one admin in, in one language, walks
every page their navigation and pages link to (same origin, GET), and runs axe's WCAG
2.1 A/AA rules (and WCAG 2.5.3, label in name) on each: no serious or critical
violation may remain. The room is walked in use: a message with a reaction and a
reply, a note on the board, and a teacher's controls.

A page shape (its path with ids replaced) is checked once per language, by the first
role that reaches it; home and the room, which differ by role, are checked for each.
"""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request

import pytest
from browsers import chromium, open_session, require_chromium, served_forum
from servers import ROOT

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
pytestmark = pytest.mark.browser

LANGUAGES = [("zh-TW", "zh-Hant-TW"), ("en", "en"), ("ja", "ja"), ("ko", "ko")]
# Pages the walk does not open: they act, download or leave the page shape.
SKIP = re.compile(r"/auth/logout|/evidence/public-key|\.(ics|json|csv|pem|atom)$|/static/|/api/")
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    # WCAG 2.5.3 (label in name) is "experimental" in axe, so off unless asked for.
    "rules": {"label-content-name-mismatch": {"enabled": True}},
    "resultTypes": ["violations"],
}
MAX_PAGES_PER_ROLE = 40


@pytest.fixture(scope="module")
def forum(tmp_path_factory):
    """A seeded server whose TW–JP and TW–KR sessions are both live."""
    require_chromium()
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make install` (npm ci)", pytrace=False)
    with served_forum(tmp_path_factory, "axe-instance", "--with-applications") as served:
        server, demo, env = served
        live = next(s for s in demo["sessions"] if s["status"] == "live")
        tw_kr = next(s for s in demo["sessions"] if s["exchange_id"] != live["exchange_id"])
        open_session(server, env, tw_kr["id"], "kim.teacher")
        yield server, demo, live["id"]


@pytest.fixture(scope="module")
def browser(forum):
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def room_in_use(forum, browser):
    """The live room with a conversation: a Taipei student and a Shizuoka student
    write, reply and react, and put a note on the board."""
    from playwright.sync_api import expect

    server, demo, live = forum
    students = {u["school"]: u for u in reversed(demo["users"]) if u["role"] == "student"}
    for school, text in (
        ("taipei-daan", "大家好！我們在臺北。"),
        ("shizuoka-aoi", "こんにちは！静岡から参加しています。"),
    ):
        context = browser.new_context(locale="en-US", timezone_id="Asia/Taipei")
        context.set_default_timeout(15_000)
        try:
            page = context.new_page()
            sign_in(page, server.url, "student", students[school], "en", demo)
            page.goto(f"{server.url}/sessions/{live}")
            expect(page.locator("#room-connection")).to_have_attribute("data-state", "connected")
            page.fill("#chat-input", text)
            page.press("#chat-input", "Enter")
            expect(page.locator(".msg[data-message-id]").filter(has_text=text)).to_have_count(1)
            first = page.locator(".msg[data-message-id]").first
            first.locator(".reaction-add").click()
            first.locator(".reaction-choice").first.click()
            form = page.locator(".board-column .note-form").first
            note = f"{school}: less plastic"
            form.locator("textarea").fill(note)
            form.locator("button[type=submit]").click()
            expect(page.locator(".note").filter(has_text=note)).to_have_count(1)
        finally:
            context.close()
    return live


def sign_in(page, url: str, role: str, user: dict, lang: str, demo: dict) -> None:
    if role == "student":
        page.goto(f"{url}/auth/code?lang={lang}")
        page.fill("input[name=code]", user["code"])
    else:
        page.goto(f"{url}/auth/login?lang={lang}")
        page.fill("input[name=username]", user["username"])
        page.fill("input[name=password]", user["password"])
    page.click("form button[type=submit]")
    page.wait_for_url(url + "/")


def people(demo: dict) -> list[tuple[str, dict]]:
    """One person of each role: a Taipei student, Lin (teacher), a reviewer, an admin."""

    def first(**match):
        return next(u for u in demo["users"] if all(u.get(k) == v for k, v in match.items()))

    return [
        ("student", first(role="student", school="taipei-daan")),
        ("teacher", first(username="lin.teacher")),
        ("reviewer", first(role="reviewer")),
        ("admin", first(role="admin")),
    ]


def shape(path: str, role: str) -> str:
    """What makes two pages the same for this walk: the path, ids replaced; home and
    rooms (which differ by role and by a session's status) stay apart."""
    if path == "/" or re.fullmatch(r"/sessions/\d+", path):
        return f"{role} {path}"
    return re.sub(r"\d+", "N", path)


def violations(page, axe_source: str) -> list[dict]:
    """axe's serious and critical violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source)
    results = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    return [
        {
            "rule": v["id"],
            "impact": v["impact"],
            "nodes": [(n["target"], n["failureSummary"][:200]) for n in v["nodes"][:3]],
        }
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def links(page, origin: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)")
    found = []
    for href in hrefs:
        parts = urllib.parse.urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != origin or "lang=" in parts.query:
            continue
        if SKIP.search(parts.path):
            continue
        found.append(
            urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))
        )
    return found


@pytest.mark.parametrize(("lang", "html_lang"), LANGUAGES, ids=[lang for lang, _ in LANGUAGES])
def test_every_page_of_every_role_passes_axe(forum, browser, room_in_use, lang, html_lang):
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)  # a busy machine; nothing here is a timing test
    server, demo, live = forum
    axe_source = AXE.read_text(encoding="utf-8")
    found: dict[str, list[dict]] = {}
    seen: set[str] = set()
    checked = 0
    for role, user in people(demo):
        context = browser.new_context(
            viewport={"width": 1280, "height": 800}, locale="en-US", timezone_id="Asia/Taipei"
        )
        context.set_default_timeout(15_000)
        try:
            page = context.new_page()
            page.on("dialog", lambda dialog: dialog.dismiss())
            page.goto(f"{server.url}/auth/{'code' if role == 'student' else 'login'}?lang={lang}")
            if shape("/auth/", role) not in seen:
                seen.add(shape("/auth/", role))
                found[f"{role} sign-in"] = violations(page, axe_source)
            sign_in(page, server.url, role, user, lang, demo)
            queue = [f"{server.url}/", f"{server.url}/sessions/{live}"]
            pages = 0
            while queue and pages < MAX_PAGES_PER_ROLE:
                url = queue.pop(0)
                path = urllib.parse.urlsplit(url).path
                if shape(path, role) in seen:
                    continue
                seen.add(shape(path, role))
                response = page.goto(url)
                if response is None or response.status >= 400:
                    continue
                pages += 1
                expect(page.locator("html")).to_have_attribute("lang", html_lang)
                if page.locator("#room-connection").count():
                    expect(page.locator("#room-connection")).not_to_have_attribute(
                        "data-state", "connecting"
                    )
                    if path == f"/sessions/{live}":
                        expect(page.locator(".msg[data-message-id]").first).to_be_visible()
                found[f"{role} {path}"] = violations(page, axe_source)
                queue.extend(
                    u
                    for u in links(page, server.url)
                    if shape(urllib.parse.urlsplit(u).path, role) not in seen
                )
            checked += pages
        finally:
            context.close()
    bad = {where: v for where, v in found.items() if v}
    assert checked >= 12, found.keys()
    assert not bad, json.dumps(bad, ensure_ascii=False, indent=1)

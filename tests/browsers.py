"""Debian's Chromium for the browser tests (Playwright cannot download its own here),
and what every browser test module needs: a served forum of its own, a browser, pages
signed in as the demo's people.

Missing Chromium skips a browser test, unless FORUM_REQUIRE_BROWSER=1 (as in CI),
which turns it into a failure.
"""

from __future__ import annotations

import json
import os
import re
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from servers import flask_cli, server_env, start_server

CHROMIUM = Path("/usr/bin/chromium")
SOCKET_IO = re.compile(r"/socket\.io/")
# Headless, and quiet on this machine's closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_chromium() -> None:
    """Skip (or, with FORUM_REQUIRE_BROWSER=1, fail) when Chromium is not installed."""
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing (apt-get install chromium fonts-noto-cjk)"
    if os.environ.get("FORUM_REQUIRE_BROWSER") == "1":
        pytest.fail(message + " and FORUM_REQUIRE_BROWSER=1", pytrace=False)
    pytest.skip(message)


def launch(playwright):
    """Chromium, launched through a ``sync_playwright()`` handle."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


# --- a served forum and a browser, for a test module ---------------------------------


@contextmanager
def served_forum(
    tmp_path_factory, name: str, *seed_args: str
) -> Iterator[tuple[Any, dict, dict[str, str]]]:
    """A served, migrated, seeded forum of its own: (server, demo JSON, environment).

    Always a fresh SQLite file in its own instance folder, also when the rest of the
    suite runs on PostgreSQL (FORUM_TEST_DATABASE_URL): isolated and nothing to clean.
    ``seed_args`` go to ``forum seed-demo`` (e.g. ``--with-applications``).
    """
    require_chromium()
    env = server_env(tmp_path_factory.mktemp(name), FORUM_ACCESS_LOG="0")
    flask_cli(["db", "upgrade"], env)
    demo = json.loads(flask_cli(["forum", "seed-demo", "--json", *seed_args], env).stdout)
    server = start_server(env)
    try:
        yield server, demo, env
    finally:
        server.stop()


def open_session(server, env: dict[str, str], session_id: int, teacher: str) -> None:
    """Open a scheduled session through the API, as its teacher would."""
    token = flask_cli(["forum", "token", teacher], env).stdout.strip()
    request = urllib.request.Request(
        f"{server.url}/api/v1/sessions/{session_id}/open",
        method="POST",
        headers={"Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request) as response:  # noqa: S310 (our own loopback server)
        assert response.status == 200


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium, for as long as the ``with`` lasts."""
    from playwright.sync_api import sync_playwright

    require_chromium()
    with sync_playwright() as p:
        browser = launch(p)
        try:
            yield browser
        finally:
            browser.close()


def new_page(
    browser,
    *,
    locale: str = "en-US",
    viewport: tuple[int, int] = (1280, 900),
    timezone: str = "Asia/Taipei",
):
    """A page in a context of its own (its own cookies), 15 s for anything to happen."""
    context = browser.new_context(
        viewport={"width": viewport[0], "height": viewport[1]},
        locale=locale,
        timezone_id=timezone,
    )
    context.set_default_timeout(15_000)
    return context.new_page()


class Pages:
    """Opens signed-in pages on the demo's sessions; closes them all at the end, and
    keeps every uncaught script error of any of them (``errors``)."""

    def __init__(self, browser, server, demo) -> None:
        self.browser, self.server, self.demo = browser, server, demo
        self.contexts: list[Any] = []
        self.errors: list[str] = []

    def session_id(self, status: str = "live", title: str | None = None) -> int:
        return next(
            s["id"]
            for s in self.demo["sessions"]
            if s["status"] == status and (title is None or s["title"] == title)
        )

    def student(self, school: str, index: int = 0) -> dict:
        return [u for u in self.demo["users"] if u["role"] == "student" and u["school"] == school][
            index
        ]

    def page(self, *, viewport=(1280, 800), timezone="Asia/Taipei", route=None, locale="en-US"):
        page = new_page(self.browser, locale=locale, viewport=viewport, timezone=timezone)
        self.contexts.append(page.context)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("dialog", lambda dialog: dialog.accept())  # "Remove …?", "Close …?"
        if route is not None:
            page.route_web_socket(SOCKET_IO, route)
        return page

    def sign_in_student(self, page, user: dict, lang: str) -> None:
        page.goto(f"{self.server.url}/auth/code?lang={lang}")
        page.fill("input[name=code]", user["code"])
        page.click("form button[type=submit]")
        page.wait_for_url(self.server.url + "/")

    def sign_in_teacher(self, page, username: str = "lin.teacher", lang: str = "en") -> None:
        user = next(u for u in self.demo["users"] if u.get("username") == username)
        page.goto(f"{self.server.url}/auth/login?lang={lang}")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", user["password"])
        page.click("form button[type=submit]")
        page.wait_for_url(self.server.url + "/")

    def enter(self, page, session_id: int | None = None) -> None:
        from playwright.sync_api import expect

        page.goto(f"{self.server.url}/sessions/{session_id or self.session_id()}")
        expect(page.locator("#room-connection")).to_have_attribute("data-state", "connected")

    def close(self) -> None:
        for context in self.contexts:
            context.close()

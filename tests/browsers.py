"""Debian's Chromium for the browser tests (Playwright cannot download its own here).

Missing Chromium skips a browser test, unless FORUM_REQUIRE_BROWSER=1 (as in CI),
which turns it into a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
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

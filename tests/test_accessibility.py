"""Accessibility rules checked on the sources (the browser tests check pages)."""

from __future__ import annotations

import re
from pathlib import Path

CSS = Path(__file__).resolve().parent.parent / "static" / "css" / "forum.css"


def _luminance(hex_colour: str) -> float:
    hex_colour = hex_colour.lstrip("#")
    if len(hex_colour) == 3:
        hex_colour = "".join(c * 2 for c in hex_colour)
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_every_sdg_badge_keeps_its_official_colour_and_meets_aa():
    """The 17 goals' official colours stay; their text is black or white, whichever
    reaches WCAG AA's 4.5:1 for the badges' small text."""
    rules = dict(
        (int(n), (bg, fg))
        for n, bg, fg in re.findall(
            r"\.goal-(\d+) \{ background: (#[0-9A-Fa-f]{6}); color: (#[0-9A-Fa-f]{3,6}); \}",
            CSS.read_text(encoding="utf-8"),
        )
    )
    assert sorted(rules) == list(range(1, 18))
    assert rules[6][0].upper() == "#26BDE2" and rules[7][0].upper() == "#FCC30B"
    for goal, (background, text) in rules.items():
        assert contrast(background, text) >= 4.5, (goal, background, text)


def test_the_focus_ring_is_strong_on_every_page():
    """Keyboard focus shows a 3 px ring on everything (not only in the room)."""
    css = CSS.read_text(encoding="utf-8")
    assert re.search(r"^:focus-visible \{ outline: 3px solid #[0-9a-f]{6};", css, re.M)

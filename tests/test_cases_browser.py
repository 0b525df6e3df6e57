"""The case gallery in a real browser: /cases and a case page read in 日本語 and
繁體中文, and print to PDF (the Alliance's publication pack)."""

from __future__ import annotations

import json
import urllib.request

import pytest
from browsers import chromium, new_page, served_forum
from servers import flask_cli

pytestmark = pytest.mark.browser


def _call(server, token: str, method: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"{server.url}/api/v1{path}",
        method=method,
        data=json.dumps(body or {}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:  # noqa: S310 (our own loopback server)
        return json.loads(response.read())


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A server with the demo's Taiwan–Japan exchange completed and one published case
    quoting its teachers from the sealed session."""
    with served_forum(tmp_path_factory, "cases-instance") as served:
        yield _publish_a_case(*served)


def _publish_a_case(server, demo: dict, env: dict[str, str]):
    past = next(s for s in demo["sessions"] if s["status"] == "closed")
    lin = flask_cli(["forum", "token", "lin.teacher"], env).stdout.strip()
    chen = flask_cli(["forum", "token", "chen.reviewer"], env).stdout.strip()
    _call(server, lin, "POST", f"/exchanges/{past['exchange_id']}/complete", {"summary": "Done"})
    record = _call(server, lin, "GET", f"/sessions/{past['id']}/transcript")
    teachers = {k for k, a in record["actors"].items() if a["role"] == "teacher"}
    said = [
        e["seq"]
        for e in record["events"]
        if e["type"] == "message.posted" and str(e["actor_id"]) in teachers
    ]
    case = _call(
        server,
        lin,
        "POST",
        "/cases",
        {
            "exchange_id": past["exchange_id"],
            "lang": "zh-TW",
            "title": "同一片海洋的海灘",
            "summary": "兩個班級在兩岸的海灘撿到同樣的塑膠垃圾，並一起採取行動。",
            "translations": {
                "ja": {
                    "title": "同じ海でつながる浜辺",
                    "summary": "二つのクラスが両岸の浜辺で同じごみを見つけ、一緒に行動しました。",
                },
                "en": {
                    "title": "Beaches that share one sea",
                    "summary": "Two classes found the same plastic on beaches on both sides.",
                },
            },
            "session_ids": [past["id"]],
            "excerpts": [{"session_id": past["id"], "seq": seq} for seq in said],
        },
    )
    _call(server, lin, "POST", f"/cases/{case['id']}/submit")
    _call(server, chen, "POST", f"/cases/{case['id']}/publish")
    return server, case


@pytest.fixture(scope="module")
def browser(published):
    with chromium() as browser:
        yield browser


@pytest.mark.parametrize(
    ("lang", "html_lang", "heading", "title"),
    [
        ("ja", "ja", "事例ギャラリー", "同じ海でつながる浜辺"),
        ("zh-TW", "zh-Hant-TW", "案例分享", "同一片海洋的海灘"),
        ("en", "en", "Case gallery", "Beaches that share one sea"),
        # No Korean text: the case is read in the language it was written in.
        ("ko", "ko", "사례 갤러리", "同一片海洋的海灘"),
    ],
)
def test_the_gallery_and_a_case_read_and_print(
    published, browser, tmp_path, lang, html_lang, heading, title
):
    from playwright.sync_api import expect

    server, case = published
    errors: list[str] = []
    page = new_page(browser, locale=lang)
    try:
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{server.url}/cases?lang={lang}")
        expect(page.locator("html")).to_have_attribute("lang", html_lang)
        expect(page.locator("h1")).to_have_text(heading)
        page.click(f"text={title}")
        page.wait_for_url(f"{server.url}/cases/{case['id']}")
        expect(page.locator("h1")).to_have_text(title)
        # The case's text is marked with the language it is in (a fallback's own).
        written_in = "zh-Hant-TW" if title == "同一片海洋的海灘" else html_lang
        expect(page.locator("article.case")).to_have_attribute("lang", written_in)
        expect(page.locator(".case-excerpt blockquote")).to_have_count(2)
        page.emulate_media(media="print")
        pdf = page.pdf(path=str(tmp_path / f"case-{lang}.pdf"), format="A4")
        assert pdf[:5] == b"%PDF-" and len(pdf) > 5_000
    finally:
        page.context.close()
    assert errors == [], errors

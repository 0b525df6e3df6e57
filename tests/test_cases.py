"""The case gallery (issue 19, parts 1 and 2): a teacher of a completed exchange drafts
a case from sealed records, the Alliance publishes or sends it back, and anyone reads
it — in four languages, without a student's name, with each excerpt checkable against
the sealed record."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from xml.etree import ElementTree as ET

import pytest
import sqlalchemy as sa

from forum.extensions import db

ATOM = "{http://www.w3.org/2005/Atom}"
PAST = "Plastic on our beaches"
LIVE = "Our rivers and the sea"


def _session(demo, title: str) -> dict:
    return next(s for s in demo["sessions"] if s["title"] == title)


def _students(demo) -> list[str]:
    return [u["display_name"] for u in demo["users"] if u["role"] == "student"]


class Api:
    """The JSON API as a token holder calls it."""

    def __init__(self, client, api_token) -> None:
        self.client = client
        self.tokens = {
            name: api_token(name)
            for name in ("lin.teacher", "sato.teacher", "kim.teacher", "chen.reviewer", "admin")
        }

    def __call__(self, method: str, path: str, who: str, body: dict | None = None):
        response = self.client.open(
            f"/api/v1{path}",
            method=method,
            json=body if body is not None else {},
            headers={"Authorization": f"Bearer {self.tokens[who]}"},
        )
        return response.status_code, response.get_json()


@pytest.fixture
def api(client, api_token):
    return Api(client, api_token)


def _seq(app, session_id: int, *, body: str | None = None, note: str | None = None, type_=None):
    """The seq of the event that posted ``body`` / added ``note`` (or the first of a type)."""
    from forum.models import Event

    with app.app_context():
        for event in db.session.scalars(
            sa.select(Event).where(Event.session_id == session_id).order_by(Event.seq)
        ):
            if type_ and event.type == type_:
                return event.seq
            if body and event.type == "message.posted" and event.data["body"] == body:
                return event.seq
            if note and event.type == "note.added" and event.data["note"]["text"] == note:
                return event.seq
    raise LookupError((body, note, type_))


def _consent(app, name: str, yes: bool = True) -> None:
    from forum.models import User
    from forum.people import consent

    with app.app_context():
        student = db.session.scalar(sa.select(User).where(User.display_name == name))
        consent.record(None, student, yes)
        db.session.commit()


TW0_SAYS = "我們在淡水的海邊撿到很多寶特瓶和吸管。"  # 王小明 (consents)
JP0_SAYS = "私たちは用宗海岸でペットボトルのふたをたくさん見つけました。"  # 山田 花子 (consents)
TW2_SAYS = "Some bottles had Japanese and Korean labels on them!"  # 李佳蓉 (no consent)
HIDDEN = "lol this is boring"
JP2_NOTE = "海流が国と国をつないでいる"  # 高橋 結衣 (consents)


@pytest.fixture
def world(app, demo, api):
    """The demo's Taiwan–Japan exchange completed, two students' guardians consenting."""
    past = _session(demo, PAST)
    status, body = api(
        "POST", f"/exchanges/{past['exchange_id']}/complete", "lin.teacher", {"summary": "Done."}
    )
    assert status == 200, body
    for name in ("王小明", "山田 花子", "高橋 結衣"):
        _consent(app, name)
    sid = past["id"]
    return {
        "exchange_id": past["exchange_id"],
        "session_id": sid,
        "live_id": _session(demo, LIVE)["id"],
        "tw0": _seq(app, sid, body=TW0_SAYS),
        "jp0": _seq(app, sid, body=JP0_SAYS),
        "tw2": _seq(app, sid, body=TW2_SAYS),
        "hidden": _seq(app, sid, body=HIDDEN),
        "note": _seq(app, sid, note=JP2_NOTE),
        "joined": _seq(app, sid, type_="member.joined"),
    }


def _draft_body(world, **over) -> dict:
    body = {
        "exchange_id": world["exchange_id"],
        "title": "Beaches that share one sea",
        "summary": "Two classes found the same plastic on both coasts & acted <together>.",
        "lang": "en",
        "translations": {
            "ja": {"title": "同じ海でつながる浜辺", "summary": "二つのクラスが行動した。"}
        },
        "session_ids": [world["session_id"]],
        "excerpts": [
            {"session_id": world["session_id"], "seq": world["tw0"]},
            {"session_id": world["session_id"], "seq": world["jp0"]},
            {"session_id": world["session_id"], "seq": world["note"]},
        ],
    }
    body.update(over)
    return body


def _published(api, world) -> dict:
    status, case = api("POST", "/cases", "lin.teacher", _draft_body(world))
    assert status == 201, case
    assert api("POST", f"/cases/{case['id']}/submit", "lin.teacher")[0] == 200
    status, case = api("POST", f"/cases/{case['id']}/publish", "chen.reviewer", {})
    assert status == 200 and case["status"] == "published", case
    return case


# --- The path ---------------------------------------------------------------------------


def test_draft_submit_publish_through_the_api(client, api, world):
    status, case = api("POST", "/cases", "lin.teacher", _draft_body(world))
    assert status == 201, case
    assert case["status"] == "draft" and case["title"] == "Beaches that share one sea"
    assert case["sdgs"] == [13, 14]  # the exchange's, by default
    assert case["translations"]["ja"]["title"] == "同じ海でつながる浜辺"
    assert [e["seq"] for e in case["excerpts"]] == [world["tw0"], world["jp0"], world["note"]]
    # Not public while a draft or submitted.
    assert client.get(f"/cases/{case['id']}").status_code == 404
    assert client.get(f"/cases/{case['id']}.json").status_code == 404
    status, case = api("POST", f"/cases/{case['id']}/submit", "sato.teacher")
    assert status == 200 and case["status"] == "submitted"
    assert "Beaches" not in client.get("/cases").get_data(as_text=True)
    status, case = api("POST", f"/cases/{case['id']}/publish", "chen.reviewer", {"comment": "Fine"})
    assert status == 200 and case["status"] == "published"
    assert [d["action"] for d in case["decisions"]] == ["draft", "submit", "publish"]
    assert case["decisions"][-1]["by"] == "陳怡君 (Alliance)" and case["decisions"][-1]["at"]

    page = client.get(f"/cases/{case['id']}", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Beaches that share one sea" in html and TW0_SAYS in html and JP2_NOTE in html
    assert "&amp; acted &lt;together&gt;" in html  # escaped
    assert "Taipei Da-An Junior High School" in html and "Shizuoka Aoi Junior High School" in html
    data = client.get(f"/cases/{case['id']}.json", headers={"Accept-Language": "en"}).get_json()
    assert {s["country"] for s in data["schools"]} == {"TW", "JP"}
    assert all(s["city"] for s in data["schools"])
    authors = [e["author"] for e in data["excerpts"]]
    assert all(a.startswith("S-") and len(a) == 8 for a in authors)
    assert data["excerpts"][0]["school"] == "Taipei Da-An Junior High School"
    assert data["sessions"][0]["head_hash"] and data["key_fingerprint"]
    assert [s["number"] for s in data["sdgs"]] == [13, 14]


def test_sent_back_with_a_comment_then_edited_and_resubmitted(client, api, world):
    status, case = api("POST", "/cases", "lin.teacher", _draft_body(world))
    cid = case["id"]
    api("POST", f"/cases/{cid}/submit", "lin.teacher")
    status, case = api(
        "POST", f"/cases/{cid}/reject", "chen.reviewer", {"comment": "Add a summary in Japanese."}
    )
    assert status == 200 and case["status"] == "returned"
    assert case["comment"] == "Add a summary in Japanese."
    # The Alliance cannot publish what is not submitted; the teacher edits (PATCH).
    assert api("POST", f"/cases/{cid}/publish", "chen.reviewer")[0] == 409
    status, case = api("PATCH", f"/cases/{cid}", "lin.teacher", {"title": "Beaches, one sea"})
    assert status == 200 and case["title"] == "Beaches, one sea", case
    assert case["summary"].startswith("Two classes")  # the other half of the pair stays
    status, case = api("POST", f"/cases/{cid}/submit", "lin.teacher")
    assert status == 200 and case["status"] == "submitted"
    status, case = api("POST", f"/cases/{cid}/publish", "admin")
    assert status == 200 and case["status"] == "published"
    assert [d["action"] for d in case["decisions"]] == [
        "draft",
        "submit",
        "reject",
        "edit",
        "submit",
        "publish",
    ]
    assert "Beaches, one sea" in client.get("/cases?lang=en").get_data(as_text=True)
    # A published case is no longer a draft to edit.
    assert api("PATCH", f"/cases/{cid}", "lin.teacher", {"title": "x"})[0] == 409


# --- Every refusal ----------------------------------------------------------------------


def test_a_student_cannot_draft(client, auth, world):
    auth.login("student")
    token = _csrf(client)
    response = client.post("/api/v1/cases", json=_draft_body(world), headers={"X-CSRFToken": token})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


def _csrf(client) -> str:
    from conftest import csrf_token

    return csrf_token(client, "/")


def test_another_schools_teacher_and_the_alliance_cannot_draft(api, world):
    for who in ("kim.teacher", "chen.reviewer"):
        status, body = api("POST", "/cases", who, _draft_body(world))
        assert status == 403 and body["error"]["code"] == "forbidden", (who, body)


def test_an_exchange_not_completed_cannot_become_a_case(api, demo, world):
    other = _session(demo, "Saving energy in our classrooms")["exchange_id"]
    status, body = api("POST", "/cases", "lin.teacher", _draft_body(world, exchange_id=other))
    assert status == 409 and body["error"]["code"] == "conflict"


def test_sessions_must_be_the_exchanges_and_sealed(api, demo, world):
    foreign = _session(demo, "Saving energy in our classrooms")["id"]
    status, body = api(
        "POST",
        "/cases",
        "lin.teacher",
        _draft_body(world, session_ids=[world["session_id"], foreign]),
    )
    assert status == 422 and "session_ids" in body["error"]["fields"]
    status, body = api(
        "POST",
        "/cases",
        "lin.teacher",
        _draft_body(world, session_ids=[world["live_id"]], excerpts=[]),
    )
    assert status == 422 and "封存" in body["error"]["fields"]["session_ids"]  # lin reads zh-TW


@pytest.mark.parametrize(
    ("which", "reason"),
    [
        ("outside", "outside_case"),
        ("missing", "no_such_seq"),
        ("joined", "not_quotable"),
        ("hidden", "hidden"),
        ("tw2", "no_consent"),
    ],
)
def test_an_excerpt_that_may_not_be_quoted_is_refused(api, world, which, reason):
    excerpt = {"session_id": world["session_id"], "seq": world.get(which, 0)}
    if which == "outside":
        excerpt = {"session_id": world["live_id"], "seq": 1}
    if which == "missing":
        excerpt["seq"] = 99999
    status, body = api("POST", "/cases", "lin.teacher", _draft_body(world, excerpts=[excerpt]))
    assert status == 422, body
    assert body["error"]["reasons"] == {"excerpts[0]": reason}
    assert body["error"]["fields"]["excerpts[0]"]


def test_the_refusal_is_in_the_users_language(api, world):
    excerpt = {"session_id": world["session_id"], "seq": world["tw2"]}
    status, body = api("POST", "/cases", "sato.teacher", _draft_body(world, excerpts=[excerpt]))
    assert status == 422
    assert "公開" in body["error"]["fields"]["excerpts[0]"]  # sato reads Japanese


def test_only_the_alliance_publishes_and_only_its_teachers_submit(api, world):
    status, case = api("POST", "/cases", "lin.teacher", _draft_body(world))
    cid = case["id"]
    assert api("POST", f"/cases/{cid}/submit", "kim.teacher")[0] == 404  # not theirs to see
    assert api("POST", f"/cases/{cid}/submit", "chen.reviewer")[0] == 403
    api("POST", f"/cases/{cid}/submit", "lin.teacher")
    assert api("POST", f"/cases/{cid}/publish", "lin.teacher")[0] == 403
    assert api("POST", f"/cases/{cid}/reject", "sato.teacher")[0] == 403


# --- Consent ------------------------------------------------------------------------------


def test_consent_withdrawn_after_publication_withholds_the_excerpt_everywhere(
    app, client, api, world
):
    case = _published(api, world)
    _consent(app, "王小明", False)
    html = client.get(f"/cases/{case['id']}?lang=en").get_data(as_text=True)
    assert TW0_SAYS not in html and "withdrawn consent" in html
    assert JP0_SAYS in html  # the others stay
    data = client.get(f"/cases/{case['id']}.json").get_json()
    first = data["excerpts"][0]
    assert first["withheld"] is True and first["text"] is None and first["author"] is None
    proof = client.get(first["proof_url"].replace("http://localhost", "")).get_json()
    assert proof["withheld"] is True and proof["canonical"] is None
    assert TW0_SAYS not in client.get("/cases/feed.atom").get_data(as_text=True)
    # Publishing again is refused while the excerpt cannot be quoted.
    api("POST", f"/cases/{case['id']}/reject", "chen.reviewer", {"comment": "consent"})
    status, body = api("POST", f"/cases/{case['id']}/submit", "lin.teacher")
    assert status == 422 and body["error"]["reasons"] == {"excerpts[0]": "no_consent"}


# --- No student's name on any public page -----------------------------------------------


def test_no_student_name_on_any_public_page_json_or_feed(app, demo, api, world):
    case = _published(api, world)
    public = app.test_client()
    paths = [
        "/cases",
        "/cases.json",
        "/cases/feed.atom",
        f"/cases/{case['id']}",
        f"/cases/{case['id']}.json",
    ]
    data = public.get(f"/cases/{case['id']}.json").get_json()
    for excerpt in data["excerpts"]:
        paths.append(f"/cases/{case['id']}/excerpts/{excerpt['id']}/proof")
        paths.append(f"/cases/{case['id']}/excerpts/{excerpt['id']}/proof.json")
    names = _students(demo)
    for lang in ("zh-TW", "en", "ja", "ko"):
        for path in paths:
            response = public.get(path, headers={"Accept-Language": lang})
            assert response.status_code == 200, path
            text = response.get_data(as_text=True)
            for name in names:
                assert name not in text, (name, path, lang)
                assert json.dumps(name)[1:-1] not in text, (name, path, lang)


# --- Checking an excerpt against the sealed record ---------------------------------------


def test_an_excerpt_checks_against_its_sealed_record(app, client, auth, api, world):
    from cryptography.hazmat.primitives import serialization

    case = _published(api, world)
    data = client.get(f"/cases/{case['id']}.json").get_json()
    head = data["sessions"][0]["head_hash"]
    pem = client.get("/evidence/public-key").get_data()
    for excerpt in data["excerpts"]:
        proof = client.get(excerpt["proof_url"].replace("http://localhost", "")).get_json()
        canonical = proof["canonical"].encode("utf-8")
        # The excerpt's own link, recomputed from the public proof.
        assert (
            hashlib.sha256(bytes.fromhex(proof["previous_hash"]) + canonical).hexdigest()
            == proof["hash"]
        )
        assert proof["hash"] == excerpt["hash"]
        event = json.loads(canonical)
        assert event["seq"] == excerpt["seq"] and event["session_id"] == world["session_id"]
        assert excerpt["text"] in (
            event["data"].get("body"),
            event["data"].get("note", {}).get("text"),
        )
        # The later hashes run up to the head the case page shows, which is signed.
        assert [h["seq"] for h in proof["later_hashes"]] == list(
            range(excerpt["seq"] + 1, proof["head_seq"] + 1)
        )
        assert proof["later_hashes"][-1]["hash"] == proof["head_hash"] == head
        key = serialization.load_pem_public_key(pem)
        key.verify(base64.b64decode(proof["signature"]), head.encode("ascii"))  # raises if bad
        # A reviewer holding the sealed transcript checks every link in between.
    auth.login("reviewer")
    transcript = client.get(f"/sessions/{world['session_id']}/transcript.json").get_json()
    by_seq = {e["seq"]: e for e in transcript["events"]}
    proof = client.get(data["excerpts"][0]["proof_url"].replace("http://localhost", "")).get_json()
    previous = proof["hash"]
    for link in proof["later_hashes"]:
        e = by_seq[link["seq"]]
        canonical = json.dumps(
            {
                "session_id": world["session_id"],
                **{k: e[k] for k in ("seq", "type", "at", "actor_id", "data")},
            },
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode("utf-8")
        previous = hashlib.sha256(bytes.fromhex(previous) + canonical).hexdigest()
        assert previous == link["hash"]
    assert previous == transcript["head_hash"]


def test_the_proof_page_shows_the_bytes_and_the_hashes(client, api, world):
    case = _published(api, world)
    data = client.get(f"/cases/{case['id']}.json").get_json()
    excerpt = data["excerpts"][0]
    html = client.get(f"/cases/{case['id']}/excerpts/{excerpt['id']}/proof?lang=en").get_data(
        as_text=True
    )
    assert excerpt["hash"] in html and data["sessions"][0]["head_hash"] in html
    assert "message.posted" in html
    # Another case's excerpt id, or one that does not exist: not found.
    assert client.get(f"/cases/{case['id']}/excerpts/999999/proof").status_code == 404
    assert (
        client.get(f"/cases/{case['id']}/excerpts/999999/proof.json").get_json()["error"]["code"]
        == "not_found"
    )


# --- The gallery: languages, filters, feed, JSON -----------------------------------------


@pytest.mark.parametrize(
    ("lang", "html_lang", "heading", "title"),
    [
        ("zh-TW", "zh-Hant-TW", "案例", "Beaches that share one sea"),
        ("en", "en", "Case gallery", "Beaches that share one sea"),
        ("ja", "ja", "事例", "同じ海でつながる浜辺"),
        ("ko", "ko", "사례", "Beaches that share one sea"),
    ],
)
def test_the_gallery_speaks_four_languages(app, api, world, lang, html_lang, heading, title):
    case = _published(api, world)
    public = app.test_client()
    for path in ("/cases", f"/cases/{case['id']}"):
        html = public.get(path, headers={"Accept-Language": lang}).get_data(as_text=True)
        assert f'<html lang="{html_lang}"' in html
        assert title in html, (path, lang)
    html = public.get("/cases", headers={"Accept-Language": lang}).get_data(as_text=True)
    assert heading in html
    data = public.get(f"/cases/{case['id']}.json", headers={"Accept-Language": lang}).get_json()
    assert data["title"] == title
    # The reader's choice with ?lang= is the same as the rest of the site.
    assert title in public.get(f"/cases?lang={lang}").get_data(as_text=True)


def test_the_gallery_filters_by_goal_year_and_country(client, api, world):
    case = _published(api, world)
    year = case["academic_year"]
    title = "Beaches that share one sea"
    for query, shown in [
        ("sdg=14", True),
        ("sdg=3", False),
        (f"year={year}", True),
        (f"year={year + 1}", False),
        ("country=JP", True),
        ("country=jp", True),
        ("country=KR", False),
        ("sdg=99&year=x", True),
        (f"sdg=13&year={year}&country=TW", True),
    ]:
        html = client.get(f"/cases?lang=en&{query}").get_data(as_text=True)
        assert (title in html) is shown, query
        listed = client.get(f"/cases.json?lang=en&{query}").get_json()["cases"]
        assert bool(listed) is shown, query


def test_a_scraper_looping_over_the_public_pages_is_slowed_down(
    app, client, api, world, monkeypatch
):
    """Public reads need no sign-in, so each address has a limit: a burst, then a
    steady rate; past it a clear 429 with Retry-After, in the reader's language, and
    another address is not affected."""
    from forum.views.cases import public_limiter

    case = _published(api, world)
    public_limiter.forget()
    monkeypatch.setattr(public_limiter, "clock", lambda: 1_000.0)  # no refill meanwhile
    try:
        for _ in range(public_limiter.burst):
            assert client.get(f"/cases/{case['id']}.json").status_code == 200
        refused = client.get(f"/cases/{case['id']}.json", headers={"Accept-Language": "ja"})
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
        assert refused.get_json()["error"]["code"] == "rate_limited"
        assert "秒" in refused.get_json()["error"]["message"]
        page = client.get("/cases?lang=ja")
        assert page.status_code == 429 and "秒" in page.get_data(as_text=True)
        other = app.test_client().get(
            f"/cases/{case['id']}.json", environ_base={"REMOTE_ADDR": "192.0.2.7"}
        )
        assert other.status_code == 200
    finally:
        public_limiter.forget()


def test_the_feed_is_atom_with_absolute_links_and_the_json_may_be_embedded(client, api, world):
    case = _published(api, world)
    response = client.get("/cases/feed.atom", headers={"Accept-Language": "en"})
    assert response.mimetype == "application/atom+xml"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    root = ET.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    assert root.find(f"{ATOM}id").text.startswith("http")
    assert root.find(f"{ATOM}updated").text.endswith("Z")
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 1
    entry = entries[0]
    assert entry.find(f"{ATOM}title").text == "Beaches that share one sea"
    assert entry.find(f"{ATOM}link").get("href") == f"http://localhost/cases/{case['id']}"
    assert entry.find(f"{ATOM}updated").text.endswith("Z")
    assert "<together>" in entry.find(f"{ATOM}summary").text  # escaped in the XML, read back
    for path in ("/cases.json", f"/cases/{case['id']}.json"):
        assert client.get(path).headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Origin" not in client.get("/cases").headers


# --- The pages: teachers draft, the Alliance decides ------------------------------------


def test_teacher_drafts_and_submits_on_the_pages_and_the_alliance_publishes(client, auth, world):
    from conftest import csrf_token

    auth.login("teacher", "taipei-daan")
    page = client.get(f"/exchanges/{world['exchange_id']}?lang=en").get_data(as_text=True)
    assert f"/cases/new/{world['exchange_id']}" in page
    form = client.get(f"/cases/new/{world['exchange_id']}?lang=en").get_data(as_text=True)
    # The picker lists messages and notes, marks who has no consent, leaves out hidden ones.
    assert TW0_SAYS in form and TW2_SAYS in form and HIDDEN not in form
    assert "has not consented" in form
    sid = world["session_id"]
    token = csrf_token(client, f"/cases/new/{world['exchange_id']}")
    response = client.post(
        f"/cases/new/{world['exchange_id']}",
        data={
            "csrf_token": token,
            "lang": "zh-TW",
            "title_zh-TW": "同一片海",
            "summary_zh-TW": "兩班一起行動。",
            "title_ja": "同じ海",
            "summary_ja": "一緒に行動した。",
            "sdgs": ["14"],
            "session_id": [str(sid)],
            "excerpt": [f"{sid}:{world['tw0']}", f"{sid}:{world['note']}"],
            "then": "submit",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    case_path = response.headers["Location"]
    # A refused excerpt keeps the form, with the reason.
    bad = client.post(
        f"/cases/new/{world['exchange_id']}?lang=en",
        data={
            "csrf_token": token,
            "lang": "en",
            "title_en": "x",
            "summary_en": "y",
            "session_id": [str(sid)],
            "excerpt": [f"{sid}:{world['tw2']}"],
        },
    )
    assert bad.status_code == 422 and "has not consented" in bad.get_data(as_text=True)
    auth.logout()
    auth.login("reviewer")
    queue = client.get("/review/cases?lang=zh-TW").get_data(as_text=True)
    assert "同一片海" in queue
    token = csrf_token(client, case_path)
    client.post(
        case_path.replace(case_path, case_path + "/decide"),
        data={"csrf_token": token, "action": "publish"},
    )
    auth.logout()
    html = client.get(case_path + "?lang=ja").get_data(as_text=True)
    assert "同じ海" in html and TW0_SAYS in html and JP2_NOTE in html


def test_a_student_reads_no_unpublished_case_and_cannot_open_the_pages(client, auth, api, world):
    status, case = api("POST", "/cases", "lin.teacher", _draft_body(world))
    auth.login("student")
    assert client.get(f"/cases/{case['id']}").status_code == 404
    assert client.get(f"/cases/new/{world['exchange_id']}").status_code == 403
    assert client.get("/review/cases").status_code == 403


@pytest.mark.parametrize(
    "over",
    [
        {"excerpts": "all"},
        {"excerpts": [1, 2]},
        {"excerpts": [{"session_id": "x", "seq": None}]},
        {"excerpts": [{"session_id": 2**40, "seq": 1}]},
        {"session_ids": "1"},
        {"session_ids": []},
        {"session_ids": [None, {}, 2**40]},
        {"translations": ["ja"]},
        {"translations": {"fr": {"title": "x", "summary": "y"}}},
        {"translations": {"ja": {"title": "only a title"}}},
        {"title": "x" * 201},
        {"title": 5},
        {"summary": "a\x00b"},
        {"lang": "xx"},
        {"sdgs": [0, 18]},
        {"exchange_id": "nope"},
    ],
)
def test_odd_drafts_are_refused_with_a_clear_error(api, world, over):
    status, body = api("POST", "/cases", "lin.teacher", _draft_body(world, **over))
    assert status in (400, 422), body
    assert body["error"]["code"] in ("invalid", "bad_request") and body["error"]["message"]


def test_a_body_that_is_not_an_object_is_refused(client, api_token, world):
    token = api_token("lin.teacher")
    response = client.post(
        "/api/v1/cases",
        data="[1]",
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400
    assert client.get("/cases/999999.json").get_json()["error"]["code"] == "not_found"
    assert client.get("/cases/999999").status_code == 404


def test_retention_leaves_a_published_case_as_it_was_and_its_proofs_check(
    app, client, api, world, runner
):
    """Years later ``forum retention --apply`` erases the students' names: the public
    case, its JSON, the feed and every excerpt's proof read exactly as before (they
    only ever showed pseudonyms), and each proof still matches the signed head."""
    from datetime import date

    case = _published(api, world)
    data = client.get(f"/cases/{case['id']}.json").get_json()
    paths = [f"/cases/{case['id']}", f"/cases/{case['id']}.json", "/cases/feed.atom"]
    paths += [e["proof_url"].replace("http://localhost", "") for e in data["excerpts"]]

    def read_all() -> dict[str, str]:
        # The page's CSRF token is signed with the second it was made: not part of the case.
        return {
            path: re.sub(
                r'(name="csrf-token" content=)"[^"]*"',
                r"\1…",
                client.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True),
            )
            for path in paths
        }

    before = read_all()
    later = date(date.today().year + 6, 9, 1).isoformat()
    applied = runner.invoke(
        args=["forum", "retention", "--older-than", "2", "--as-of", later, "--apply"]
    )
    assert applied.exit_code == 0 and "erased" in applied.output, applied.output
    with app.app_context():  # the names really went
        from forum.models import User

        assert not db.session.scalar(sa.select(User).where(User.display_name == "王小明"))
    assert read_all() == before
    for excerpt in data["excerpts"]:
        proof = client.get(excerpt["proof_url"].replace("http://localhost", "")).get_json()
        canonical = proof["canonical"].encode("utf-8")
        assert (
            hashlib.sha256(bytes.fromhex(proof["previous_hash"]) + canonical).hexdigest()
            == proof["hash"]
        )
        assert proof["head_hash"] == data["sessions"][0]["head_hash"]

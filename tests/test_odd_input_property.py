"""Property test (issue 14): whatever odd values are thrown at every form field, API
field and query parameter — lone surrogates, NUL, huge and tiny numbers, deep nesting,
values of the wrong type — the answer is never a 500. Runs on the normal app fixtures,
so on SQLite and on PostgreSQL (FORUM_TEST_DATABASE_URL) alike."""

from __future__ import annotations

import io
import json
from urllib.parse import quote

import pytest
from conftest import Auth, csrf_token, form_fields
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.usefixtures("demo_snapshot")

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

ODD_STRINGS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\ud83d",
    "\u202e\u200b",
    "🙂" * 300,
    "x" * 5000,
    "-1",
    "0",
    "1e999",
    "-1e-999",
    "NaN",
    "Infinity",
    "9" * 5000,
    "99999999999999999999999",
    "9999-12-31T23:59:59-23:59",
    "0001-01-01T00:00:00+23:59",
    "9999-12-31T23:59",
    "0001-01-01T00:00",
    "2025-02-30T10:00",
    "<script>x</script>",
    "%00",
    "=1+1",
    "../../etc/passwd",
    "{}",
    "[]",
    "null",
    "true",
]

# Text with anything in it, lone surrogates and control characters included.
any_text = st.one_of(
    st.sampled_from(ODD_STRINGS),
    st.text(st.characters(exclude_categories=()), max_size=30),
)
leaves = st.one_of(
    st.none(),
    st.booleans(),
    any_text,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
)
json_values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3),
    max_leaves=6,
)

# Raw documents json.dumps cannot make: nesting past any stack, non-JSON numbers.
RAW_BODIES = [
    "[" * 50_000 + "]" * 50_000,
    '{"a":' * 50_000 + "1" + "}" * 50_000,
    '{"title": NaN}',
    '{"sdgs": [Infinity]}',
    '{"sdgs": [1e999]}',
    '{"exchange_id": ' + "9" * 5000 + "}",
    '{"title": "\\ud800"}',
    '{"title": "\\u0000"}',
    '"\\ud800"',
    "\x00",
    "{",
    "",
]


def encode(value: str) -> bytes:
    """UTF-8, lone surrogates kept as their three bytes (as a buggy client would send)."""
    return value.encode("utf-8", "surrogatepass")


def urlencoded(fields: dict[str, str | list[str]]) -> bytes:
    parts = []
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            parts.append(f"{quote(encode(name))}={quote(encode(item))}")
    return "&".join(parts).encode()


def assert_no_500(response, what) -> None:
    assert response.status_code < 500, (
        what,
        response.status_code,
        response.get_data(as_text=True)[:400],
    )


@pytest.fixture
def people(app, demo):
    """Signed-in clients and the ids the forms need."""
    clients = {}
    for role in ("teacher", "reviewer"):
        client = app.test_client()
        Auth(client, demo).login(role, "taipei-daan")
        clients[role] = client
    by_title = {s["title"]: s["id"] for s in demo["sessions"]}
    return {
        **clients,
        "anonymous": app.test_client(),
        "class_id": next(c["id"] for c in demo["classes"] if c["school"] == "taipei-daan"),
        "sealed": by_title["Plastic on our beaches"],
        "later": by_title["Typhoons, heavy rain and us"],
        "exchange_id": next(s["exchange_id"] for s in demo["sessions"]),
    }


# Every HTML form: who sends it, the page it is on, where it posts, its fields.
FORMS = [
    ("anonymous", "/auth/login", "/auth/login", ["username", "password"]),
    ("anonymous", "/auth/code", "/auth/code", ["code"]),
    ("teacher", "/classes/", "/classes/", ["name", "grade"]),
    ("teacher", "/classes/{class_id}", "/classes/{class_id}/students", ["display_name"]),
    (
        "teacher",
        "/exchanges/new",
        "/exchanges/new",
        [
            "title",
            "class_id",
            "partner_class_ids",
            "partner_country",
            "sdgs",
            "mode",
            "starts_on",
            "ends_on",
            "goals",
        ],
    ),
    (
        "teacher",
        "/exchanges/{exchange_id}",
        "/exchanges/{exchange_id}/decide",
        ["action", "comment"],
    ),
    (
        "teacher",
        "/sessions/new?exchange_id={exchange_id}",
        "/sessions/new",
        ["exchange_id", "title", "sdgs", "starts_at", "ends_at", "board_template", "board_columns"],
    ),
    (
        "teacher",
        "/sessions/{later}/edit",
        "/sessions/{later}/edit",
        ["title", "sdgs", "starts_at", "ends_at", "board_template", "board_columns"],
    ),
    ("teacher", "/preferences", "/preferences", ["language", "timezone"]),
    ("reviewer", "/review/sessions/{sealed}", "/review/sessions/{sealed}", ["state", "comment"]),
]


@SETTINGS
@given(form=st.sampled_from(FORMS), data=st.data())
def test_no_form_field_gets_a_500(people, form, data):
    who, page, action, names = form
    client = people[who]
    page, action = page.format(**people), action.format(**people)
    html = client.get(page).get_data(as_text=True)
    try:
        fields = form_fields(html, action)
    except AssertionError:
        fields = form_fields(html)
    fields["csrf_token"] = csrf_token(client, page)
    for name in data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True)):
        fields[name] = data.draw(st.one_of(any_text, st.lists(any_text, max_size=3)))
    response = client.post(
        action, data=urlencoded(fields), content_type="application/x-www-form-urlencoded"
    )
    assert_no_500(response, (action, fields))


@SETTINGS
@given(
    kind=st.sampled_from(["roster", "verify"]),
    content=st.one_of(
        any_text.map(encode),
        st.sampled_from([b.encode("utf-8", "surrogatepass") for b in RAW_BODIES]),
        st.binary(max_size=200),
    ),
)
def test_no_uploaded_file_gets_a_500(people, kind, content):
    if kind == "roster":
        client, page = people["teacher"], "/classes/{class_id}".format(**people)
        action, content = f"{page}/roster", b"display_name\n" + content
    else:
        client, page = people["reviewer"], "/review/verify"
        action = page
    response = client.post(
        action,
        content_type="multipart/form-data",
        data={"csrf_token": csrf_token(client, page), "file": (io.BytesIO(content), "upload")},
    )
    assert_no_500(response, (action, content[:100]))


API_FIELDS = [
    "exchange_id",
    "title",
    "sdgs",
    "starts_at",
    "ends_at",
    "board_template",
    "board_columns",
]


@SETTINGS
@given(
    method=st.sampled_from(["POST", "PATCH"]),
    body=st.one_of(
        st.dictionaries(st.sampled_from(API_FIELDS), json_values, max_size=7),
        json_values,
        st.sampled_from(RAW_BODIES),
    ),
)
def test_no_api_field_gets_a_500(people, bearer, method, body):
    path = "/api/v1/sessions" if method == "POST" else f"/api/v1/sessions/{people['later']}"
    raw = body if isinstance(body, str) else json.dumps(body)  # surrogates stay escaped
    response = people["anonymous"].open(
        path, method=method, data=encode(raw), content_type="application/json", headers=bearer()
    )
    assert_no_500(response, (method, raw[:200]))
    if response.status_code >= 400:
        error = response.get_json()["error"]
        assert error["code"] and error["message"]


QUERIES = [
    ("reviewer", "/review/", ["year", "country", "school", "sdg", "state", "lang"]),
    ("reviewer", "/review/report", ["year", "format"]),
    ("teacher", "/sessions/new", ["exchange_id"]),
    ("teacher", "/sessions/{sealed}/transcript.json", ["pseudonyms", "names"]),
    ("teacher", "/api/v1/sessions/{sealed}/transcript", ["pseudonyms"]),
    ("anonymous", "/auth/login", ["next", "lang"]),
    ("anonymous", "/cases", ["sdg", "year", "country"]),
]


@SETTINGS
@given(query=st.sampled_from(QUERIES), data=st.data())
def test_no_query_parameter_gets_a_500(people, query, data):
    who, path, names = query
    values = {
        name: data.draw(any_text)
        for name in data.draw(st.lists(st.sampled_from(names), min_size=1, unique=True))
    }
    query_string = "&".join(f"{quote(encode(k))}={quote(encode(v))}" for k, v in values.items())
    response = people[who].get(f"{path.format(**people)}?{query_string}")
    assert_no_500(response, (path, values))


@SETTINGS
@given(key=any_text)
def test_no_calendar_key_gets_a_500(people, key):
    response = people["anonymous"].get(f"/calendar/{quote(encode(key), safe='')}.ics")
    assert_no_500(response, key)

"""``make run``'s demo (``seed-demo --with-applications --with-showcase --with-case``)
on an empty database: run twice, it adds nothing the second time; its sealed sessions
verify; the case session has a poll (opened, answered, closed) and a flag its teacher
resolved; the case is in the public gallery in four languages, quoting only students
whose guardians consented."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.models import Case, CaseStatus, Event, Flag, ForumSession, Poll, SessionStatus, User

MAKE_RUN = ("--with-applications", "--with-showcase", "--with-case")


def seed(runner, *options: str) -> dict:
    result = runner.invoke(args=["forum", "seed-demo", *options, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def counts() -> dict[str, int]:
    return {
        t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t))
        for t in db.metadata.sorted_tables
    }


def test_make_run_demo_publishes_a_case_from_a_sealed_session_once(app, runner, client):
    from forum.cases import quotes
    from forum.evidence import verification

    first = seed(runner, *MAKE_RUN)
    with app.app_context():
        before = counts()
    again = seed(runner, *MAKE_RUN)
    assert again == first
    plain = seed(runner)
    assert plain == {k: first[k] for k in ("users", "classes", "sessions")}
    case_out = first["case"]
    assert case_out["status"] == "published"

    with app.app_context():
        assert counts() == before  # nothing added, nothing duplicated
        sealed = db.session.scalars(
            sa.select(ForumSession).where(ForumSession.status == SessionStatus.CLOSED)
        ).all()
        assert {s.id for s in sealed} >= {case_out["session_id"]}
        for session in sealed:
            verdict = verification.verify_stored(session)
            assert verdict.valid and "sealed" in verdict.line, verdict.line

        sid = case_out["session_id"]
        types = list(
            db.session.scalars(
                sa.select(Event.type).where(Event.session_id == sid).order_by(Event.seq)
            )
        )
        for kind in ("poll.opened", "poll.voted", "poll.closed", "item.flagged"):
            assert kind in types
        assert types.index("item.flagged") < types.index("message.hidden")
        poll = db.session.scalars(sa.select(Poll).where(Poll.session_id == sid)).one()
        assert poll.closed and sum(poll.counts) == 6
        flag = db.session.scalars(sa.select(Flag).where(Flag.session_id == sid)).one()
        assert flag.state == "hidden" and flag.resolved_by is not None

        case = db.session.get_one(Case, case_out["id"])
        assert case.status == CaseStatus.PUBLISHED and case.exchange.status.value == "completed"
        assert {t.lang for t in case.texts} == {"zh-TW", "en", "ja", "ko"}
        found = quotes.quotes_of(sid, {e.seq for e in case.excerpts})
        authors = {found[e.seq].author for e in case.excerpts}
        assert len(case.excerpts) == 6 and all(found[e.seq].refused is None for e in case.excerpts)
        assert all(a is not None and a.publish_consent for a in authors)
        consenting = db.session.scalars(sa.select(User).where(User.publish_consent)).all()
        assert authors == set(consenting)
        titles = {t.lang: t.title for t in case.texts}

    gallery = client.get("/cases?lang=en")
    assert gallery.status_code == 200
    assert titles["en"] in gallery.get_data(as_text=True)
    for lang in ("ja", "ko", "zh-TW"):
        page = client.get(f"/cases/{case_out['id']}?lang={lang}")
        assert page.status_code == 200 and titles[lang] in page.get_data(as_text=True)


@pytest.mark.parametrize("hour", [0, 15, 23])
def test_scheduled_demo_sessions_fall_in_school_hours_whatever_the_hour_it_is_loaded(
    app, client, monkeypatch, hour
):
    """Loaded at 15:11 UTC (CI's hour when this was found), the Taipei–Seoul session
    started at 23:11 in Taipei and 00:11 in Seoul, so a Seoul student's card showed two
    different days. Scheduled demo sessions now fall in the school day in every zone."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from conftest import Auth

    from forum import demo as demo_module
    from forum.demo import base, extras

    today = datetime.now(UTC).replace(hour=hour, minute=11, second=0, microsecond=0)
    monkeypatch.setattr(base, "utcnow", lambda: today)
    monkeypatch.setattr(extras, "utcnow", lambda: today)
    with app.app_context():
        data = demo_module.seed()
        demo_module.seed_showcase()
        scheduled = db.session.scalars(
            sa.select(ForumSession).where(ForumSession.status == SessionStatus.SCHEDULED)
        ).all()
        assert len(scheduled) == 3  # two of the exchanges', the showcase
        for session in scheduled:
            for zone in ("Asia/Taipei", "Asia/Tokyo", "Asia/Seoul"):
                local = session.starts_at.astimezone(ZoneInfo(zone))
                assert 8 <= local.hour < 17, (session.title, zone, local)

    Auth(client, data).login("student", "seoul-hanbit")
    html = client.get("/?lang=en").get_data(as_text=True)
    assert re.search(r"\d\d:\d\d Seoul · \d\d:\d\d Taipei", html)


@pytest.mark.parametrize(
    "now",
    ["2027-08-05T03:00:00+00:00", "2027-08-01T09:00:00+00:00", "2027-08-20T03:00:00+00:00"],
)
def test_the_sealed_demo_session_is_in_this_academic_year_even_early_in_august(
    app, monkeypatch, now
):
    """From 1 to 14 August, two weeks ago is last academic year; the demo's sealed
    session belongs to this year's exchange, and the year's report counts it."""
    from datetime import datetime

    from forum import demo as demo_module
    from forum.clock import academic_year_of
    from forum.demo import base

    clock = datetime.fromisoformat(now)
    monkeypatch.setattr(base, "utcnow", lambda: clock)
    with app.app_context():
        demo_module.seed()
        sealed = db.session.scalar(
            sa.select(ForumSession).where(ForumSession.title == "Plastic on our beaches")
        )
        assert sealed.status == SessionStatus.CLOSED
        assert academic_year_of(sealed.starts_at) == academic_year_of(clock)
        assert sealed.ends_at <= clock

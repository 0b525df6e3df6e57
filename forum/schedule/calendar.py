"""iCalendar (RFC 5545) files: one session, or a user's feed of all their sessions.

Built with the ``icalendar`` package, which writes each property in its value type:
TEXT (title, description, calendar name) escaped, URI (the room's link) as it is —
RFC 5545 §3.3.13 gives URIs no escaping, so a link with commas or semicolons in it
must reach the calendar program unchanged — lines ending in CRLF and folded at 75
octets without splitting a character.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from flask_babel import get_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event, vText, vUri

from ..models import ForumSession, utcnow
from ..sdgs import goal

PRODID = "-//SDG Forum//Sessions//EN"


def _event(session: ForumSession, room_url: str, now: datetime) -> Event:
    goals = ", ".join(f"SDG {n} {goal(n).name()}" for n in session.sdgs)
    schools = ", ".join(s.name_in(_locale()) for s in session.exchange.schools)
    description = "\n".join(
        [
            _("Exchange: %(title)s", title=session.exchange.title),
            _("Schools: %(schools)s", schools=schools),
            _("Goals: %(goals)s", goals=goals),
            room_url,
        ]
    )
    cancelled = session.cancelled_at is not None
    event = Event()
    # The UID stays the same for a session's whole life and SEQUENCE grows with each
    # change, so calendar programs update (or, when cancelled, drop) the same entry.
    event.add("uid", f"session-{session.id}@sdg-forum")
    event.add("dtstamp", _utc(now))
    event.add("dtstart", _utc(session.starts_at))
    event.add("dtend", _utc(session.ends_at))
    event.add("sequence", session.revision)
    event.add("summary", vText(session.title))
    event.add("description", vText(description))
    event.add("url", vUri(room_url))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def _utc(moment: datetime) -> datetime:
    """UTC, written as ``YYYYMMDDTHHMMSSZ`` (whole seconds, as calendars expect)."""
    return moment.astimezone(UTC).replace(microsecond=0)


def _locale() -> str:
    return str(get_locale() or "en")


def calendar_for(
    sessions: Iterable[ForumSession],
    *,
    name: str,
    url_for_session: Callable[[int], str],
) -> str:
    """A VCALENDAR holding the sessions, CRLF line ends, folded lines."""
    now = utcnow()
    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", PRODID)
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", vText(name))  # TEXT by convention: escaped
    for session in sessions:
        calendar.add_component(_event(session, url_for_session(session.id), now))
    return calendar.to_ical().decode("utf-8")

"""iCalendar (RFC 5545) files: one session, or a user's feed of all their sessions."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from flask_babel import gettext as _

from .models import ForumSession, utcnow
from .sdgs import goal

PRODID = "-//SDG Forum//Sessions//EN"


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
        .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")
    )


def _fold(line: str) -> str:
    """Fold at 75 octets without splitting a UTF-8 character (RFC 5545 §3.1)."""
    out: list[str] = []
    current = ""
    size = 0
    limit = 75
    for ch in line:
        n = len(ch.encode())
        if size + n > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += ch
        size += n
    out.append(current)
    return "\r\n".join(out)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _event(session: ForumSession, room_url: str, now: datetime) -> list[str]:
    goals = ", ".join(f"SDG {n} {goal(n).name()}" for n in session.sdgs)
    schools = ", ".join(s.name_in(_locale()) for s in session.exchange.schools)
    description = "\n".join([
        _("Exchange: %(title)s", title=session.exchange.title),
        _("Schools: %(schools)s", schools=schools),
        _("Goals: %(goals)s", goals=goals),
        room_url,
    ])
    cancelled = session.cancelled_at is not None
    return [
        "BEGIN:VEVENT",
        f"UID:session-{session.id}@sdg-forum",
        f"DTSTAMP:{_stamp(now)}",
        f"DTSTART:{_stamp(session.starts_at)}",
        f"DTEND:{_stamp(session.ends_at)}",
        f"SEQUENCE:{session.revision}",
        f"SUMMARY:{_escape(session.title)}",
        f"DESCRIPTION:{_escape(description)}",
        f"URL:{_escape(room_url)}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        "END:VEVENT",
    ]


def _locale() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "en")


def calendar_for(
    sessions: Iterable[ForumSession],
    *,
    name: str,
    url_for_session: Callable[[int], str],
) -> str:
    """A VCALENDAR holding the sessions, CRLF line ends, folded lines."""
    now = utcnow()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(name)}",
    ]
    for session in sessions:
        lines.extend(_event(session, url_for_session(session.id), now))
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"

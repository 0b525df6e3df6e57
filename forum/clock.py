"""Times as people read them: their zone, their language, the ROC academic year."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, format_timedelta, get_timezone_location
from flask_babel import get_locale
from flask_babel import gettext as _

from .i18n import user_zone
from .models import utcnow

now = utcnow  # for templates: {{ clock.now() }}


def roc_year(gregorian_year: int) -> int:
    """ROC (Minguo) year: Gregorian year − 1911."""
    return gregorian_year - 1911


def academic_year_of(day: date | datetime, tz: str = "Asia/Taipei") -> int:
    """The ROC academic year a day falls in (1 August to 31 July, Taiwan time)."""
    if isinstance(day, datetime):
        day = day.astimezone(ZoneInfo(tz)).date()
    start_year = day.year if day.month >= 8 else day.year - 1
    return roc_year(start_year)


def academic_year_bounds(roc: int) -> tuple[date, date]:
    """First and last day of an ROC academic year: 113 → 2024-08-01 … 2025-07-31."""
    start = roc + 1911
    return date(start, 8, 1), date(start + 1, 7, 31)


def academic_year_label(roc: int) -> str:
    """E.g. 113學年度 in zh-TW, "Academic year 113 (2024–25)" in English."""
    start = roc + 1911
    return _(
        "Academic year %(roc)s (%(start)s–%(end)s)", roc=roc, start=start, end=str(start + 1)[-2:]
    )


def _locale() -> str:
    return str(get_locale() or "en")


def city(tz: str) -> str:
    """The zone's city in the reader's language, e.g. 東京 for Asia/Tokyo in ja."""
    return get_timezone_location(ZoneInfo(tz), locale=_locale(), return_city=True)


def local_time(moment: datetime, tz: str) -> str:
    """Time of day in a zone on the 24-hour clock, "14:00", in every language.

    Locale "short" formats give "2:00 PM" or "下午2:00", which are easy to misread
    when two zones are shown side by side.
    """
    return format_time(moment, "HH:mm", tzinfo=ZoneInfo(tz), locale=_locale())


def local_date(moment: datetime, tz: str) -> str:
    return format_date(moment.astimezone(ZoneInfo(tz)).date(), "medium", locale=_locale())


def when(moment: datetime, tz: str | None = None) -> str:
    """Date and time in the reader's (or the given) zone: "2025年3月12日 14:00"."""
    zone = ZoneInfo(tz) if tz else user_zone()
    return f"{local_date(moment, zone.key)} {local_time(moment, zone.key)}"


def span_across_zones(
    start: datetime, end: datetime, zones: list[str], reader_zone: str | None = None
) -> str:
    """From–to in each zone with its city, the reader's first, one zone after the other:
    "14:00–15:30 Taipei · 15:00–16:30 Tokyo" (not four times in a row to pair up).

    Zones with the same wall-clock times are merged; a start on another day than the
    reader's, or an end on another day than its start, is shown with its date.
    """
    reader = reader_zone or user_zone().key
    ordered = [reader] + [z for z in zones if z != reader]
    reader_day = start.astimezone(ZoneInfo(reader)).date()
    parts: list[str] = []
    shown: set[tuple[str, str, date]] = set()
    for tz in ordered:
        begins, ends = start.astimezone(ZoneInfo(tz)), end.astimezone(ZoneInfo(tz))
        key = (begins.strftime("%H:%M"), ends.strftime("%H:%M"), begins.date())
        if key in shown:
            continue
        shown.add(key)
        first = local_time(start, tz)
        if begins.date() != reader_day:
            first = f"{local_date(start, tz)} {first}"
        last = local_time(end, tz)
        if ends.date() != begins.date():
            last = f"{local_date(end, tz)} {last}"
        parts.append(f"{first}–{last} {city(tz)}")
    return " · ".join(parts)


def across_zones(moment: datetime, zones: list[str], reader_zone: str | None = None) -> str:
    """The time in each zone with its city, the reader's first: "14:00 Taipei · 15:00 Tokyo".

    Zones that show the same wall-clock time are merged, so a session between two
    schools in one zone shows a single time. A different day is shown with its date.
    """
    reader = reader_zone or user_zone().key
    ordered = [reader] + [z for z in zones if z != reader]
    reader_day = moment.astimezone(ZoneInfo(reader)).date()
    parts: list[str] = []
    shown: set[tuple[str, date]] = set()
    for tz in ordered:
        local = moment.astimezone(ZoneInfo(tz))
        key = (local.strftime("%H:%M"), local.date())
        if key in shown:
            continue
        shown.add(key)
        text = f"{local_time(moment, tz)} {city(tz)}"
        if local.date() != reader_day:
            text = f"{local_date(moment, tz)} {text}"
        parts.append(text)
    return " · ".join(parts)


def relative(moment: datetime, now: datetime | None = None) -> str:
    """ "in 2 hours" / "3 days ago", in the reader's language."""
    delta = moment - (now or utcnow())
    return format_timedelta(delta, add_direction=True, locale=_locale(), threshold=1.0)


def duration(delta: timedelta | None) -> str:
    """ "1 h 25 min" in the reader's language; empty for unknown."""
    if delta is None:
        return ""
    minutes = max(0, int(delta.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("%(h)s h %(m)s min", h=hours, m=minutes)
    return _("%(m)s min", m=minutes)

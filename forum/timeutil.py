"""Parsing and writing timestamps at the edges (forms, JSON)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload

# Instants the forum takes: far enough inside datetime's range (years 1 to 9999) that
# showing one in any time zone, or a day either side, never overflows.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)  # exclusive


class OutOfRange(ValueError):
    """A well-formed instant outside EARLIEST..LATEST (or one that overflows in UTC)."""


def parse_instant(raw: object) -> datetime:
    """An ISO-8601 timestamp that carries its UTC offset, as aware UTC; ValueError else
    (OutOfRange when it is well formed but outside EARLIEST..LATEST)."""
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError("missing")
    text = raw.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive")
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59-23:59 is past year 9999 in UTC
        raise OutOfRange("out of range") from None
    if not EARLIEST <= moment < LATEST:
        raise OutOfRange("out of range")
    return moment


@overload
def iso_utc(moment: datetime, *, micro: bool = False) -> str: ...
@overload
def iso_utc(moment: None, *, micro: bool = False) -> None: ...
def iso_utc(moment: datetime | None, *, micro: bool = False) -> str | None:
    """UTC ISO-8601 ending in Z; with ``micro`` always six fractional digits."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    if micro:  # isoformat: a third of strftime's time, and this runs twice a message
        return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
    return moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")

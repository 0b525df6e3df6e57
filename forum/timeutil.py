"""Parsing and writing timestamps at the edges (forms, JSON)."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_instant(raw: object) -> datetime:
    """An ISO-8601 timestamp that carries its UTC offset, as aware UTC; ValueError else."""
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError("missing")
    text = raw.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive")
    return moment.astimezone(UTC)


def iso_utc(moment: datetime | None, *, micro: bool = False) -> str | None:
    """UTC ISO-8601 ending in Z; with ``micro`` always six fractional digits."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    if micro:  # isoformat: a third of strftime's time, and this runs twice a message
        return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
    return moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")

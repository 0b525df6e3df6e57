"""Forum sessions: schedule, reschedule, cancel, open, close; and their public shape."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import gettext as _

from .. import room
from ..errors import ActionError, ValidationError
from ..extensions import db
from ..models import (
    Exchange,
    ExchangeKind,
    ExchangeStatus,
    ForumSession,
    Role,
    SessionStatus,
    User,
    utcnow,
)
from ..people import access
from ..room import board
from ..sdgs import parse_goals
from ..timeutil import EARLIEST, LATEST, OutOfRange, iso_utc, parse_instant

MAX_TITLE = 200
MAX_DURATION = timedelta(hours=12)
# A little slack so a form filled in at 13:58 for 14:00 is not refused at 14:01.
PAST_GRACE = timedelta(minutes=10)


def serialize(session: ForumSession) -> dict[str, Any]:
    """The protocol's session object; times in UTC."""
    locale = str(get_locale() or "en")
    return {
        "id": session.id,
        "exchange_id": session.exchange_id,
        "title": session.title,
        "sdgs": list(session.sdgs),
        "status": session.status.value,
        "starts_at": iso_utc(session.starts_at),
        "ends_at": iso_utc(session.ends_at),
        "schools": [
            {
                "slug": s.slug,
                "name": s.name_in(locale),
                "country": s.country,
                "timezone": s.timezone,
            }
            for s in session.exchange.schools
        ],
    }


def _check_can_schedule(user: User) -> None:
    if user.role not in (Role.TEACHER, Role.ADMIN):
        raise ActionError("forbidden", _("Only teachers can schedule sessions."))


def _clean_fields(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Validate title, sdgs, starts_at, ends_at; every problem is reported at once."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}

    if "title" in data or not partial:
        title = data.get("title")
        title = " ".join(title.split()) if isinstance(title, str) else ""
        if not title:
            errors["title"] = _("A title is required.")
        elif len(title) > MAX_TITLE:
            errors["title"] = _("At most %(n)s characters.", n=MAX_TITLE)
        else:
            clean["title"] = title

    if "sdgs" in data or not partial:
        try:
            clean["sdgs"] = parse_goals(data.get("sdgs"))
        except ValueError:
            errors["sdgs"] = _("Choose one or more goals, numbered 1 to 17.")

    for name in ("starts_at", "ends_at"):
        if name in data or not partial:
            raw = data.get(name)
            try:
                clean[name] = parse_instant(raw)
            except OutOfRange:
                errors[name] = _(
                    "Give a date between the years %(first)s and %(last)s.",
                    first=EARLIEST.year,
                    last=LATEST.year - 1,
                )
            except ValueError:
                if not raw:
                    errors[name] = _("A date and time is required.")
                else:
                    errors[name] = _(
                        "Give a date and time with its UTC offset, e.g. 2025-03-12T14:00:00+08:00."
                    )
    if "board_template" in data or not partial:
        template = data.get("board_template") or "see-why-do"

        if not isinstance(template, str) or template not in board.TEMPLATE_NAMES:
            errors["board_template"] = _("Choose one of the board templates.")
        elif template == "custom":
            titles = data.get("board_columns")
            if isinstance(titles, str):
                titles = titles.splitlines()
            if not isinstance(titles, list) or not all(isinstance(t, str) for t in titles):
                errors["board_columns"] = _("Give the column titles, one per line.")
            else:
                try:
                    clean["board_columns"] = board.custom_columns(titles)
                    clean["board_template"] = template
                except ActionError as exc:
                    errors["board_columns"] = exc.fields.get("columns", exc.message)
        else:
            clean["board_template"] = template
            clean["board_columns"] = None
    if "video_url" in data:
        url = _video_url(data.get("video_url"), errors)
        if "video_url" not in errors:
            clean["video_url"] = url
    if errors:
        raise ValidationError(errors)
    return clean


MAX_URL = 500


def clean_fields(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """The session's fields from ``data``, validated (``forum.exchanges.showcases`` too)."""
    return _clean_fields(data, partial=partial)


def _video_url(raw: object, errors: dict[str, str]) -> str | None:
    """An https link to the session's video call, or None (empty: no call)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    url = raw.strip() if isinstance(raw, str) else ""
    parts = urlsplit(url) if url else None
    if (
        parts is None
        or parts.scheme != "https"
        or not parts.hostname
        or len(url) > MAX_URL
        or any(c.isspace() or ord(c) < 32 for c in url)
        or parts.username
        or parts.password
    ):
        errors["video_url"] = _(
            "Give the video call's link as an https:// address, e.g. https://meet.jit.si/our-class."
        )
        return None
    return url


def _check_showcase(user: User, exchange: Exchange) -> None:
    """A showcase's session is the Alliance's to schedule, change and cancel
    (``forum.exchanges.showcases``); its teachers open, moderate and close it."""
    if exchange.kind == ExchangeKind.SHOWCASE.value and user.role not in (
        Role.REVIEWER,
        Role.ADMIN,
    ):
        raise ActionError("forbidden", _("Only the Alliance schedules showcase sessions."))


def _check_times(starts_at, ends_at, *, new: bool) -> None:
    errors: dict[str, str] = {}
    if ends_at <= starts_at:
        errors["ends_at"] = _("The end must be after the start.")
    elif ends_at - starts_at > MAX_DURATION:
        errors["ends_at"] = _("A session may last at most 12 hours.")
    if new and starts_at < utcnow() - PAST_GRACE:
        errors["starts_at"] = _("The start is in the past.")
    if errors:
        raise ValidationError(errors)


def schedule(user: User, data: dict[str, Any]) -> ForumSession:
    """Schedule a new session of an exchange the user teaches in."""
    _check_can_schedule(user)
    if not isinstance(data, dict):
        raise ActionError("invalid", _("The request body must be a JSON object."))
    errors: dict[str, str] = {}
    exchange = None
    raw_id = data.get("exchange_id")
    if raw_id is None or raw_id == "":
        errors["exchange_id"] = _("Choose an exchange.")
    else:
        exchange = access.get_row(Exchange, raw_id)
        if exchange is None:
            errors["exchange_id"] = _("There is no such exchange.")
    try:
        clean = _clean_fields(data, partial=False)
    except ValidationError as exc:
        errors.update(exc.fields)
    if errors:
        raise ValidationError(errors)
    assert exchange is not None
    access.require_manager(user, exchange)
    _check_showcase(user, exchange)
    if exchange.status == ExchangeStatus.COMPLETED:
        raise ActionError("conflict", _("This exchange is no longer active."))
    if exchange.status != ExchangeStatus.APPROVED:
        raise ActionError(
            "not_approved",
            _(
                "Sessions can be scheduled only once every "
                "partner class and the Alliance have approved "
                "the exchange."
            ),
        )
    _check_times(clean["starts_at"], clean["ends_at"], new=True)
    session = ForumSession(
        exchange=exchange, created_by_id=user.id, status=SessionStatus.SCHEDULED, **clean
    )
    db.session.add(session)
    db.session.commit()
    return session


def check_times(starts_at, ends_at, *, new: bool) -> None:
    """A session's times: the end after the start, at most 12 hours, not in the past."""
    _check_times(starts_at, ends_at, new=new)


def reschedule(user: User, session: ForumSession, data: dict[str, Any]) -> ForumSession:
    """Change title, goals or times of a session that has not started."""
    _check_showcase(user, session.exchange)
    if session.exchange.kind != ExchangeKind.SHOWCASE.value:
        access.require_manager(user, session.exchange)
    if not isinstance(data, dict):
        raise ActionError("invalid", _("The request body must be a JSON object."))
    if session.status != SessionStatus.SCHEDULED:
        raise ActionError("closed", _("Only a session that has not started can be changed."))
    clean = _clean_fields(data, partial=True)
    starts = clean.get("starts_at", session.starts_at)
    ends = clean.get("ends_at", session.ends_at)
    _check_times(starts, ends, new="starts_at" in clean)
    for key, value in clean.items():
        setattr(session, key, value)
    session.revision += 1
    session.rescheduled_at, session.rescheduled_by_id = utcnow(), user.id
    db.session.commit()
    return session


def cancel(user: User, session: ForumSession) -> None:
    """Call off a session that has not started; calendars are told it is cancelled."""
    _check_showcase(user, session.exchange)
    if session.exchange.kind != ExchangeKind.SHOWCASE.value:
        access.require_manager(user, session.exchange)
    if session.status != SessionStatus.SCHEDULED:
        raise ActionError("closed", _("Only a session that has not started can be cancelled."))
    session.cancelled_at, session.cancelled_by_id = utcnow(), user.id
    session.revision += 1
    db.session.commit()


def open_session(user: User, session: ForumSession) -> ForumSession:
    """Open the room: scheduled → live (logged as session.opened)."""

    room.open_room(room.seat_for(user, session.id))
    db.session.refresh(session)
    return session


def close_session(user: User, session: ForumSession) -> ForumSession:
    """Close the room: live → closed (logged as session.closed). No writes after."""

    room.close_room(room.seat_for(user, session.id))
    db.session.refresh(session)
    return session


def my_sessions(user: User) -> dict[str, list[ForumSession]]:
    """The user's sessions grouped as live now, upcoming and past."""
    rows = db.session.scalars(access.visible_sessions(user).order_by(ForumSession.starts_at)).all()
    now = utcnow()
    groups: dict[str, list[ForumSession]] = {"live": [], "upcoming": [], "past": []}
    for s in rows:
        if s.status == SessionStatus.LIVE:
            groups["live"].append(s)
        elif s.status == SessionStatus.SCHEDULED and s.ends_at > now:
            groups["upcoming"].append(s)
        else:
            groups["past"].append(s)
    groups["past"].reverse()
    return groups


def exchanges_managed_by(user: User) -> list[Exchange]:
    """Exchanges the user may schedule sessions for."""
    query = sa.select(Exchange).where(
        Exchange.status == ExchangeStatus.APPROVED, Exchange.kind == ExchangeKind.EXCHANGE.value
    )
    ids = access.visible_exchange_ids(user)  # None: all of them (an admin)
    if ids is not None:
        query = query.where(Exchange.id.in_(ids))
    return list(db.session.scalars(query.order_by(Exchange.id)))


def room_state(seat: room.Seat) -> dict[str, Any]:
    """The session object plus the room's state, as ``join`` returns it."""

    session = seat.session.load()
    return {
        **serialize(session),
        "locked": session.locked,
        "slow_mode": session.slow_mode,
        "pinned_message_id": session.pinned_message_id,
        "columns": board.columns_of(session),
        # "Teacher approves every message" (``room.approval``) and the breakout groups
        # formed now, with who is in each (``groups.formed``).
        "approval": session.approve_all,
        "groups": [room.group_json(g) for g in room.formed(session.id)],
    }

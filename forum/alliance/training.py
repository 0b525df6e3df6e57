"""Educator training: the Alliance's training events (core task force, host-family
workshops, international-education seminars, other) and who took part.

An event keeps its participants by name and school (from a CSV, or a list in the API)
or, where names are not kept, a head count. Admins record, edit and delete events;
reviewers and admins read them; the academic-year report counts the educators trained
(``evidence.report``). The pages, the API and the CLI act through here.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import fields
from ..clock import academic_year_of
from ..errors import ActionError, ValidationError
from ..extensions import db
from ..inputs import storable
from ..models import TrainingEvent, TrainingKind, TrainingParticipant, User
from ..people import access
from .mous import require_admin, require_reader

MAX_TITLE = 200
MAX_PLACE = 200
MAX_NAME = 100
MAX_SCHOOL = 200
MAX_PARTICIPANTS = 5000
MAX_HEAD_COUNT = 100_000
MAX_FILE_BYTES = 1024 * 1024
MAX_ROW_ERRORS = 20  # listed at once; the rest are counted


def kind_label(kind: TrainingKind) -> str:
    """What a kind of event is called, in the reader's language."""
    return {
        TrainingKind.TASK_FORCE: _("Core task-force training"),
        TrainingKind.HOST_FAMILY: _("Host-family workshop"),
        TrainingKind.SEMINAR: _("International-education seminar"),
        TrainingKind.OTHER: _("Other training"),
    }[kind]


# --- participants ------------------------------------------------------------------------


def _row_error(problems: list[tuple[int, str]], total: int) -> ActionError:
    """One error for every bad row: each named by its row (the spreadsheet's row
    number for a CSV), in the reader's language; nothing was written."""
    shown = problems[:MAX_ROW_ERRORS]
    lines = [_("Row %(row)s: %(problem)s", row=row, problem=problem) for row, problem in shown]
    if total > len(shown):
        lines.append(_("… and %(n)s more rows with problems.", n=total - len(shown)))
    message = _("Nothing was saved: fix these rows and try again.") + " " + " ".join(lines)
    return ActionError(
        "invalid",
        message,
        fields={"participants": message},
        extra={"rows": [{"row": row, "message": problem} for row, problem in shown]},
    )


def check_participants(rows: list[tuple[int, object, object]]) -> list[tuple[str, str]]:
    """(name, school) of each (row, name, school) given; every bad row is reported at
    once (``_row_error``), blank rows are passed over."""
    problems: list[tuple[int, str]] = []
    seen: dict[tuple[str, str], int] = {}
    people: list[tuple[str, str]] = []
    for row, raw_name, raw_school in rows:
        if not isinstance(raw_name, str | None) or not isinstance(raw_school, str | None):
            problems.append((row, _("give the name and the school as text.")))
            continue
        name = " ".join((raw_name or "").split())
        school = " ".join((raw_school or "").split())
        if not name and not school:
            continue
        if not storable(name) or not storable(school):
            problems.append(
                (row, _("it contains a character that cannot be saved (a NUL character)."))
            )
        elif not name:
            problems.append((row, _("the name is missing.")))
        elif not school:
            problems.append((row, _("the school is missing.")))
        elif len(name) > MAX_NAME:
            problems.append((row, _("a name may have at most %(n)s characters.", n=MAX_NAME)))
        elif len(school) > MAX_SCHOOL:
            problems.append((row, _("a school may have at most %(n)s characters.", n=MAX_SCHOOL)))
        elif (name.casefold(), school.casefold()) in seen:
            problems.append(
                (
                    row,
                    _(
                        "the same person as row %(row)s.",
                        row=seen[(name.casefold(), school.casefold())],
                    ),
                )
            )
        else:
            seen[(name.casefold(), school.casefold())] = row
            people.append((name, school))
    if problems:
        raise _row_error(problems, len(problems))
    if not people:
        raise ValidationError({"participants": _("The list names no participants.")})
    if len(people) > MAX_PARTICIPANTS:
        raise ValidationError(
            {
                "participants": _(
                    "At most %(n)s participants can be listed for one event.", n=MAX_PARTICIPANTS
                )
            }
        )
    return people


def read_participants(data: bytes) -> list[tuple[str, str]]:
    """(name, school) of each participant in a UTF-8 CSV with columns ``name`` and
    ``school`` (a BOM allowed, as spreadsheets write it)."""
    if len(data) > MAX_FILE_BYTES:
        raise ActionError(
            "too_large",
            _("The file is too large (at most 1 MB)."),
            fields={"participants": _("The file is too large (at most 1 MB).")},
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        message = _("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again.")
        raise ActionError("invalid", message, fields={"participants": message}) from None
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
        if "name" not in header or "school" not in header:
            message = _("The file needs two columns, named name and school.")
            raise ActionError("invalid", message, fields={"participants": message})
        reader.fieldnames = header
        # The row number a spreadsheet shows: the header is row 1.
        rows = [(reader.line_num, row.get("name"), row.get("school")) for row in reader]
    except csv.Error as exc:
        message = _("The file is not valid CSV: %(error)s", error=exc)
        raise ActionError("invalid", message, fields={"participants": message}) from None
    return check_participants(rows)


def _listed_participants(raw: object) -> list[tuple[str, str]]:
    """(name, school) of a JSON list of ``{"name", "school"}``, rows counted from 1."""
    if not isinstance(raw, list) or not all(isinstance(p, dict) for p in raw):
        raise ValidationError(
            {"participants": _('Give the participants as a list of {"name", "school"}.')}
        )
    return check_participants(
        [(n, p.get("name"), p.get("school")) for n, p in enumerate(raw, start=1)]
    )


# --- the event ---------------------------------------------------------------------------


def _head_count(raw: object, errors: dict[str, str]) -> int | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_HEAD_COUNT:
        errors["head_count"] = _("Give the number of educators, from 1 to %(n)s.", n=MAX_HEAD_COUNT)
        return None
    return raw


def _values(
    data: dict[str, Any], current: TrainingEvent | None, file: bytes | None
) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
    """The event's fields from ``data`` (over ``current``'s when editing) and its new
    participants (None: keep them as they are), all checked before anything is written."""
    merged: dict[str, Any] = {}
    if current is not None:
        merged = {
            "kind": current.kind.value,
            "title": current.title,
            "held_on": current.held_on.isoformat(),
            "online": current.online,
            "place": current.place,
        }
    merged.update(
        {k: v for k, v in data.items() if k in ("kind", "title", "held_on", "online", "place")}
    )
    errors: dict[str, str] = {}
    kind = None
    try:
        kind = TrainingKind(merged.get("kind", ""))
    except (ValueError, TypeError):
        errors["kind"] = _("Choose the kind of training.")
    title = fields.text(merged, "title", MAX_TITLE, errors)
    held_on = fields.day(merged, "held_on", errors)
    if held_on is None and "held_on" not in errors:
        errors["held_on"] = _("Give the day it was held.")
    online = merged.get("online", False)
    if not isinstance(online, bool):
        errors["online"] = _("Say true or false.")
    place = fields.text(merged, "place", MAX_PLACE, errors)
    if not online and not place and "place" not in errors:
        errors["place"] = _("Give the place, or say it was held online.")
    head_count = _head_count(data.get("head_count"), errors)
    listed = data.get("participants")
    given = [x for x in (file is not None, listed is not None, head_count is not None) if x]
    if len(given) > 1:
        errors["participants"] = _("Give either the participants or a head count, not both.")
    elif not given and current is None and "head_count" not in errors:
        errors["participants"] = _(
            "Upload the list of participants, or give a head count where names are not kept."
        )
    if errors:
        raise ValidationError(errors)
    people = None
    if file is not None:
        people = read_participants(file)
    elif listed is not None:
        people = _listed_participants(listed)
    elif head_count is not None:
        people = []
    assert held_on is not None
    return {
        "kind": kind,
        "title": title,
        "held_on": held_on,
        "online": online,
        "place": place,
        "academic_year": academic_year_of(held_on),
        **({"head_count": head_count} if people is not None else {}),
    }, people


def _set_participants(event: TrainingEvent, people: list[tuple[str, str]]) -> None:
    event.participants = [TrainingParticipant(name=name, school=school) for name, school in people]


def record(user: User, data: dict[str, Any], file: bytes | None = None) -> TrainingEvent:
    """An admin records a training event: its kind, day, place (or online) and the
    participants (``file``: a CSV of names and schools; ``participants``: a list) or a
    head count. All or nothing."""
    require_admin(user)
    values, people = _values(fields.body(data), None, file)
    event = TrainingEvent(**values, created_by_id=user.id)
    _set_participants(event, people or [])
    db.session.add(event)
    db.session.commit()
    return event


def update(
    user: User, event: TrainingEvent, data: dict[str, Any], file: bytes | None = None
) -> TrainingEvent:
    """An admin changes an event; new participants (or a head count) replace the old
    ones, and when neither is given they stay as they are."""
    require_admin(user)
    values, people = _values(fields.body(data), event, file)
    for name, value in values.items():
        setattr(event, name, value)
    if people is not None:
        _set_participants(event, people)
    db.session.commit()
    return event


def delete(user: User, event: TrainingEvent) -> None:
    """An admin deletes an event recorded by mistake, with its participants."""
    require_admin(user)
    db.session.delete(event)
    db.session.commit()


def get(user: User, event_id: object) -> TrainingEvent:
    """The event, for a reviewer or admin; not_found when there is none."""
    require_reader(user)
    event = access.get_row(TrainingEvent, event_id)
    if event is None:
        raise ActionError("not_found", _("There is no such training event."))
    return event


def listed(year: int | None = None) -> list[TrainingEvent]:
    """Training events, latest first."""
    query = sa.select(TrainingEvent).order_by(TrainingEvent.held_on.desc(), TrainingEvent.id.desc())
    if year is not None:
        query = query.where(TrainingEvent.academic_year == year)
    return list(db.session.scalars(query))


def educators_by_kind(year: int) -> dict[str, dict[str, int]]:
    """Per kind of event: how many events of the academic year, and educators trained."""
    counts = {kind.value: {"events": 0, "educators": 0} for kind in TrainingKind}
    names = dict(
        db.session.execute(
            sa.select(TrainingParticipant.event_id, sa.func.count())
            .join(TrainingEvent, TrainingEvent.id == TrainingParticipant.event_id)
            .where(TrainingEvent.academic_year == year)
            .group_by(TrainingParticipant.event_id)
        ).all()
    )
    for event_id, kind, head_count in db.session.execute(
        sa.select(TrainingEvent.id, TrainingEvent.kind, TrainingEvent.head_count).where(
            TrainingEvent.academic_year == year
        )
    ):
        counts[kind.value]["events"] += 1
        counts[kind.value]["educators"] += names.get(event_id) or head_count or 0
    return counts


def serialize(event: TrainingEvent, *, participants: bool = True) -> dict[str, Any]:
    """A training event as the API gives it."""
    body: dict[str, Any] = {
        "id": event.id,
        "kind": event.kind.value,
        "title": event.title,
        "held_on": event.held_on.isoformat(),
        "academic_year": event.academic_year,
        "online": event.online,
        "place": event.place,
        "head_count": event.head_count,
        "educators": event.educators,
    }
    if participants:
        body["participants"] = [{"name": p.name, "school": p.school} for p in event.participants]
    return body

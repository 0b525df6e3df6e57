"""Class rosters: students come in from a CSV of display names and get access codes."""

from __future__ import annotations

import csv
import io

from flask_babel import gettext as _

from ..errors import ActionError
from ..extensions import db
from ..inputs import storable
from ..models import SchoolClass, User
from . import consent
from .codes import add_student, issue_code

MAX_ROSTER = 200
MAX_FILE_BYTES = 256 * 1024


def create_class(teacher: User, name: str, grade: int | None) -> SchoolClass:
    """A new class at the teacher's school, taught by them."""
    from ..models import Role

    if teacher.role not in (Role.TEACHER, Role.ADMIN) or teacher.school_id is None:
        raise ActionError("forbidden", _("Only teachers of a school can create classes."))
    name = " ".join((name or "").split())
    if not name:
        raise ActionError(
            "invalid",
            _("A class name is required."),
            fields={"name": _("A class name is required.")},
        )
    if len(name) > 100:
        raise ActionError(
            "invalid",
            _("At most %(n)s characters.", n=100),
            fields={"name": _("At most %(n)s characters.", n=100)},
        )
    school_class = SchoolClass(school_id=teacher.school_id, name=name, grade=grade)
    school_class.teachers.append(teacher)
    db.session.add(school_class)
    db.session.commit()
    return school_class


def read_names(data: bytes) -> list[str]:
    """Display names from a UTF-8 CSV with a ``display_name`` column (BOM allowed)."""
    return [name for name, _consent in read_roster(data)]


def read_roster(data: bytes) -> list[tuple[str, bool]]:
    """(display name, consent to publication) from a UTF-8 CSV with a ``display_name``
    column and, optionally, ``publish_consent`` (yes/no, default no; protocol.md)."""
    if len(data) > MAX_FILE_BYTES:
        raise ActionError("too_large", _("The file is too large (at most 256 KB)."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ActionError(
            "invalid", _("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again.")
        ) from None
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        if "display_name" not in header:
            raise ActionError("invalid", _("The file needs a column named display_name."))
        reader.fieldnames = header
        names: list[tuple[str, bool]] = []
        for line, row in enumerate(reader, start=2):
            name = " ".join((row.get("display_name") or "").split())
            if not name:
                continue
            if not storable(name):
                raise ActionError(
                    "invalid",
                    _(
                        "Line %(line)s: the name contains a character that cannot be saved "
                        "(a NUL character). Please remove it and try again.",
                        line=line,
                    ),
                )
            if len(name) > 100:
                raise ActionError(
                    "invalid",
                    _("Line %(line)s: a display name may have at most 100 characters.", line=line),
                )
            agreed = consent.parse(row.get("publish_consent"))
            if agreed is None:
                raise ActionError(
                    "invalid",
                    _("Line %(line)s: publish_consent must be yes or no.", line=line),
                )
            names.append((name, agreed))
    except csv.Error as exc:
        raise ActionError("invalid", _("The file is not valid CSV: %(error)s", error=exc)) from None
    if not names:
        raise ActionError("invalid", _("The file lists no students."))
    if len(names) > MAX_ROSTER:
        raise ActionError(
            "too_large", _("At most %(n)s students can be imported at once.", n=MAX_ROSTER)
        )
    return names


def check_distinct(school_class: SchoolClass, names: list[str]) -> None:
    """Refuse names that would be two children on one roster with the same name (in
    the file, or already in the class): their cards and the room could not tell them
    apart. Case and spaces do not make a name different ("林 小美" is "林小美")."""

    def key(name: str) -> str:
        return "".join(name.split()).casefold()

    taken = {key(s.display_name): s.display_name for s in school_class.students}
    seen: set[str] = set()
    repeated: list[str] = []
    for name in names:
        k = key(name)
        if (k in taken or k in seen) and name not in repeated:
            repeated.append(name)
        seen.add(k)
    if repeated:
        raise ActionError(
            "invalid",
            _(
                "Two students would have the same name: %(names)s. Add something that tells "
                "them apart (a seat number or an initial) and try again. Nobody was added.",
                names=", ".join(repeated),
            ),
        )


def import_roster(
    school_class: SchoolClass, data: bytes, by: User | None = None
) -> list[tuple[User, str]]:
    """Add every student in the file to the class, all or nothing; returns (student, code).
    A ``yes`` in ``publish_consent`` is recorded as ``by``'s (None: the command line)."""
    rows = read_roster(data)
    check_distinct(school_class, [name for name, _agreed in rows])
    try:
        issued = []
        for name, agreed in rows:
            student, code = add_student(school_class, name)
            if agreed:
                db.session.flush()  # the student's id, for the consent's record
                consent.record(by, student, True)
            issued.append((student, code))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return issued


def reissue_all(school_class: SchoolClass) -> list[tuple[User, str]]:
    """New codes for every student of the class (the old ones stop working)."""
    issued = [(student, issue_code(student)) for student in school_class.students]
    db.session.commit()
    return issued

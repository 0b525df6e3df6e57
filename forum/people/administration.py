"""Administration: schools and staff accounts. The admin pages and the CLI
(``forum add-school``, ``forum add-staff``) act through here.

``actor`` is the admin doing it, or None for the command line (whoever runs it holds
the server). Passwords are never logged nor kept but as hashes; a generated one is
returned once, to be shown once.
"""

from __future__ import annotations

import re
import secrets
from functools import cache
from typing import Any
from zoneinfo import available_timezones

import sqlalchemy as sa
from babel import Locale
from flask_babel import gettext as _

from .. import fields
from ..errors import ActionError, ValidationError
from ..extensions import db
from ..inputs import storable, unstorable_message
from ..models import Role, School, User
from . import proofs, signin

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
MIN_PASSWORD = 10
MAX_PASSWORD = 256
STAFF_ROLES = (Role.TEACHER, Role.REVIEWER, Role.ADMIN)
NAME_FIELDS = ("name_en", "name_zh_tw", "name_ja", "name_ko")


def require_admin(actor: User | None) -> None:
    """Only admins (or the command line) manage schools and accounts."""
    if actor is not None and actor.role != Role.ADMIN:
        raise ActionError("forbidden", _("Only admins may manage schools and accounts."))


@cache
def time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


# --- Schools -----------------------------------------------------------------------


def schools() -> list[School]:
    return list(db.session.scalars(sa.select(School).order_by(School.country, School.slug)))


def _school_values(data: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """A school's names, country, region, city and time zone, checked."""
    values: dict[str, Any] = {}
    for name in NAME_FIELDS:
        values[name] = fields.text(
            data, name, 200, errors, required=name == "name_en", one_line=True
        )
    for name in NAME_FIELDS[1:]:  # a name not given in a language is the English one
        values[name] = values[name] or values["name_en"]
    country = fields.text(data, "country", 2, errors, required=True, one_line=True)
    if country and "country" not in errors:
        country = country.upper()
        if len(country) != 2 or not country.isalpha() or country not in Locale("en").territories:
            errors["country"] = _("Give the country as its two-letter code, e.g. JP.")
    values["country"] = country
    values["region"] = fields.text(data, "region", 100, errors, required=True, one_line=True)
    values["city"] = fields.text(data, "city", 100, errors, one_line=True)
    zone = fields.text(data, "timezone", 64, errors, required=True, one_line=True)
    if zone and "timezone" not in errors and zone not in time_zones():
        errors["timezone"] = _("Choose a time zone such as Asia/Tokyo.")
    values["timezone"] = zone
    return values


def create_school(actor: User | None, data: dict[str, Any]) -> School:
    """Register a school."""
    require_admin(actor)
    errors: dict[str, str] = {}
    slug = fields.text(data, "slug", 64, errors, required=True, one_line=True)
    if slug and "slug" not in errors:
        if not SLUG.fullmatch(slug):
            errors["slug"] = _("Lower-case letters, digits and dashes, e.g. shizuoka-aoi.")
        elif db.session.scalar(sa.select(School.id).where(School.slug == slug)):
            errors["slug"] = _("A school with this short name exists already.")
    values = _school_values(data, errors)
    if errors:
        raise ValidationError(errors)
    school = School(slug=slug, **values)
    db.session.add(school)
    db.session.commit()
    return school


def update_school(actor: User | None, school: School, data: dict[str, Any]) -> School:
    """Change a school's names, country, region, city or time zone (not its slug)."""
    require_admin(actor)
    errors: dict[str, str] = {}
    values = _school_values(data, errors)
    if errors:
        raise ValidationError(errors)
    for name, value in values.items():
        setattr(school, name, value)
    db.session.commit()
    return school


# --- Staff accounts ----------------------------------------------------------------


def user_named(username: str) -> User | None:
    """The account with this username, or None."""
    return db.session.scalar(sa.select(User).where(User.username == username))


def active_admin(username: str | None = None) -> User | None:
    """An active admin: the one named, else the first (the command line records the
    Alliance's records as one)."""
    query = sa.select(User).where(User.role == Role.ADMIN, User.is_active_account.is_(True))
    if username:
        query = query.where(User.username == username)
    return db.session.scalars(query.order_by(User.id)).first()


def staff() -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User).where(User.role != Role.STUDENT).order_by(User.role, User.username)
        )
    )


def _password(raw: object, errors: dict[str, str]) -> str | None:
    """The password the admin set (None when left empty: one is generated)."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        errors["password"] = _("Give this as text.")
    elif not storable(raw):
        errors["password"] = unstorable_message()
    elif len(raw) < MIN_PASSWORD:
        errors["password"] = _("A password needs at least %(n)s characters.", n=MIN_PASSWORD)
    elif len(raw) > MAX_PASSWORD:
        errors["password"] = _("At most %(n)s characters.", n=MAX_PASSWORD)
    else:
        return raw
    return None


def new_password() -> str:
    """A password for the admin to hand over once: 16 characters, about 96 bits."""
    return secrets.token_urlsafe(12)


def create_staff(actor: User | None, data: dict[str, Any]) -> tuple[User, str | None]:
    """Create a teacher, reviewer or admin account. Returns the account and the
    password generated for it (None when the admin set one)."""
    require_admin(actor)
    errors: dict[str, str] = {}
    username = fields.text(data, "username", 64, errors, required=True, one_line=True)
    if username and "username" not in errors:
        if not USERNAME.fullmatch(username):
            errors["username"] = _(
                "Letters, digits, dots, dashes and underscores, e.g. sato.teacher."
            )
        elif db.session.scalar(
            sa.select(User.id).where(sa.func.lower(User.username) == username.lower())
        ):
            errors["username"] = _("This username is taken.")
    raw_role = data.get("role")
    role = {r.value: r for r in STAFF_ROLES}.get(raw_role) if isinstance(raw_role, str) else None
    if role is None:
        errors["role"] = _("Choose teacher, reviewer or admin.")
    display_name = fields.text(data, "display_name", 100, errors, required=True, one_line=True)
    school = None
    slug = data.get("school")
    if slug:
        school = (
            db.session.scalar(sa.select(School).where(School.slug == slug))
            if isinstance(slug, str)
            else None
        )
        if school is None:
            errors["school"] = _("There is no such school.")
    elif role == Role.TEACHER:
        errors["school"] = _("A teacher needs a school.")
    password = _password(data.get("password"), errors)
    if errors:
        raise ValidationError(errors)
    generated = None
    if not password:
        password = generated = new_password()
    user = User(username=username, role=role, display_name=display_name, school=school)
    signin.set_password(user, password)
    db.session.add(user)
    db.session.commit()
    return user, generated


def _staff_member(user: User) -> None:
    if not user.is_staff:
        raise ActionError("invalid", _("Students sign in with codes from their teachers."))


def reset_password(actor: User | None, user: User, password: str | None = None) -> str | None:
    """Give a staff account a new password: the one given, else a generated one, which
    is returned to be shown once. The account's sign-ins end."""
    require_admin(actor)
    _staff_member(user)
    errors: dict[str, str] = {}
    chosen = _password(password, errors)
    if errors:
        raise ValidationError(errors)
    generated = None
    if not chosen:
        chosen = generated = new_password()
    signin.set_password(user, chosen)
    proofs.end_sign_ins(user)
    db.session.commit()
    return generated


def set_active(actor: User | None, user: User, active: bool) -> User:
    """Deactivate a staff account (it can no longer sign in, by password, token or live
    connection; its records stay) or reactivate it."""
    require_admin(actor)
    _staff_member(user)
    if not active and actor is not None and actor.id == user.id:
        raise ActionError("conflict", _("You cannot deactivate your own account."))
    user.is_active_account = active
    if not active:
        proofs.end_sign_ins(user)
    db.session.commit()
    return user

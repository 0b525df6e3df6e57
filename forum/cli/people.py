"""People: API tokens, class rosters, schools and staff accounts (the same actions as
the admin pages)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..errors import ActionError
from ..extensions import db
from ..models import SchoolClass
from ..people import administration, codes, proofs, roster
from .base import echo_rows, fail, fields_failed, forum_cli, row_or_fail


@forum_cli.command("token")
@click.argument("username")
def token(username: str) -> None:
    """Print a new API token for USERNAME."""
    user = administration.user_named(username)
    if user is None:
        fail(f"no user named {username!r}")
    value = proofs.issue_token(user)
    db.session.commit()
    click.echo(value)


@forum_cli.command("import-roster")
@click.argument("class_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print names and codes as JSON.")
def import_roster(class_id: int, file: Path, as_json: bool) -> None:
    """Add the students listed in FILE (CSV, display_name column) to CLASS_ID."""
    school_class = row_or_fail(SchoolClass, class_id, "class")
    try:
        issued = roster.import_roster(school_class, file.read_bytes())
    except ActionError as exc:
        fail(exc.message)
    rows = [{"display_name": s.display_name, "code": codes.format_code(c)} for s, c in issued]
    echo_rows(rows, as_json, lambda row: f"{row['code']}  {row['display_name']}")


def _create(action: Callable[[None, dict[str, Any]], object], data: dict[str, Any]) -> None:
    """Run an administration action as the command line (no actor)."""
    try:
        action(None, data)
    except ActionError as exc:
        fields_failed(exc)


@forum_cli.command("add-staff")
@click.argument("username")
@click.option("--role", type=click.Choice(["teacher", "reviewer", "admin"]), required=True)
@click.option("--school", "school", help="School slug (teachers need one).")
@click.option("--name", "display_name", required=True)
@click.password_option()
def add_staff(**data: Any) -> None:
    """Create a staff account (the same action as the admin pages)."""
    _create(administration.create_staff, data)
    click.echo(f"created {data['role']} {data['username']}")


@forum_cli.command("add-school")
@click.argument("slug")
@click.option("--country", required=True, help="ISO 3166 code, e.g. TW, JP, KR.")
@click.option("--region", required=True, help="City or prefecture, e.g. Shizuoka.")
@click.option("--city", help="The school's city, e.g. Shizuoka.")
@click.option("--timezone", "timezone", required=True, help="IANA zone, e.g. Asia/Tokyo.")
@click.option("--name-en", required=True)
@click.option("--name-zh-tw")
@click.option("--name-ja")
@click.option("--name-ko")
def add_school(**data: Any) -> None:
    """Register a school (names default to the English one where not given); the same
    action as the admin pages."""
    _create(administration.create_school, data)
    click.echo(f"created school {data['slug']}")

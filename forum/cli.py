"""``flask --app wsgi forum ...``: demo data, tokens, rosters, staff accounts."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from . import access, accounts, demo, roster
from .errors import ActionError
from .extensions import db
from .models import SchoolClass, User

forum_cli = AppGroup("forum", help="SDG Forum administration.")


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@forum_cli.command("seed-demo")
@click.option("--json", "as_json", is_flag=True, help="Print the demo credentials as JSON.")
def seed_demo(as_json: bool) -> None:
    """Load the demo schools, people, exchanges and sessions (idempotent)."""
    result = demo.seed()
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    click.echo("Demo data ready. Sign in at /auth/login (staff) or /auth/code (students):")
    for user in result["users"]:
        secret = (f"{user['username']} / {user['password']}" if "username" in user
                  else f"code {user['code']}")
        click.echo(f"  {user['role']:<9} {user['school']:<14} {user['display_name']}: {secret}")


@forum_cli.command("token")
@click.argument("username")
def token(username: str) -> None:
    """Print a new API token for USERNAME."""
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        _fail(f"no user named {username!r}")
    value = accounts.issue_token(user)
    db.session.commit()
    click.echo(value)


@forum_cli.command("import-roster")
@click.argument("class_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print names and codes as JSON.")
def import_roster(class_id: int, file: Path, as_json: bool) -> None:
    """Add the students listed in FILE (CSV, display_name column) to CLASS_ID."""
    school_class = access.get_row(SchoolClass, class_id)
    if school_class is None:
        _fail(f"no class with id {class_id}")
    try:
        issued = roster.import_roster(school_class, file.read_bytes())
    except ActionError as exc:
        _fail(exc.message)
    rows = [{"display_name": s.display_name, "code": accounts.format_code(c)}
            for s, c in issued]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
    else:
        for row in rows:
            click.echo(f"{row['code']}  {row['display_name']}")


@forum_cli.command("add-staff")
@click.argument("username")
@click.option("--role", type=click.Choice(["teacher", "reviewer", "admin"]), required=True)
@click.option("--school", "school_slug", help="School slug (teachers need one).")
@click.option("--name", "display_name", required=True)
@click.password_option()
def add_staff(username: str, role: str, school_slug: str | None, display_name: str,
              password: str) -> None:
    """Create a staff account (the same action as the admin pages)."""
    from . import administration

    try:
        administration.create_staff(None, {
            "username": username, "role": role, "school": school_slug,
            "display_name": display_name, "password": password})
    except ActionError as exc:
        _fail("; ".join(f"{k}: {v}" for k, v in exc.fields.items()) or exc.message)
    click.echo(f"created {role} {username}")


@forum_cli.command("verify")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--session", "session_id", type=int, help="Check a stored session instead.")
@click.option("--public-key", "key_file", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), help="Trust this PEM key instead of this instance's evidence key.")
def verify(file: Path | None, session_id: int | None, key_file: Path | None) -> None:
    """Check a transcript export (offline) or a stored session; exit 1 if invalid."""
    from . import transcript
    from .models import ForumSession

    if (file is None) == (session_id is None):
        _fail("give either FILE or --session ID")
    if session_id is not None:
        session = db.session.get(ForumSession, session_id)
        if session is None:
            _fail(f"no session with id {session_id}")
        verdict = transcript.verify_stored(session)
    else:
        try:
            raw = file.read_bytes()
        except OSError as exc:
            click.echo(f"invalid: cannot read {file}: {exc.strerror}")
            sys.exit(1)
        # The signature counts only under --public-key, else this instance's key.
        trusted = transcript.trust(key_file.read_text() if key_file else None)
        verdict = transcript.verify_bytes(raw, trusted)
    click.echo(verdict.line)
    sys.exit(0 if verdict.valid else 1)


@forum_cli.command("report")
@click.option("--year", "roc_year", type=int, required=True, help="ROC academic year, e.g. 113.")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json")
def report(roc_year: int, fmt: str) -> None:
    """The academic-year report (1 August – 31 July) as JSON or CSV."""
    from . import csvfile, review

    if not 1 <= roc_year <= 300:
        _fail("--year is an ROC year such as 113")
    data = review.report(roc_year)
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    writer = csvfile.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["figure", "key", "value"])
    writer.writerows(review.report_rows(data))


@forum_cli.command("add-school")
@click.argument("slug")
@click.option("--country", required=True, help="ISO 3166 code, e.g. TW, JP, KR.")
@click.option("--region", required=True, help="City or prefecture, e.g. Shizuoka.")
@click.option("--city", help="The school's city, e.g. Shizuoka.")
@click.option("--timezone", "tz", required=True, help="IANA zone, e.g. Asia/Tokyo.")
@click.option("--name-en", required=True)
@click.option("--name-zh-tw")
@click.option("--name-ja")
@click.option("--name-ko")
def add_school(slug: str, country: str, region: str, city: str | None, tz: str,
               name_en: str, name_zh_tw: str | None, name_ja: str | None,
               name_ko: str | None) -> None:
    """Register a school (names default to the English one where not given); the same
    action as the admin pages."""
    from . import administration

    try:
        administration.create_school(None, {
            "slug": slug, "country": country, "region": region, "city": city,
            "timezone": tz, "name_en": name_en, "name_zh_tw": name_zh_tw,
            "name_ja": name_ja, "name_ko": name_ko})
    except ActionError as exc:
        _fail("; ".join(f"{k}: {v}" for k, v in exc.fields.items()) or exc.message)
    click.echo(f"created school {slug}")

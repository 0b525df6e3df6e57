"""The sealed record as evidence: verifying a transcript, and erasing students' names
after the retention period (every record still verifies)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ..evidence import verification
from ..models import ForumSession
from ..people import retention
from .base import fail, forum_cli, row_or_fail


@forum_cli.command("verify")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--session", "session_id", type=int, help="Check a stored session instead.")
@click.option(
    "--public-key",
    "key_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Trust this PEM key instead of this instance's evidence key.",
)
def verify(file: Path | None, session_id: int | None, key_file: Path | None) -> None:
    """Check a transcript export (offline) or a stored session; exit 1 if invalid."""
    if (file is None) == (session_id is None):
        fail("give either FILE or --session ID")
    if session_id is not None:
        verdict = verification.verify_stored(row_or_fail(ForumSession, session_id, "session"))
    elif file is not None:
        try:
            raw = file.read_bytes()
        except OSError as exc:
            click.echo(f"invalid: cannot read {file}: {exc.strerror}")
            sys.exit(1)
        # The signature counts only under --public-key, else this instance's key.
        trusted = verification.trust(key_file.read_text() if key_file else None)
        verdict = verification.verify_bytes(raw, trusted)
    click.echo(verdict.line)
    sys.exit(0 if verdict.valid else 1)


@forum_cli.command("retention")
@click.option(
    "--older-than",
    "older_than",
    type=click.IntRange(0, 50),
    required=True,
    help="Academic years since the student's last exchange ended.",
)
@click.option("--apply", "apply_", is_flag=True, help="Erase the names (otherwise only list).")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Count the years up to this day instead of today (to preview).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the students as JSON.")
def retention_command(older_than: int, apply_: bool, as_of: Any, as_json: bool) -> None:
    """List (or, with --apply, erase) the names of students whose last exchange ended
    more than --older-than academic years ago; they keep a pseudonym, and every sealed
    record still verifies (the chain covers who wrote, not names)."""
    found = retention.candidates(older_than, as_of.date() if as_of else None)
    rows = [retention.serialize(c) for c in found]
    if apply_:
        retention.erase(found)
    if as_json:
        click.echo(json.dumps({"applied": apply_, "students": rows}, ensure_ascii=False))
        return
    for row in rows:
        click.echo(
            f"{row['id']:>6}  {row['school'] or '-':<16} {row['last_academic_year']:>4}  "
            f"{row['display_name']} -> {row['pseudonym']}"
        )
    verb = "erased" if apply_ else "would be erased (run again with --apply)"
    click.echo(f"{len(rows)} student name(s) {verb}.")

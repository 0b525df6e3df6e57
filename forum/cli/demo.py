"""``forum seed-demo``: the demo schools, people, exchanges and sessions."""

from __future__ import annotations

import json
from typing import Any

import click

from .. import demo
from .base import forum_cli


@forum_cli.command("seed-demo")
@click.option("--json", "as_json", is_flag=True, help="Print the demo credentials as JSON.")
@click.option(
    "--with-applications",
    is_flag=True,
    help="Also add applications still waiting for a partner or the Alliance.",
)
@click.option(
    "--with-showcase",
    is_flag=True,
    help="Also add an upcoming showcase session (Taipei presents, Seoul in the audience).",
)
@click.option(
    "--with-case",
    is_flag=True,
    help="Also add a completed exchange and publish a case from its sealed session.",
)
def seed_demo(as_json: bool, with_applications: bool, with_showcase: bool, with_case: bool) -> None:
    """Load the demo schools, people, exchanges and sessions (idempotent)."""
    result: dict[str, Any] = demo.seed()
    if with_applications:
        result["applications"] = demo.seed_applications()
    if with_showcase:
        result["showcase"] = demo.seed_showcase()
    if with_case:
        result["case"] = demo.seed_case()
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    click.echo("Demo data ready. Sign in at /auth/login (staff) or /auth/code (students):")
    for user in result["users"]:
        secret = (
            f"{user['username']} / {user['password']}"
            if "username" in user
            else f"code {user['code']}"
        )
        click.echo(f"  {user['role']:<9} {user['school']:<14} {user['display_name']}: {secret}")

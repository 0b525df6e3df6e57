"""The ``forum`` command group and what its commands share: failing with a message,
a row by its id, who an Alliance record is made by, printing rows as lines or JSON."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click
from flask.cli import AppGroup

from ..errors import ActionError
from ..extensions import Model
from ..models import User
from ..people import access, administration

forum_cli = AppGroup("forum", help="SDG Forum administration.")

Row = TypeVar("Row", bound=Model)

by_option = click.option(
    "--by", "by", metavar="USERNAME", help="The admin it is recorded by (default: the first admin)."
)


def fail(message: str) -> NoReturn:
    """The command's error on stderr, exit 1."""
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def fields_failed(exc: ActionError) -> NoReturn:
    """An administration action's refusal: each field's message, else the action's."""
    fail("; ".join(f"{k}: {v}" for k, v in exc.fields.items()) or exc.message)


def refused(exc: ActionError) -> NoReturn:
    """An Alliance action's refusal: its message and each field's that says more."""
    details = "; ".join(
        f"{name}: {message}" for name, message in exc.fields.items() if message != exc.message
    )
    fail(exc.message + (f" ({details})" if details else ""))


def row_or_fail(model: type[Row], row_id: int, what: str) -> Row:
    """The row of ``model`` with this id, or the error "no WHAT with id N"."""
    row: Row | None = access.get_row(model, row_id)
    if row is None:
        fail(f"no {what} with id {row_id}")
    return row


def admin(username: str | None) -> User:
    """Who a record is made by: the admin named, else the first active admin."""
    user = administration.active_admin(username)
    if user is None:
        fail(f"no active admin named {username!r}" if username else "no active admin account")
    return user


def given(values: dict[str, Any]) -> dict[str, Any]:
    """The options given (those left out are None): a record's fields for its action."""
    return {name: value for name, value in values.items() if value is not None}


def echo_rows(rows: list[dict[str, Any]], as_json: bool, line: Callable[[dict], str]) -> None:
    """Rows as one JSON array, or a line each."""
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        click.echo(line(row))

"""The Alliance's records: MOUs, educator training and the academic-year report (the
same actions as the pages and the API; a record is made by an admin, ``--by``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .. import csvfile
from ..alliance import mous, training
from ..errors import ActionError
from ..evidence import report as year_report
from ..models import Mou, TrainingEvent, User
from .base import Row, admin, by_option, echo_rows, fail, forum_cli, given, refused, row_or_fail


def _delete(
    model: type[Row], row_id: int, what: str, action: Callable[[User, Row], None], by: str | None
) -> None:
    """Delete a record made by mistake."""
    row = row_or_fail(model, row_id, what)
    action(admin(by), row)
    click.echo(f"deleted {what} {row_id}")


@forum_cli.group("mou")
def mou_cli() -> None:
    """MOUs with partner regions: add, list, edit, delete."""


@mou_cli.command("add")
@click.option("--region", required=True, help="Prefecture, county or city, e.g. Shikoku.")
@click.option("--country", required=True, help="ISO 3166 code, e.g. JP.")
@click.option("--authority", required=True, help="The partner authority.")
@click.option("--status", type=click.Choice(["planned", "signed"]), required=True)
@click.option("--signed-on", help="YYYY-MM-DD (signed MOUs).")
@click.option(
    "--year", "academic_year", type=int, help="ROC academic year (default: the signed date's)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the MOU as JSON.")
@by_option
def mou_add(as_json: bool, by: str | None, **fields: Any) -> None:
    """Record an MOU."""
    try:
        mou = mous.record(admin(by), given(fields))
    except ActionError as exc:
        refused(exc)
    click.echo(
        json.dumps(mous.serialize(mou), ensure_ascii=False)
        if as_json
        else f"recorded MOU {mou.id}: {mou.region} ({mou.country}), {mou.status.value}"
    )


@mou_cli.command("edit")
@click.argument("mou_id", type=int)
@click.option("--region")
@click.option("--country")
@click.option("--authority")
@click.option("--status", type=click.Choice(["planned", "signed"]))
@click.option("--signed-on", help="YYYY-MM-DD; an empty string clears it.")
@click.option("--year", "academic_year", type=int)
@by_option
def mou_edit(mou_id: int, by: str | None, **fields: Any) -> None:
    """Change an MOU (e.g. --status signed --signed-on 2025-05-20)."""
    mou = row_or_fail(Mou, mou_id, "MOU")
    try:
        mous.update(admin(by), mou, given(fields))
    except ActionError as exc:
        refused(exc)
    click.echo(f"changed MOU {mou.id}")


@mou_cli.command("delete")
@click.argument("mou_id", type=int)
@by_option
def mou_delete(mou_id: int, by: str | None) -> None:
    """Delete an MOU recorded by mistake."""
    _delete(Mou, mou_id, "MOU", mous.delete, by)


@mou_cli.command("list")
@click.option("--year", "academic_year", type=int, help="Only this ROC academic year.")
@click.option("--json", "as_json", is_flag=True)
def mou_list(academic_year: int | None, as_json: bool) -> None:
    """The MOUs, newest academic year first."""
    echo_rows(
        [mous.serialize(m) for m in mous.listed(academic_year)],
        as_json,
        lambda m: (
            f"{m['id']:>4}  {m['academic_year']}  {m['status']:<7} "
            f"{m['signed_on'] or '':<10}  {m['region']} ({m['country']}): "
            f"{m['authority']}"
        ),
    )


@forum_cli.group("training")
def training_cli() -> None:
    """Educator-training events: add, list, delete."""


@training_cli.command("add")
@click.option(
    "--kind", type=click.Choice(["task_force", "host_family", "seminar", "other"]), required=True
)
@click.option("--date", "held_on", required=True, help="YYYY-MM-DD.")
@click.option("--title")
@click.option("--place", help="Where it was held.")
@click.option("--online", is_flag=True, help="It was held online.")
@click.option(
    "--participants",
    "file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV (UTF-8) with columns name and school.",
)
@click.option("--head-count", type=int, help="How many took part, where names are not kept.")
@click.option("--json", "as_json", is_flag=True, help="Print the event as JSON.")
@by_option
def training_add(file: Path | None, as_json: bool, by: str | None, **fields: Any) -> None:
    """Record a training event with its participants (--participants) or --head-count."""
    try:
        event = training.record(admin(by), given(fields), file.read_bytes() if file else None)
    except ActionError as exc:
        refused(exc)
    click.echo(
        json.dumps(training.serialize(event, participants=False), ensure_ascii=False)
        if as_json
        else f"recorded training event {event.id}: {event.educators} educators"
    )


@training_cli.command("delete")
@click.argument("event_id", type=int)
@by_option
def training_delete(event_id: int, by: str | None) -> None:
    """Delete a training event recorded by mistake, with its participants."""
    _delete(TrainingEvent, event_id, "training event", training.delete, by)


@training_cli.command("list")
@click.option("--year", "academic_year", type=int, help="Only this ROC academic year.")
@click.option("--json", "as_json", is_flag=True)
def training_list(academic_year: int | None, as_json: bool) -> None:
    """The training events, latest first."""
    echo_rows(
        [training.serialize(e, participants=False) for e in training.listed(academic_year)],
        as_json,
        lambda e: (
            f"{e['id']:>4}  {e['held_on']}  {e['kind']:<11} {e['educators']:>5}  "
            f"{'online' if e['online'] else e['place']}"
            f"{'  ' + e['title'] if e['title'] else ''}"
        ),
    )


@forum_cli.command("report")
@click.option("--year", "roc_year", type=int, required=True, help="ROC academic year, e.g. 113.")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json")
def report(roc_year: int, fmt: str) -> None:
    """The academic-year report (1 August – 31 July) as JSON or CSV."""
    if not 1 <= roc_year <= 300:
        fail("--year is an ROC year such as 113")
    data = year_report.report(roc_year)
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    writer = csvfile.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["figure", "key", "value"])
    writer.writerows(year_report.report_rows(data))

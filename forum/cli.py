"""``flask --app wsgi forum ...``: demo data, tokens, rosters, staff accounts."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from . import demo
from .errors import ActionError
from .extensions import db
from .models import Role, SchoolClass, User
from .people import access, codes, proofs, roster

forum_cli = AppGroup("forum", help="SDG Forum administration.")


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


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
def seed_demo(as_json: bool, with_applications: bool, with_showcase: bool) -> None:
    """Load the demo schools, people, exchanges and sessions (idempotent)."""
    result: dict[str, Any] = demo.seed()
    if with_applications:
        result["applications"] = demo.seed_applications()
    if with_showcase:
        result["showcase"] = demo.seed_showcase()
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


@forum_cli.command("token")
@click.argument("username")
def token(username: str) -> None:
    """Print a new API token for USERNAME."""
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        _fail(f"no user named {username!r}")
    value = proofs.issue_token(user)
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
    rows = [{"display_name": s.display_name, "code": codes.format_code(c)} for s, c in issued]
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
def add_staff(
    username: str, role: str, school_slug: str | None, display_name: str, password: str
) -> None:
    """Create a staff account (the same action as the admin pages)."""
    from .people import administration

    try:
        administration.create_staff(
            None,
            {
                "username": username,
                "role": role,
                "school": school_slug,
                "display_name": display_name,
                "password": password,
            },
        )
    except ActionError as exc:
        _fail("; ".join(f"{k}: {v}" for k, v in exc.fields.items()) or exc.message)
    click.echo(f"created {role} {username}")


@forum_cli.command("words")
@click.argument("lang", type=click.Choice(["zh-TW", "ja", "ko", "en"]))
@click.option("--add", "added", multiple=True, help="A word or phrase to add (repeatable).")
@click.option("--remove", "removed", multiple=True, help="A word to take off (repeatable).")
def word_list(lang: str, added: tuple[str, ...], removed: tuple[str, ...]) -> None:
    """Print (and change) one language's list of words that hold a student's message
    for the teachers (the same actions as /admin/words)."""
    from .room import words

    try:
        if added:
            words.add_words(lang, "\n".join(added), None)
        for text in removed:
            key = words.normalize(text)
            found = next((w for w in words.words_of(lang) if w.normalized == key), None)
            if found is None:
                _fail(f"not on the {lang} list: {text}")
            words.remove_word(found.id)
    except ActionError as exc:
        _fail(exc.message)
    for word in words.words_of(lang):
        click.echo(word.word)


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
    from .evidence import transcript
    from .models import ForumSession

    if (file is None) == (session_id is None):
        _fail("give either FILE or --session ID")
    if session_id is not None:
        session = db.session.get(ForumSession, session_id)
        if session is None:
            _fail(f"no session with id {session_id}")
        verdict = transcript.verify_stored(session)
    elif file is not None:
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
    from . import csvfile
    from .evidence import review

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
def add_school(
    slug: str,
    country: str,
    region: str,
    city: str | None,
    tz: str,
    name_en: str,
    name_zh_tw: str | None,
    name_ja: str | None,
    name_ko: str | None,
) -> None:
    """Register a school (names default to the English one where not given); the same
    action as the admin pages."""
    from .people import administration

    try:
        administration.create_school(
            None,
            {
                "slug": slug,
                "country": country,
                "region": region,
                "city": city,
                "timezone": tz,
                "name_en": name_en,
                "name_zh_tw": name_zh_tw,
                "name_ja": name_ja,
                "name_ko": name_ko,
            },
        )
    except ActionError as exc:
        _fail("; ".join(f"{k}: {v}" for k, v in exc.fields.items()) or exc.message)
    click.echo(f"created school {slug}")


# --- the Alliance's records: MOUs and educator training ----------------------------------


def _admin(username: str | None) -> User:
    """Who a record is made by: the admin named, else the first active admin."""
    query = sa.select(User).where(User.role == Role.ADMIN, User.is_active_account.is_(True))
    if username:
        query = query.where(User.username == username)
    user = db.session.scalars(query.order_by(User.id)).first()
    if user is None:
        _fail(f"no active admin named {username!r}" if username else "no active admin account")
    return user


def _refused(exc: ActionError) -> None:
    """An action's refusal as the command's error: its message and each field's."""
    details = "; ".join(
        f"{name}: {message}" for name, message in exc.fields.items() if message != exc.message
    )
    _fail(exc.message + (f" ({details})" if details else ""))


def _given(**values: object) -> dict[str, object]:
    return {name: value for name, value in values.items() if value is not None}


by_option = click.option(
    "--by", "by", metavar="USERNAME", help="The admin it is recorded by (default: the first admin)."
)


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
def mou_add(
    region: str,
    country: str,
    authority: str,
    status: str,
    signed_on: str | None,
    academic_year: int | None,
    as_json: bool,
    by: str | None,
) -> None:
    """Record an MOU."""
    from .alliance import mous

    try:
        mou = mous.record(
            _admin(by),
            _given(
                region=region,
                country=country,
                authority=authority,
                status=status,
                signed_on=signed_on,
                academic_year=academic_year,
            ),
        )
    except ActionError as exc:
        _refused(exc)
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
def mou_edit(
    mou_id: int,
    region: str | None,
    country: str | None,
    authority: str | None,
    status: str | None,
    signed_on: str | None,
    academic_year: int | None,
    by: str | None,
) -> None:
    """Change an MOU (e.g. --status signed --signed-on 2025-05-20)."""
    from .alliance import mous
    from .models import Mou

    mou = access.get_row(Mou, mou_id)
    if mou is None:
        _fail(f"no MOU with id {mou_id}")
    try:
        mous.update(
            _admin(by),
            mou,
            _given(
                region=region,
                country=country,
                authority=authority,
                status=status,
                signed_on=signed_on,
                academic_year=academic_year,
            ),
        )
    except ActionError as exc:
        _refused(exc)
    click.echo(f"changed MOU {mou.id}")


@mou_cli.command("delete")
@click.argument("mou_id", type=int)
@by_option
def mou_delete(mou_id: int, by: str | None) -> None:
    """Delete an MOU recorded by mistake."""
    from .alliance import mous
    from .models import Mou

    mou = access.get_row(Mou, mou_id)
    if mou is None:
        _fail(f"no MOU with id {mou_id}")
    mous.delete(_admin(by), mou)
    click.echo(f"deleted MOU {mou_id}")


@mou_cli.command("list")
@click.option("--year", "academic_year", type=int, help="Only this ROC academic year.")
@click.option("--json", "as_json", is_flag=True)
def mou_list(academic_year: int | None, as_json: bool) -> None:
    """The MOUs, newest academic year first."""
    from .alliance import mous

    rows = [mous.serialize(m) for m in mous.listed(academic_year)]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for m in rows:
        click.echo(
            f"{m['id']:>4}  {m['academic_year']}  {m['status']:<7} "
            f"{m['signed_on'] or '':<10}  {m['region']} ({m['country']}): "
            f"{m['authority']}"
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
def training_add(
    kind: str,
    held_on: str,
    title: str | None,
    place: str | None,
    online: bool,
    file: Path | None,
    head_count: int | None,
    as_json: bool,
    by: str | None,
) -> None:
    """Record a training event with its participants (--participants) or --head-count."""
    from .alliance import training

    try:
        event = training.record(
            _admin(by),
            _given(
                kind=kind,
                held_on=held_on,
                title=title,
                place=place,
                online=online,
                head_count=head_count,
            ),
            file.read_bytes() if file else None,
        )
    except ActionError as exc:
        _refused(exc)
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
    from .alliance import training
    from .models import TrainingEvent

    event = access.get_row(TrainingEvent, event_id)
    if event is None:
        _fail(f"no training event with id {event_id}")
    training.delete(_admin(by), event)
    click.echo(f"deleted training event {event_id}")


@training_cli.command("list")
@click.option("--year", "academic_year", type=int, help="Only this ROC academic year.")
@click.option("--json", "as_json", is_flag=True)
def training_list(academic_year: int | None, as_json: bool) -> None:
    """The training events, latest first."""
    from .alliance import training

    rows = [training.serialize(e, participants=False) for e in training.listed(academic_year)]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for e in rows:
        where = "online" if e["online"] else e["place"]
        click.echo(
            f"{e['id']:>4}  {e['held_on']}  {e['kind']:<11} {e['educators']:>5}  "
            f"{where}{'  ' + e['title'] if e['title'] else ''}"
        )


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
    from .people import retention

    found = retention.candidates(older_than, as_of.date() if as_of else None)
    rows = [
        {
            "id": c.student.id,
            "display_name": c.student.display_name,
            "school": c.student.school.slug if c.student.school else None,
            "last_academic_year": c.last_year,
            "pseudonym": retention.pseudonym(c.student),
        }
        for c in found
    ]
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

"""The layout by domain of issue 16, as a script: moves forum's modules into domain
packages (log, people, schedule, alliance, evidence; the board and the seal into room)
and rewrites every import of them, in forum/, tests/, benchmarks/, README and config.

Tried on main at 95f2c4a: lint clean after `ruff check --fix --select I,F401` and
`ruff format`, the whole suite passing. Kept as a script rather than run because
helpers were building on the old paths; run it once, when nobody else is, then:

    python scripts/relayout.py
    .venv/bin/ruff check --fix --select I,F401 forum tests benchmarks wsgi.py
    .venv/bin/ruff format forum tests benchmarks wsgi.py
    python scripts/relayout.py --importlinter   # the domain layer and ancestors
    make lint && make test

then write the README's Layout table anew and delete this script in the same commit.
Idempotent: a module already moved is left alone, and so are imports of new paths.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

MOVES = {
    "forum.events": "forum.log.events",
    "forum.eventlog": "forum.log.eventlog",
    "forum.board": "forum.room.board",
    "forum.accounts": "forum.people.accounts",
    "forum.access": "forum.people.access",
    "forum.roster": "forum.people.roster",
    "forum.throttle": "forum.people.throttle",
    "forum.consent": "forum.people.consent",
    "forum.pseudonyms": "forum.people.pseudonyms",
    "forum.retention": "forum.people.retention",
    "forum.administration": "forum.people.administration",
    "forum.sessions": "forum.schedule.sessions",
    "forum.calendar": "forum.schedule.calendar",
    "forum.needs": "forum.schedule.needs",
    "forum.mous": "forum.alliance.mous",
    "forum.training": "forum.alliance.training",
    "forum.words": "forum.room.words",
    "forum.showcases": "forum.exchanges.showcases",
    "forum.seal": "forum.room.seal",
    "forum.review": "forum.evidence.review",
    "forum.transcript": "forum.evidence.transcript",
}
PACKAGE_DOCS = {
    "forum.log": "The session's one event log: its catalogue of event types and its store.",
    "forum.people": (
        "Who is who: accounts and sign-in, who may see and do what, class rosters,\n"
        "throttles, consent to publication, pseudonyms and retention."
    ),
    "forum.schedule": "Sessions, their calendar, and what waits for each person on home.",
    "forum.alliance": "The Alliance's own records beside the exchanges: MOUs and training.",
    "forum.evidence": (
        "The sealed record as evidence: the transcript export and its check, and what\n"
        "reviewers read of it (the record view, their verdicts, the year's report)."
    ),
}

ROOT = Path(".")


def module_file(mod: str) -> Path | None:
    p = ROOT / (mod.replace(".", "/") + ".py")
    if p.exists():
        return p
    p = ROOT / mod.replace(".", "/") / "__init__.py"
    return p if p.exists() else None


def new_name(mod: str) -> str:
    """The module's name after the move (also for names inside a moved module)."""
    for old, new in MOVES.items():
        if mod == old or mod.startswith(old + "."):
            return new + mod[len(old) :]
    return mod


def file_module(path: Path) -> tuple[str, bool]:
    """(module name, is a package __init__) of a file."""
    parts = list(path.with_suffix("").parts)
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


IMPORT_FROM = re.compile(
    r"^(?P<indent>[ \t]*)from[ \t]+(?P<dots>\.*)(?P<base>[\w.]*)[ \t]+import[ \t]+"
    r"(?P<names>\([^)]*\)|[^\n]*?(?:\\\n[^\n]*?)*)(?P<comment>[ \t]*#[^\n]*)?$",
    re.M,
)


def parse_names(text: str) -> list[tuple[str, str | None]]:
    text = text.strip()
    if text.startswith("("):
        text = text[1:-1]
    text = re.sub(r"#[^\n]*", "", text).replace("\\\n", " ")
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        bits = part.split()
        out.append((bits[0], bits[2] if len(bits) == 3 and bits[1] == "as" else None))
    return out


def render(indent: str, base: str, names: list[tuple[str, str | None]], comment: str) -> str:
    items = ", ".join(f"{n} as {a}" if a else n for n, a in names)
    return f"{indent}from {base} import {items}{comment or ''}"


def relative(from_pkg: str, target: str) -> str:
    a, b = from_pkg.split("."), target.split(".")
    common = 0
    while common < min(len(a), len(b)) and a[common] == b[common]:
        common += 1
    dots = "." * (len(a) - common + 1)
    return dots + ".".join(b[common:])


def rewrite_file(path: Path, old_mod: str, new_mod: str, is_pkg: bool) -> bool:
    src = path.read_text()
    old_pkg = old_mod if is_pkg else old_mod.rpartition(".")[0]
    new_pkg = new_mod if is_pkg else new_mod.rpartition(".")[0]
    moved = old_mod != new_mod

    def fix(m: re.Match[str]) -> str:
        dots, base = m["dots"], m["base"]
        if dots:
            anchor = old_pkg.split(".")
            if len(dots) > 1:
                anchor = anchor[: len(anchor) - (len(dots) - 1)]
            absolute = ".".join(anchor + ([base] if base else []))
        else:
            absolute = base
        if not (absolute == "forum" or absolute.startswith("forum.")):
            return m.group(0)
        names = parse_names(m["names"])
        groups: dict[str, list[tuple[str, str | None]]] = {}
        base_new = new_name(absolute)
        for name, alias in names:
            full = new_name(f"{absolute}.{name}")
            if full == f"{base_new}.{name}":
                groups.setdefault(base_new, []).append((name, alias))
            else:
                parent, _, leaf = full.rpartition(".")
                groups.setdefault(parent, []).append((leaf, alias))
        if not moved and list(groups) == [absolute]:
            return m.group(0)  # nothing of it moved
        lines = []
        for target, items in groups.items():
            rendered = relative(new_pkg, target) if dots and path.parts[0] == "forum" else target
            lines.append(render(m["indent"], rendered, items, ""))
        if m["comment"]:
            if "noqa" in m["comment"]:  # it holds for each of the lines
                lines = [line + m["comment"] for line in lines]
            else:
                lines[-1] += m["comment"]
        return "\n".join(lines)

    out = IMPORT_FROM.sub(fix, src)
    # Dotted names anywhere else: `import forum.x`, strings, docstrings, loggers.
    for old, new in sorted(MOVES.items(), key=lambda kv: -len(kv[0])):
        out = re.sub(rf"(?<![\w.]){re.escape(old)}(?![\w])", new, out)
        # ``forum/x.py`` in comments and docs
        out = re.sub(
            rf"(?<![\w/]){re.escape(old.replace('.', '/'))}\.py\b",
            new.replace(".", "/") + ".py",
            out,
        )
    if out != src:
        path.write_text(out)
        return True
    return False


def main() -> None:
    files = [
        p
        for top in ("forum", "tests", "benchmarks")
        for p in (ROOT / top).rglob("*.py")
        if ".venv" not in p.parts and "node_modules" not in p.parts
    ] + [ROOT / "wsgi.py"]
    plan = []
    for p in files:
        mod, is_pkg = file_module(p)
        plan.append((p, mod, new_name(mod), is_pkg))
    for p, old, new, is_pkg in plan:
        rewrite_file(p, old, new, is_pkg)
    for p, old, new, _is_pkg in plan:
        if old == new:
            continue
        target = Path(new.replace(".", "/") + ".py")
        target.parent.mkdir(parents=True, exist_ok=True)
        init = target.parent / "__init__.py"
        if not init.exists():
            pkg = ".".join(target.parent.parts)
            init.write_text(f'"""{PACKAGE_DOCS.get(pkg, pkg)}"""\n')
            subprocess.run(["git", "add", str(init)], check=True)
        subprocess.run(["git", "mv", str(p), str(target)], check=True)
    # Markdown, config and scripts: paths and dotted names.
    for p in [ROOT / "README.md", ROOT / "pyproject.toml", ROOT / "Makefile"] + list(
        (ROOT / ".ci").glob("*")
    ):
        if not p.is_file():
            continue
        src = p.read_text()
        out = src
        for old, new in sorted(MOVES.items(), key=lambda kv: -len(kv[0])):
            out = re.sub(rf"(?<![\w.]){re.escape(old)}(?![\w])", new, out)
            out = re.sub(
                rf"(?<![\w/]){re.escape(old.replace('.', '/'))}\.py\b",
                new.replace(".", "/") + ".py",
                out,
            )
        if out != src:
            p.write_text(out)


def importlinter() -> None:
    """Rewrite [tool.importlinter]'s domain layer and acyclic ancestors from the tree."""

    forum = Path("forum")
    fixed = {"web", "views", "cli", "live", "models", "extensions", "__init__", "__pycache__"}
    names = sorted(
        {p.stem for p in forum.glob("*.py")}
        | {p.name for p in forum.iterdir() if (p / "__init__.py").exists()}
    )
    domain = [n for n in names if n not in fixed]
    # Wrap " : "-joined names at ~88 columns, as written by hand.
    lines, line = [], ""
    for n in domain:
        piece = n if not line else f" : {n}"
        if len(line) + len(piece) > 84:
            lines.append(line)
            line = f": {n}"
        else:
            line += piece
    lines.append(line)
    layer = '    """' + "\n    ".join(lines) + '""",'
    packages = sorted(
        ".".join(p.parent.parts) for p in forum.rglob("__init__.py") if "__pycache__" not in p.parts
    )
    anc = "ancestors = [\n" + "".join(f'    "{p}",\n' for p in packages) + "]"
    s = Path("pyproject.toml").read_text()
    s = re.sub(r'    """[a-z0-9_ :\n]+""",', layer, s, count=1)
    s = re.sub(r"ancestors = \[[^\]]*\]", anc, s, count=1)
    Path("pyproject.toml").write_text(s)


if __name__ == "__main__":
    if "--importlinter" in sys.argv:
        importlinter()
    else:
        main()

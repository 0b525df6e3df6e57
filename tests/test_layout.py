"""The README's Layout table is the map a newcomer walks by: it must match the tree.

Every path in its first column exists, and every module of ``forum/`` is named in it,
either by its path or, in a package's row, by its name in backquotes.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _layout_rows() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0] not in ("path", "---"):
            rows.append((cells[0], cells[1]))
    return rows


def _paths(cell: str) -> list[Path]:
    """The paths a first cell names: ``forum/a.py``, then ``b.py`` beside it."""
    paths: list[Path] = []
    base = Path(".")
    for name in re.findall(r"`([^`]+)`", cell):
        if "/" in name.rstrip("/"):
            path = Path(name.rstrip("/"))
            base = path.parent
        else:
            path = base / name.rstrip("/")
        paths.append(path)
    return paths


def test_every_path_in_the_layout_table_exists() -> None:
    rows = _layout_rows()
    assert rows, "README has no Layout table"
    missing = [str(p) for cell, _ in rows for p in _paths(cell) if not (ROOT / p).exists()]
    assert not missing, f"README's Layout names what is not in the tree: {missing}"


def test_every_module_of_forum_is_in_the_layout_table() -> None:
    rows = _layout_rows()
    named_paths = {p for cell, _ in rows for p in _paths(cell)}
    unnamed = []
    for module in sorted((ROOT / "forum").rglob("*.py")):
        rel = module.relative_to(ROOT)
        if rel.name == "__init__.py" and rel.parent != Path("forum"):
            continue  # a package is named by its folder
        if rel in named_paths:
            continue
        package = rel.parent
        in_row = any(
            package in named_paths and f"`{rel.stem}`" in what
            for cell, what in rows
            if package in set(_paths(cell))
        )
        if not in_row:
            unnamed.append(str(rel))
    assert not unnamed, f"modules the README's Layout does not name: {unnamed}"

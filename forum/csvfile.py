"""Every CSV file the platform writes goes through here (transcripts, the report).

A spreadsheet program runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and,
in some, a tab or carriage return) as a formula, so a student's name or message could
make a teacher's spreadsheet fetch a web address or worse. As OWASP recommends, such a
cell gets a leading apostrophe, which spreadsheets show as text. Only the CSV: the
JSON export and the sealed record keep the exact text.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """A cell as written: text that a spreadsheet would run, with a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class Writer:
    """``csv.writer`` whose every text cell goes through ``cell``."""

    def __init__(self, stream: Any, **options: Any) -> None:
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(stream: Any, **options: Any) -> Writer:
    """The platform's CSV writer (options as ``csv.writer`` takes them)."""
    return Writer(stream, **options)

"""The room page's folds agree with the event catalogue (issue 16).

The browser applies an event by running what its modules registered for its type
(``folds.on("type", fn)`` in ``static/js``, see ``folds.js``). Read from the scripts
themselves, no browser needed: every type a reader can receive is folded by the page
or declared in the page's list of types it does not show (``folds.unshown(...)``), and
no fold or declaration names a type the catalogue lacks.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from forum.log import events

JS = Path(__file__).resolve().parent.parent / "static" / "js"

CALL = re.compile(r"\bfolds\.(on|unshown)\(([^)]*)\)")
STRING = re.compile(r'"([^"\\]*)"')
COMMENT = ("//", "/*", "*")


def _code(path: Path) -> str:
    """A script without its comment lines (folds.js shows ``folds.on`` in one)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.lstrip().startswith(COMMENT))


def _registrations() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(type -> modules folding it, type -> modules declaring it unshown)."""
    folded: dict[str, list[str]] = {}
    unshown: dict[str, list[str]] = {}
    for path in sorted(JS.glob("*.js")):
        source = _code(path)
        for kind, args in CALL.findall(source):
            if kind == "on":
                # One type a call, written out: what this test reads is what runs.
                first = args.split(",", 1)[0].strip()
                assert STRING.fullmatch(first), f"{path.name}: folds.on({args.strip()}…)"
                folded.setdefault(STRING.fullmatch(first)[1], []).append(path.name)
            else:
                names = [a.strip() for a in args.split(",") if a.strip()]
                assert names and all(STRING.fullmatch(n) for n in names), (
                    f"{path.name}: folds.unshown({args.strip()})"
                )
                for name in names:
                    unshown.setdefault(STRING.fullmatch(name)[1], []).append(path.name)
    return folded, unshown


def _receivable() -> set[str]:
    """Every type some reader is told: a moderator, its author or anyone in the room."""
    return {
        name
        for name in events.CATALOGUE
        for moderator, author in itertools.product((True, False), repeat=2)
        if events.may_receive(name, moderator=moderator, author=author)
    }


def test_the_scripts_register_folds():
    folded, unshown = _registrations()
    assert len(folded) > 20, "few folds.on(...) found: did the scripts move?"
    assert unshown, "no folds.unshown(...) found: did the scripts move?"


def test_every_type_a_reader_receives_is_folded_or_declared_unshown():
    folded, unshown = _registrations()
    missing = sorted(_receivable() - folded.keys() - unshown.keys())
    assert missing == [], f"no fold in static/js and not declared unshown: {missing}"


def test_no_fold_names_a_type_the_catalogue_lacks():
    folded, unshown = _registrations()
    assert sorted(folded.keys() - events.CATALOGUE.keys()) == []
    assert sorted(unshown.keys() - events.CATALOGUE.keys()) == []


def test_a_type_is_folded_or_unshown_never_both():
    folded, unshown = _registrations()
    assert sorted(folded.keys() & unshown.keys()) == []


def test_every_module_that_folds_is_loaded_by_the_room():
    folded, unshown = _registrations()
    room = (JS / "room.js").read_text(encoding="utf-8")
    modules = {m for ms in [*folded.values(), *unshown.values()] for m in ms}
    assert sorted(m for m in modules if m != "room.js" and f'from "./{m}"' not in room) == []


def test_no_module_routes_events_by_hand():
    """The registry is the one place a type meets its folds: no switch on the type, no
    routing by its prefix."""
    for path in JS.glob("*.js"):
        source = _code(path)
        assert "switch (event.type)" not in source, path.name
        assert "event.type.startsWith(" not in source, path.name

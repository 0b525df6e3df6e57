"""A step before an action that cannot be undone, shared by the pages that have one."""

from __future__ import annotations

from flask import render_template, request


def confirmed(*, title: str, consequences: list[str], yes: str, no: str, back: str):
    """A step before an action that cannot be undone: None once the person confirmed
    (the form carries ``confirmed=yes``), else the page that says what will happen,
    with the button that does it and a way back that is focused first."""
    if request.form.get("confirmed") == "yes":
        return None
    return render_template(
        "confirm.html",
        title=title,
        consequences=consequences,
        yes=yes,
        no=no,
        back=back,
        action=request.path,
    )

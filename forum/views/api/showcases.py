"""Showcase sessions and their audience classes (README, "Showcase sessions")."""

from __future__ import annotations

from collections.abc import Callable

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from ...errors import ValidationError
from ...exchanges import showcases
from .base import body, bp, created


@bp.get("/showcases")
def list_showcases():
    """The showcases I may see; ``?upcoming=1``: only those that have not ended."""
    rows = (
        showcases.upcoming(current_user)
        if request.args.get("upcoming") in ("1", "true")
        else showcases.listed(current_user)
    )
    return jsonify({"showcases": [showcases.serialize(s, current_user) for s in rows]})


@bp.post("/showcases")
def schedule_showcase():
    """The Alliance schedules a showcase → 201 with it."""
    showcase = showcases.schedule(current_user, body())
    return created(showcases.serialize(showcase, current_user), f"/api/v1/showcases/{showcase.id}")


@bp.get("/showcases/<int:showcase_id>")
def get_showcase(showcase_id: int):
    showcase = showcases.get_for(current_user, showcase_id)
    return jsonify(showcases.serialize(showcase, current_user))


def _audience(showcase_id: int, action: Callable):
    """Sign a class up (``{"class_id"}``) or withdraw it."""
    showcase = showcases.get_for(current_user, showcase_id)
    data = body()
    if "class_id" not in data:
        raise ValidationError({"class_id": _("Choose a class.")})
    return jsonify(
        showcases.serialize(action(current_user, showcase, data["class_id"]), current_user)
    )


@bp.post("/showcases/<int:showcase_id>/audience")
def sign_up_for_showcase(showcase_id: int):
    return _audience(showcase_id, showcases.sign_up)


@bp.delete("/showcases/<int:showcase_id>/audience")
def withdraw_from_showcase(showcase_id: int):
    return _audience(showcase_id, showcases.withdraw)

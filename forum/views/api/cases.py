"""Cases for the public gallery: drafting, editing, submitting, publishing, sending
back (protocol.md, "Case gallery (public)")."""

from __future__ import annotations

from collections.abc import Callable

from flask import jsonify
from flask_login import current_user

from ... import cases
from .base import body, bp, created, optional_body


@bp.post("/cases")
def draft_case():
    """A teacher of a completed exchange drafts a case → 201 with it, status draft."""
    case = cases.create(current_user, body())
    return created(cases.serialize(case), f"/api/v1/cases/{case.id}")


@bp.get("/cases/<int:case_id>")
def get_case(case_id: int):
    """A case, for its exchange's teachers and the Alliance (any published one too)."""
    return jsonify(cases.serialize(cases.get_for(current_user, case_id)))


@bp.patch("/cases/<int:case_id>")
def edit_case(case_id: int):
    """Its teacher changes a draft or a case sent back: any of the fields of the draft
    but ``exchange_id``."""
    case = cases.get_for(current_user, case_id)
    return jsonify(cases.serialize(cases.edit(current_user, case, body())))


def _step(case_id: int, action: Callable):
    case = cases.get_for(current_user, case_id)
    return jsonify(cases.serialize(action(current_user, case, optional_body())))


@bp.post("/cases/<int:case_id>/submit")
def submit_case(case_id: int):
    return _step(case_id, cases.submit)


@bp.post("/cases/<int:case_id>/publish")
def publish_case(case_id: int):
    return _step(case_id, cases.publish)


@bp.post("/cases/<int:case_id>/reject")
def reject_case(case_id: int):
    """Send it back to its teachers with ``{"comment"?}``."""
    return _step(case_id, cases.reject)

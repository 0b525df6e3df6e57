"""The Alliance's records: MOUs and educator training (admins write, reviewers read)."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user

from ...alliance import mous, training
from .base import body, bp, created, year_arg


@bp.get("/mous")
def list_mous():
    """MOUs, newest academic year first; ``?year=`` narrows."""
    mous.require_reader(current_user)
    return jsonify({"mous": [mous.serialize(m) for m in mous.listed(year_arg())]})


@bp.post("/mous")
def record_mou():
    """An admin records an MOU → 201 with it."""
    mou = mous.record(current_user, body())
    return created(mous.serialize(mou), f"/api/v1/mous/{mou.id}")


@bp.get("/mous/<int:mou_id>")
def get_mou(mou_id: int):
    return jsonify(mous.serialize(mous.get(current_user, mou_id)))


@bp.patch("/mous/<int:mou_id>")
def update_mou(mou_id: int):
    """An admin changes any of an MOU's fields."""
    mou = mous.get(current_user, mou_id)
    return jsonify(mous.serialize(mous.update(current_user, mou, body())))


@bp.delete("/mous/<int:mou_id>")
def delete_mou(mou_id: int):
    mous.delete(current_user, mous.get(current_user, mou_id))
    return "", 204


@bp.get("/training-events")
def list_training_events():
    """Training events, latest first (without their participants); ``?year=`` narrows."""
    training.require_reader(current_user)
    events = training.listed(year_arg())
    return jsonify({"training_events": [training.serialize(e, participants=False) for e in events]})


@bp.post("/training-events")
def record_training_event():
    """An admin records a training event, with ``participants`` ([{"name", "school"}]) or
    a ``head_count`` → 201 with it."""
    event = training.record(current_user, body())
    return created(training.serialize(event), f"/api/v1/training-events/{event.id}")


@bp.get("/training-events/<int:event_id>")
def get_training_event(event_id: int):
    return jsonify(training.serialize(training.get(current_user, event_id)))


@bp.patch("/training-events/<int:event_id>")
def update_training_event(event_id: int):
    """An admin changes an event; ``participants`` or ``head_count`` replace the old ones."""
    event = training.get(current_user, event_id)
    return jsonify(training.serialize(training.update(current_user, event, body())))


@bp.delete("/training-events/<int:event_id>")
def delete_training_event(event_id: int):
    training.delete(current_user, training.get(current_user, event_id))
    return "", 204

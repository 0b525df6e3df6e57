"""Socket.IO handlers for ``/live``: thin, each one checks who is asking."""

from __future__ import annotations

from flask import g, request
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room

from .. import accounts
from ..extensions import db, socketio
from . import NAMESPACE, login_room


def _user_for_connect(auth: object):
    """The connecting user: the sign-in cookie, else ``auth: {"token": ...}``."""
    if current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    if isinstance(auth, dict) and isinstance(auth.get("token"), str):
        return accounts.user_for_token(auth["token"])
    return None


@socketio.on("connect", namespace=NAMESPACE)
def on_connect(auth=None):
    try:
        user = _user_for_connect(auth)
    finally:
        db.session.remove()
    if user is None:
        raise ConnectionRefusedError({"code": "unauthorized"})
    g.live_user_id = user.id
    if user.current_sid:
        join_room(login_room(user.id, user.current_sid))
    request.environ["forum.user_id"] = user.id

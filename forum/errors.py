"""The one error type that actions raise, and how it is shown; what people are told
when the database is out of reach (``sql.unreachable`` decides that)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

# What a person is told when the database (or, live, the queue) cannot be reached:
# the ack of a live event that was not stored (code ``unavailable``) ...
UNAVAILABLE_LIVE = _l("The server could not store this just now. Please try again in a moment.")
# ... and a page or API call that could not be answered (503).
UNAVAILABLE_PAGE = _l(
    "The forum cannot reach its records just now, so nothing could be "
    "shown or saved. Please try again in a moment."
)
# Seconds after which trying again is worth it (Retry-After, ``retry_after``).
UNAVAILABLE_RETRY_AFTER = 5


class ActionError(Exception):
    """A refused action: a protocol error code, a translated message, an HTTP status.

    ``fields`` names the offending input fields (field -> message) for 422s.
    """

    status_by_code = {
        "invalid": 422,
        "too_large": 422,
        "unauthorized": 401,
        "forbidden": 403,
        "not_member": 403,
        "removed": 403,
        "not_found": 404,
        "conflict": 409,
        "not_approved": 409,
        "closed": 409,
        "locked": 409,
        "muted": 403,
        "slow_mode": 429,
        "rate_limited": 429,
        "bad_request": 400,
    }

    def __init__(
        self,
        code: str,
        message: str,
        *,
        fields: dict[str, str] | None = None,
        status: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = str(message)
        self.fields = {k: str(v) for k, v in (fields or {}).items()}
        self.status = status or self.status_by_code.get(code, 400)
        self.extra = extra or {}

    def to_json(self) -> dict[str, Any]:
        """The protocol's error body."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        body.update(self.extra)
        return {"error": body}


class ValidationError(ActionError):
    """Input that fails validation; always names its fields."""

    def __init__(self, fields: dict[str, str], message: str | None = None) -> None:
        from flask_babel import gettext as _

        super().__init__(
            "invalid", message or _("Please correct the highlighted fields."), fields=fields
        )

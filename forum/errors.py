"""The one error type that actions raise, and how it is shown; what counts as the
database being out of reach, and what people are told then."""

from __future__ import annotations

import sqlite3
from typing import Any

from flask_babel import lazy_gettext as _l

# What a person is told when the database (or, live, the queue) cannot be reached:
# the ack of a live event that was not stored (code ``unavailable``) ...
UNAVAILABLE_LIVE = _l("The server could not store this just now. Please try again in a moment.")
# ... and a page or API call that could not be answered (503).
UNAVAILABLE_PAGE = _l("The forum cannot reach its records just now, so nothing could be "
                      "shown or saved. Please try again in a moment.")
# Seconds after which trying again is worth it (Retry-After, ``retry_after``).
UNAVAILABLE_RETRY_AFTER = 10


def database_unavailable(exc: BaseException | None) -> bool:
    """Is this the database out of reach (down, restarting, unreachable, its pool
    exhausted) rather than a fault of the request or of the code? Errors of a healthy
    database (a broken constraint, bad SQL) are not: those stay 500s."""
    from sqlalchemy import exc as sa_exc

    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError):
        return True
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    # The live path's plain statements run on DB-API connections (``sql``).
    return isinstance(exc, _driver_outages())


def _driver_outages() -> tuple[type[BaseException], ...]:
    try:
        import psycopg2
    except ImportError:  # pragma: no cover - a dependency, but only PostgreSQL needs it
        return (sqlite3.OperationalError,)
    return (sqlite3.OperationalError, psycopg2.OperationalError, psycopg2.InterfaceError)


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

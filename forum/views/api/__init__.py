"""JSON API /api/v1: the same actions as the pages, for outside clients; one module an
area, each adding its views to the one blueprint (``base``, with the authentication).
"""

from __future__ import annotations

# Imported for the views they add to the blueprint.
from . import alliance, cases, exchanges, sessions, showcases  # noqa: F401
from .base import bp

__all__ = ["bp"]

"""``flask --app wsgi forum ...``: one module a subject, each adding its commands to
the one ``forum`` group (``base``)."""

from __future__ import annotations

# Imported for the commands they add to the group.
from . import alliance, demo, evidence, people, words  # noqa: F401
from .base import forum_cli

__all__ = ["forum_cli"]

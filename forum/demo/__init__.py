"""Demo data: three schools, their teachers and classes, two exchanges, sessions; the
Alliance's MOUs and educator training (``seed``); and what ``make run`` adds:
applications on their way, an upcoming showcase, a published case.

Idempotent: running it again finds what is there and adds only what is missing.
Demo passwords are fixed (the README prints them); students' codes are this instance's
own, derived from its secret key, so the same on every run (the printed codes keep
working) but not computable from the source.

The modules: ``data`` (every table: schools, staff, classes, sessions, the scripted
sessions' lines, applications, showcase, case), ``replay`` (a script played through the
room's real actions), ``base`` (``seed``), ``extras`` (applications, showcase) and
``case`` (the published case and the completed exchange it comes from).
"""

from __future__ import annotations

from .base import seed
from .case import seed_case
from .extras import seed_applications, seed_showcase

__all__ = ["seed", "seed_applications", "seed_case", "seed_showcase"]

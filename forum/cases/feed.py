"""The gallery as an Atom 1.0 feed (RFC 4287): absolute links, updated dates, every
text escaped by the XML writer, in the reader's language."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from flask import url_for
from flask_babel import gettext as _

from ..models import Case
from ..timeutil import iso_utc
from .reading import public_view

ATOM = "http://www.w3.org/2005/Atom"


def atom(cases: list[Case], lang: str) -> bytes:
    """The feed of these published cases (newest first), in ``lang`` (BCP 47)."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {"xml:lang": lang})

    def add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        child = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            child.text = text
        return child

    gallery = url_for("cases.gallery", _external=True)
    add(feed, "id", gallery)
    add(feed, "title", _("SDG Forum: cases of class exchanges"))
    add(feed, "link", href=url_for("cases.feed", _external=True), rel="self")
    add(feed, "link", href=gallery, rel="alternate", type="text/html")
    author = add(feed, "author")
    add(author, "name", _("SDG Forum"))
    stamps = [c.published_at or c.updated_at for c in cases]
    add(feed, "updated", iso_utc(max(stamps)) if stamps else "1970-01-01T00:00:00Z")
    for case in cases:
        view = public_view(case)
        entry = add(feed, "entry")
        url = url_for("cases.show", case_id=case.id, _external=True)
        add(entry, "id", url)
        add(entry, "title", view.title)
        add(entry, "link", href=url, rel="alternate", type="text/html")
        add(entry, "updated", iso_utc(case.published_at or case.updated_at))
        if case.published_at:
            add(entry, "published", iso_utc(case.published_at))
        add(entry, "summary", view.summary)
        for number in case.sdgs:
            add(entry, "category", term=f"sdg-{number}", label=f"SDG {number}")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)

"""A page: the unit of work every input becomes (an HTML file, an archive record, a source's
thread), HTML bytes or WET text with what is known about where they came from.

Below every source and extract, which all make or read pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from thresher.archive import ArchiveRecord


@dataclass(slots=True)
class Page:
    """A unit of work: HTML bytes (or WET text) with what is known about where they came from."""

    source: str
    url: str | None
    fetched_at: str | None
    payload: bytes
    kind: str = "html"  # html | text
    charset: str | None = None
    record_id: str | None = None
    status: int | None = None
    content_type: str | None = None
    #: what the archive record says beyond the above (Common Crawl's language, ...)
    metadata: dict[str, Any] = field(default_factory=dict)
    #: document fields a source already knows (``id``, ``title``, ``author``, ``date``):
    #: they win over what extraction would find (Reddit threads)
    fields: dict[str, Any] = field(default_factory=dict)


#: WARC headers kept in a document's metadata: (header, metadata key). Common Crawl's WET
#: records name the languages its detector found (ISO 639-3, most likely first, e.g.
#: ``eng,deu``) and the response record their text was converted from.
RECORD_HEADERS = (
    ("warc-identified-content-language", "cc_language"),
    ("warc-refers-to", "warc_refers_to"),
)


def record_to_page(rec: ArchiveRecord) -> Page:
    """An archive record as a page (WET conversion records carry text, not HTML)."""
    kind = "text" if rec.kind == "conversion" else "html"
    headers = rec.headers
    meta: dict[str, Any] = {key: headers[name] for name, key in RECORD_HEADERS if headers.get(name)}
    if rec.truncated:
        meta["truncated"] = True
    return Page(
        source=rec.source,
        url=rec.url,
        fetched_at=rec.date,
        payload=rec.payload or b"",
        kind=kind,
        charset=rec.charset,
        record_id=rec.record_id,
        status=rec.status,
        content_type=rec.content_type,
        metadata=meta,
    )

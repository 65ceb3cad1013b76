"""One fetched range read as the WARC record its index capture names.

The bytes of a capture are one gzip member holding one response record. Anything else is a
skip with its reason: ``not_warc`` (the range does not start a WARC record, or is cut
short), ``no_response`` (a request or metadata record), ``wrong_url`` (another page's
record), ``too_large``.
"""

from __future__ import annotations

import io

from thresher.archive import MemberStream, read_warc, sniff_format
from thresher.archive.record import ArchiveRecord
from thresher.errors import InputError
from thresher.sources.commoncrawl.index import Capture
from thresher.sources.page import Page, record_to_page


def capture_source(capture: Capture) -> str:
    """``crawl-data/.../x.warc.gz@OFFSET``: where the bytes are, as for local archives."""
    return f"{capture.filename}@{capture.offset}"


def read_capture(data: bytes, capture: Capture, max_record_bytes: int) -> tuple[Page | None, str]:
    """(page, "") for a good record, else (None, skip reason)."""
    types: list[str] = []
    try:
        stream = MemberStream(io.BytesIO(data), capture.filename)
        if sniff_format(stream) != "warc":
            return None, "not_warc"
        records: list[ArchiveRecord] = list(
            read_warc(stream, capture.filename, max_record_bytes=max_record_bytes,
                      seen=types.append)
        )  # fmt: skip
    except InputError:
        return None, "not_warc"
    rec = next((r for r in records if r.kind == "response"), None)
    if rec is None:
        return None, "no_response"
    if rec.error == "too_large":
        return None, "too_large"
    if rec.url != capture.url:
        return None, "wrong_url"
    rec.source = capture_source(capture)
    page = record_to_page(rec)
    if capture.languages:
        page.metadata.setdefault("cc_language", capture.languages)
    return page, ""

"""Reading test WARC files with both warcio and fastwarc."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from fastwarc.warc import ArchiveIterator as FastIterator
from fastwarc.warc import WarcRecordType
from warcio.archiveiterator import ArchiveIterator


def records(out: Path) -> list[dict[str, object]]:
    """Every record of every WARC file in ``out/warc`` (read with warcio, to the end)."""
    found = []
    for path in sorted((out / "warc").glob("*.warc.gz")):
        with open(path, "rb") as fh:
            for rec in ArchiveIterator(fh):
                item: dict[str, object] = {
                    "type": rec.rec_type,
                    "url": rec.rec_headers.get_header("WARC-Target-URI"),
                    "headers": dict(rec.rec_headers.headers),
                }
                if rec.http_headers is not None and rec.rec_type in ("response", "revisit"):
                    item["status"] = int(rec.http_headers.get_statuscode())
                    item["http"] = dict(rec.http_headers.headers)
                item["body"] = rec.content_stream().read()
                found.append(item)
    return found


def fast_counts(out: Path) -> Counter[str]:
    """Record types counted by fastwarc, with every digest verified."""
    c: Counter[str] = Counter()
    for path in sorted((out / "warc").glob("*.warc.gz")):
        with open(path, "rb") as fh:
            for rec in FastIterator(fh, parse_http=False):
                assert rec.verify_block_digest(consume=False), path
                c[str(rec.record_type).rsplit(".", 1)[-1]] += 1
                if rec.record_type == WarcRecordType.response:
                    pass
    return c


def ok_responses(out: Path) -> Counter[str]:
    """How often each URL was archived as a 200 response."""
    return Counter(
        str(r["url"]) for r in records(out) if r["type"] == "response" and r.get("status") == 200
    )

"""A streaming WARC / WET reader (WARC 0.18-1.1, plain, gzip or lz4 per record or per file)."""

from __future__ import annotations

from collections.abc import Iterator

from thresher.archive.compression import CorruptInput, MemberStream, TruncatedInput
from thresher.archive.record import (
    ArchiveRecord,
    RecordSeen,
    iso_date,
    parse_header_block,
    split_content_type,
    split_http,
)

#: Record types whose block is read; the blocks of all others are skipped unread.
CONTENT_TYPES = frozenset({"response", "resource", "conversion"})


def read_warc(
    stream: MemberStream,
    name: str,
    *,
    max_record_bytes: int = 32 << 20,
    types: frozenset[str] = CONTENT_TYPES,
    seen: RecordSeen | None = None,
) -> Iterator[ArchiveRecord]:
    """Yield the records of a WARC stream whose type is in ``types`` (``seen`` hears of
    every record); raise TruncatedInput/CorruptInput at damage."""
    while True:
        offset = stream.member_start()
        line = stream.readline()
        if not line:
            return
        if not line.strip():
            continue
        if not line.startswith(b"WARC/"):
            raise CorruptInput(f"{name}@{offset}: expected a WARC record header")
        lines: list[bytes] = []
        while True:
            hl = stream.readline()
            if not hl:
                raise TruncatedInput(f"{name}@{offset}: file ends inside a WARC header")
            if not hl.strip():
                break
            lines.append(hl)
        headers = parse_header_block(lines)
        try:
            length = int(headers.get("content-length", ""))
        except ValueError:
            raise CorruptInput(f"{name}@{offset}: WARC record without Content-Length") from None
        kind = headers.get("warc-type", "").lower()
        if seen is not None:
            seen(kind or "untyped")
        rec = ArchiveRecord(
            kind=kind,
            source=f"{name}@{offset}",
            url=(headers.get("warc-target-uri") or "").strip("<>") or None,
            date=iso_date(headers.get("warc-date")),
            record_id=headers.get("warc-record-id"),
            headers=headers,
        )
        if kind not in types or length > max_record_bytes:
            if stream.skip(length) < length:
                raise TruncatedInput(f"{name}@{offset}: file ends inside a WARC record")
            if kind in types:
                rec.error = "too_large"
                yield rec
            continue
        block = stream.read(length)
        if len(block) < length:
            raise TruncatedInput(f"{name}@{offset}: file ends inside a WARC record")
        content_type = headers.get("content-type", "").lower()
        if kind in ("response", "revisit") and content_type.startswith("application/http"):
            split_http(block, rec)
        else:
            rec.payload = block
            rec.content_type, rec.charset = split_content_type(headers.get("content-type"))
            rec.status = 200 if kind in ("resource", "conversion") else None
        yield rec

"""A streaming WARC / WET reader (WARC 0.18-1.1, plain, gzip or lz4 per record or per file)."""

from __future__ import annotations

from collections.abc import Iterator

from thresher.archive.compression import CorruptInput, MemberStream, TruncatedInput
from thresher.archive.record import (
    MAX_PAYLOAD_BYTES,
    ArchiveRecord,
    RecordSeen,
    header_block_too_big,
    iso_date,
    parse_header_block,
    split_content_type,
    split_http,
)

#: Record types whose block is read; the blocks of all others are skipped unread.
CONTENT_TYPES = frozenset({"response", "resource", "conversion"})


#: header names still taken from a block past the limits: what skipping its record needs
_SKIP_NAMES = frozenset({b"content-length", b"warc-type"})


def read_header_block(stream: MemberStream, where: str) -> tuple[list[bytes], bool]:
    """The lines of one WARC header block and whether it was past the limits
    (``MAX_HEADER_LINES`` / ``MAX_HEADER_BYTES``). Past them, lines are read on in linear
    time to the blank line and dropped, but for the first ``Content-Length`` and
    ``WARC-Type``, so that the record can be skipped as malformed and the next one read."""
    lines: list[bytes] = []
    size = 0
    have: set[bytes] | None = None  # names kept, once past the limits
    while True:
        hl = stream.readline()
        if not hl:
            raise TruncatedInput(f"{where}: file ends inside a WARC header")
        if not hl.strip():
            return lines, have is not None
        size += len(hl)
        if have is None:
            lines.append(hl)
            if header_block_too_big(len(lines), size):
                have = {h.split(b":", 1)[0].strip().lower() for h in lines}
            continue
        name = hl.split(b":", 1)[0].strip().lower()
        if name in _SKIP_NAMES and name not in have:
            lines.append(hl)
            have.add(name)


def read_warc(
    stream: MemberStream,
    name: str,
    *,
    max_record_bytes: int = 32 << 20,
    max_payload_bytes: int = MAX_PAYLOAD_BYTES,
    types: frozenset[str] = CONTENT_TYPES,
    seen: RecordSeen | None = None,
) -> Iterator[ArchiveRecord]:
    """Yield the records of a WARC stream whose type is in ``types`` (``seen`` hears of
    every record); raise TruncatedInput/CorruptInput at damage. Records that cannot be read
    come with ``error`` set (``too_large``, ``malformed``); a record cut short by the end of
    the input comes with what arrived and ``truncated`` set, then TruncatedInput is raised."""
    while True:
        offset = stream.member_start()
        line = stream.readline()
        if not line:
            return
        if not line.strip():
            continue
        if not line.startswith(b"WARC/"):
            raise CorruptInput(f"{name}@{offset}: expected a WARC record header")
        lines, malformed = read_header_block(stream, f"{name}@{offset}")
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
        if malformed or kind not in types or length > max_record_bytes:
            if stream.skip(length) < length:
                raise TruncatedInput(f"{name}@{offset}: file ends inside a WARC record")
            if malformed or kind in types:
                rec.error = "malformed" if malformed else "too_large"
                yield rec
            continue
        block, complete = stream.read_salvaged(length)
        rec.truncated = not complete
        content_type = headers.get("content-type", "").lower()
        if kind in ("response", "revisit") and content_type.startswith("application/http"):
            split_http(block, rec, max_payload_bytes)
        else:
            rec.payload = block
            rec.content_type, rec.charset = split_content_type(headers.get("content-type"))
            rec.status = 200 if kind in ("resource", "conversion") else None
        yield rec
        if not complete:  # what arrived is out; the file still counts as damaged
            raise TruncatedInput(f"{name}@{offset}: file ends inside a WARC record (kept)")

"""A streaming reader for the older ARC format (v1 and v2 header lines, plain or gzip)."""

from __future__ import annotations

from collections.abc import Iterator

from thresher.archive.compression import CorruptInput, MemberStream, TruncatedInput
from thresher.archive.record import (
    MAX_PAYLOAD_BYTES,
    ArchiveRecord,
    RecordSeen,
    iso_date,
    split_content_type,
    split_http,
)


def read_arc(
    stream: MemberStream,
    name: str,
    *,
    max_record_bytes: int = 32 << 20,
    max_payload_bytes: int = MAX_PAYLOAD_BYTES,
    seen: RecordSeen | None = None,
) -> Iterator[ArchiveRecord]:
    """Yield the capture records of an ARC stream (the ``filedesc://`` header is skipped;
    ``seen`` hears of it as ``filedesc`` and of every capture as ``response``). A record cut
    short by the end of the input comes with what arrived and ``truncated`` set, then
    TruncatedInput is raised."""
    while True:
        offset = stream.member_start()
        line = stream.readline()
        if not line:
            return
        if not line.strip():
            continue
        fields = line.decode("utf-8", "replace").split()
        if len(fields) < 5 or not fields[-1].isdigit():
            raise CorruptInput(f"{name}@{offset}: expected an ARC record header line")
        length = int(fields[-1])
        url = fields[0]
        if seen is not None:
            seen("filedesc" if url.startswith("filedesc://") else "response")
        if url.startswith("filedesc://") or length > max_record_bytes:
            if stream.skip(length) < length:
                raise TruncatedInput(f"{name}@{offset}: file ends inside an ARC record")
            if not url.startswith("filedesc://"):
                yield ArchiveRecord(
                    kind="response", source=f"{name}@{offset}", url=url, error="too_large"
                )
            continue
        block, complete = stream.read_salvaged(length)
        rec = ArchiveRecord(
            kind="response", source=f"{name}@{offset}", url=url, date=iso_date(fields[2]),
            truncated=not complete,
        )  # fmt: skip
        if block.startswith(b"HTTP/"):
            split_http(block, rec, max_payload_bytes)
        else:
            rec.payload = block
            rec.status = 200
            rec.content_type, rec.charset = split_content_type(fields[3])
        yield rec
        if not complete:  # what arrived is out; the file still counts as damaged
            raise TruncatedInput(f"{name}@{offset}: file ends inside an ARC record (kept)")

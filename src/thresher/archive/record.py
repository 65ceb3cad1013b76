"""The archive record: one capture read from a WARC, WET or ARC file, with its HTTP parts split."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

#: Called with the type of every record read (``response``, ``request``, ``warcinfo``, ...),
#: the skipped ones too, so a reader's caller can account for the whole file.
RecordSeen = Callable[[str], None]


@dataclass(slots=True)
class ArchiveRecord:
    """One record. ``payload`` is the body after HTTP headers (de-chunked, content-decoded)."""

    kind: str
    source: str
    url: str | None = None
    date: str | None = None
    record_id: str | None = None
    status: int | None = None
    content_type: str | None = None
    charset: str | None = None
    payload: bytes | None = None
    http_headers: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None


def parse_header_block(lines: list[bytes]) -> dict[str, str]:
    """``Name: value`` lines (with continuation lines) into a dict with lower-cased names."""
    out: dict[str, str] = {}
    last = ""
    for raw in lines:
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if not line:
            continue
        if line[0] in " \t" and last:
            out[last] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        if not sep:
            continue
        last = name.strip().lower()
        value = value.strip()
        out[last] = f"{out[last]}, {value}" if last in out else value
    return out


def split_content_type(value: str | None) -> tuple[str | None, str | None]:
    """``text/html; charset=UTF-8`` → (``text/html``, ``utf-8``)."""
    if not value:
        return None, None
    parts = value.split(";")
    media = parts[0].strip().lower() or None
    charset = None
    for p in parts[1:]:
        k, _, v = p.partition("=")
        if k.strip().lower() == "charset":
            charset = v.strip().strip("\"'").lower() or None
    return media, charset


def iso_date(value: str | None) -> str | None:
    """A WARC date (ISO 8601) or ARC date (``yyyymmddhhmmss``) as ISO 8601 UTC ``...Z``."""
    if not value:
        return None
    v = value.strip()
    try:
        if v.isdigit() and len(v) >= 8:
            v = (v + "000000")[:14]
            dt = datetime.strptime(v, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        else:
            dt = datetime.fromisoformat(v.replace("Z", "+00:00"))
            dt = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    except ValueError:
        return None
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def http_date(value: str | None) -> str | None:
    """An HTTP ``Date`` header (``Wed, 01 May 2024 12:00:00 GMT``) as ISO 8601 UTC."""
    if not value:
        return None
    try:
        dt = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    dt = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _dechunk(body: bytes) -> bytes:
    out = bytearray()
    pos = 0
    while True:
        nl = body.find(b"\n", pos)
        if nl < 0:
            raise ValueError("no chunk size")
        size = int(body[pos:nl].split(b";")[0].strip() or b"x", 16)
        if size == 0:
            return bytes(out)
        start = nl + 1
        if start + size > len(body):
            raise ValueError("chunk past end")
        out += body[start : start + size]
        pos = start + size
        while body[pos : pos + 1] in (b"\r", b"\n"):
            pos += 1


def _decode_content(body: bytes, encoding: str) -> bytes:
    enc = encoding.strip().lower()
    if enc in ("gzip", "x-gzip"):
        return zlib.decompressobj(wbits=47).decompress(body)
    if enc == "deflate":
        try:
            return zlib.decompress(body)
        except zlib.error:
            return zlib.decompress(body, -15)
    if enc == "br":
        import brotli  # type: ignore[import-not-found]

        return brotli.decompress(body)  # type: ignore[no-any-return]
    if enc in ("zstd",):
        import zstandard

        return zstandard.ZstdDecompressor().decompressobj().decompress(body)
    return body


def split_http(block: bytes, rec: ArchiveRecord) -> None:
    """Fill status, headers and payload of ``rec`` from an HTTP response block."""
    end = block.find(b"\r\n\r\n")
    sep = 4
    nend = block.find(b"\n\n")
    if end < 0 or (0 <= nend < end):
        end, sep = nend, 2
    if end < 0:
        end, sep = len(block), 0
    head = block[:end].split(b"\n")
    status_line = head[0].decode("latin-1").split()
    if len(status_line) >= 2 and status_line[1][:3].isdigit():
        rec.status = int(status_line[1][:3])
    rec.http_headers = parse_header_block(head[1:])
    body = block[end + sep :]
    try:
        if "chunked" in rec.http_headers.get("transfer-encoding", "").lower():
            body = _dechunk(body)
        enc = rec.http_headers.get("content-encoding", "")
        if enc and enc.lower() != "identity":
            body = _decode_content(body, enc)
    except Exception:  # a damaged transfer coding leaves the body as stored
        rec.error = "bad_transfer_encoding"
    rec.payload = body
    rec.content_type, rec.charset = split_content_type(rec.http_headers.get("content-type"))
    if rec.date is None:
        # a malformed archive date: the server's own clock is the next best capture time
        rec.date = http_date(rec.http_headers.get("date"))

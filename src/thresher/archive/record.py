"""The archive record: one capture read from a WARC, WET or ARC file, with its HTTP parts split."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from thresher.archive.compression import TooLarge, decode_bounded

#: Header lines and bytes one WARC or HTTP header block may hold; a longer block makes its
#: record ``malformed`` (skipped and counted). Real blocks hold tens of lines and a few KB.
MAX_HEADER_LINES = 2000
MAX_HEADER_BYTES = 256 << 10
#: Default bound of a decoded (Content-Encoding) payload: ``extract.max_html_bytes``
MAX_PAYLOAD_BYTES = 8 << 20

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
    #: ``too_large`` or ``malformed`` (skipped by readers), ``bad_transfer_encoding`` (kept)
    error: str | None = None
    #: the record or its payload ends early: what arrived is kept (``metadata.truncated``)
    truncated: bool = False


def parse_header_block(lines: list[bytes]) -> dict[str, str]:
    """``Name: value`` lines (with continuation lines) into a dict with lower-cased names;
    repeated names are joined with ``, `` (in linear time, however often they repeat)."""
    found: dict[str, list[str]] = {}
    last: list[str] | None = None
    for raw in lines:
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if not line:
            continue
        if line[0] in " \t" and last:
            last[-1] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        if not sep:
            continue
        last = found.setdefault(name.strip().lower(), [])
        last.append(value.strip())
    return {name: ", ".join(values) for name, values in found.items()}


def header_block_too_big(lines: int, size: int) -> bool:
    """Whether a header block of ``lines`` lines and ``size`` bytes is past the limits."""
    return lines > MAX_HEADER_LINES or size > MAX_HEADER_BYTES


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


def _dechunk(body: bytes) -> tuple[bytes, bool]:
    """The de-chunked body and whether it was complete (a body cut inside a chunk gives the
    chunks that arrived); ValueError when it does not start with a chunk size."""
    out = bytearray()
    pos = 0
    while True:
        nl = body.find(b"\n", pos)
        if nl < 0:
            if pos:  # cut between chunks
                return bytes(out), False
            raise ValueError("no chunk size")
        size = int(body[pos:nl].split(b";")[0].strip() or b"x", 16)
        if size == 0:
            return bytes(out), True
        start = nl + 1
        if start + size > len(body):  # the body was cut inside this chunk
            out += body[start:]
            return bytes(out), False
        out += body[start : start + size]
        pos = start + size
        while body[pos : pos + 1] in (b"\r", b"\n"):
            pos += 1


def _header_end(block: bytes) -> tuple[int, int]:
    """(end of the HTTP header block, length of the blank line after it), looked for in
    the first ``MAX_HEADER_BYTES`` only; (-1, 0) when there is none there."""
    window = MAX_HEADER_BYTES + 4
    end, sep = block.find(b"\r\n\r\n", 0, window), 4
    nend = block.find(b"\n\n", 0, window if end < 0 else end)
    if end < 0 or nend >= 0:
        end, sep = (nend, 2) if nend >= 0 else (-1, 0)
    return end, sep


def split_http(block: bytes, rec: ArchiveRecord, max_payload: int = MAX_PAYLOAD_BYTES) -> None:
    """Fill status, headers and payload of ``rec`` from an HTTP response block. A header
    block past the limits makes the record ``malformed``; a payload that decodes to more
    than ``max_payload`` bytes makes it ``too_large`` (neither gets a payload)."""
    end, sep = _header_end(block)
    if end < 0:
        end = len(block)
    head = block[:end]
    if header_block_too_big(head.count(b"\n") + 1, len(head)):
        rec.error = "malformed"
        return
    lines = head.split(b"\n")
    status_line = lines[0].decode("latin-1").split()
    if len(status_line) >= 2 and status_line[1][:3].isdigit():
        rec.status = int(status_line[1][:3])
    rec.http_headers = parse_header_block(lines[1:])
    body = block[end + sep :]
    try:
        if "chunked" in rec.http_headers.get("transfer-encoding", "").lower():
            body, complete = _dechunk(body)
            rec.truncated = rec.truncated or not complete
        enc = rec.http_headers.get("content-encoding", "")
        if enc and enc.lower() != "identity":
            body, complete = decode_bounded(body, enc, max_payload)
            rec.truncated = rec.truncated or not complete
    except TooLarge:
        rec.error = "too_large"
        return
    except Exception:  # a damaged transfer coding leaves the body as stored
        rec.error = "bad_transfer_encoding"
    rec.payload = body
    rec.content_type, rec.charset = split_content_type(rec.http_headers.get("content-type"))
    if rec.date is None:
        # a malformed archive date: the server's own clock is the next best capture time
        rec.date = http_date(rec.http_headers.get("date"))

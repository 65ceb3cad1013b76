"""Helpers that write small WARC, WET and ARC files byte by byte for the tests."""

from __future__ import annotations

import gzip
import uuid
from pathlib import Path

PAGE = """<html><head><title>{title}</title></head><body>
<nav><a href="/">Home</a> <a href="/about">About</a> <a href="/blog">Blog</a></nav>
<div class="content"><h1>{title}</h1>
<p>{body} This paragraph is long enough to count as prose, with commas, and full stops.</p>
<p>A second paragraph follows so that the article clearly outweighs the navigation.</p>
</div>
<footer>Copyright 2024 Example Site. All rights reserved. <a href="/imprint">Imprint</a></footer>
</body></html>"""


def page(title: str, body: str) -> bytes:
    return PAGE.format(title=title, body=body).encode("utf-8")


def warc_record(
    url: str,
    payload: bytes,
    *,
    status: str = "200 OK",
    content_type: str = "text/html; charset=utf-8",
    kind: str = "response",
    date: str = "2024-05-01T12:00:00Z",
) -> bytes:
    if kind == "response":
        http = (
            f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n"
        ).encode()
        block = http + payload
        wct = "application/http; msgtype=response"
    else:
        block = payload
        wct = content_type
    head = (
        f"WARC/1.1\r\nWARC-Type: {kind}\r\n"
        f"WARC-Record-ID: <urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, url + kind)}>\r\n"
        f"WARC-Date: {date}\r\nWARC-Target-URI: {url}\r\nContent-Type: {wct}\r\n"
        f"Content-Length: {len(block)}\r\n\r\n"
    ).encode()
    return head + block + b"\r\n\r\n"


def write_warc(path: Path, records: list[bytes], compression: str = "none") -> list[int]:
    """Write records (one gzip member / lz4 frame each when compressed); returns offsets."""
    offsets = []
    with open(path, "wb") as f:
        for rec in records:
            offsets.append(f.tell())
            if compression == "gzip":
                f.write(gzip.compress(rec))
            elif compression == "lz4":
                import lz4.frame

                f.write(lz4.frame.compress(rec))
            else:
                f.write(rec)
    return offsets


def arc_file(records: list[tuple[str, bytes]]) -> bytes:
    header_body = b"1 0 test\nURL IP-address Archive-date Content-type Archive-length\n"
    out = b"filedesc://test.arc 0.0.0.0 20240501120000 text/plain %d\n" % len(header_body)
    out += header_body + b"\n"
    for url, payload in records:
        http = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n" + payload
        out += f"{url} 127.0.0.1 20240501120000 text/html {len(http)}\n".encode() + http + b"\n"
    return out


def raw_record(kind: str, block: bytes, headers: dict[str, str]) -> bytes:
    """A WARC record of any type with the given headers (Content-Length added)."""
    head = f"WARC/1.0\r\nWARC-Type: {kind}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head += f"Content-Length: {len(block)}\r\n\r\n"
    return head.encode() + block + b"\r\n\r\n"


def http_response(payload: bytes, *headers: str) -> bytes:
    """An HTTP/1.1 200 response block with extra header lines."""
    lines = ["HTTP/1.1 200 OK", "Content-Type: text/html; charset=utf-8", *headers]
    lines.append(f"Content-Length: {len(payload)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload

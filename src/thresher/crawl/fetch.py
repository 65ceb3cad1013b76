"""One HTTP exchange with hard limits: timeouts, body size, bounded decompression.

Bodies are read raw (no automatic decompression) and decoded here with a size bound, so a
decompression bomb stops at ``max_body`` bytes. What is archived is the decoded payload with
the original ``Content-Encoding`` / ``Transfer-Encoding`` / ``Content-Length`` kept as
``X-Crawler-*`` headers (the convention of Common Crawl's WARC files).
"""

from __future__ import annotations

import asyncio
import errno
import socket
import time
import zlib
from dataclasses import dataclass, field

import aiohttp

from thresher.archive.writer import http_block
from thresher.crawl.guard import BlockedAddress
from thresher.crawl.outcomes import (
    BLOCKED_PRIVATE,
    CONNECTION_REFUSED,
    DNS_ERROR,
    PROXY_UNREACHABLE,
)

__all__ = ["FetchResult", "connect_error_kind", "decode_body", "fetch"]

try:  # brotli is optional
    import brotli

    _HAVE_BROTLI = True
except ImportError:  # pragma: no cover
    _HAVE_BROTLI = False

ACCEPT_ENCODING = "gzip, deflate, br" if _HAVE_BROTLI else "gzip, deflate"
# aiohttp 3.10 and later raise a subclass of their own for names that do not resolve
_DNS_ERRORS: tuple[type[Exception], ...] = tuple(
    t for t in (getattr(aiohttp, "ClientConnectorDNSError", None),) if t is not None
)
_HOP_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


@dataclass(slots=True)
class FetchResult:
    """The outcome of one request: a response, or an error kind."""

    url: str
    status: int = 0
    error: str | None = None  # timeout, connection-refused, blocked-private-address, ...
    error_detail: str = ""
    request: bytes = b""
    head: list[tuple[str, str]] = field(default_factory=list)
    status_line: str = ""
    payload: bytes = b""
    truncated: str | None = None
    ip: str | None = None
    elapsed: float = 0.0
    started: float = 0.0
    content_type: str = ""

    def header(self, name: str) -> str | None:
        """First value of a response header (case-insensitive)."""
        name = name.lower()
        for k, v in self.head:
            if k.lower() == name:
                return v
        return None

    def headers_all(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self.head if k.lower() == name]

    def response_block(self) -> bytes:
        """The HTTP response as archived: rewritten headers and the decoded payload."""
        return http_block(self.status_line, self.stored_headers(), self.payload)

    def response_head(self) -> bytes:
        """The archived response without payload (for revisit records)."""
        return http_block(self.status_line, self.stored_headers())

    def stored_headers(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        changed = False
        for k, v in self.head:
            lk = k.lower()
            if lk in _HOP_HEADERS:
                if lk == "content-length" and not changed and self.truncated is None:
                    enc = self.header("content-encoding")
                    if not enc or enc.strip().lower() == "identity":
                        out.append((k, v))
                        continue
                out.append(("X-Crawler-" + k, v))
                changed = True
            else:
                out.append((k, v))
        if self.status_line and not any(k.lower() == "content-length" for k, _ in out):
            out.append(("Content-Length", str(len(self.payload))))
        return out


class BodyTooLarge(Exception):
    pass


def decode_body(raw: bytes, encoding: str | None, limit: int) -> tuple[bytes, bool]:
    """Undo ``Content-Encoding`` (gzip, deflate, br) with at most ``limit`` bytes of output.

    Returns the payload and whether it was cut at the limit. Raises ``ValueError`` on a
    corrupt stream or an unknown coding.
    """
    if not encoding:
        return raw, False
    codings = [c.strip().lower() for c in encoding.split(",") if c.strip()]
    data = raw
    cut = False
    for coding in reversed(codings):
        if coding in ("identity", ""):
            continue
        if coding in ("gzip", "x-gzip", "deflate"):
            wbits = 47 if coding != "deflate" else (15 if data[:1] in (b"x", b"\x78") else -15)
            d = zlib.decompressobj(wbits)
            try:
                out = d.decompress(data, limit)
            except zlib.error as e:
                raise ValueError(f"corrupt {coding} body: {e}") from None
            if d.unconsumed_tail:
                cut = True
            data = out
        elif coding == "br" and _HAVE_BROTLI:
            dec = brotli.Decompressor()
            try:
                out = dec.process(data, output_buffer_limit=limit)
            except brotli.error as e:
                raise ValueError(f"corrupt br body: {e}") from None
            if len(out) >= limit and not dec.is_finished():
                cut = True
            data = out[:limit]
        else:
            raise ValueError(f"unknown content coding {coding!r}")
    return data, cut


def connect_error_kind(e: aiohttp.ClientConnectorError) -> str:
    """The failure reason of a connection that could not be made: the proxy, the address
    guard, the name, a refusal (nothing listens on the port), or another network error."""
    if isinstance(e.os_error, BlockedAddress):
        return BLOCKED_PRIVATE
    if isinstance(e, aiohttp.ClientProxyConnectionError):
        return PROXY_UNREACHABLE
    if isinstance(e, _DNS_ERRORS) or isinstance(e.os_error, socket.gaierror):
        return DNS_ERROR
    if e.os_error.errno == errno.ECONNREFUSED or isinstance(e.os_error, ConnectionRefusedError):
        return CONNECTION_REFUSED
    return "connection-error"


async def fetch(
    session: aiohttp.ClientSession,
    url: str,
    headers: dict[str, str],
    *,
    timeout: float,
    max_body: int,
    proxy: str | None = None,
) -> FetchResult:
    """GET ``url`` without following redirects; never raises for network problems."""
    res = FetchResult(url=url, started=time.time())
    t0 = time.monotonic()
    to = aiohttp.ClientTimeout(total=timeout * 4, connect=timeout, sock_read=timeout)
    try:
        async with session.get(
            url, headers=headers, allow_redirects=False, proxy=proxy, timeout=to
        ) as resp:
            info = resp.request_info
            target = info.url.raw_path_qs if proxy is None else str(info.url)
            res.request = http_block(
                f"{info.method} {target} HTTP/1.1", [(k, v) for k, v in info.headers.items()]
            )
            res.status = resp.status
            res.status_line = (
                f"HTTP/{resp.version.major}.{resp.version.minor} {resp.status} {resp.reason or ''}"
                if resp.version
                else f"HTTP/1.1 {resp.status} {resp.reason or ''}"
            ).rstrip()
            res.head = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in resp.raw_headers]
            conn = resp.connection
            if conn is not None and conn.transport is not None:
                peer = conn.transport.get_extra_info("peername")
                if peer:
                    res.ip = str(peer[0])
            body = bytearray()
            raw_limit = max_body + 1
            async for chunk in resp.content.iter_chunked(1 << 16):
                body += chunk
                if len(body) >= raw_limit:
                    res.truncated = "length"
                    del body[max_body:]
                    break
            raw = bytes(body)
    except TimeoutError:
        res.error = "timeout"
    except BlockedAddress as e:
        res.error, res.error_detail = BLOCKED_PRIVATE, str(e)
    except aiohttp.ClientConnectorError as e:
        res.error, res.error_detail = connect_error_kind(e), str(e)
    except aiohttp.TooManyRedirects:  # pragma: no cover - redirects are not followed
        res.error = "too-many-redirects"
    except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError) as e:
        res.error, res.error_detail = "connection-error", str(e)
    except aiohttp.ClientResponseError as e:
        res.error, res.error_detail = "bad-response", str(e)
    except (aiohttp.ClientError, OSError, ValueError) as e:
        res.error, res.error_detail = "connection-error", f"{type(e).__name__}: {e}"
    except asyncio.CancelledError:
        raise
    res.elapsed = time.monotonic() - t0
    if res.error is not None:
        return res
    enc = res.header("content-encoding")
    try:
        payload, cut = decode_body(raw, enc, max_body)
    except ValueError as e:
        # Keep what was sent; the archive says it could not be decoded.
        res.payload = raw
        res.error_detail = str(e)
        res.head = [(k, v) for k, v in res.head if k.lower() != "content-encoding"] + [
            ("X-Crawler-Content-Encoding", enc or "")
        ]
        res.truncated = res.truncated or "unspecified"
    else:
        res.payload = payload
        if cut:
            res.truncated = "length"
    res.content_type = res.header("content-type") or ""
    return res

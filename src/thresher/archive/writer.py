"""WARC 1.1 writing: one gzip member per record, files rotated by size, digests on every block.

The writer never rewrites bytes it has written. :meth:`WarcWriter.checkpoint` flushes (and
fsyncs) and returns the length of every file touched since the last checkpoint; a caller that
stores those lengths atomically with its own state can later cut a file back to a committed
length with :func:`truncate_to`, so a file never shows a torn or uncommitted tail.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
import uuid
import zlib
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

__all__ = ["WarcWriter", "http_block", "sha1_digest", "truncate_to", "warc_date"]

WARC_VERSION = b"WARC/1.1"


def warc_date(ts: float | None = None) -> str:
    """An ISO 8601 UTC timestamp with second precision, as ``WARC-Date`` wants it."""
    return _warc_date(int(time.time() if ts is None else ts))


@lru_cache(maxsize=64)
def _warc_date(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sha1_digest(data: bytes) -> str:
    """``sha1:BASE32`` of ``data``: the digest form WARC readers expect."""
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def _record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def _request_head(common: list[tuple[str, str]], concurrent_to: str) -> list[tuple[str, str]]:
    """Headers of the ``request`` record written with the response record ``concurrent_to``."""
    return [
        ("WARC-Type", "request"),
        ("WARC-Record-ID", _record_id()),
        *common,
        ("WARC-Concurrent-To", concurrent_to),
        ("Content-Type", "application/http; msgtype=request"),
    ]


def http_block(start_line: str, headers: Iterable[tuple[str, str]], body: bytes = b"") -> bytes:
    """An HTTP message as stored in a request/response record: start line, headers, body."""
    lines = [start_line]
    for name, value in headers:
        # Header values must not smuggle line breaks into the archive.
        value = value.replace("\r", " ").replace("\n", " ")
        lines.append(f"{name}: {value}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
    return head + body


def truncate_to(path: Path, length: int) -> None:
    """Cut a WARC file back to ``length`` bytes (a committed record boundary)."""
    with open(path, "r+b") as f:
        f.truncate(length)
        f.flush()
        os.fsync(f.fileno())


@dataclass
class _Open:
    path: Path
    fh: BinaryIO
    size: int


class WarcWriter:
    """Appends gzip-per-record WARC records to ``directory/PREFIX-TIMESTAMP-NNNNN.warc.gz``."""

    def __init__(
        self,
        directory: str | Path,
        *,
        prefix: str = "thresher",
        max_bytes: int = 1024**3,
        gzip_level: int = 6,
        first_serial: int = 0,
        info: dict[str, str] | None = None,
        fsync: bool = True,
        background: bool = False,
    ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.gzip_level = gzip_level
        self.serial = first_serial
        self.info = info or {}
        self.fsync = fsync
        self._open: _Open | None = None
        self._touched: dict[str, int] = {}
        self.files: list[Path] = []
        self.records = 0
        # With ``background``, compression and writes run in one thread, in call order
        # (zlib and hashlib release the GIL, so this overlaps with the caller's work).
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="warc") if background else None
        self._last: Future[None] | None = None
        self._error: BaseException | None = None

    # -- files -------------------------------------------------------------------------
    def _new_file(self) -> _Open:
        stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime())
        path = self.directory / f"{self.prefix}-{stamp}-{self.serial:05d}.warc.gz"
        self.serial += 1
        fh = open(path, "xb")  # noqa: SIM115 (kept open across calls)
        self._open = _Open(path, fh, 0)
        self.files.append(path)
        self._touched[path.name] = 0
        body = "".join(f"{k}: {v}\r\n" for k, v in self.info.items()).encode("utf-8")
        self._write(
            [
                ("WARC-Type", "warcinfo"),
                ("WARC-Record-ID", _record_id()),
                ("WARC-Date", warc_date()),
                ("WARC-Filename", path.name),
                ("Content-Type", "application/warc-fields"),
            ],
            body,
        )
        return self._open

    def _write(self, headers: list[tuple[str, str]], block: bytes) -> None:
        cur = self._open
        assert cur is not None
        head = [WARC_VERSION]
        digest = True
        for name, value in headers:
            head.append(f"{name}: {value}".encode())
            if name == "WARC-Block-Digest":
                digest = False
        if digest:
            head.append(f"WARC-Block-Digest: {sha1_digest(block)}".encode())
        head.append(f"Content-Length: {len(block)}".encode())
        comp = zlib.compressobj(self.gzip_level, zlib.DEFLATED, 31)
        data = (
            comp.compress(b"\r\n".join(head) + b"\r\n\r\n")
            + comp.compress(block)
            + comp.compress(b"\r\n\r\n")
            + comp.flush()
        )
        cur.fh.write(data)
        cur.size += len(data)
        self._touched[cur.path.name] = cur.size
        self.records += 1

    def _record(self, headers: list[tuple[str, str]], block: bytes) -> None:
        self._records([(headers, block)])

    def _records(self, records: list[tuple[list[tuple[str, str]], bytes]]) -> None:
        if self._pool is None:
            for headers, block in records:
                self._record_now(headers, block)
            return
        if self._error is not None:
            raise self._error
        self._last = self._pool.submit(self._records_bg, records)

    def _records_bg(self, records: list[tuple[list[tuple[str, str]], bytes]]) -> None:
        if self._error is not None:
            return
        try:
            for headers, block in records:
                self._record_now(headers, block)
        except BaseException as e:  # surfaced by the next checkpoint
            self._error = e

    def _drain(self) -> None:
        if self._last is not None:
            self._last.result()
            self._last = None
        if self._error is not None:
            raise self._error

    def _record_now(self, headers: list[tuple[str, str]], block: bytes) -> None:
        cur = self._open or self._new_file()
        self._write(headers, block)
        if cur.size >= self.max_bytes:
            self._close_current()

    def _close_current(self) -> None:
        if self._open is not None:
            self._open.fh.flush()
            if self.fsync:
                os.fsync(self._open.fh.fileno())
            self._open.fh.close()
            self._open = None

    # -- records -----------------------------------------------------------------------
    def write_exchange(
        self,
        url: str,
        request: bytes,
        response: bytes,
        payload: bytes,
        *,
        ip: str | None = None,
        date: float | None = None,
        truncated: str | None = None,
        extra: list[tuple[str, str]] | None = None,
        payload_digest: str | None = None,
    ) -> str:
        """A request record and its response record; returns the response's record id."""
        when = warc_date(date)
        resp_id = _record_id()
        common = [("WARC-Date", when), ("WARC-Target-URI", url)]
        if ip:
            common.append(("WARC-IP-Address", ip))
        rh = [
            ("WARC-Type", "response"),
            ("WARC-Record-ID", resp_id),
            *common,
            ("WARC-Payload-Digest", payload_digest or sha1_digest(payload)),
        ]
        if truncated:
            rh.append(("WARC-Truncated", truncated))
        rh.extend(extra or [])
        rh.append(("Content-Type", "application/http; msgtype=response"))
        self._records([(_request_head(common, resp_id), request), (rh, response)])
        return resp_id

    def write_revisit(
        self,
        url: str,
        request: bytes,
        response_head: bytes,
        *,
        refers_to: str | None,
        refers_to_date: str | None,
        payload_digest: str,
        profile: str = "http://netpreserve.org/warc/1.1/revisit/server-not-modified",
        date: float | None = None,
    ) -> str:
        """A request record and a ``revisit`` record for a page that did not change."""
        rec_id = _record_id()
        common = [("WARC-Date", warc_date(date)), ("WARC-Target-URI", url)]
        headers = [
            ("WARC-Type", "revisit"),
            ("WARC-Record-ID", rec_id),
            *common,
            ("WARC-Profile", profile),
            ("WARC-Payload-Digest", payload_digest),
        ]
        if refers_to:
            headers.append(("WARC-Refers-To", refers_to))
        headers.append(("WARC-Refers-To-Target-URI", url))
        if refers_to_date:
            headers.append(("WARC-Refers-To-Date", refers_to_date))
        headers.append(("Content-Type", "application/http; msgtype=response"))
        self._records([(_request_head(common, rec_id), request), (headers, response_head)])
        return rec_id

    def write_metadata(
        self, url: str, fields: dict[str, object], *, refers_to: str | None = None
    ) -> str:
        """A ``metadata`` record of ``name: value`` lines (robots decisions, failures...)."""
        rec_id = _record_id()
        body = "".join(
            f"{k}: {str(v).replace(chr(13), ' ').replace(chr(10), ' ')}\r\n"
            for k, v in fields.items()
        ).encode("utf-8")
        headers = [
            ("WARC-Type", "metadata"),
            ("WARC-Record-ID", rec_id),
            ("WARC-Date", warc_date()),
            ("WARC-Target-URI", url),
        ]
        if refers_to:
            headers.append(("WARC-Refers-To", refers_to))
        headers.append(("Content-Type", "application/warc-fields"))
        self._record(headers, body)
        return rec_id

    def write_resource(
        self,
        url: str,
        content: bytes,
        content_type: str,
        *,
        refers_to: str | None = None,
        extra: list[tuple[str, str]] | None = None,
    ) -> str:
        """A ``resource`` record (for example a page's DOM after rendering)."""
        rec_id = _record_id()
        headers = [
            ("WARC-Type", "resource"),
            ("WARC-Record-ID", rec_id),
            ("WARC-Date", warc_date()),
            ("WARC-Target-URI", url),
            ("WARC-Payload-Digest", sha1_digest(content)),
        ]
        if refers_to:
            headers.append(("WARC-Refers-To", refers_to))
        headers.extend(extra or [])
        headers.append(("Content-Type", content_type))
        self._record(headers, content)
        return rec_id

    # -- durability --------------------------------------------------------------------
    def checkpoint(self) -> dict[str, int]:
        """Flush (and fsync) everything written; return ``{file name: length}`` touched since
        the last checkpoint. Store these lengths with the state they belong to."""
        self._drain()
        if self._open is not None:
            self._open.fh.flush()
            if self.fsync:
                os.fsync(self._open.fh.fileno())
        touched, self._touched = self._touched, {}
        return touched

    @property
    def current(self) -> tuple[str, int] | None:
        """Name and length of the file being written, if one is open."""
        self._drain()
        return (self._open.path.name, self._open.size) if self._open else None

    def close(self) -> dict[str, int]:
        """Checkpoint and close the current file."""
        touched = self.checkpoint()
        self._close_current()
        if self._pool is not None:
            self._pool.shutdown()
        return touched

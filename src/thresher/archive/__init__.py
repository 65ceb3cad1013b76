"""Web archives: streaming readers for WARC, WET and ARC files (plain, gzip or lz4).

The WARC writer (``archive/writer.py``) belongs to the crawler. Readers yield
:class:`ArchiveRecord` objects with bounded memory and raise :class:`TruncatedInput` or
:class:`CorruptInput` (both :class:`~thresher.errors.InputError`) after the last good record
when a file is damaged.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any, BinaryIO, cast

from thresher.archive.arc import read_arc
from thresher.archive.compression import CorruptInput, MemberStream, TooLarge, TruncatedInput
from thresher.archive.record import MAX_PAYLOAD_BYTES, ArchiveRecord, RecordSeen
from thresher.archive.warc import read_warc
from thresher.errors import InputError

__all__ = [
    "ArchiveRecord",
    "CorruptInput",
    "MemberStream",
    "RecordSeen",
    "TooLarge",
    "TruncatedInput",
    "archive_kind",
    "iter_records",
    "open_binary",
    "read_arc",
    "read_warc",
    "sniff_format",
]


class _Remote(io.RawIOBase):
    """A remote file whose read errors (network, back end) become one-line InputErrors."""

    def __init__(self, raw: BinaryIO, name: str) -> None:
        self._raw = raw
        self.name = name

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        try:
            return self._raw.read(size)
        except Exception as e:  # fsspec back ends raise their own error types
            raise InputError(f"{self.name}: read failed: {type(e).__name__}: {e}") from None

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()


def open_binary(path: str) -> BinaryIO:
    """Open a local path or an fsspec URL for binary reading (InputError names the path).
    HTTP(S) URLs are streamed, so servers without range requests work too."""
    if "://" in path and not path.startswith("file://"):
        try:
            import fsspec

            options = {"block_size": 0} if path.startswith(("http://", "https://")) else {}
            return cast(BinaryIO, _Remote(fsspec.open(path, "rb", **options).open(), path))
        except ImportError as e:
            raise InputError(f"{path}: cannot read this URL: {e}") from None
        except Exception as e:  # fsspec back ends raise their own error types
            raise InputError(f"{path}: cannot open: {type(e).__name__}: {e}") from None
    local = path[len("file://") :] if path.startswith("file://") else path
    try:
        return open(local, "rb")
    except OSError as e:
        raise InputError(f"{path}: cannot open: {e.strerror or e}") from None


def archive_kind(head: bytes) -> str:
    """``warc``, ``arc`` or ``other`` from the first (decompressed) bytes of a file."""
    if head.startswith(b"WARC/"):
        return "warc"
    if head.startswith(b"filedesc://"):
        return "arc"
    return "other"


def sniff_format(stream: MemberStream) -> str:
    """``warc``, ``arc`` or ``other`` from the first decompressed bytes of a stream."""
    return archive_kind(stream.peek(16))


def iter_records(
    path: str,
    *,
    max_record_bytes: int = 32 << 20,
    max_payload_bytes: int = MAX_PAYLOAD_BYTES,
    seen: RecordSeen | None = None,
) -> Iterator[ArchiveRecord]:
    """The content records (response, resource, conversion) of one WARC/WET/ARC file;
    ``seen`` is called with the type of every record read, the skipped ones too. Records
    over ``max_record_bytes`` (stored) or ``max_payload_bytes`` (content-decoded) come with
    ``error="too_large"`` and no payload."""
    limits = {"max_record_bytes": max_record_bytes, "max_payload_bytes": max_payload_bytes}
    with open_binary(path) as raw:
        stream = MemberStream(raw, path)
        fmt = sniff_format(stream)
        if fmt == "warc":
            yield from read_warc(stream, path, seen=seen, **limits)
        elif fmt == "arc":
            yield from read_arc(stream, path, seen=seen, **limits)
        else:
            raise InputError(f"{path}: not a WARC or ARC file")

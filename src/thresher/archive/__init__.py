"""Web archives: streaming readers for WARC, WET and ARC files (plain, gzip or lz4).

The WARC writer (``archive/writer.py``) belongs to the crawler. Readers yield
:class:`ArchiveRecord` objects with bounded memory and raise :class:`TruncatedInput` or
:class:`CorruptInput` (both :class:`~thresher.errors.InputError`) after the last good record
when a file is damaged.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from thresher.archive.arc import read_arc
from thresher.archive.compression import CorruptInput, MemberStream, TruncatedInput
from thresher.archive.record import ArchiveRecord
from thresher.archive.warc import read_warc
from thresher.errors import InputError

__all__ = [
    "ArchiveRecord",
    "CorruptInput",
    "MemberStream",
    "TruncatedInput",
    "iter_records",
    "open_binary",
    "read_arc",
    "read_warc",
    "sniff_format",
]


def open_binary(path: str) -> BinaryIO:
    """Open a local path or an fsspec URL for binary reading (InputError names the path)."""
    try:
        if "://" in path and not path.startswith("file://"):
            try:
                import fsspec
            except ImportError:
                raise InputError(f"{path}: reading URLs needs the 'fsspec' package") from None
            return fsspec.open(path, "rb").open()  # type: ignore[no-any-return]
        local = path[len("file://") :] if path.startswith("file://") else path
        return open(local, "rb")
    except OSError as e:
        raise InputError(f"{path}: cannot open: {e.strerror or e}") from None


def sniff_format(stream: MemberStream) -> str:
    """``warc``, ``arc`` or ``other`` from the first decompressed bytes."""
    head = stream.peek(16)
    if head.startswith(b"WARC/"):
        return "warc"
    if head.startswith(b"filedesc://"):
        return "arc"
    return "other"


def iter_records(path: str, *, max_record_bytes: int = 32 << 20) -> Iterator[ArchiveRecord]:
    """The content records (response, resource, conversion) of one WARC/WET/ARC file."""
    with open_binary(path) as raw:
        stream = MemberStream(raw, path)
        fmt = sniff_format(stream)
        if fmt == "warc":
            yield from read_warc(stream, path, max_record_bytes=max_record_bytes)
        elif fmt == "arc":
            yield from read_arc(stream, path, max_record_bytes=max_record_bytes)
        else:
            raise InputError(f"{path}: not a WARC or ARC file")

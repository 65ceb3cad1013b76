"""File formats of document parts: names, compression, and how to open them."""

from __future__ import annotations

import gzip
import itertools
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Literal

import zstandard

from thresher.archive.compression import detect_compression
from thresher.store.remote import is_remote, open_remote

PartFormat = Literal["jsonl", "jsonl.gz", "jsonl.zst", "parquet", "csv"]
PART_FORMATS: tuple[str, ...] = ("jsonl", "jsonl.gz", "jsonl.zst", "parquet", "csv")

#: Suffixes recognised as document files when reading, longest first.
DOC_SUFFIXES: tuple[str, ...] = (
    ".jsonl.gz",
    ".jsonl.zst",
    ".json.gz",
    ".json.zst",
    ".ndjson.gz",
    ".jsonl",
    ".ndjson",
    ".json",
    ".parquet",
)


def format_of(path: str | Path) -> str | None:
    """The document format of a file from its name: 'jsonl', 'jsonl.gz', 'jsonl.zst', 'parquet'."""
    name = str(path).lower()
    if name.endswith(".parquet"):
        return "parquet"
    for suffix in (".jsonl", ".ndjson", ".json"):
        if name.endswith(suffix):
            return "jsonl"
        if name.endswith(suffix + ".gz"):
            return "jsonl.gz"
        if name.endswith(suffix + ".zst"):
            return "jsonl.zst"
    return None


def open_binary_reader(path: str | Path) -> IO[bytes]:
    """Open a file for reading, decompressing gzip or zstd by magic bytes (not by name)."""
    if is_remote(path):
        raw: IO[bytes] = open_remote(str(path))
        head = raw.read(4)
        raw.seek(0)
    else:
        raw = open(path, "rb")  # noqa: SIM115 - returned to the caller
        head = raw.peek(4)[:4]
    codec = detect_compression(head)
    if codec == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if codec == "zstd":
        dctx = zstandard.ZstdDecompressor()
        return dctx.stream_reader(raw, read_across_frames=True, closefd=True)  # type: ignore[return-value]
    return raw


def open_binary_writer(raw: IO[bytes], fmt: str) -> IO[bytes]:
    """Wrap an open binary file in the compressor of ``fmt``."""
    if fmt.endswith(".gz"):
        return gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0)  # type: ignore[return-value]
    if fmt.endswith(".zst"):
        cctx = zstandard.ZstdCompressor(level=3)
        return cctx.stream_writer(raw, closefd=False)  # type: ignore[return-value]
    return raw


#: Longest line (bytes, without its newline) the JSONL readers take: a longer one is skipped
#: and counted as it streams by, never held whole (nor handed to the JSON parser).
MAX_LINE_BYTES = 64 << 20


def split_lines(
    chunks: Iterable[bytes], max_line_bytes: int | None = None
) -> Iterator[bytes | None]:
    """The lines of a stream of byte chunks, in linear time; ``None`` stands for a line
    longer than ``max_line_bytes`` (default :data:`MAX_LINE_BYTES`; dropped piece by piece,
    so memory stays bounded)."""
    if max_line_bytes is None:
        max_line_bytes = MAX_LINE_BYTES
    pending: list[bytes] = []  # pieces of the line that is not complete yet
    size = 0
    skipping = False  # the current line is already too long
    for chunk in chunks:
        parts = chunk.split(b"\n")
        last = parts.pop()
        if parts:
            first = parts[0]
            if skipping:
                yield None
            elif pending:
                pending.append(first)
                size += len(first)
                yield b"".join(pending) if size <= max_line_bytes else None
            else:
                yield first if len(first) <= max_line_bytes else None
            for line in itertools.islice(parts, 1, None):
                yield line if len(line) <= max_line_bytes else None
            pending, size, skipping = [], 0, False
        if last and not skipping:
            size += len(last)
            if size > max_line_bytes:
                pending, skipping = [], True
            else:
                pending.append(last)
    if skipping:
        yield None
    elif pending:
        yield b"".join(pending)


def iter_line_items(
    path: str | Path, chunk_size: int = 1 << 16, max_line_bytes: int | None = None
) -> Iterator[bytes | None]:
    """The lines of a (possibly compressed) file, read in small decompressed chunks;
    ``None`` for a line longer than ``max_line_bytes`` (see :func:`split_lines`).

    If the file ends early (a truncated gzip or zstd stream), every complete line before the
    damage is yielded first and then the decoder's error is raised.
    """
    with open_binary_reader(path) as f:
        read = getattr(f, "read1", f.read)
        yield from split_lines(iter(lambda: read(chunk_size), b""), max_line_bytes)


def iter_lines(
    path: str | Path,
    chunk_size: int = 1 << 16,
    max_line_bytes: int | None = None,
    too_long: Callable[[], None] | None = None,
) -> Iterator[bytes]:
    """:func:`iter_line_items` without the over-long lines (``too_long`` hears of each)."""
    for line in iter_line_items(path, chunk_size, max_line_bytes):
        if line is not None:
            yield line
        elif too_long is not None:
            too_long()

"""File formats of document parts: names, compression, and how to open them."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Literal

import zstandard

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
    if head[:2] == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if head == b"\x28\xb5\x2f\xfd":
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


def iter_lines(path: str | Path, chunk_size: int = 1 << 16) -> Iterator[bytes]:
    """Yield the lines of a (possibly compressed) file, in small decompressed chunks.

    If the file ends early (a truncated gzip or zstd stream), every complete line before the
    damage is yielded first and then the decoder's error is raised.
    """
    with open_binary_reader(path) as f:
        read = getattr(f, "read1", f.read)
        rest = b""
        while True:
            chunk = read(chunk_size)
            if not chunk:
                break
            lines = (rest + chunk).split(b"\n")
            rest = lines.pop()
            yield from lines
        if rest:
            yield rest

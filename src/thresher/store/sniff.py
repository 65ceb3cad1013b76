"""What a file holds, from its first bytes: to tell a user which command reads it.

A WARC handed to ``refine`` or a documents file handed to ``extract`` is the most common
mix-up; naming the file's real kind and the command that reads it turns a run that would
silently count 777 broken lines into a one-line answer.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import zstandard

from thresher.archive import archive_kind
from thresher.archive.compression import detect_compression

_HEAD = 4096

#: the command that reads each kind of file
READ_BY = {
    "warc": "thresher extract",
    "arc": "thresher extract",
    "html": "thresher extract",
    "documents": "thresher refine",
    "parquet": "thresher refine",
}

NAMES = {
    "warc": "a WARC file",
    "arc": "an ARC file",
    "html": "an HTML file",
    "documents": "a documents (JSONL) file",
    "parquet": "a Parquet file",
}


def _head(path: Path) -> bytes:
    with open(path, "rb") as f:
        raw = f.read(_HEAD)
    codec = detect_compression(raw)
    try:
        if codec == "gzip":
            return zlib.decompressobj(wbits=31).decompress(raw, _HEAD)
        if codec == "zstd":
            dctx = zstandard.ZstdDecompressor()
            return dctx.decompressobj().decompress(raw)[:_HEAD]
        if codec == "lz4":
            import lz4.frame

            return lz4.frame.LZ4FrameDecompressor().decompress(raw, _HEAD)
    except (zlib.error, zstandard.ZstdError, RuntimeError, EOFError, gzip.BadGzipFile):
        return b""
    return raw


def sniff(path: str | Path) -> str:
    """``warc``, ``arc``, ``html``, ``documents``, ``parquet``, ``empty`` or ``unknown``."""
    p = Path(path)
    with open(p, "rb") as f:
        magic = f.read(4)
    if not magic:
        return "empty"
    if magic == b"PAR1":
        return "parquet"
    head = _head(p).lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        return "unknown"
    kind = archive_kind(head)
    if kind != "other":
        return kind
    if head[:1] in (b"{", b"["):
        return "documents"
    low = head[:512].lower()
    if low.startswith((b"<!doctype", b"<html", b"<?xml")) or b"<html" in low or b"<body" in low:
        return "html"
    return "unknown"


def wrong_kind_hint(path: str | Path, wanted: str) -> str | None:
    """A one-line explanation when ``path`` is a file another command reads, not a
    ``wanted`` one (``documents`` or ``archive``); None when it fits or is just unreadable
    (those are counted as broken records by the reader, not refused)."""
    if not Path(path).is_file():  # an object-store URL, an hf: dataset: nothing to sniff
        return None
    kind = sniff(path)
    fits = {"documents": ("documents", "parquet"), "archive": ("warc", "arc", "html")}[wanted]
    if kind in fits or kind not in READ_BY:
        return None
    then = "first" if wanted == "documents" else "on it instead"
    return f"{path}: is {NAMES[kind]}: run `{READ_BY[kind]}` {then}"

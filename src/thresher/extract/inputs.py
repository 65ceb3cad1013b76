"""Input discovery: files, folders and URLs → work items (archive records or HTML files)."""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from thresher.archive import ArchiveRecord, iter_records, open_binary
from thresher.errors import InputError

ARCHIVE_SUFFIXES = (".warc", ".wet", ".arc")
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
COMPRESSION_SUFFIXES = (".gz", ".lz4")


@dataclass(slots=True)
class Page:
    """A unit of work: HTML bytes (or WET text) with what is known about where they came from."""

    source: str
    url: str | None
    fetched_at: str | None
    payload: bytes
    kind: str = "html"  # html | text
    charset: str | None = None
    record_id: str | None = None
    status: int | None = None
    content_type: str | None = None


def _strip_compression(name: str) -> str:
    low = name.lower()
    for suf in COMPRESSION_SUFFIXES:
        if low.endswith(suf):
            return low[: -len(suf)]
    return low


def classify(path: str) -> str | None:
    """``archive``, ``html`` or None (not an input) from the file name."""
    base = _strip_compression(path)
    if base.endswith(ARCHIVE_SUFFIXES):
        return "archive"
    if base.endswith(HTML_SUFFIXES):
        return "html"
    return None


def expand_inputs(inputs: list[str]) -> list[tuple[str, str]]:
    """(path, kind) for every input file; folders are walked in sorted order."""
    out: list[tuple[str, str]] = []
    for item in inputs:
        if "://" in item and not item.startswith("file://"):
            kind = classify(item)
            if kind is None:
                raise InputError(f"{item}: unknown input type (expected WARC/WET/ARC or HTML)")
            out.append((item, kind))
            continue
        local = item[len("file://") :] if item.startswith("file://") else item
        p = Path(local)
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs.sort()
                for f in sorted(files):
                    full = os.path.join(root, f)
                    kind = classify(full)
                    if kind is not None:
                        out.append((full, kind))
        elif p.is_file():
            kind = classify(local) or _sniff_kind(local)
            out.append((local, kind))
        else:
            raise InputError(f"{item}: no such file or folder")
    return out


def _sniff_kind(path: str) -> str:
    with open(path, "rb") as f:
        head = f.read(512)
    if head[:2] == b"\x1f\x8b":
        return "archive"
    if head.lstrip().startswith((b"WARC/", b"filedesc://")):
        return "archive"
    return "html"


def read_html_file(path: str) -> Page:
    """One HTML file (plain or .gz) as a page with its ``file://`` URL and mtime."""
    try:
        with open_binary(path) as f:
            data = f.read()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
    except (OSError, EOFError) as e:
        raise InputError(f"{path}: cannot read: {e}") from None
    fetched = None
    url = path
    if "://" not in path:
        absolute = Path(path).resolve()
        url = absolute.as_uri()
        fetched = datetime.fromtimestamp(absolute.stat().st_mtime, UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
    return Page(source=path, url=url, fetched_at=fetched, payload=data)


def record_to_page(rec: ArchiveRecord) -> Page:
    """An archive record as a page (WET conversion records carry text, not HTML)."""
    kind = "text" if rec.kind == "conversion" else "html"
    return Page(
        source=rec.source,
        url=rec.url,
        fetched_at=rec.date,
        payload=rec.payload or b"",
        kind=kind,
        charset=rec.charset,
        record_id=rec.record_id,
        status=rec.status,
        content_type=rec.content_type,
    )


def iter_archive(path: str, max_record_bytes: int) -> Iterator[ArchiveRecord]:
    """Records of one archive file (errors propagate after the good records)."""
    yield from iter_records(path, max_record_bytes=max_record_bytes)

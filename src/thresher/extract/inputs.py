"""Input discovery: files, folders and URLs → work items (archive records or HTML files)."""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from thresher.archive import (
    ArchiveRecord,
    RecordSeen,
    archive_kind,
    iter_records,
    open_binary,
)
from thresher.archive.compression import (
    ARCHIVE_CODECS,
    CHUNK,
    collect_bounded,
    detect_compression,
    iter_decoded,
)
from thresher.archive.record import MAX_PAYLOAD_BYTES
from thresher.errors import InputError
from thresher.sources.page import Page
from thresher.store.remote import is_remote

if TYPE_CHECKING:
    from thresher.extract.config import ExtractConfig

ARCHIVE_SUFFIXES = (".warc", ".wet", ".arc")
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
COMPRESSION_SUFFIXES = (".gz", ".lz4")


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


def expand_inputs(inputs: list[str], config: ExtractConfig | None = None) -> list[tuple[str, str]]:
    """(path or URL, kind) for every input file; folders (local or fsspec, e.g. an HTTP
    directory listing or an ``s3://`` prefix) are walked in sorted order. An input a source
    claims (:mod:`thresher.sources.registry`, e.g. ``cc:CRAWL/PATTERN``) becomes that
    source's items."""
    from thresher.extract.config import ExtractConfig
    from thresher.sources.registry import claiming, source_for

    out: list[tuple[str, str]] = []
    together: dict[str, list[str]] = {}  # specs of sources that expand all theirs at once
    for item in inputs:
        entry = claiming(item)
        if entry is not None:
            source = source_for(entry.kind)
            assert source is not None
            if hasattr(source, "expand_all"):
                together.setdefault(entry.kind, []).append(item)
            else:
                out.extend(source.expand(item, config or ExtractConfig()))
            continue
        if is_remote(item):
            out.extend(_expand_remote(item))
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
    for kind, specs in together.items():  # e.g. Reddit dumps: comments meet their posts
        grouped: Any = source_for(kind)  # a Source with expand_all(specs, config)
        out.extend(grouped.expand_all(specs, config or ExtractConfig()))
    return out


def _expand_remote(url: str) -> list[tuple[str, str]]:
    """Files under an fsspec URL: the file itself, or every input file below a folder."""
    try:
        import fsspec
        from fsspec.core import url_to_fs

        fs, root = url_to_fs(url)
        kind = classify(url.split("?")[0])
        # a name with an input suffix is a file (HTTP "folders" are pages of links, so an
        # HTML page would look like one); anything else may be a folder
        if kind is None and fs.isdir(root):
            files = sorted(fs.find(root))
            urls = [fs.unstrip_protocol(f) if "://" not in f else f for f in files]
            return [(u, k) for u in urls if (k := classify(u.split("?")[0])) is not None]
        if not fs.exists(root):
            raise InputError(f"{url}: no such file or folder")
        if kind is None:
            with fsspec.open(url, "rb", **_open_options(url)) as f:
                kind = _sniff_head(f.read(512))
        return [(url, kind)]
    except InputError:
        raise
    except ImportError as e:
        raise InputError(f"{url}: cannot read this URL: {e}") from None
    except Exception as e:  # fsspec back ends raise their own error types
        raise InputError(f"{url}: cannot list: {type(e).__name__}: {e}") from None


def _open_options(url: str) -> dict[str, object]:
    """HTTP inputs are streamed (no range requests), so any web server can serve them."""
    return {"block_size": 0} if url.startswith(("http://", "https://")) else {}


def _sniff_kind(path: str) -> str:
    with open(path, "rb") as f:
        return _sniff_head(f.read(512))


def _sniff_head(head: bytes) -> str:
    if detect_compression(head, ARCHIVE_CODECS) != "none":
        return "archive"
    if archive_kind(head.lstrip()) != "other":
        return "archive"
    return "html"


def _raw_chunks(f: BinaryIO, first: bytes) -> Iterator[bytes]:
    yield first
    while chunk := f.read(CHUNK):
        yield chunk


def _read_bounded(f: BinaryIO, path: str, limit: int) -> tuple[bytes, bool]:
    """(the file's bytes, whether they are complete): a plain file up to ``limit`` + 1 bytes
    (the page is cut to ``limit`` later), a gzip or lz4 one decompressed as a stream (one
    cut short gives what it held), :class:`TooLarge` past ``limit`` (a bomb stops there)."""
    head = f.read(CHUNK)
    codec = detect_compression(head, ARCHIVE_CODECS)
    if codec == "none":
        return head + f.read(max(limit + 1 - len(head), 0)), True
    pieces = iter_decoded(_raw_chunks(f, head), codec, name=path)
    return collect_bounded(pieces, limit, f"{path}: decompresses to more than {limit} bytes")


def read_html_file(path: str, limit: int = MAX_PAYLOAD_BYTES) -> Page:
    """One HTML file (plain, .gz or .lz4) as a page: a local file gets its ``file://`` URL
    and mtime, a remote one (fsspec URL) keeps its URL. At most ``limit`` bytes are read
    (a plain file is cut there); a compressed file that decompresses to more raises
    :class:`TooLarge`."""
    try:
        with open_binary(path) as f:
            data, complete = _read_bounded(f, path, limit)
    except (OSError, EOFError, zlib.error, RuntimeError) as e:
        raise InputError(f"{path}: cannot read: {e}") from None
    fetched = None
    url = path
    if not is_remote(path):
        absolute = Path(path).resolve()
        url = absolute.as_uri()
        fetched = datetime.fromtimestamp(absolute.stat().st_mtime, UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
    meta: dict[str, Any] = {} if complete else {"truncated": True}
    return Page(source=path, url=url, fetched_at=fetched, payload=data, metadata=meta)


def iter_archive(
    path: str,
    max_record_bytes: int,
    seen: RecordSeen | None = None,
    max_payload_bytes: int = MAX_PAYLOAD_BYTES,
) -> Iterator[ArchiveRecord]:
    """Content records of one archive file (errors propagate after the good records);
    ``seen`` hears of every record read."""
    yield from iter_records(
        path, max_record_bytes=max_record_bytes, max_payload_bytes=max_payload_bytes, seen=seen
    )

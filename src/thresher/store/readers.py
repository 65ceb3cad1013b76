"""Read documents back from JSONL (plain, gzip, zstd) and Parquet files or folders.

A record needs only ``text``; other fields are null when missing, unknown keys go to
``metadata``. A line that is not valid JSON, or has no text, is skipped and counted; a file
that ends early (truncated gzip/zstd) yields every record before the damage and counts one
error — the run goes on.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path, PurePath, PurePosixPath
from typing import TypeVar

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

from thresher.document import Document
from thresher.errors import InputError
from thresher.stats import StepStats
from thresher.store.formats import format_of, iter_lines
from thresher.store.remote import RemoteFolder, is_remote, local_path, open_remote
from thresher.store.schema import row_to_document

P = TypeVar("P", bound=PurePath)


def iter_document_files(paths: Iterable[str | Path]) -> Iterator[Path | str]:
    """Expand files and folders into document files, in a stable (sorted) order.

    Folders are searched recursively for ``.jsonl``/``.ndjson`` (plain, gz, zst) and
    ``.parquet`` files; hidden files (temporary parts) and plain ``.json`` files (manifests,
    stats) are ignored there, but taken when named directly. A path that does not exist raises
    :class:`InputError`. Object-store URLs come back as URLs (strings); a folder there with a
    manifest is read through the parts it lists.
    """
    for p in paths:
        if is_remote(p):
            yield from _remote_files(str(p))
            continue
        path = local_path(p)
        if path.is_dir():
            audit = _dropped_folders(path)
            found = sorted(
                f
                for f in path.rglob("*")
                if f.is_file()
                and not any(part.startswith(".") for part in f.relative_to(path).parts)
                and format_of(f) is not None
                and not f.name.endswith(".json")  # manifest.json, stats.json: not documents
                and not any(parent in audit for parent in f.parents)
            )
            yield from _one_format_per_part(found)
        elif path.is_file():
            yield path
        else:
            raise InputError(f"{path}: no such file or folder")


def _dropped_folders(root: Path) -> set[Path]:
    """Folders below ``root`` that hold the documents a refine run dropped (``dropped/``
    with its own manifest of kind "dropped", ``refine --keep-dropped``): not corpus documents,
    so reading a corpus folder leaves them out (name such a folder itself to read it)."""
    found: set[Path] = set()
    for manifest in root.rglob("*/manifest.json"):
        try:
            kind = orjson.loads(manifest.read_bytes()).get("kind")
        except (OSError, ValueError, AttributeError):
            continue
        if kind == "dropped":
            found.add(manifest.parent)
    return found


def _remote_files(url: str) -> list[str]:
    folder = RemoteFolder(url)
    manifest = folder.manifest()
    if manifest is not None:
        rels = [p["path"] for p in manifest.get("parts", [])]
    elif folder.fs.isfile(folder.root):
        return [folder.url]
    elif folder.fs.isdir(folder.root):
        rels = [
            f[len(folder.root) + 1 :]
            for f in folder.fs.find(folder.root)
            if format_of(f) is not None and not f.endswith(".json")
        ]
        rels = [r for r in rels if not any(seg.startswith(".") for seg in r.split("/"))]
    else:
        raise InputError(f"{url}: no such file or folder")
    chosen = _one_format_per_part([PurePosixPath(r) for r in sorted(rels)])
    return [f"{folder.url}/{r.as_posix()}" for r in chosen]


_PREFERENCE = ("parquet", "jsonl.zst", "jsonl.gz", "jsonl")


def _one_format_per_part(files: Sequence[P]) -> list[P]:
    """A corpus folder may hold each part in several formats (part-00000.parquet and
    part-00000.jsonl.gz): keep one copy per part, preferring Parquet."""
    best: dict[tuple[PurePath, str], P] = {}
    order: list[tuple[PurePath, str]] = []
    for f in files:
        fmt = format_of(f) or ""
        stem = f.name[: -len(fmt) - 1] if fmt and f.name.endswith("." + fmt) else f.name
        key = (f.parent, stem if stem.startswith("part-") else f.name)
        if key not in best:
            best[key] = f
            order.append(key)
        elif _PREFERENCE.index(fmt) < _PREFERENCE.index(format_of(best[key]) or "jsonl"):
            best[key] = f
    return [best[k] for k in order]


def _name(path: Path | str) -> str:
    return str(path).rstrip("/").rsplit("/", 1)[-1]


class DocumentReader:
    """Iterates documents from files; ``stats`` counts files, records and skips by reason."""

    def __init__(self, paths: Iterable[str | Path], batch_rows: int = 4096) -> None:
        self.paths = list(paths)
        self.batch_rows = batch_rows
        self.stats = StepStats("read")

    def __iter__(self) -> Iterator[Document]:
        for path in iter_document_files(self.paths):
            yield from self.read_file(path)

    def read_file(self, path: Path | str) -> Iterator[Document]:
        """The documents of one file (a local path, or an object-store URL)."""
        fmt = format_of(path)
        self.stats.count("files")
        if fmt == "parquet":
            yield from self._read_parquet(path)
        else:
            yield from self._read_jsonl(path)

    def _read_jsonl(self, path: Path | str) -> Iterator[Document]:
        stats = self.stats
        if not is_remote(path) and not Path(path).is_file():
            raise InputError(f"{path}: no such file")
        lineno = 0
        try:
            for line in iter_lines(path):
                lineno += 1
                if not line.strip():
                    continue
                stats.seen += 1
                try:
                    data = orjson.loads(line)
                except orjson.JSONDecodeError:
                    stats.drop("invalid_json")
                    continue
                if not isinstance(data, dict):
                    stats.drop("not_an_object")
                    continue
                try:
                    doc = Document.from_dict(data)
                except (ValueError, TypeError):
                    stats.drop("no_text")
                    continue
                if doc.source is None:
                    doc.source = f"{path}:{lineno}"
                stats.kept += 1
                yield doc
        except (EOFError, zlib.error, zstandard.ZstdError, OSError) as e:
            # everything before the damage has been yielded; count the file once and go on
            stats.drop("truncated_file")
            stats.count(f"error: {_name(path)}: {type(e).__name__}")

    def _read_parquet(self, path: Path | str) -> Iterator[Document]:
        stats = self.stats
        try:
            pf = pq.ParquetFile(open_remote(path) if is_remote(path) else path)
        except (OSError, pa.ArrowException) as e:
            stats.drop("unreadable_file")
            stats.count(f"error: {_name(path)}: {str(e).splitlines()[0][:120]}")
            return
        row_no = 0
        try:
            for batch in pf.iter_batches(batch_size=self.batch_rows):
                for row in batch.to_pylist():
                    row_no += 1
                    stats.seen += 1
                    try:
                        doc = row_to_document(row)
                    except (ValueError, TypeError):
                        stats.drop("no_text")
                        continue
                    if doc.source is None:
                        doc.source = f"{path}#{row_no}"
                    stats.kept += 1
                    yield doc
        except (OSError, pa.ArrowException):
            stats.drop("truncated_file")


def read_documents(paths: Iterable[str | Path] | str | Path) -> Iterator[Document]:
    """Iterate the documents of files and folders (JSONL plain/gz/zst, Parquet)."""
    if isinstance(paths, str | Path):
        paths = [paths]
    return iter(DocumentReader(paths))


def count_documents(path: str | Path) -> int:
    """Count records in one part file (lines for JSONL, rows for Parquet, rows for CSV); a
    local path or an object-store URL."""
    name = _name(path)
    if name.endswith(".parquet"):
        source = open_remote(str(path)) if is_remote(path) else path
        return pq.ParquetFile(source).metadata.num_rows
    if name.endswith(".csv"):
        import csv
        import io

        raw = open_remote(str(path)) if is_remote(path) else open(path, "rb")  # noqa: SIM115
        with io.TextIOWrapper(raw, encoding="utf-8", newline="") as f:
            return max(sum(1 for _ in csv.reader(f)) - 1, 0)
    return sum(1 for line in iter_lines(path) if line.strip())

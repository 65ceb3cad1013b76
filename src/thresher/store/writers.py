"""Part writers: JSONL (plain, gzip, zstd), Parquet and CSV, rotated by size, atomic on close.

A part is written under a hidden temporary name (``.part-00000.jsonl.gz.tmp``), flushed to
disk, and only then renamed to its final name: a crash or a kill never leaves a half-written
part under a final name. :class:`CorpusWriter` splits documents into folders (by language and
bucket by default) and rotates parts by uncompressed size.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from thresher.document import FIELDS, Document
from thresher.errors import OutputError
from thresher.store.formats import PART_FORMATS, open_binary_writer
from thresher.store.parquet import RowGroupWriter
from thresher.store.schema import SCHEMA, docs_to_table, dumps_metadata

DEFAULT_PART_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Part:
    """A finished part file, as listed in the manifest."""

    path: str  # relative to the output folder, '/'-separated
    sha256: str
    documents: int
    bytes: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def write_error(path: Path, e: OSError) -> OutputError:
    """A write that failed (a full disk, a folder gone read-only) as a one-line error naming
    the file being written."""
    return OutputError(f"{path}: cannot write: {e.strerror or e}")


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def document_json(doc: Document) -> bytes:
    """One JSONL line (with the trailing newline) of a document, fields in contract order."""
    return orjson.dumps(doc.to_dict(), option=orjson.OPT_APPEND_NEWLINE, default=str)


class PartWriter:
    """Writes one part to a temporary name; :meth:`close` makes it final and returns its Part."""

    def __init__(self, final_path: Path, root: Path, fmt: str) -> None:
        if fmt not in PART_FORMATS:
            raise ValueError(f"unknown part format {fmt!r}; choose from {', '.join(PART_FORMATS)}")
        self.final_path = final_path
        self.root = root
        self.fmt = fmt
        self.tmp_path = final_path.with_name(f".{final_path.name}.tmp")
        self.documents = 0
        self.raw_bytes = 0  # uncompressed bytes written, for rotation
        final_path.parent.mkdir(parents=True, exist_ok=True)
        self._raw: IO[bytes] = open(self.tmp_path, "wb")  # noqa: SIM115 - closed in close()
        self._out: IO[bytes] | None = None
        self._parquet: RowGroupWriter[Document] | None = None
        self._csv: Any = None
        self._csv_text: io.TextIOWrapper | None = None
        if fmt == "parquet":
            self._parquet = RowGroupWriter(self._raw, SCHEMA, to_table=docs_to_table)
        elif fmt == "csv":
            self._csv_text = io.TextIOWrapper(self._raw, encoding="utf-8", newline="")
            self._csv = csv.writer(self._csv_text)
            self._csv.writerow(FIELDS)
        else:
            self._out = open_binary_writer(self._raw, fmt)

    def write(self, doc: Document) -> None:
        try:
            self._write(doc)
        except OSError as e:
            raise write_error(self.final_path, e) from None

    def _write(self, doc: Document) -> None:
        if self._out is not None:
            line = document_json(doc)
            self._out.write(line)
            self.raw_bytes += len(line)
        elif self._parquet is not None:
            size = len(doc.text) + len(doc.markdown or "") + 256
            self._parquet.write(doc, size)
            self.raw_bytes += size
        else:
            row = [_csv_cell(name, getattr(doc, name)) for name in FIELDS]
            self._csv.writerow(row)
            self.raw_bytes += sum(len(c) for c in row) + len(row)
        self.documents += 1

    def close(self) -> Part:
        """Flush, fsync and rename the part to its final name."""
        try:
            return self._close()
        except OSError as e:
            raise write_error(self.final_path, e) from None

    def _close(self) -> Part:
        if self._parquet is not None:
            self._parquet.close()
        elif self._csv_text is not None:
            self._csv_text.flush()
            self._csv_text.detach()
        elif self._out is not None and self._out is not self._raw:
            self._out.close()
        self._raw.flush()
        os.fsync(self._raw.fileno())
        self._raw.close()
        os.replace(self.tmp_path, self.final_path)
        _fsync_dir(self.final_path.parent)
        return Part(
            path=self.final_path.relative_to(self.root).as_posix(),
            sha256=sha256_file(self.final_path),
            documents=self.documents,
            bytes=self.final_path.stat().st_size,
        )

    def abort(self) -> None:
        """Drop the temporary file (used when a write fails half-way)."""
        try:
            if self._parquet is not None:
                self._parquet.abort()
            self._raw.close()
        finally:
            self.tmp_path.unlink(missing_ok=True)


def _csv_cell(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name == "metadata":
        return dumps_metadata(value)
    if isinstance(value, dict | list):
        return orjson.dumps(value, default=str).decode()
    return str(value)


_PART_RE = re.compile(r"^part-(\d+)\.")


def _safe_segment(value: Any) -> str:
    """A folder name for a partition value (``None`` becomes 'unknown')."""
    if value is None or value == "":
        return "unknown"
    text = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(value)).strip("._")
    return text or "unknown"


class CorpusWriter:
    """Writes documents into ``out_dir/<partition...>/part-NNNNN.<ext>`` in one or more formats.

    ``partition`` names document fields whose values make the folders (default language and
    bucket; ``()`` for a flat folder). Parts rotate when their uncompressed size passes
    ``part_bytes``. Numbering continues after parts already in a folder, so a resumed run never
    overwrites finished work. Leftover temporary files from a killed run are removed.
    """

    def __init__(
        self,
        out_dir: str | Path,
        formats: Sequence[str] = ("jsonl.gz",),
        part_bytes: int = DEFAULT_PART_BYTES,
        partition: Sequence[str] = ("language", "bucket"),
        prefix: str = "part",
    ) -> None:
        self.root = Path(out_dir)
        self.formats = list(dict.fromkeys(formats))
        for fmt in self.formats:
            if fmt not in PART_FORMATS:
                raise ValueError(
                    f"unknown output format {fmt!r}; choose from {', '.join(PART_FORMATS)}"
                )
        if not self.formats:
            raise ValueError("no output format given")
        self.part_bytes = part_bytes
        self.partition = tuple(partition)
        self.prefix = prefix
        self.parts: list[Part] = []
        self.documents = 0
        self._open: dict[tuple[str, ...], list[PartWriter]] = {}
        self._next_index: dict[tuple[str, ...], int] = {}
        self.root.mkdir(parents=True, exist_ok=True)
        for tmp in self.root.rglob(f".{prefix}-*.tmp"):
            tmp.unlink(missing_ok=True)

    def _folder(self, key: tuple[str, ...]) -> Path:
        return self.root.joinpath(*key) if key else self.root

    def _start_index(self, key: tuple[str, ...]) -> int:
        if key in self._next_index:
            return self._next_index[key]
        folder = self._folder(key)
        highest = -1
        if folder.is_dir():
            for p in folder.iterdir():
                name = p.name
                if name.startswith(self.prefix + "-"):
                    m = _PART_RE.match("part-" + name[len(self.prefix) + 1 :])
                    if m:
                        highest = max(highest, int(m.group(1)))
        return highest + 1

    def _new_writers(self, key: tuple[str, ...]) -> list[PartWriter]:
        index = self._start_index(key)
        self._next_index[key] = index + 1
        folder = self._folder(key)
        return [
            PartWriter(folder / f"{self.prefix}-{index:05d}.{fmt}", self.root, fmt)
            for fmt in self.formats
        ]

    def write(self, doc: Document) -> None:
        key = tuple(_safe_segment(getattr(doc, f, None)) for f in self.partition)
        writers = self._open.get(key)
        if writers is None:
            writers = self._open[key] = self._new_writers(key)
        for w in writers:
            w.write(doc)
        self.documents += 1
        if writers[0].raw_bytes >= self.part_bytes:
            self._finish(key)

    def write_all(self, docs: Iterable[Document]) -> None:
        for doc in docs:
            self.write(doc)

    def _finish(self, key: tuple[str, ...]) -> None:
        writers = self._open.pop(key)
        for w in writers:
            self.parts.append(w.close())

    def close(self) -> list[Part]:
        """Finish every open part; returns all parts written by this writer."""
        for key in list(self._open):
            self._finish(key)
        return self.parts

    def abort(self) -> None:
        """Discard open (unfinished) parts; finished parts stay."""
        for writers in self._open.values():
            for w in writers:
                w.abort()
        self._open.clear()

    def __enter__(self) -> CorpusWriter:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

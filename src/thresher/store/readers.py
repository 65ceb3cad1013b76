"""Read documents back from JSONL (plain, gzip, zstd) and Parquet files or folders.

A record needs only ``text``; other fields are null when missing, unknown keys go to
``metadata``. A line that is not valid JSON, has no text, or is longer than
``MAX_LINE_BYTES`` (``line_too_long``, never parsed) is skipped and counted; a file
that ends early (truncated gzip/zstd) yields every record before the damage and counts one
error — the run goes on. CSV files (named directly, not found in folders, where they are
copies of parts) and ``hf:`` datasets are read too, and a field mapping
(:mod:`thresher.store.mapping`) reads records of any layout (docs/datasets.md).
"""

from __future__ import annotations

import csv
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path, PurePath, PurePosixPath
from typing import Any, TypeVar

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

from thresher.document import Document
from thresher.errors import InputError
from thresher.stats import StepStats
from thresher.store.csv_input import check_suffix, csv_records, is_csv
from thresher.store.formats import format_of, iter_line_items
from thresher.store.hf import is_dataset_spec, parse_spec
from thresher.store.hf import iter_rows as dataset_rows
from thresher.store.mapping import FieldMap
from thresher.store.paths import check_folder
from thresher.store.remote import RemoteFolder, filesystem, is_remote, local_path, open_remote
from thresher.store.schema import row_to_document
from thresher.store.token_parts import count_token_documents, is_token_part

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
        if is_dataset_spec(p):
            parse_spec(str(p))  # a malformed name or a missing folder: one line, now
            yield str(p)
            continue
        if is_remote(p):
            yield from _remote_files(str(p))
            continue
        path = local_path(p)
        if path.is_dir():
            check_folder(path)  # a manifest pointing outside: refused, as by every command
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
            for f in _one_format_per_part(found):
                check_suffix(f)
                yield f
        elif path.is_file():
            check_suffix(path)
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
    try:
        if any(c in url.split("://", 1)[1] for c in "*?["):  # hf://datasets/ORG/NAME/*.parquet
            return _remote_glob(url)
        return _remote_folder_files(url)
    except OSError as e:  # e.g. hf:// naming a repository that does not exist
        raise InputError(f"{url}: cannot list: {str(e).splitlines()[0][:160]}") from None


def _remote_folder_files(url: str) -> list[str]:
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


def _remote_glob(url: str) -> list[str]:
    """The files an object-store pattern matches, in sorted order (as URLs)."""
    fs, pattern = filesystem(url)
    try:
        found = sorted(fs.glob(pattern))
    except ValueError as e:
        raise InputError(f"{url}: cannot list: {str(e).splitlines()[0][:160]}") from None
    protocol = url.split("://", 1)[0]
    files = [f for f in found if format_of(f) is not None or is_csv(f)]
    if not files:
        raise InputError(f"{url}: no document files match")
    return [f"{protocol}://{f.lstrip('/')}" for f in files]


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


def _json_error(line: bytes | str) -> str:
    """Why a line is not JSON: ``not_utf8`` (an encoding problem: another encoding's bytes)
    or ``invalid_json``."""
    if isinstance(line, bytes):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            return "not_utf8"
    return "invalid_json"


def _has(record: dict[str, Any], dotted: str) -> bool:
    """Whether ``record`` has the (dotted) field path at all, empty or not."""
    if dotted in record:
        return True
    value: Any = record
    for key in dotted.split("."):
        if isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        elif isinstance(value, dict) and key in value:
            value = value[key]
        else:
            return False
    return True


class Skip:
    """A record a file could not give, with the reason it is counted under."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


#: what the row sources below yield: where the record is (its ``source``) and the record
Rows = Iterator[tuple[str, object]]


class DocumentReader:
    """Iterates documents from files; ``stats`` counts files, records and skips by reason.

    Without ``fields``, records are thresher documents (unknown keys go to ``metadata``);
    with a :class:`~thresher.store.mapping.FieldMap`, records of any layout are mapped.
    Besides files, an input may be an ``hf:`` dataset (:mod:`thresher.store.hf`).
    """

    def __init__(
        self,
        paths: Iterable[str | Path],
        batch_rows: int = 4096,
        fields: FieldMap | None = None,
    ) -> None:
        self.paths = list(paths)
        self.batch_rows = batch_rows
        self.fields = fields
        self.stats = StepStats("read")

    def __iter__(self) -> Iterator[Document]:
        for path in iter_document_files(self.paths):
            yield from self.read_file(path)

    def read_file(self, path: Path | str) -> Iterator[Document]:
        """The documents of one file (a local path, an object-store URL, an ``hf:`` dataset)."""
        self.stats.count("files")
        rows = self.rows(path)
        jsonl = not is_dataset_spec(path) and format_of(path) != "parquet" and not is_csv(path)
        convert: Callable[[dict[str, Any]], Document] = (
            Document.from_dict if jsonl else row_to_document
        )
        if self.fields is not None:
            convert = self.fields.to_document
        stats = self.stats
        noted: set[str] = set()  # the first record of each problem is named (file and line)
        for where, record in rows:
            stats.seen += 1
            if isinstance(record, Skip):
                stats.drop(record.reason)
                if record.reason == "not_utf8" and "not_utf8" not in noted:
                    noted.add("not_utf8")
                    stats.count(f"error: {_name(where)}: not UTF-8 text (cp1252 or Latin-1?)")
                continue
            if not isinstance(record, dict):
                stats.drop("not_an_object")
                continue
            try:
                doc = convert(record)
            except (ValueError, TypeError):
                stats.drop("no_text")
                text = self.fields.text if self.fields is not None else None
                if text is not None and "field" not in noted and not _has(record, text):
                    noted.add("field")
                    stats.count(
                        f"error: {_name(where)}: no field {text!r}; fields found: "
                        f"{', '.join(sorted(map(str, record))) or 'none'}"
                    )
                continue
            if doc.source is None:
                doc.source = where
            stats.kept += 1
            yield doc

    def rows(self, path: Path | str) -> Rows:
        """The raw records of one file or ``hf:`` dataset, each with where it is; a record
        that could not be read is a :class:`Skip` (damaged files are counted in ``stats``).
        For callers that want records, not documents (benchmark items, decontaminate)."""
        if is_dataset_spec(path):
            return self._dataset_rows(str(path))
        if format_of(path) == "parquet":
            return self._parquet_rows(path)
        if is_csv(path):
            return self._csv_rows(path)
        return self._jsonl_rows(path)

    def _jsonl_rows(self, path: Path | str) -> Rows:
        if not is_remote(path) and not Path(path).is_file():
            raise InputError(f"{path}: no such file")
        lineno = 0
        try:
            for line in iter_line_items(path):
                lineno += 1
                if line is None:  # longer than MAX_LINE_BYTES: never parsed
                    yield f"{path}:{lineno}", Skip("line_too_long")
                    continue
                if not line.strip():
                    continue
                try:
                    yield f"{path}:{lineno}", orjson.loads(line)
                except orjson.JSONDecodeError:
                    yield f"{path}:{lineno}", Skip(_json_error(line))
        except (EOFError, zlib.error, zstandard.ZstdError, OSError) as e:
            # everything before the damage has been yielded; count the file once and go on
            self._damaged(path, "truncated_file", type(e).__name__)

    def _parquet_rows(self, path: Path | str) -> Rows:
        try:
            pf = pq.ParquetFile(open_remote(path) if is_remote(path) else path)
        except (OSError, pa.ArrowException) as e:
            self._damaged(path, "unreadable_file", str(e).splitlines()[0][:120])
            return
        row_no = 0
        try:
            for batch in pf.iter_batches(batch_size=self.batch_rows):
                for row in batch.to_pylist():
                    row_no += 1
                    yield f"{path}#{row_no}", row
        except (OSError, pa.ArrowException):
            self.stats.drop("truncated_file")

    def _csv_rows(self, path: Path | str) -> Rows:
        try:
            for row_no, row in enumerate(csv_records(path), 1):
                yield f"{path}#{row_no}", row
        except (EOFError, zlib.error, zstandard.ZstdError, OSError) as e:
            self._damaged(path, "truncated_file", type(e).__name__)
        except (UnicodeDecodeError, csv.Error) as e:  # rows before the bad one were yielded
            self._damaged(path, "unreadable_file", str(e)[:120])

    def _dataset_rows(self, spec: str) -> Rows:
        row_no = 0
        try:
            for row_no, row in enumerate(dataset_rows(spec, self.batch_rows), 1):
                yield f"{spec}#{row_no}", row
        except OSError as e:  # the Hub went away mid-stream: stop (a rerun resumes), say where
            detail = str(e).strip().splitlines()[0][:160] if str(e).strip() else type(e).__name__
            raise InputError(f"{spec}: reading stopped after row {row_no}: {detail}") from None

    def _damaged(self, path: Path | str, reason: str, detail: str) -> None:
        self.stats.drop(reason)
        self.stats.count(f"error: {_name(path)}: {detail}")


def read_documents(
    paths: Iterable[str | Path] | str | Path, fields: FieldMap | None = None
) -> Iterator[Document]:
    """Iterate the documents of files and folders (JSONL plain/gz/zst, Parquet, CSV named
    directly) and ``hf:`` datasets; ``fields`` maps records of another layout."""
    if isinstance(paths, str | Path):
        paths = [paths]
    return iter(DocumentReader(paths, fields=fields))


def count_documents(path: str | Path) -> int:
    """Count records in one part file (lines for JSONL, rows for Parquet, rows for CSV); a
    local path or an object-store URL; token shards by their index)."""
    name = _name(path)
    if is_token_part(name):
        return count_token_documents(path)
    if name.endswith(".parquet"):
        source = open_remote(str(path)) if is_remote(path) else path
        return pq.ParquetFile(source).metadata.num_rows
    if name.endswith(".csv"):
        import csv
        import io

        raw = open_remote(str(path)) if is_remote(path) else open(path, "rb")  # noqa: SIM115
        with io.TextIOWrapper(raw, encoding="utf-8", newline="") as f:
            return max(sum(1 for _ in csv.reader(f)) - 1, 0)
    return sum(1 for line in iter_line_items(path) if line is None or line.strip())

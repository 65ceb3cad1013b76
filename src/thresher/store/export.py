"""``thresher export``: documents to one file in a format other tools read (JSON, JSONL, CSV,
Parquet, XML, Avro; writers in :mod:`thresher.store.export_formats`).

The file is written under a hidden temporary name and renamed when complete, locked against a
second export into it, streamed (never all documents in memory), and not written at all when
the inputs give no document. Broken records are skipped and counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from thresher.atomic import replacing
from thresher.errors import ConfigError, NothingToDoError
from thresher.output import check_file, lock_file
from thresher.stats import StepStats
from thresher.store.export_formats import EXPORT_FORMATS, EXTENSIONS, WRITERS
from thresher.store.mapping import FieldMap
from thresher.store.readers import DocumentReader, iter_document_files
from thresher.store.sniff import wrong_kind_hint


def export_format(out: str | Path, fmt: str | None = None) -> str:
    """The format to write: ``fmt`` when given, else chosen by the file's extension."""
    if fmt is not None:
        chosen = fmt.lower().lstrip(".")
        if chosen not in EXPORT_FORMATS:
            raise ConfigError(
                f"--format {fmt}: unknown format; choose from {', '.join(EXPORT_FORMATS)}"
            )
        return chosen
    suffix = Path(out).suffix.lower()
    if suffix not in EXTENSIONS:
        raise ConfigError(
            f"{out}: cannot tell the format from the extension {suffix or '(none)'!r}; "
            f"name the file .{', .'.join(EXPORT_FORMATS)} or pass --format"
        )
    return EXTENSIONS[suffix]


def export(
    inputs: Iterable[str | Path],
    out: str | Path,
    fmt: str | None = None,
    stats: StepStats | None = None,
    fields: FieldMap | None = None,
) -> int:
    """Write every document of ``inputs`` to one file (atomically); returns the count.

    Broken records are skipped and counted in ``stats`` (the reader's ``read`` step). Inputs
    that give no document at all are an error, and no file is written. ``fields`` maps
    records of another layout (docs/datasets.md)."""
    target = check_file(out)  # a folder named as the file: say so before the format
    chosen = export_format(target, fmt)
    paths = list(inputs)
    for f in iter_document_files(paths):
        hint = wrong_kind_hint(f, "documents")
        if hint is not None:
            raise NothingToDoError(hint)
    reader = DocumentReader(paths, fields=fields)
    with lock_file(target), replacing(target, fsync=True) as raw:
        writer = WRITERS[chosen](raw)
        try:
            for doc in reader:
                writer.write(doc)
            if writer.documents == 0:
                raise NothingToDoError(f"{', '.join(map(str, paths))}: {_no_documents(reader)}")
            writer.close()
        except BaseException:
            writer.abort()
            raise
    if stats is not None:
        stats.merge(reader.stats)
    return writer.documents


def export_csv(
    inputs: Iterable[str | Path], out: str | Path, stats: StepStats | None = None
) -> int:
    """:func:`export` to CSV whatever the file's name (nested fields as JSON strings)."""
    return export(inputs, out, "csv", stats)


def _no_documents(reader: DocumentReader) -> str:
    drops = ", ".join(f"{k} {v}" for k, v in reader.stats.dropped.most_common(3))
    return f"no document could be read ({drops})" if drops else "no document found"

"""Export documents to formats meant for people rather than pipelines (CSV)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from thresher.errors import NothingToDoError
from thresher.output import lock_file
from thresher.stats import StepStats
from thresher.store.readers import DocumentReader, iter_document_files
from thresher.store.sniff import wrong_kind_hint
from thresher.store.writers import PartWriter


def export_csv(
    inputs: Iterable[str | Path], out: str | Path, stats: StepStats | None = None
) -> int:
    """Write every document of ``inputs`` to one CSV file (atomically); returns the count.

    Columns are the record's fields; ``metadata`` and other nested values are JSON strings.
    Broken records are skipped and counted in ``stats`` (the reader's ``read`` step). Inputs
    that give no document at all are an error, and no file is written.
    """
    paths = list(inputs)
    for f in iter_document_files(paths):
        hint = wrong_kind_hint(f, "documents")
        if hint is not None:
            raise NothingToDoError(hint)
    target = Path(out)
    reader = DocumentReader(paths)
    with lock_file(target):
        writer = PartWriter(target, target.parent, "csv")
        try:
            for doc in reader:
                writer.write(doc)
            if writer.documents == 0:
                raise NothingToDoError(f"{', '.join(map(str, paths))}: {_no_documents(reader)}")
        except BaseException:
            writer.abort()
            raise
        n = writer.close().documents
    if stats is not None:
        stats.merge(reader.stats)
    return n


def _no_documents(reader: DocumentReader) -> str:
    drops = ", ".join(f"{k} {v}" for k, v in reader.stats.dropped.most_common(3))
    return f"no document could be read ({drops})" if drops else "no document found"

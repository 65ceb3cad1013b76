"""Export documents to formats meant for people rather than pipelines (CSV)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from thresher.store.readers import read_documents
from thresher.store.writers import PartWriter


def export_csv(inputs: Iterable[str | Path], out: str | Path) -> int:
    """Write every document of ``inputs`` to one CSV file (atomically); returns the count.

    Columns are the record's fields; ``metadata`` and other nested values are JSON strings.
    """
    target = Path(out)
    writer = PartWriter(target, target.parent, "csv")
    try:
        for doc in read_documents(list(inputs)):
            writer.write(doc)
    except BaseException:
        writer.abort()
        raise
    return writer.close().documents

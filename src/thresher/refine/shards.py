"""Refine shards: the unit of parallel work and of resume of ``refine``.

A shard is one input file, or (with more workers than files) a range of its documents, so
every worker has work. Shards are planned once per run and kept in the work folder's plan, so
a resumed run works on the same shards whatever its number of workers.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from thresher.document import Document
from thresher.stats import StepStats
from thresher.store import DocumentReader
from thresher.store.hf import is_dataset_spec
from thresher.store.mapping import FieldMap
from thresher.store.remote import is_remote

#: documents of one file below which it is not cut into ranges
MIN_SHARD_DOCS = 1000


@dataclass(frozen=True)
class Shard:
    """A unit of work: the documents ``start`` to ``stop`` (``None``: the end) of one file."""

    path: str
    start: int = 0
    stop: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "start": self.start, "stop": self.stop}

    def read(
        self, limit: int | None = None, fields: FieldMap | None = None
    ) -> tuple[DocumentReader, Iterator[Document]]:
        """A reader (for its stats) and the shard's documents, at most ``limit`` of them;
        ``fields`` maps records of another layout (``refine.fields``).

        Documents before ``start`` are parsed and skipped; a shard that does not reach the end
        of its file reports no read drops (the file's last shard reports them all)."""
        reader = DocumentReader([self.path], fields=fields)
        stop = self.stop
        if limit is not None:
            stop = self.start + limit if stop is None else min(stop, self.start + limit)
        local = not (is_remote(self.path) or is_dataset_spec(self.path))
        docs = reader.read_file(Path(self.path) if local else self.path)
        if self.start or stop is not None:
            docs = islice(docs, self.start, stop)
        return reader, docs

    def read_stats(self, reader: DocumentReader, documents: int) -> StepStats:
        """The ``read`` stats of this shard alone."""
        st = StepStats("read")
        if self.start == 0:
            st.counters["files"] = 1
        if self.stop is None:
            st.dropped.update(reader.stats.dropped)
            st.counters.update(
                {k: v for k, v in reader.stats.counters.items() if k.startswith("error")}
            )
        st.kept = documents
        st.seen = documents + sum(st.dropped.values())
        return st


def plan_shards(
    files: list[Path | str], workers: int, fields: FieldMap | None = None
) -> list[Shard]:
    """One shard per file; with more workers than files, each file is cut into document
    ranges (of at least :data:`MIN_SHARD_DOCS`) so that every worker has work."""
    if workers <= len(files):
        return [Shard(str(f)) for f in files]
    per_file = math.ceil(workers / len(files))
    shards: list[Shard] = []
    for f in files:
        reader = DocumentReader([f], fields=fields)
        total = sum(1 for _ in reader.read_file(f))
        k = max(1, min(per_file, total // MIN_SHARD_DOCS))
        bounds = [total * i // k for i in range(k + 1)]
        for i in range(k):
            shards.append(Shard(str(f), bounds[i], None if i == k - 1 else bounds[i + 1]))
    return shards

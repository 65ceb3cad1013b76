"""Export rows (SFT examples, RAG chunks) as parts of a folder on the stage runner.

A rows stage is a :class:`RowsJob`: the runner gives it the project's output rules
(docs/outputs.md: the lock, "already complete", another run's folder refused unless
``overwrite``, resume, the commit of parts with the manifest only when the whole input has been
read); each shard writes its rows with a :class:`RowsWriter` (JSON Lines or Parquet).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import orjson
import pyarrow as pa

from thresher.execute.job import Job, ShardSpec
from thresher.stats import StepStats
from thresher.store.folder import canonical_order
from thresher.store.parquet import RowGroupWriter
from thresher.store.readers import iter_document_files
from thresher.store.writers import Part, sha256_file, write_error

FORMATS = ("jsonl", "parquet")
_BATCH = 2048


class RowsWriter:
    """One part (``part-00000.jsonl`` or ``.parquet``) of rows in a shard's stage."""

    def __init__(self, stage: Path, fmt: str, schema: pa.Schema | None = None) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}")
        if fmt == "parquet" and schema is None:
            raise ValueError("parquet needs a schema")
        stage.mkdir(parents=True, exist_ok=True)
        self.fmt = fmt
        self.path = stage / f"part-00000.{fmt}"
        self.documents = 0
        self._file: IO[bytes] | None = None
        self._parquet: RowGroupWriter[dict[str, Any]] | None = None
        if fmt == "parquet":
            assert schema is not None
            self._parquet = RowGroupWriter(self.path, schema, max_rows=_BATCH)

    def write(self, row: dict[str, Any]) -> None:
        """Stage one row."""
        try:
            if self._parquet is not None:
                self._parquet.write(row)
            else:
                if self._file is None:
                    self._file = open(self.path, "wb")  # noqa: SIM115 - closed in close/abort
                self._file.write(orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE, default=str))
        except OSError as e:
            raise write_error(self.path, e) from None
        self.documents += 1

    def close(self) -> list[Part]:
        """The part (none for a shard without rows)."""
        try:
            if self._file is not None:
                self._file.close()
                self._file = None
            if self._parquet is not None:
                self._parquet.close()
        except OSError as e:
            raise write_error(self.path, e) from None
        if not self.documents:
            self.path.unlink(missing_ok=True)
            return []
        return [Part(self.path.name, sha256_file(self.path), self.documents,
                     self.path.stat().st_size)]  # fmt: skip

    def abort(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._parquet is not None:
            self._parquet.abort()
        self.path.unlink(missing_ok=True)


class RowsJob(Job):
    """A stage that turns the documents of ``inputs`` into rows of one format."""

    def __init__(
        self,
        inputs: Sequence[str | Path],
        settings: dict[str, Any],
        fmt: str = "jsonl",
        schema: pa.Schema | None = None,
    ) -> None:
        super().__init__(inputs)
        self.row_settings = settings
        self.formats = (fmt,)
        self.schema = schema
        self.document_files = [str(f) for f in iter_document_files(canonical_order(inputs))]

    def settings(self) -> str:
        return json.dumps(self.row_settings, sort_keys=True)

    def files(self) -> list[str]:
        return self.document_files

    def writer(self, stage: Path) -> RowsWriter:
        return RowsWriter(stage, self.formats[0], self.schema)

    def config(self) -> Any:
        return self.row_settings

    def plan(self, workers: int) -> list[ShardSpec]:
        """One shard per input file, in the canonical input order."""
        return [{"files": [f]} for f in self.document_files]

    def stats(self) -> list[StepStats]:
        return [StepStats("read"), StepStats(self.kind)]

"""An output folder of export rows (SFT examples, RAG chunks) under the project's output rules.

The same rules as a documents folder (docs/outputs.md, :mod:`thresher.store.folder`): the
folder is locked for the run; a finished folder of the same run is left as it is, another
run's is refused unless ``overwrite``; rows are written to a hidden work folder and moved into
place with the manifest only when the whole input has been read, so a failure or Ctrl-C
leaves the earlier output (if any) whole.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import orjson
import pyarrow as pa

from thresher.errors import OutputError
from thresher.output import OutputLock, lock_folder
from thresher.stats import StepStats
from thresher.store.folder import fingerprint_files, prior_run, remove_output
from thresher.store.manifest import MANIFEST, write_manifest
from thresher.store.parquet import RowGroupWriter
from thresher.store.readers import iter_document_files
from thresher.store.writers import Part, sha256_file, write_error

FORMATS = ("jsonl", "parquet")
_BATCH = 2048


def run_fingerprint(inputs: Sequence[str | Path], settings: str) -> str:
    """The identity of an export run: its settings and its input files."""
    return fingerprint_files([str(f) for f in iter_document_files(inputs)], settings)


class RowsFolder:
    """One part (``part-00000.jsonl`` or ``.parquet``) of rows plus manifest and stats.

    Use as a context manager: on entry the folder is locked and checked (:attr:`done` holds
    the manifest when it already holds this run); :meth:`write` stages rows; :meth:`commit`
    puts them in place; leaving the block without a commit drops what was staged.
    """

    def __init__(
        self,
        out: str | Path,
        *,
        kind: str,
        fingerprint: str,
        fmt: str = "jsonl",
        schema: pa.Schema | None = None,
        overwrite: bool = False,
        inputs: Sequence[str | Path] = (),
    ) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}")
        if fmt == "parquet" and schema is None:
            raise ValueError("parquet needs a schema")
        self.out = Path(out)
        self.kind = kind
        self.fingerprint = fingerprint
        self.fmt = fmt
        self.schema = schema
        self.overwrite = overwrite
        self.inputs = list(inputs)  # an output nested with one of them is refused
        self.work = self.out / f".{kind}-work"
        self.name = f"part-00000.{fmt}"
        self.rows = 0
        self.done: dict[str, Any] | None = None
        self._lock: OutputLock | None = None
        self._file: IO[bytes] | None = None
        self._parquet: RowGroupWriter[dict[str, Any]] | None = None
        if fmt == "parquet":
            assert schema is not None
            self._parquet = RowGroupWriter(self.staged, schema, max_rows=_BATCH)
        self._replace = False

    def __enter__(self) -> RowsFolder:
        self._lock = lock_folder(self.out)
        try:
            prior = prior_run(
                self.out,
                kind=self.kind,
                fingerprint=self.fingerprint,
                overwrite=self.overwrite,
                work=self.work.name,
                inputs=self.inputs,
            )
            self.done, self._replace = prior.done, prior.replace
            if self.done is None:
                shutil.rmtree(self.work, ignore_errors=True)
                self.work.mkdir(parents=True)
        except BaseException:
            self._release()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._drop_writers()
        shutil.rmtree(self.work, ignore_errors=True)
        self._release()

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    @property
    def staged(self) -> Path:
        return self.work / self.name

    def write(self, row: dict[str, Any]) -> None:
        """Stage one row."""
        try:
            if self.fmt == "jsonl":
                if self._file is None:
                    self._file = open(self.staged, "wb")  # noqa: SIM115 - closed in commit/exit
                self._file.write(orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE, default=str))
            elif self._parquet is not None:
                self._parquet.write(row)
        except OSError as e:
            raise write_error(self.staged, e) from None
        self.rows += 1

    def _close_writers(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._parquet is not None:
            self._parquet.close()  # also writes a file with the schema and no rows

    def _drop_writers(self) -> None:
        """Let go of the staged part (committed already, or dropped with the work folder)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._parquet is not None:
            self._parquet.abort()

    def commit(
        self, *, config: Any, inputs: Sequence[str | Path], stats: Sequence[StepStats]
    ) -> Path:
        """Move the staged part into place (replacing the earlier output) and write the
        manifest and stats; returns the part's path."""
        try:
            if self.fmt == "jsonl" and self._file is None:
                self.staged.touch()
            if self._file is not None:
                self._file.flush()
                os.fsync(self._file.fileno())
            self._close_writers()
        except OSError as e:
            raise write_error(self.staged, e) from None
        if self._replace or (self.out / MANIFEST).is_file():
            remove_output(self.out)
        final = self.out / self.name
        if final.exists():
            raise OutputError(f"{final}: exists and is not listed in a manifest; remove it")
        os.replace(self.staged, final)
        part = Part(self.name, sha256_file(final), self.rows, final.stat().st_size)
        write_manifest(
            self.out,
            kind=self.kind,
            config=config,
            inputs=inputs,
            parts=[part],
            stats=stats,
            extra={"fingerprint": self.fingerprint},
        )
        return final

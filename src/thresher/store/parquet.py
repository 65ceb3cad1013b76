"""Writing Parquet: the one place that holds the project's Parquet settings (zstd) and the
row-group buffering every Parquet output uses (document parts, exports, SFT/RAG rows, joined
parts), so a setting changed here changes every file alike."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Generic, TypeVar

import pyarrow as pa
import pyarrow.parquet as pq

#: the codec of every Parquet file thresher writes
COMPRESSION = "zstd"
#: a row group ends at this many rows (document parts; exports and rows ask for fewer) ...
ROW_GROUP_ROWS = 20_000
#: ... or once the sizes given with its rows reach this many bytes
ROW_GROUP_BYTES = 32 * 1024 * 1024

T = TypeVar("T")
Sink = str | Path | IO[bytes]


def parquet_writer(
    sink: Sink, schema: pa.Schema, *, use_dictionary: bool | list[str] = True
) -> pq.ParquetWriter:
    """A Parquet writer with the project's settings, on a path or an open binary file
    (``use_dictionary``: the columns worth a dictionary, when not all are)."""
    return pq.ParquetWriter(sink, schema, compression=COMPRESSION, use_dictionary=use_dictionary)


class RowGroupWriter(Generic[T]):
    """Rows buffered and written one row group at a time: a group ends at ``max_rows`` rows
    or once the sizes given with its rows reach ``max_bytes``. The file is opened at the first
    group (or at :meth:`close`, for a file with the schema and no rows).

    ``to_table`` turns a group's rows into a table; the default reads dicts of
    column → value (:meth:`pyarrow.Table.from_pylist`).
    """

    def __init__(
        self,
        sink: Sink,
        schema: pa.Schema,
        *,
        max_rows: int = ROW_GROUP_ROWS,
        max_bytes: int = ROW_GROUP_BYTES,
        to_table: Callable[[list[T]], pa.Table] | None = None,
    ) -> None:
        self.sink = sink
        self.schema = schema
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self._to_table = to_table or self._from_pylist
        self._writer: pq.ParquetWriter | None = None
        self._pending: list[T] = []
        self._pending_bytes = 0
        self._closed = False

    def _from_pylist(self, rows: list[Any]) -> pa.Table:
        return pa.Table.from_pylist(rows, schema=self.schema)

    def write(self, row: T, size: int = 0) -> None:
        """Add one row (``size``: its estimated bytes, counted against ``max_bytes``)."""
        self._pending.append(row)
        self._pending_bytes += size
        if len(self._pending) >= self.max_rows or self._pending_bytes >= self.max_bytes:
            self.flush()

    def _open(self) -> pq.ParquetWriter:
        if self._writer is None:
            self._writer = parquet_writer(self.sink, self.schema)
        return self._writer

    def flush(self) -> None:
        """Write the pending rows as one row group (nothing when none are pending)."""
        if self._pending:
            self._open().write_table(self._to_table(self._pending))
            self._pending = []
            self._pending_bytes = 0

    def close(self) -> None:
        """Write the last group and the footer (an open file given as the sink stays open);
        a second call does nothing."""
        if self._closed:
            return
        self.flush()
        self._open().close()
        self._closed, self._writer = True, None

    def abort(self) -> None:
        """Drop what is pending and let go of the file, whatever state it is in (a full disk,
        a file already closed); nothing more is written."""
        self._pending = []
        if self._writer is not None:
            with contextlib.suppress(OSError, ValueError):
                self._writer.close()  # else its finaliser writes to a closed file
        self._closed, self._writer = True, None

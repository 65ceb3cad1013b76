"""Documents to token ids: each input part becomes one *run*, a Parquet part of the stage
runner with a row per document: ``ids`` (its token ids, no EOS) and ``group`` (the folder,
language/bucket, it came from). Runs are made in parallel, one shard per part
(:mod:`thresher.ship.tokens.job`), so they resume, run on Ray and stage in buckets like every
stage's parts; the shuffle and packing read them at the end (:mod:`thresher.ship.tokens.pack`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from thresher.store.parquet import parquet_writer
from thresher.store.writers import Part, sha256_file, write_error

if TYPE_CHECKING:
    from tokenizers import Tokenizer

    from thresher.document import Document

#: documents handed to the tokenizer at once (it encodes a batch on all its threads)
BATCH_DOCUMENTS = 512


def run_schema(dtype: np.dtype[Any]) -> pa.Schema:
    """A run's columns: each document's ids (of the run's id type) and its group."""
    ids = pa.uint16() if np.dtype(dtype).itemsize == 2 else pa.uint32()
    return pa.schema([("ids", pa.list_(ids)), ("group", pa.string())])


@dataclass
class Batch:
    """Encoded documents: their ids one after another, each one's length in tokens (0: the
    text gave no token, left out) and group."""

    ids: np.ndarray
    lengths: np.ndarray
    groups: list[str]


def encode_batch(
    tokenizer: Tokenizer, texts: list[str], dtype: np.dtype[Any]
) -> tuple[np.ndarray, np.ndarray]:
    """The ids of ``texts`` one after another (no special tokens added) and each text's
    length in tokens."""
    encoded = tokenizer.encode_batch_fast(texts, add_special_tokens=False)
    flat: list[int] = []
    lengths = np.zeros(len(texts), dtype=np.int64)
    for i, enc in enumerate(encoded):
        ids = enc.ids
        flat.extend(ids)
        lengths[i] = len(ids)
    return np.asarray(flat, dtype=dtype), lengths


def group_of(folder: str, doc: Document) -> str:
    """The language/bucket a document is counted under: its part's folder in the corpus
    (``en/head``), or for a flat corpus its own ``language``/``bucket`` fields."""
    if folder not in ("", "."):
        return folder
    lang = doc.language or "unknown"
    return f"{lang}/{doc.bucket}" if doc.bucket else lang


def encode_documents(
    docs: Iterable[Document],
    folder: str,
    tokenizer: Tokenizer,
    dtype: np.dtype[Any],
    batch: int = BATCH_DOCUMENTS,
) -> Iterator[Batch]:
    """``docs`` (of a part in ``folder``) encoded ``batch`` documents at a time."""
    texts: list[str] = []
    groups: list[str] = []
    for doc in docs:
        texts.append(doc.text)
        groups.append(group_of(folder, doc))
        if len(texts) >= batch:
            yield Batch(*encode_batch(tokenizer, texts, dtype), groups)
            texts, groups = [], []
    if texts:
        yield Batch(*encode_batch(tokenizer, texts, dtype), groups)


class RunSink:
    """Writes one run into ``stage`` as ``part-00000.parquet`` (a shard writer of the stage
    runner): a row group per batch; :meth:`close` returns the part (none when empty)."""

    def __init__(self, stage: Path, dtype: np.dtype[Any]) -> None:
        self.path = stage / "part-00000.parquet"
        self.schema = run_schema(dtype)
        self.dtype = dtype
        self.documents = 0
        self._writer: pq.ParquetWriter | None = None

    def write(self, batch: Batch) -> None:
        """Append a batch of encoded documents (those without a token are left out)."""
        keep = batch.lengths > 0
        if not keep.any():
            return
        lengths = batch.lengths[keep]
        offsets = np.zeros(len(lengths) + 1, dtype=np.int32)
        np.cumsum(lengths, out=offsets[1:])
        ids = pa.ListArray.from_arrays(pa.array(offsets), pa.array(batch.ids))
        groups = pa.array([g for g, k in zip(batch.groups, keep.tolist(), strict=True) if k])
        try:
            if self._writer is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                # ids are not worth a dictionary (most values differ); the groups are
                self._writer = parquet_writer(self.path, self.schema, use_dictionary=["group"])
            self._writer.write_table(pa.Table.from_arrays([ids, groups], schema=self.schema))
        except OSError as e:
            raise write_error(self.path, e) from None
        self.documents += len(lengths)

    def close(self) -> list[Part]:
        """Finish the run's file; no part for a run without a document."""
        if self._writer is None:
            return []
        try:
            self._writer.close()
        except OSError as e:
            raise write_error(self.path, e) from None
        self._writer = None
        size = self.path.stat().st_size
        return [Part(self.path.name, sha256_file(self.path), self.documents, size)]

    def abort(self) -> None:
        """Drop what was written."""
        if self._writer is not None:
            with contextlib.suppress(OSError):  # the file is deleted below
                self._writer.close()
            self._writer = None
        self.path.unlink(missing_ok=True)

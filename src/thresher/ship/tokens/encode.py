"""Documents to token ids: each input part becomes one staged *run* — its documents' ids
with EOS after each (raw little-endian, ``run-NNNNN.tokens``), their offsets
(``.offsets.npy``) and the folder (language/bucket) each came from (``.groups.npy``). Runs are
made in parallel, one task per part; the shuffle and packing read them at the end.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from thresher.atomic import write_json
from thresher.stats import StepStats
from thresher.store.readers import DocumentReader
from thresher.store.writers import write_error

if TYPE_CHECKING:
    from tokenizers import Tokenizer

    from thresher.document import Document

#: documents handed to the tokenizer at once (it encodes a batch on all its threads)
BATCH_DOCUMENTS = 512


def encode_batch(
    tokenizer: Tokenizer, texts: list[str], eos_id: int, dtype: np.dtype[Any]
) -> tuple[np.ndarray, np.ndarray]:
    """The ids of ``texts`` one after another, each followed by ``eos_id``, and each text's
    length in tokens with its EOS (0 for a text that gave no token: nothing is written)."""
    encoded = tokenizer.encode_batch_fast(texts, add_special_tokens=False)
    flat: list[int] = []
    lengths = np.zeros(len(texts), dtype=np.int64)
    for i, enc in enumerate(encoded):
        ids = enc.ids
        if ids:
            flat.extend(ids)
            flat.append(eos_id)
            lengths[i] = len(ids) + 1
    return np.asarray(flat, dtype=dtype), lengths


def group_of(folder: str, doc: Document) -> str:
    """The language/bucket a document is counted under: its part's folder in the corpus
    (``en/head``), or for a flat corpus its own ``language``/``bucket`` fields."""
    if folder not in ("", "."):
        return folder
    lang = doc.language or "unknown"
    return f"{lang}/{doc.bucket}" if doc.bucket else lang


@dataclass
class RunInfo:
    """What one run holds: documents and tokens per group (tokens without EOS)."""

    name: str
    documents: int = 0
    tokens: int = 0  # with one EOS per document: the run file's length
    groups: list[str] = field(default_factory=list)
    by_group: dict[str, dict[str, int]] = field(default_factory=dict)
    stats: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "documents": self.documents,
            "tokens": self.tokens,
            "groups": self.groups,
            "by_group": self.by_group,
            "stats": self.stats,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunInfo:
        return cls(
            d["name"], d["documents"], d["tokens"], list(d["groups"]), dict(d["by_group"]),
            list(d.get("stats", [])),
        )  # fmt: skip


class RunWriter:
    """Writes one run into ``stage``: ids appended as batches are encoded, offsets and group
    codes at :meth:`close`."""

    def __init__(self, stage: Path, name: str, dtype: np.dtype[Any]) -> None:
        self.stage = stage
        self.info = RunInfo(name)
        self.dtype = dtype
        self._lengths: list[np.ndarray] = []
        self._codes: list[np.ndarray] = []
        self._code: dict[str, int] = {}
        stage.mkdir(parents=True, exist_ok=True)
        self._path = stage / f"{name}.tokens"
        self._out: IO[bytes] = open(self._path, "wb")  # noqa: SIM115 - closed in close()

    def write(self, ids: np.ndarray, lengths: np.ndarray, groups: list[str]) -> None:
        """Append a batch: ``ids`` as :func:`encode_batch` gives them, one group per text."""
        keep = lengths > 0
        codes = np.fromiter((self._code_of(g) for g in groups), dtype=np.int32, count=len(groups))
        self._lengths.append(lengths[keep])
        self._codes.append(codes[keep])
        try:
            self._out.write(ids.astype(self.dtype, copy=False).tobytes())
        except OSError as e:
            raise write_error(self._path, e) from None
        for g, n in zip(groups, lengths.tolist(), strict=True):
            if n:
                entry = self.info.by_group.setdefault(g, {"documents": 0, "tokens": 0})
                entry["documents"] += 1
                entry["tokens"] += n - 1

    def _code_of(self, group: str) -> int:
        code = self._code.get(group)
        if code is None:
            code = self._code[group] = len(self.info.groups)
            self.info.groups.append(group)
        return code

    def close(self) -> RunInfo:
        """Finish the files and return what the run holds."""
        self._out.close()
        lengths = np.concatenate(self._lengths) if self._lengths else np.zeros(0, np.int64)
        codes = np.concatenate(self._codes) if self._codes else np.zeros(0, np.int32)
        offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        np.save(self.stage / f"{self.info.name}.offsets.npy", offsets)
        np.save(self.stage / f"{self.info.name}.groups.npy", codes)
        self.info.documents = len(lengths)
        self.info.tokens = int(offsets[-1])
        return self.info


def tokenize_documents(
    docs: Iterable[Document],
    folder: str,
    writer: RunWriter,
    tokenizer: Tokenizer,
    eos_id: int,
    stats: StepStats,
    batch: int = BATCH_DOCUMENTS,
) -> None:
    """Encode ``docs`` in batches into ``writer``; ``stats`` counts documents seen, kept and
    dropped (``no_tokens``: a text the tokenizer turned into nothing)."""
    for texts, groups in _batches(docs, folder, batch):
        ids, lengths = encode_batch(tokenizer, texts, eos_id, writer.dtype)
        writer.write(ids, lengths, groups)
        stats.seen += len(texts)
        empty = int((lengths == 0).sum())
        stats.kept += len(texts) - empty
        if empty:
            stats.drop("no_tokens", empty)


def _batches(docs: Iterable[Document], folder: str, size: int) -> Iterator[tuple[list, list]]:
    texts: list[str] = []
    groups: list[str] = []
    for doc in docs:
        texts.append(doc.text)
        groups.append(group_of(folder, doc))
        if len(texts) >= size:
            yield texts, groups
            texts, groups = [], []
    if texts:
        yield texts, groups


_TOKENIZERS: dict[str, Tokenizer] = {}


def tokenize_part(task: dict[str, Any]) -> dict[str, Any]:
    """One task: the documents of one input part to one run in ``task["stage"]``. The
    tokenizer is loaded once per worker process. Returns the run's :class:`RunInfo` as a dict."""
    from thresher.ship.tokens.vocab import load_tokenizer

    path = task["tokenizer"]
    tokenizer = _TOKENIZERS.get(path)
    if tokenizer is None:
        tokenizer = _TOKENIZERS[path] = load_tokenizer(path)
    reader = DocumentReader([task["input"]])
    stats = StepStats("tokenize")
    writer = RunWriter(Path(task["stage"]), task["name"], np.dtype(task["dtype"]))
    tokenize_documents(reader, task["folder"], writer, tokenizer, task["eos_id"], stats)
    info = writer.close()
    info.stats = [reader.stats.to_dict(), stats.to_dict()]
    write_json(Path(task["stage"]) / f"{info.name}.json", info.to_dict())
    return info.to_dict()

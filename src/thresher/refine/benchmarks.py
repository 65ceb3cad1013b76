"""Evaluation benchmarks read into one sorted array of n-gram hashes, for decontamination.

A benchmark is a file or folder of records (JSONL, CSV, Parquet, read by
:class:`thresher.store.readers.DocumentReader`) or an ``hf:`` dataset. Every string of an
item (or the fields named, dotted paths as ``--text-field``) is one text; its word n-grams
(:mod:`thresher.refine.ngrams`) go into the index, with a bit per benchmark saying which
benchmarks hold each one. Benchmarks are bounded in size and n-grams; a damaged file or a
record that is not an object stops the run with one line, since an item silently skipped
is contamination not checked.

The index is built once per process and kept (:func:`load_index`): each worker builds it from
the benchmark files on its first shard, the same everywhere, so no runner round is needed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from thresher.errors import InputError
from thresher.refine.benchmark_specs import benchmark_files
from thresher.refine.ngrams import batch_ngram_hashes, word_hashes, words
from thresher.store.hf import is_dataset_spec
from thresher.store.mapping import value_at
from thresher.store.readers import DocumentReader, Skip

if TYPE_CHECKING:
    from thresher.refine.config import DecontaminateConfig

#: texts whose n-grams are hashed at once while a benchmark is read
_BATCH = 2048
_MB = 1_000_000

#: why a record of a benchmark could not be read, in words (the reader's reasons)
_SKIPS = {
    "invalid_json": "not valid JSON",
    "not_utf8": "not UTF-8 text",
    "line_too_long": "a line too long to read",
}


@dataclass
class BenchmarkInfo:
    """What was read of one benchmark."""

    name: str
    items: int = 0
    texts: int = 0
    short: int = 0  # texts with fewer words than the n-gram: they cannot be matched
    ngrams: int = 0  # distinct n-grams


@dataclass
class BenchmarkIndex:
    """Sorted distinct n-gram hashes of all benchmarks; ``owners[k]`` has bit ``i`` set when
    benchmark ``i`` holds ``hashes[k]``."""

    n: int
    hashes: np.ndarray
    owners: np.ndarray
    benchmarks: list[BenchmarkInfo] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [b.name for b in self.benchmarks]

    def lookup(self, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(found, owners)``: which queries are benchmark n-grams, and whose (0 when not)."""
        if not len(self.hashes) or not len(queries):
            return np.zeros(len(queries), dtype=bool), np.zeros(len(queries), dtype=np.uint64)
        pos = np.searchsorted(self.hashes, queries)
        pos[pos == len(self.hashes)] = 0
        found = self.hashes[pos] == queries
        return found, np.where(found, self.owners[pos], np.uint64(0))


def _strings(value: Any, out: list[str]) -> None:
    """Every non-empty string in ``value`` (lists and objects at any depth)."""
    if isinstance(value, str):
        if value:
            out.append(value)
    elif isinstance(value, dict):
        for v in value.values():
            _strings(v, out)
    elif isinstance(value, list | tuple):
        for v in value:
            _strings(v, out)


def _item_texts(record: dict[str, Any], fields: list[str] | None) -> tuple[list[str], bool]:
    """The texts of one benchmark item and whether any named field was there."""
    out: list[str] = []
    if fields is None:
        _strings(record, out)
        return out, True
    present = False
    for f in fields:
        value = value_at(record, f)
        if value is not None:
            present = True
            _strings(value, out)
    return out, present


def _read_texts(
    spec: str, fields: list[str] | None, max_bytes: int, info: BenchmarkInfo
) -> Iterator[str]:
    """Every text of every item of benchmark ``spec``, checked and bounded."""
    files: list[Path | str] = [spec] if is_dataset_spec(spec) else list(benchmark_files(spec))
    if not is_dataset_spec(spec):
        size = sum(Path(f).stat().st_size for f in files)
        if size > max_bytes:
            raise InputError(
                f"{spec}: {size / _MB:,.0f} MB, more than decontaminate.max_benchmark_mb "
                f"({max_bytes // _MB:,} MB); an evaluation set is smaller (raise the limit)"
            )
    read = 0
    first_fields: list[str] | None = None
    matched = fields is None
    for path in files:
        reader = DocumentReader([])
        for where, record in reader.rows(path):
            if isinstance(record, Skip):
                why = _SKIPS.get(record.reason, record.reason)
                raise InputError(f"{where}: {why}: a benchmark must be read whole")
            if not isinstance(record, dict):
                raise InputError(f"{where}: not an object (a benchmark item is a record)")
            if first_fields is None:
                first_fields = sorted(map(str, record))
            info.items += 1
            texts, present = _item_texts(record, fields)
            matched = matched or present
            for text in texts:
                read += len(text)
                if read > max_bytes:
                    raise InputError(
                        f"{spec}: more than {max_bytes // _MB:,} MB of text "
                        "(decontaminate.max_benchmark_mb); an evaluation set is smaller"
                    )
                yield text
        errors = [k.split(": ", 1)[1] for k in reader.stats.counters if k.startswith("error: ")]
        if reader.stats.dropped or errors:
            why = errors[0] if errors else ", ".join(sorted(reader.stats.dropped))
            raise InputError(f"{path}: damaged benchmark ({why})")
    if not info.items:
        raise InputError(f"{spec}: the benchmark holds no item")
    if not matched:
        raise InputError(
            f"{spec}: no item has field {' or '.join(map(repr, fields or []))}; "
            f"fields found: {', '.join(first_fields or []) or 'none'}"
        )


def _benchmark_hashes(
    spec: str, config: DecontaminateConfig, budget: int
) -> tuple[np.ndarray, BenchmarkInfo]:
    """The distinct n-gram hashes of one benchmark (at most ``budget`` of them)."""
    info = BenchmarkInfo(spec)
    n = config.ngram
    parts: list[np.ndarray] = []
    held = 0
    batch: list[list[str]] = []

    def flush() -> None:
        nonlocal held
        hashes, _ = batch_ngram_hashes(word_hashes(batch), n)
        part = np.unique(hashes)
        parts.append(part)
        held += len(part)
        if held > budget:
            raise InputError(
                f"{spec}: more than decontaminate.max_ngrams ({config.max_ngrams:,}) distinct "
                f"{n}-grams in the benchmarks; an evaluation set has fewer"
            )
        batch.clear()

    max_bytes = config.max_benchmark_mb * _MB
    for text in _read_texts(spec, config.benchmark_fields, max_bytes, info):
        ws = words(text)
        info.texts += 1
        if len(ws) < n:
            info.short += 1
            continue
        batch.append(ws)
        if len(batch) >= _BATCH:
            flush()
    if batch:
        flush()
    unique = np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.uint64)
    info.ngrams = len(unique)
    if not len(unique):
        raise InputError(
            f"{spec}: no text of {n} words or more in {info.texts:,} texts of "
            f"{info.items:,} items: nothing to match (a smaller decontaminate.ngram?)"
        )
    return unique, info


def build_index(config: DecontaminateConfig) -> BenchmarkIndex:
    """Read every benchmark of ``config`` into one index."""
    hashes: list[np.ndarray] = []
    owners: list[np.ndarray] = []
    infos: list[BenchmarkInfo] = []
    budget = config.max_ngrams
    for i, spec in enumerate(config.benchmarks):
        unique, info = _benchmark_hashes(spec, config, budget)
        budget -= len(unique)
        hashes.append(unique)
        owners.append(np.full(len(unique), np.uint64(1) << np.uint64(i), dtype=np.uint64))
        infos.append(info)
    if not hashes:
        empty = np.empty(0, dtype=np.uint64)
        return BenchmarkIndex(config.ngram, empty, empty, infos)
    every = np.concatenate(hashes)
    bits = np.concatenate(owners)
    order = np.argsort(every, kind="stable")
    every, bits = every[order], bits[order]
    first = np.flatnonzero(np.concatenate(([True], every[1:] != every[:-1])))
    return BenchmarkIndex(config.ngram, every[first], np.bitwise_or.reduceat(bits, first), infos)


#: the index of this process: (key, index); one at a time, so memory stays bounded
_loaded: list[tuple[tuple[Any, ...], BenchmarkIndex]] = []


def load_index(config: DecontaminateConfig) -> BenchmarkIndex:
    """The index of ``config``'s benchmarks, built on first use in this process and kept for
    every later shard (another configuration or changed benchmark files build it anew)."""
    digests = config.sha256
    key = (
        tuple(config.benchmarks),
        tuple(digests[s] for s in config.benchmarks),
        config.ngram,
        tuple(config.benchmark_fields or ()),
        config.benchmark_fields is None,
        config.max_benchmark_mb,
        config.max_ngrams,
    )
    if _loaded and _loaded[0][0] == key:
        return _loaded[0][1]
    _loaded.clear()  # the old index goes before the new one is built
    index = build_index(config)
    _loaded.append((key, index))
    return index

"""The end of a tokenize run: every staged document in one table, a seeded shuffle of their
order, and the packing of that order into shards of whole documents, each at most
``shard_tokens`` tokens long (a longer document makes a shard of its own). The same runs and
seed give the same shards, byte for byte."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np


@dataclass
class DocTable:
    """Every document of a run set: its run, start and length (with EOS) in that run's
    tokens, and its group (an index into ``groups``, names such as ``en/head``)."""

    run: np.ndarray  # int32
    start: np.ndarray  # int64
    length: np.ndarray  # int64
    group: np.ndarray  # int32
    groups: list[str]

    def __len__(self) -> int:
        return len(self.length)

    def take(self, index: np.ndarray) -> DocTable:
        return DocTable(
            self.run[index], self.start[index], self.length[index], self.group[index], self.groups
        )

    def languages(self) -> tuple[np.ndarray, list[str]]:
        """Each document's language (the group's first segment) as an index into the names."""
        names = sorted({g.split("/", 1)[0] for g in self.groups})
        of_group = np.array([names.index(g.split("/", 1)[0]) for g in self.groups], np.int32)
        return of_group[self.group] if len(self.groups) else self.group, names

    def by_group(self) -> dict[str, dict[str, int]]:
        """Documents and tokens (without EOS) per group."""
        out: dict[str, dict[str, int]] = {}
        docs = np.bincount(self.group, minlength=len(self.groups))
        tokens = np.zeros(len(self.groups), dtype=np.int64)  # exact: no float weights
        np.add.at(tokens, self.group, self.length - 1)
        for i, name in sorted(enumerate(self.groups), key=lambda kv: kv[1]):
            if docs[i]:
                out[name] = {"documents": int(docs[i]), "tokens": int(tokens[i])}
        return out


def _open_run(runs: str, rel: str) -> IO[bytes]:
    from thresher.store.remote import is_remote, open_remote

    return open_remote(f"{runs}/{rel}") if is_remote(runs) else open(Path(runs) / rel, "rb")


def with_eos(lengths: np.ndarray, values: np.ndarray, eos_id: int, dtype: Any) -> np.ndarray:
    """Documents of ``lengths`` ids laid end to end in ``values``, EOS after each."""
    ends = np.cumsum(lengths) + np.arange(len(lengths))  # where each document's EOS goes
    out = np.empty(len(values) + len(lengths), dtype=dtype)
    mask = np.ones(len(out), dtype=bool)
    mask[ends] = False
    out[mask] = values
    out[ends] = eos_id
    return out


def flatten_runs(
    runs: str, parts: Sequence[str], work: Path, eos_id: int, dtype: np.dtype[Any]
) -> tuple[DocTable, list[np.ndarray]]:
    """Each run (a Parquet part of ``runs``, a folder or a bucket's URL) as a raw array of
    ids in ``work``, EOS after every document, memory-mapped; and the table of every
    document, in run order."""
    import pyarrow.parquet as pq

    work.mkdir(parents=True, exist_ok=True)
    code: dict[str, int] = {}
    run_ids, starts, lengths, groups, arrays = [], [], [], [], []
    for i, rel in enumerate(parts):
        path = work / f"run-{i:05d}.tokens"
        pos = 0
        with _open_run(runs, rel) as source, open(path, "wb") as f:
            for batch in pq.ParquetFile(source).iter_batches(columns=["ids", "group"]):
                ids = batch.column(0)
                lens = np.diff(ids.offsets.to_numpy()).astype(np.int64)
                values = ids.flatten().to_numpy(zero_copy_only=False)
                f.write(with_eos(lens, values, eos_id, dtype).tobytes())
                encoded = batch.column(1).dictionary_encode()
                names = encoded.dictionary.to_pylist()
                remap = np.array([code.setdefault(g, len(code)) for g in names], dtype=np.int32)
                run_ids.append(np.full(len(lens), i, dtype=np.int32))
                starts.append(pos + np.concatenate([[0], np.cumsum(lens + 1)[:-1]]))
                lengths.append(lens + 1)
                groups.append(remap[encoded.indices.to_numpy()])
                pos += int(lens.sum()) + len(lens)
        arrays.append(np.memmap(path, dtype=dtype, mode="r") if pos else np.zeros(0, dtype))
    if not run_ids:
        empty = np.zeros(0, np.int64)
        return DocTable(empty.astype(np.int32), empty, empty, empty.astype(np.int32), []), []
    table = DocTable(
        np.concatenate(run_ids), np.concatenate(starts).astype(np.int64),
        np.concatenate(lengths), np.concatenate(groups), sorted(code, key=code.__getitem__),
    )  # fmt: skip
    return table, arrays


def shuffle(n: int, seed: int) -> np.ndarray:
    """A seeded permutation of ``range(n)`` (PCG64: the same on every machine and numpy 1.17+)."""
    return np.random.default_rng(seed).permutation(n)


def plan_shards(lengths: np.ndarray, shard_tokens: int) -> list[tuple[int, int]]:
    """``[start, end)`` ranges over documents of these lengths (in shard order), each range
    as many whole documents as fit in ``shard_tokens``, at least one."""
    cum = np.cumsum(lengths)
    ranges: list[tuple[int, int]] = []
    i, base = 0, 0
    while i < len(lengths):
        j = int(np.searchsorted(cum, base + shard_tokens, side="right"))
        j = max(j, i + 1)
        ranges.append((i, j))
        base = int(cum[j - 1])
        i = j
    return ranges


#: writes one shard: (stage folder, shard number, its tokens, its document offsets) -> parts
ShardWriter = Callable[[Path, int, np.ndarray, np.ndarray], list[dict[str, Any]]]


def pack(
    table: DocTable,
    runs: Sequence[np.ndarray],
    shard_tokens: int,
    write: ShardWriter,
    out: Path,
) -> Iterator[dict[str, Any]]:
    """Write ``table``'s documents, in its order, as shards through ``write``; yields each
    part ``write`` returns. ``runs`` are the runs' token arrays (memory-mapped)."""
    for number, (i, j) in enumerate(plan_shards(table.length, shard_tokens)):
        lengths = table.length[i:j]
        offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        dtype = runs[0].dtype if runs else np.dtype("<u2")
        tokens = np.empty(int(offsets[-1]), dtype=dtype)
        for k, (r, s, n) in enumerate(
            zip(table.run[i:j].tolist(), table.start[i:j].tolist(), lengths.tolist(), strict=True)
        ):
            o = int(offsets[k])
            tokens[o : o + n] = runs[r][s : s + n]
        yield from write(out, number, tokens, offsets)

"""``thresher diff A B``: what changed between two versions of a corpus.

Documents are matched by id. A document of B whose id A lacks is *added*, one of A whose id
B lacks is *removed*, one in both with another text is *changed*, and one with the same text in
another folder (a new bucket) is *moved*. Counts are given in all and per language/bucket
folder (added, changed and moved-in under B's folder, removed and moved-out under A's).

It scales by never holding texts: each side is reduced to fixed 18-byte records (64 bits of
SHA-1 of the id, 64 bits of SHA-1 of the text, a folder number), spooled to disk in
partitions by id hash, and the partitions are compared one at a time with sorted NumPy
arrays. Memory is bounded by the partition size (``partition_docs``), not the corpus: about
100 bytes per document of a partition at the peak of the comparison (see docs/ship.md).
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from thresher.errors import InputError
from thresher.hashing import hash64
from thresher.store.manifest import primary_format, read_manifest
from thresher.store.paths import part_path
from thresher.store.readers import DocumentReader
from thresher.store.remote import local_path

RECORD = np.dtype([("key", "<u8"), ("text", "<u8"), ("folder", "<u2")])
PARTITION_DOCS = 2_000_000
_SPOOL_RECORDS = 1 << 16  # records buffered (about 8 MB as Python ints) before they go to disk
COUNTS = ("added", "removed", "changed", "moved_in", "moved_out")


@dataclass
class FolderCounts:
    before: int = 0
    after: int = 0
    added: int = 0
    removed: int = 0
    changed: int = 0
    moved_in: int = 0
    moved_out: int = 0

    def to_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class DiffResult:
    """Totals and per-folder counts of a comparison of corpus ``a`` (older) with ``b``."""

    a: str
    b: str
    before: int = 0
    after: int = 0
    added: int = 0
    removed: int = 0
    changed: int = 0
    moved: int = 0
    unchanged: int = 0
    duplicate_ids: int = 0  # ids met more than once within one side (the first one counts)
    folders: dict[str, FolderCounts] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
            "moved": self.moved,
            "unchanged": self.unchanged,
            "documents": {"a": self.before, "b": self.after},
            "duplicate_ids": self.duplicate_ids,
            "folders": {k: v.to_dict() for k, v in sorted(self.folders.items())},
        }


class _Side:
    """One corpus spooled into partition files of fixed-size records."""

    def __init__(self, work: Path, name: str, partitions: int) -> None:
        self.paths = [work / f"{name}-{i:04d}.bin" for i in range(partitions)]
        self.keys: list[int] = []
        self.texts: list[int] = []
        self.folders: list[int] = []
        self.documents = 0

    def add(self, key: int, text: int, folder: int) -> None:
        self.keys.append(key)
        self.texts.append(text)
        self.folders.append(folder)
        self.documents += 1
        if len(self.keys) >= _SPOOL_RECORDS:
            self.flush()

    def flush(self) -> None:
        """Append the buffered records to their partitions' files."""
        if not self.keys:
            return
        recs = np.empty(len(self.keys), dtype=RECORD)
        recs["key"], recs["text"], recs["folder"] = self.keys, self.texts, self.folders
        self.keys, self.texts, self.folders = [], [], []
        part = recs["key"] % np.uint64(len(self.paths))
        order = np.argsort(part, kind="stable")
        recs, part = recs[order], part[order]
        bounds = np.searchsorted(part, np.arange(len(self.paths) + 1, dtype=np.uint64))
        for i, path in enumerate(self.paths):
            lo, hi = int(bounds[i]), int(bounds[i + 1])
            if hi > lo:
                with open(path, "ab") as f:
                    recs[lo:hi].tofile(f)

    def load(self, i: int) -> tuple[np.ndarray, int]:
        """Partition ``i`` sorted by key with one record per key, and how many duplicates."""
        path = self.paths[i]
        recs = np.fromfile(path, dtype=RECORD) if path.exists() else np.empty(0, RECORD)
        if not len(recs):
            return recs, 0
        _, first = np.unique(recs["key"], return_index=True)  # sorted keys, first occurrence
        return recs[first], len(recs) - len(first)


def _documents(folder: Path) -> Iterator[tuple[str, str, str]]:
    """(part folder, id, text) of every document of a corpus, from its manifest's parts."""
    manifest = read_manifest(folder)
    parts = manifest.get("parts", [])
    fmt = primary_format(parts)
    reader = DocumentReader([])
    for entry in parts:
        rel = entry["path"]
        if not rel.endswith(f".{fmt}"):
            continue  # the same documents in another format
        where = rel.rsplit("/", 1)[0] if "/" in rel else "."
        path = part_path(folder, rel, folder / "manifest.json")
        if not path.is_file():
            raise InputError(f"{path}: listed in the manifest but missing (thresher verify)")
        if fmt == "parquet":
            yield from _parquet_ids(path, where)
        else:
            for doc in reader.read_file(path):
                yield where, str(doc.id), doc.text


def _parquet_ids(path: Path, where: str) -> Iterator[tuple[str, str, str]]:
    import pyarrow.parquet as pq

    for batch in pq.ParquetFile(path).iter_batches(columns=["id", "text"], batch_size=4096):
        ids, texts = batch.column(0).to_pylist(), batch.column(1).to_pylist()
        for i, t in zip(ids, texts, strict=True):
            yield where, str(i), t or ""


def _check_corpus(path: str | Path) -> Path:
    folder = local_path(path)
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder")
    if not (folder / "manifest.json").is_file():
        raise InputError(f"{folder}: no manifest.json (give the folder of a corpus)")
    return folder


def diff(
    a: str | Path,
    b: str | Path,
    *,
    partition_docs: int = PARTITION_DOCS,
    work_dir: str | Path | None = None,
) -> DiffResult:
    """Compare corpus ``a`` (the older version) with ``b``; see the module doc."""
    fa, fb = _check_corpus(a), _check_corpus(b)
    ma, mb = read_manifest(fa), read_manifest(fb)
    largest = max(int(m.get("counts", {}).get("documents", 0)) for m in (ma, mb))
    partitions = max(1, math.ceil(largest / max(partition_docs, 1)))
    result = DiffResult(a=str(a), b=str(b))
    names: list[str] = []
    index: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="thresher-diff-", dir=work_dir) as tmp:
        sides = []
        for label, folder in (("a", fa), ("b", fb)):
            side = _Side(Path(tmp), label, partitions)
            for where, doc_id, text in _documents(folder):
                n = index.get(where)
                if n is None:
                    n = index[where] = len(names)
                    names.append(where)
                side.add(hash64(doc_id), hash64(text), n)
            side.flush()
            sides.append(side)
        totals = {k: np.zeros(len(names), dtype=np.int64) for k in (*COUNTS, "before", "after")}
        for i in range(partitions):
            _compare(sides[0], sides[1], i, totals, result)
    result.before, result.after = int(totals["before"].sum()), int(totals["after"].sum())
    result.added, result.removed = int(totals["added"].sum()), int(totals["removed"].sum())
    result.changed = int(totals["changed"].sum())
    result.moved = int(totals["moved_in"].sum())
    result.unchanged = result.after - result.added - result.changed - result.moved
    for n, name in enumerate(names):
        result.folders[name] = FolderCounts(**{k: int(v[n]) for k, v in totals.items()})
    return result


def _compare(
    side_a: _Side, side_b: _Side, i: int, totals: dict[str, np.ndarray], result: DiffResult
) -> None:
    a, dup_a = side_a.load(i)
    b, dup_b = side_b.load(i)
    result.duplicate_ids += dup_a + dup_b
    size = len(next(iter(totals.values())))

    def count(name: str, folders: np.ndarray) -> None:
        totals[name] += np.bincount(folders, minlength=size)

    count("before", a["folder"])
    count("after", b["folder"])
    _, ia, ib = np.intersect1d(a["key"], b["key"], assume_unique=True, return_indices=True)
    in_a = np.zeros(len(a), dtype=bool)
    in_a[ia] = True
    in_b = np.zeros(len(b), dtype=bool)
    in_b[ib] = True
    count("added", b["folder"][~in_b])
    count("removed", a["folder"][~in_a])
    common_a, common_b = a[ia], b[ib]
    changed = common_a["text"] != common_b["text"]
    count("changed", common_b["folder"][changed])
    moved = ~changed & (common_a["folder"] != common_b["folder"])
    count("moved_in", common_b["folder"][moved])
    count("moved_out", common_a["folder"][moved])

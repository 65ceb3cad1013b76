"""Paragraph dedup across shards, CCNet's way: a paragraph (line) is keyed by the first 64 bits
of the SHA-1 of its normalised form; repeated paragraphs are removed from documents.

Two passes that parallelise over shards:

1. *scan* (per shard): the hash of every line, in order, goes to ``NNNNN.lines.npy``
   (8 bytes a line, so pass 2 never normalises again); the sorted distinct hashes to
   ``NNNNN.uniq.npy`` and those repeated inside the shard to ``NNNNN.dups.npy``.
2. *merge* (once): for every shard, the sorted hashes it must drop entirely
   (``NNNNN.remove.u64``, appended partition by partition): with policy ``ccnet`` every hash
   seen twice anywhere (every copy goes, as in the paper); with ``keep-first`` the hashes
   already seen in an earlier shard (the first occurrence in shard order, document order, line
   order stays).
   With earlier corpora (``against``: :mod:`thresher.refine.paragraph_hashes`), their hashes
   count as already seen: every line of the shard found in one goes too, and
   ``NNNNN.oldK.u64`` lists those found in earlier corpus K, for the stats.
3. *filter* (per shard): a boolean mask over the shard's lines is computed in numpy, and each
   document loses the lines the mask marks. A document left empty is dropped.

Memory. Hashes are ``uint64`` in numpy arrays, never Python objects. The merge holds one hash
partition at a time: the 64-bit space is split by its top bits into 2^k partitions so that
16 bytes per hash of a partition fit ``memory_mb`` (``ccnet``: the partition's hashes of all
shards, 8 bytes each, sorted in place, plus a 1-byte mask; ``keep-first``: the distinct hashes
seen so far plus the merged copy np.insert makes, 8 + 8 bytes). A billion distinct hashes
(8 GB as ``uint64``) with the default 1 GB budget are merged as 16 partitions of about 62 M
hashes, each read from every shard's sorted ``uniq`` file with a binary search (memory-mapped,
so only the partition's slice is paged in); what a partition yields for a shard is appended to
that shard's remove file at once, so nothing grows with the number of partitions.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from thresher.atomic import replacing
from thresher.document import Document
from thresher.errors import InputError
from thresher.hashing import hash64_each
from thresher.refine.config import DedupConfig
from thresher.refine.corpus_step import CorpusStep
from thresher.refine.hash_files import HASHES, in_range, open_hashes
from thresher.refine.normalize import dedup_key

#: Hash value of a line that is never deduplicated (empty or too short once normalised).
SKIP = 0


def line_hashes(text: str, min_chars: int = 0) -> list[int]:
    """The dedup hash of every ``\\n``-separated line of a text; :data:`SKIP` for lines whose
    normalised form is empty or shorter than ``min_chars``."""
    keys: Iterable[bytes] = map(dedup_key, text.split("\n"))
    if min_chars > 1:  # bytes first: a key has at least as many bytes as characters
        keys = (
            k
            if len(k) >= min_chars and len(k.decode("utf-8", "surrogatepass")) >= min_chars
            else b""
            for k in keys
        )
    return hash64_each(keys)  # SKIP is 0: the hash of an empty key, and no other's


def _paths(work: Path, shard: int) -> dict[str, Path]:
    stem = f"{shard:05d}"
    paths = {kind: work / f"{stem}.{kind}.npy" for kind in ("lines", "uniq", "dups", "docs")}
    paths["remove"] = work / f"{stem}.remove.u64"  # raw little-endian uint64, appended to
    return paths


def _old_path(work: Path, shard: int, k: int) -> Path:
    """The sorted hashes of shard ``shard`` found in earlier corpus ``k``."""
    return work / f"{shard:05d}.old{k}.u64"


def _append(path: Path, arr: np.ndarray) -> None:
    if len(arr):
        with open(path, "ab") as f:
            f.write(arr.astype("<u8", copy=False).tobytes())


def _u64_file(path: Path) -> np.ndarray:
    return np.fromfile(path, dtype="<u8").astype(np.uint64, copy=False)


def _save(path: Path, array: np.ndarray) -> None:
    """Write an array atomically (temporary name, then rename)."""
    with replacing(path) as f:
        np.save(f, array)


def _partition_bits(entries: int, memory_mb: int) -> int:
    """Smallest k such that 16 bytes x entries / 2^k fits the memory budget (k <= 12)."""
    budget = memory_mb * 1024 * 1024
    k = 0
    while k < 12 and 16 * entries / (1 << k) > budget:
        k += 1
    return k


def _in_sorted(sorted_arr: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Boolean mask: which ``values`` occur in the sorted array."""
    if len(sorted_arr) == 0 or len(values) == 0:
        return np.zeros(len(values), dtype=bool)
    pos = np.searchsorted(sorted_arr, values)
    pos[pos == len(sorted_arr)] = 0
    return sorted_arr[pos] == values


class ParagraphDedup(CorpusStep):
    """Removes repeated paragraphs (lines) across the corpus; drops documents left empty."""

    name: ClassVar[str] = "paragraph_dedup"

    def __init__(self, config: DedupConfig | None = None) -> None:
        super().__init__()
        self.config = config or DedupConfig()
        self._removed: np.ndarray | None = None  # sorted line positions to remove in the shard
        self._line = 0  # position of the next document's first line in the shard
        self._cursor = 0  # index into _removed
        self._total_lines = 0
        self._origin: np.ndarray | None = None  # per removed line: earlier corpus index or -1

    def _earlier(self) -> list[np.ndarray]:
        """The hash files of the earlier corpora, memory-mapped."""
        return [open_hashes(Path(p) / HASHES) for p in self.config.against]

    # -- pass 1 --------------------------------------------------------------------------------
    def scan_shard(self, docs: Iterable[Document], work: Path, shard: int) -> None:
        work.mkdir(parents=True, exist_ok=True)
        paths = _paths(work, shard)
        hashes = array("Q")  # 8 bytes a line, not a Python int each
        doc_lines = array("I")
        min_chars = self.config.min_chars
        for doc in docs:
            h = line_hashes(doc.text, min_chars)
            hashes.extend(h)
            doc_lines.append(len(h))
        lines = np.frombuffer(hashes, dtype=np.uint64) if hashes else np.empty(0, np.uint64)
        real = lines[lines != SKIP]
        uniq, counts = np.unique(real, return_counts=True)
        _save(paths["lines"], lines)
        _save(paths["docs"], np.array(doc_lines, dtype=np.uint32))
        _save(paths["dups"], uniq[counts > 1])
        _save(paths["uniq"], uniq)

    # -- merge ---------------------------------------------------------------------------------
    def merge(self, work: Path, shards: int) -> dict[str, Any]:
        uniq = [np.load(_paths(work, i)["uniq"], mmap_mode="r") for i in range(shards)]
        dups = [np.load(_paths(work, i)["dups"], mmap_mode="r") for i in range(shards)]
        olds = self._earlier()
        entries = sum(len(u) for u in uniq) + sum(len(d) for d in dups) + sum(map(len, olds))
        bits = _partition_bits(entries, self.config.memory_mb)
        for i in range(shards):  # a merge killed half-way starts again from nothing
            _paths(work, i)["remove"].unlink(missing_ok=True)
            for k in range(len(olds)):
                _old_path(work, i, k).unlink(missing_ok=True)
        removed_hashes = 0

        def emit(i: int, arr: np.ndarray) -> None:
            """Append a partition's hashes to shard i's remove file: partitions come in hash
            order, so each file stays sorted, and nothing accumulates in memory."""
            nonlocal removed_hashes
            if len(arr):
                with open(_paths(work, i)["remove"], "ab") as f:
                    f.write(arr.astype("<u8", copy=False).tobytes())
                removed_hashes += len(arr)

        for p in range(1 << bits):
            lo = np.uint64(p << (64 - bits)) if bits else np.uint64(0)
            last = p == (1 << bits) - 1
            hi = None if last else np.uint64((p + 1) << (64 - bits))

            def part(a: np.ndarray, lo: np.uint64 = lo, hi: np.uint64 | None = hi) -> np.ndarray:
                start = int(np.searchsorted(a, lo)) if bits else 0
                end = len(a) if hi is None else int(np.searchsorted(a, hi))
                return np.asarray(a[start:end])

            slices = [part(u) for u in uniq]
            earlier = [in_range(o, int(lo), None if hi is None else int(hi)) for o in olds]
            in_old = [np.zeros(len(s), dtype=bool) for s in slices]
            for k, old in enumerate(earlier):
                for i, s in enumerate(slices):
                    found = _in_sorted(old, s)
                    _append(_old_path(work, i, k), s[found])
                    in_old[i] |= found
            if self.config.policy == "ccnet":
                both = np.concatenate(
                    [*slices, *(part(d) for d in dups)] or [np.empty(0, np.uint64)]
                )
                both.sort()
                repeated = both[1:][both[1:] == both[:-1]]
                del both
                repeated = np.unique(repeated)
                for i, s in enumerate(slices):
                    emit(i, s[_in_sorted(repeated, s) | in_old[i]])
            else:
                seen = np.empty(0, dtype=np.uint64)
                for i, s in enumerate(slices):
                    found = _in_sorted(seen, s) | in_old[i]
                    emit(i, s[found])
                    new = s[~found]
                    if len(new):
                        seen = np.insert(seen, np.searchsorted(seen, new), new)
        for i in range(shards):
            _paths(work, i)["remove"].touch()
            for k in range(len(olds)):
                _old_path(work, i, k).touch()
        return {
            "hash partitions": 1 << bits,
            "distinct hashes per shard (sum)": int(sum(len(u) for u in uniq)),
            "hashes removed per shard (sum)": int(removed_hashes),
        }

    # -- pass 2 --------------------------------------------------------------------------------
    def bind_shard(self, work: Path, shard: int) -> None:
        paths = _paths(work, shard)
        lines = np.load(paths["lines"])
        remove = _u64_file(paths["remove"])
        drop = _in_sorted(remove, lines)
        if self.config.policy == "keep-first":
            dups = np.load(paths["dups"])
            if len(dups):
                # inside the shard, a repeated hash keeps only its first line
                cand = np.flatnonzero(~drop & _in_sorted(dups, lines))
                _, first = np.unique(lines[cand], return_index=True)
                later = np.ones(len(cand), dtype=bool)
                later[first] = False
                drop[cand[later]] = True
        self._bind(
            lines,
            drop,
            [_u64_file(_old_path(work, shard, k)) for k in range(len(self.config.against))],
        )

    def _bind(self, lines: np.ndarray, drop: np.ndarray, found: list[np.ndarray]) -> None:
        """Start a shard whose lines ``drop`` marks; ``found[k]``: the sorted hashes of the
        shard also in earlier corpus ``k`` (the first corpus that has a line is its origin)."""
        self._removed = np.flatnonzero(drop)
        origin = np.full(len(self._removed), -1, dtype=np.int16)
        removed_hashes = lines[self._removed]
        for k in reversed(range(len(found))):
            origin[_in_sorted(found[k], removed_hashes)] = k
        self._origin = origin
        self._line = 0
        self._cursor = 0
        self._total_lines = len(lines)

    def _bind_stream(self, docs: list[Document]) -> None:
        """Dedup one in-memory stream as a single shard (used outside :func:`refine`)."""
        hashes = np.array(
            [h for d in docs for h in line_hashes(d.text, self.config.min_chars)], dtype=np.uint64
        )
        real = np.flatnonzero(hashes != SKIP)
        vals = hashes[real]
        drop = np.zeros(len(hashes), dtype=bool)
        if len(vals):
            _, inverse, counts = np.unique(vals, return_inverse=True, return_counts=True)
            repeated = counts[inverse] > 1
            if self.config.policy == "ccnet":
                drop[real[repeated]] = True
            else:
                _, first = np.unique(vals, return_index=True)
                later = np.ones(len(vals), dtype=bool)
                later[first] = False
                drop[real[later]] = True
        found = []
        for old in self._earlier():
            in_old = _in_sorted(old, hashes) & (hashes != SKIP)
            drop |= in_old
            found.append(np.unique(hashes[in_old]))
        self._bind(hashes, drop, found)

    def run(self, docs: Iterable[Document]) -> Iterator[Document]:
        if self._removed is None:
            buffered = list(docs)
            self._bind_stream(buffered)
            docs = buffered
        return super().run(docs)

    def _matched(self, cursor: int, stop: int) -> str | None:
        """Count the removed lines ``cursor:stop`` found in earlier corpora; the corpus that
        holds most of them (None when none does)."""
        if self._origin is None or not self.config.against:
            return None
        origin = self._origin[cursor:stop]
        origin = origin[origin >= 0]
        if not len(origin):
            return None
        counts = np.bincount(origin, minlength=len(self.config.against))
        for k in np.flatnonzero(counts).tolist():
            self.stats.count(
                f"paragraphs in earlier corpus: {self.config.against[k]}", int(counts[k])
            )
        return self.config.against[int(np.argmax(counts))]

    def process(self, doc: Document) -> Document | str:
        removed = self._removed
        assert removed is not None, "ParagraphDedup used before bind_shard()"
        text = doc.text
        n = text.count("\n") + 1
        start = self._line
        end = start + n
        self._line = end
        if end > self._total_lines:
            raise InputError(
                f"{doc.source or doc.id}: input changed since the paragraph hash pass; "
                "remove the output folder and run again"
            )
        cursor = self._cursor
        if cursor >= len(removed) or removed[cursor] >= end:
            return doc
        stop = int(np.searchsorted(removed, end, "left"))
        self._cursor = stop
        gone = {pos - start for pos in removed[cursor:stop].tolist()}
        kept = [line for i, line in enumerate(text.split("\n")) if i not in gone]
        new_text = "\n".join(kept)
        stats = self.stats
        stats.count("paragraphs removed", len(gone))
        stats.count("chars removed", len(text) - len(new_text))
        earlier = self._matched(cursor, stop)
        if not new_text.strip():
            if earlier is None:
                return "empty after dedup"
            stats.count(f"documents in earlier corpus: {earlier}")
            return "in earlier corpus"
        doc.text = new_text
        return doc

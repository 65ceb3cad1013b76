"""Fuzzy dedup: MinHash LSH over word 5-gram shingles (14 bands × 8 rows by default).

Hashing is vectorised with numpy: the normalised text's UTF-8 bytes get one polynomial prefix
hash (mod 2^64), so the hash of every shingle is two lookups and a multiply, then a 64-bit
finaliser; the 112 MinHash functions are multiply-shift hashes applied to all shingles at once.
Each band of ``rows`` minima becomes one 64-bit key; two documents sharing a key in any band
are candidates, and candidates are clustered transitively (connected components).

The survivor of a cluster is the document with the smallest ``id`` (then the first seen), so
the result does not depend on input order, sharding or the number of workers. Dedup runs over
one stream (:class:`MinHashDedup`: the corpus with one worker, or each shard), or corpus-wide
in two passes: :func:`signatures` per shard, then :func:`find_duplicates` over all of them.

In ``refine`` both phases of the corpus-wide pass run on the executor: the signature phase as
one task per shard (ids, and keys stored band by band), the bucket phase as one
:class:`BandTask` per band, which reads only that band's keys of every shard and writes the
duplicate pairs it finds (``pairs-BBB.npy``, at most one pair per document); the driver then
joins the pairs of all bands into clusters (:func:`components`) and writes one drop mask per
shard. The result is the same as :func:`find_duplicates`'. Memory of a band task: about 40
bytes a document of the corpus (its band's keys, the sort order, the sorted copy, the pairs);
of the driver's join: the ids and 16 bytes per pair (vs 14 bands' keys and sort orders, about
250 bytes a document, for :func:`find_duplicates`).
"""

from __future__ import annotations

import functools
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np
import orjson
from pydantic import Field

from thresher.atomic import replacing
from thresher.document import Document
from thresher.pipeline.base import Step
from thresher.refine.corpus_step import CorpusStep
from thresher.settings_base import Section

_U64 = np.uint64
_P = 0x100000001B3  # the byte multiplier of the polynomial hash (odd, so invertible mod 2^64)
_P_INV = pow(_P, -1, 1 << 64)
_C1 = _U64(0xFF51AFD7ED558CCD)
_C2 = _U64(0xC4CEB9FE1A85EC53)
_S33 = _U64(33)
_S32 = _U64(32)
_LUT_SIZE = 0x20000


@functools.cache
def _word_chars() -> np.ndarray:
    """Per code point below U+20000: True for letters, marks and digits (word characters).

    Higher code points (rare CJK extensions, emoji) count as word characters.
    """
    lut = np.ones(_LUT_SIZE + 1, dtype=bool)
    for c in range(_LUT_SIZE):
        if unicodedata.category(chr(c))[0] in "PSZC":
            lut[c] = False
    lut[_LUT_SIZE] = True
    lut[ord("_")] = False
    return lut


class MinHashConfig(Section):
    """MinHash LSH near-duplicate removal over word n-gram shingles."""

    enabled: bool = Field(
        False, description="drop near-duplicate documents (adds a scan pass over the corpus)"
    )
    scope: Literal["corpus", "shard"] = Field(
        "corpus", description="find duplicates across the whole corpus or within each shard"
    )
    bands: int = Field(14, ge=1, le=64, description="LSH bands")
    rows: int = Field(8, ge=1, le=32, description="MinHash values per band")
    ngram: int = Field(5, ge=1, le=32, description="words per shingle")
    seed: int = Field(1, ge=0, description="seed of the hash functions (same seed, same result)")


def _fmix64(x: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser: spreads every input bit over the output."""
    x = x ^ (x >> _S33)
    x = x * _C1
    x = x ^ (x >> _S33)
    x = x * _C2
    return x ^ (x >> _S33)


class _Powers:
    """P^i and P^-i mod 2^64, grown on demand."""

    def __init__(self) -> None:
        self.pw = np.ones(1, dtype=_U64)
        self.inv = np.ones(1, dtype=_U64)

    def get(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        if len(self.pw) < n:
            size = max(n, 2 * len(self.pw), 1 << 16)
            self.pw = np.empty(size, dtype=_U64)
            self.inv = np.empty(size, dtype=_U64)
            self.pw[0] = self.inv[0] = 1
            with np.errstate(over="ignore"):
                np.cumprod(np.full(size - 1, _P, dtype=_U64), out=self.pw[1:])
                np.cumprod(np.full(size - 1, _P_INV, dtype=_U64), out=self.inv[1:])
        return self.pw[:n], self.inv[:n]


class MinHasher:
    """Computes MinHash signatures and LSH band keys of texts."""

    def __init__(self, bands: int = 14, rows: int = 8, ngram: int = 5, seed: int = 1) -> None:
        self.bands, self.rows, self.ngram = bands, rows, ngram
        rng = np.random.default_rng(seed)
        n = bands * rows
        self.a = rng.integers(0, 1 << 63, size=n, dtype=np.uint64) * _U64(2) + _U64(1)
        self.b = rng.integers(0, 1 << 63, size=n, dtype=np.uint64)
        self._a_col, self._b_col = self.a[:, None], self.b[:, None]
        width = (rows + 1) // 2
        self._mix = rng.integers(0, 1 << 63, size=width, dtype=np.uint64) * _U64(2) + _U64(1)
        self._pad = np.zeros((bands, 1), dtype=np.uint32)
        self._powers = _Powers()

    def shingles(self, text: str) -> np.ndarray:
        """64-bit hashes of the word n-grams of the text, lowercased, punctuation ignored.

        Works on code points: a word is a run of letters, marks and digits; each word's
        characters count at consecutive positions with one empty position between words, so a
        shingle's polynomial hash depends on its words only, not on what separates them.
        """
        cps = np.frombuffer(text.lower().encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        inside = _word_chars()[np.minimum(cps, _LUT_SIZE)]
        edges = np.diff(inside.view(np.int8), prepend=np.int8(0), append=np.int8(0))
        starts = np.flatnonzero(edges == 1)
        ends = np.flatnonzero(edges == -1)
        if len(starts) == 0:
            return np.empty(0, dtype=_U64)
        # compact position of each word character: characters before it + words before it
        word_no = np.cumsum(edges[:-1] == 1) - 1
        pos = np.cumsum(inside) - 1 + word_no
        pos[~inside] = 0
        k = min(self.ngram, len(starts))
        s = starts[: len(starts) - k + 1]
        e = ends[k - 1 :]
        pw, inv = self._powers.get(int(pos[-1] if inside[-1] else pos.max()) + 1)
        with np.errstate(over="ignore"):
            contrib = cps.astype(_U64) * pw[pos]
            contrib[~inside] = 0
            prefix = np.zeros(len(cps) + 1, dtype=_U64)
            np.cumsum(contrib, out=prefix[1:])
            h = (prefix[e] - prefix[s]) * inv[pos[s]]
            return _fmix64(h ^ _U64(k))

    def signature(self, text: str) -> np.ndarray:
        """The ``bands × rows`` minima (uint32); all 0xFFFFFFFF for a text without words."""
        sh = self.shingles(text)
        if len(sh) == 0:
            return np.full(len(self.a), np.iinfo(np.uint32).max, dtype=np.uint32)
        a, b = self._a_col, self._b_col
        with np.errstate(over="ignore"):
            low = (a * sh[None, :2048] + b).min(axis=1)
            for i in range(2048, len(sh), 2048):
                np.minimum(low, (a * sh[None, i : i + 2048] + b).min(axis=1), out=low)
        # the high half of the smallest 64-bit value is the smallest high half
        return (low >> _S32).astype(np.uint32)

    def band_keys(self, text: str) -> np.ndarray:
        """One 64-bit key per band: documents sharing a key are near-duplicate candidates.

        A text without words gets keys 0, which never match anything.
        """
        sig = self.signature(text)
        if sig[0] == np.iinfo(np.uint32).max and (sig == sig[0]).all():
            return np.zeros(self.bands, dtype=_U64)
        if self.rows % 2:
            sig = np.concatenate((sig.reshape(self.bands, self.rows), self._pad), axis=1)
        pairs = np.ascontiguousarray(sig).view(_U64).reshape(self.bands, -1)
        with np.errstate(over="ignore"):
            return _fmix64((pairs * self._mix).sum(axis=1, dtype=_U64))


def jaccard_estimate(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    """The share of equal minima: an unbiased estimate of the shingle sets' Jaccard similarity."""
    return float(np.mean(sig_a == sig_b))


@dataclass
class Signatures:
    """The band keys of one shard's documents, in stream order."""

    ids: list[str]
    keys: np.ndarray  # (n, bands) uint64

    def save(self, path: str | Path) -> None:
        """Write to an ``.npz`` file (atomically)."""
        path = Path(path)
        with replacing(path) as f:
            ids = np.array([i.encode("utf-8") for i in self.ids], dtype=np.bytes_)
            np.savez(f, keys=self.keys, ids=ids)

    @classmethod
    def load(cls, path: str | Path) -> Signatures:
        with np.load(path) as z:
            return cls(ids=[x.decode("utf-8") for x in z["ids"].tolist()], keys=z["keys"])


def signatures(docs: Iterable[Document], hasher: MinHasher) -> Signatures:
    """Band keys of every document of a stream (the first pass of corpus-wide dedup)."""
    ids: list[str] = []
    rows: list[np.ndarray] = []
    for doc in docs:
        ids.append(doc.id or "")
        rows.append(hasher.band_keys(doc.text))
    keys = np.stack(rows) if rows else np.empty((0, hasher.bands), dtype=_U64)
    return Signatures(ids, keys)


def find_duplicates(shards: Sequence[Signatures]) -> list[np.ndarray]:
    """Per shard, a boolean mask of the documents to drop (all but one of each cluster).

    Clusters are the connected components of "shares a band key"; the survivor is the
    document with the smallest id (ties: the first in shard order, then stream order).
    """
    sizes = [len(s.ids) for s in shards]
    n = sum(sizes)
    if n == 0:
        return [np.zeros(0, dtype=bool) for _ in shards]
    ids = np.array([i.encode("utf-8") for s in shards for i in s.ids], dtype=np.bytes_)
    keys = np.concatenate([s.keys for s in shards if len(s.ids)], axis=0)
    rank = np.empty(n, dtype=np.int64)
    rank[np.argsort(ids, kind="stable")] = np.arange(n)
    label = rank.copy()
    orders = [np.argsort(keys[:, b], kind="stable") for b in range(keys.shape[1])]
    starts, valid = [], []
    for b, order in enumerate(orders):
        k = keys[order, b]
        starts.append(np.flatnonzero(np.concatenate(([True], k[1:] != k[:-1]))))
        valid.append(k != 0)  # key 0: a text without words, never a duplicate
    changed = True
    while changed:  # label propagation: every doc ends with the smallest rank of its component
        changed = False
        for order, first, ok in zip(orders, starts, valid, strict=True):
            lab = label[order]
            group_min = np.minimum.reduceat(lab, first)
            spread = np.repeat(group_min, np.diff(np.append(first, n)))
            lower = (spread < lab) & ok
            if lower.any():
                label[order[lower]] = spread[lower]
                changed = True
    drop = label != rank
    return np.split(drop, np.cumsum(sizes)[:-1])


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """For nodes ``0..n-1`` joined by the edges ``a[i]-b[i]``: each node's label, the smallest
    node of its connected component (min-label propagation with pointer jumping)."""
    label = np.arange(n, dtype=np.int64)
    if len(a) == 0:
        return label
    while True:
        low = np.minimum(label[a], label[b])
        new = label.copy()
        np.minimum.at(new, a, low)
        np.minimum.at(new, b, low)
        new = new[new]  # a label is a smaller node of the same component: follow it
        if np.array_equal(new, label):
            return label
        label = new


def band_pairs(column: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Documents (rows) that share a band key (0 never counts), as pairs ``(doc, smallest doc
    of its group)`` over ``column`` (one band, or several as columns of a 2-D array)."""
    cols = column.reshape(len(column), -1)
    n = len(cols)
    heads: list[np.ndarray] = []
    tails: list[np.ndarray] = []
    for c in range(cols.shape[1]):
        order = np.argsort(cols[:, c])  # any order: a group links to its smallest document
        k = cols[order, c]
        same = np.flatnonzero((k[1:] == k[:-1]) & (k[1:] != 0)) + 1
        if len(same) == 0:
            continue
        first = np.maximum.accumulate(
            np.where(np.concatenate(([True], k[1:] != k[:-1])), np.arange(n), 0)
        )
        heads.append(order[same])
        tails.append(order[first[same]])
    if not heads:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    label = components(n, np.concatenate(heads), np.concatenate(tails))
    linked = np.flatnonzero(label != np.arange(n))
    return linked, label[linked]


def save_shard_signatures(sig: Signatures, work: Path, shard: int) -> None:
    """A shard's signatures for the bucket tasks: ids (``ids-NNNNN.npy``) and keys band by
    band (``keys-NNNNN.npy``, shape ``(bands, n)``), so a band task reads only its band."""
    with replacing(work / f"keys-{shard:05d}.npy") as f:
        np.save(f, np.ascontiguousarray(sig.keys.T))
    with replacing(work / f"ids-{shard:05d}.npy") as f:
        np.save(f, np.array([i.encode("utf-8") for i in sig.ids], dtype=np.bytes_))


def _legacy(work: Path, shard: int) -> Path | None:
    """The ``sig-NNNNN.npz`` of a scan by an earlier version (resumed by this one)."""
    path = work / f"sig-{shard:05d}.npz"
    return path if path.is_file() and not (work / f"keys-{shard:05d}.npy").is_file() else None


def shard_band(work: Path, shard: int, band: int) -> np.ndarray:
    """One band's keys of a shard's documents (only that band is read from disk)."""
    old = _legacy(work, shard)
    if old is not None:
        return Signatures.load(old).keys[:, band].copy()
    return np.array(np.load(work / f"keys-{shard:05d}.npy", mmap_mode="r")[band])


def load_shard_signatures(work: Path, shard: int) -> Signatures:
    """A shard's signatures as :func:`save_shard_signatures` wrote them."""
    old = _legacy(work, shard)
    if old is not None:
        return Signatures.load(old)
    ids = [x.decode("utf-8") for x in np.load(work / f"ids-{shard:05d}.npy").tolist()]
    return Signatures(ids, np.load(work / f"keys-{shard:05d}.npy").T)


def _shard_ids(work: Path, shard: int) -> list[str]:
    old = _legacy(work, shard)
    if old is not None:
        return Signatures.load(old).ids
    return [x.decode("utf-8") for x in np.load(work / f"ids-{shard:05d}.npy").tolist()]


@dataclass(frozen=True)
class BandTask:
    """The bucket phase for one band: duplicate pairs among all shards' documents (numbered
    in shard order), written to ``work/pairs-BBB.npy``; run again, it keeps that file."""

    work: str
    shards: int
    band: int

    @property
    def path(self) -> Path:
        return Path(self.work) / f"pairs-{self.band:03d}.npy"

    def run(self) -> int:
        if not self.path.is_file():
            work = Path(self.work)
            cols = [shard_band(work, i, self.band) for i in range(self.shards)]
            column = np.concatenate(cols) if cols else np.empty(0, dtype=_U64)
            del cols
            linked, to = band_pairs(column)
            with replacing(self.path) as f:
                np.save(f, np.stack((linked, to)))
        return int(np.load(self.path, mmap_mode="r").shape[1])


def drops_from_pairs(ids: Sequence[Sequence[str]], pairs: Iterable[np.ndarray]) -> list[np.ndarray]:
    """Per shard, the drop mask given every band's duplicate pairs (documents numbered in
    shard order): clusters are joined across bands and the smallest id of each survives,
    as in :func:`find_duplicates`."""
    sizes = [len(s) for s in ids]
    n = sum(sizes)
    flat = np.array([i.encode("utf-8") for s in ids for i in s], dtype=np.bytes_)
    rank = np.empty(n, dtype=np.int64)
    rank[np.argsort(flat, kind="stable")] = np.arange(n)
    del flat
    edges = [p for p in pairs if p.shape[1]]
    a = rank[np.concatenate([p[0] for p in edges])] if edges else np.empty(0, np.int64)
    b = rank[np.concatenate([p[1] for p in edges])] if edges else np.empty(0, np.int64)
    label = components(n, a, b)  # over ranks: the label is the smallest rank of the cluster
    drop = label[rank] != rank
    return np.split(drop, np.cumsum(sizes)[:-1]) if sizes else []


class MinHashDedup(Step):
    """Drops near-duplicate documents, keeping the smallest id of each cluster.

    Without ``drop_ids`` it dedups its own stream: documents are spilled to a temporary file
    while their band keys are computed, then read back and filtered, so memory holds only the
    keys (about 120 bytes a document). With ``drop_ids`` (from :func:`find_duplicates` over all
    shards) it only removes those.
    """

    name: ClassVar[str] = "minhash"

    def __init__(
        self,
        bands: int = 14,
        rows: int = 8,
        ngram: int = 5,
        seed: int = 1,
        drop_ids: set[str] | None = None,
        tmp_dir: str | Path | None = None,
    ) -> None:
        super().__init__()
        self.hasher = MinHasher(bands, rows, ngram, seed)
        self.drop_ids = drop_ids
        self.tmp_dir = tmp_dir

    @classmethod
    def from_config(cls, config: MinHashConfig, **kw: object) -> MinHashDedup:
        """The step for ``config``: corpus-wide (two passes in refine) or per stream."""
        klass = CorpusMinHashDedup if config.scope == "corpus" and cls is MinHashDedup else cls
        return klass(config.bands, config.rows, config.ngram, config.seed, **kw)  # type: ignore[arg-type]

    def run(self, docs: Iterable[Document]) -> Iterator[Document]:
        if self.drop_ids is not None:
            yield from super().run(docs)
            return
        with tempfile.TemporaryFile(dir=self.tmp_dir) as spill:
            ids: list[str] = []
            rows: list[np.ndarray] = []
            for doc in docs:
                self.stats.seen += 1
                ids.append(doc.id or "")
                rows.append(self.hasher.band_keys(doc.text))
                spill.write(orjson.dumps(doc.to_dict(), option=orjson.OPT_NON_STR_KEYS))
                spill.write(b"\n")
            keys = np.stack(rows) if rows else np.empty((0, self.hasher.bands), dtype=_U64)
            (drop,) = find_duplicates([Signatures(ids, keys)])
            spill.seek(0)
            for line, dup in zip(spill, drop.tolist(), strict=True):
                if dup:  # parsed again only when someone keeps dropped documents
                    if self.drop_sink is None:
                        self.stats.drop("near_duplicate")
                    else:
                        self.drop(Document.from_dict(orjson.loads(line)), "near_duplicate")
                    continue
                self.stats.kept += 1
                yield Document.from_dict(orjson.loads(line))

    def process(self, doc: Document) -> Document | str:
        assert self.drop_ids is not None
        return "near_duplicate" if doc.id in self.drop_ids else doc


def drop_ids_of(shards: Sequence[Signatures]) -> set[str]:
    """Ids to drop corpus-wide (ids that also survive somewhere are kept)."""
    masks = find_duplicates(shards)
    drop: set[str] = set()
    keep: set[str] = set()
    for sig, mask in zip(shards, masks, strict=True):
        for doc_id, dup in zip(sig.ids, mask.tolist(), strict=True):
            (drop if dup else keep).add(doc_id)
    return drop - keep


class CorpusMinHashDedup(MinHashDedup, CorpusStep):
    """Corpus-wide MinHash dedup in the refine runner's rounds.

    Scan: each shard's ids and band keys go to ``work/ids-NNNNN.npy`` and ``keys-NNNNN.npy``.
    Merge: one :class:`BandTask` per band, then clusters over all bands' pairs, one drop mask
    per shard (``work/drop-NNNNN.npy``). Final pass: the shard's documents come
    again in the same order and are dropped by position. Used on a plain stream without
    :meth:`bind_shard`, it dedups that stream as :class:`MinHashDedup` does.
    """

    def __init__(self, *args: object, **kw: object) -> None:
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        self._drop: np.ndarray | None = None
        self._pos = 0

    def scan_shard(self, docs: Iterable[Document], work: Path, shard: int) -> None:
        work.mkdir(parents=True, exist_ok=True)
        save_shard_signatures(signatures(docs, self.hasher), work, shard)

    def merge_tasks(self, work: Path, shards: int) -> list[BandTask]:
        """The bucket phase, one task per band (run on the executor before :meth:`merge`)."""
        return [BandTask(str(work), shards, b) for b in range(self.hasher.bands)]

    def merge(self, work: Path, shards: int) -> dict[str, int]:
        """Clusters from every band's pairs (the bucket tasks run first, here if they have
        not), then one drop mask per shard (``drop-NNNNN.npy``)."""
        tasks = self.merge_tasks(work, shards)
        for task in tasks:
            task.run()  # nothing to do when the executor ran it
        ids = [_shard_ids(work, i) for i in range(shards)]
        masks = drops_from_pairs(ids, (np.load(t.path) for t in tasks))
        for i, mask in enumerate(masks):
            with replacing(work / f"drop-{i:05d}.npy") as f:
                np.save(f, mask)
        return {
            "scanned": sum(len(s) for s in ids),
            "near_duplicates_found": sum(int(m.sum()) for m in masks),
        }

    def bind_shard(self, work: Path, shard: int) -> None:
        self._drop = np.load(work / f"drop-{shard:05d}.npy")
        self._pos = 0

    def run(self, docs: Iterable[Document]) -> Iterator[Document]:
        if self._drop is None or self.drop_ids is not None:
            yield from super().run(docs)
            return
        drop = self._drop
        for doc in docs:
            self.stats.seen += 1
            pos = self._pos
            self._pos += 1
            if pos < len(drop) and drop[pos]:
                self.drop(doc, "near_duplicate")
                continue
            self.stats.kept += 1
            yield doc

"""The paragraph hashes kept with a corpus, so a later run can dedup against it.

At finalise, refine writes ``DIR/paragraph-hashes.u64``: the sorted distinct dedup hashes
(:func:`thresher.refine.dedup.line_hashes`, same normalisation and 64-bit SHA-1 prefix) of
every paragraph of the documents it kept, as raw little-endian uint64 (``np.fromfile`` or
``np.memmap`` read it). The manifest lists it under ``hashes`` with its SHA-256, so
``thresher verify`` checks it. ``refine --dedup-against DIR`` memory-maps it and reads it one
hash-prefix partition at a time, like the dedup merge.

Each shard of the final pass saves the sorted distinct hashes of what it wrote beside its
staged parts; the finalise merges them partition by partition, so memory stays at one
partition of all shards.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from thresher.atomic import replacing
from thresher.errors import InputError
from thresher.refine.dedup import SKIP, _partition_bits, line_hashes
from thresher.refine.hash_files import HASHES, U64, in_range, open_hashes, partitions
from thresher.store.manifest import MANIFEST, read_manifest
from thresher.store.writers import sha256_file

__all__ = ["HASHES", "EarlierCorpus", "ShardHashes", "earlier_corpus", "merge_hashes"]


class ShardHashes:
    """Collects the paragraph hashes of the documents one shard writes."""

    def __init__(self) -> None:
        self._hashes = array("Q")

    def add(self, text: str) -> None:
        self._hashes.extend(h for h in line_hashes(text) if h != SKIP)

    def save(self, path: Path) -> None:
        """Write the sorted distinct hashes to ``path`` (atomically)."""
        arr = np.unique(np.frombuffer(self._hashes, dtype=np.uint64)) if self._hashes else None
        with replacing(path) as f:
            if arr is not None:
                f.write(arr.astype(U64, copy=False).tobytes())


def merge_hashes(sources: list[Path], dst: Path, memory_mb: int) -> dict[str, Any]:
    """Merge sorted hash files into one sorted distinct file ``dst``, one partition at a time;
    returns its manifest entry (path, bytes, sha256, count)."""
    arrays = [open_hashes(s) for s in sources]
    bits = _partition_bits(sum(len(a) for a in arrays), memory_mb)
    count = 0
    with replacing(dst) as f:
        for lo, hi in partitions(bits):
            slices = [in_range(a, lo, hi) for a in arrays]
            merged = np.unique(np.concatenate(slices)) if slices else np.empty(0, np.uint64)
            f.write(merged.astype(U64, copy=False).tobytes())
            count += len(merged)
    return {
        "path": dst.name,
        "bytes": dst.stat().st_size,
        "sha256": sha256_file(dst),
        "count": count,
    }


@dataclass(frozen=True)
class EarlierCorpus:
    """A finished corpus to dedup against: its folder and its hash file's identity."""

    path: str
    sha256: str
    count: int

    @property
    def hashes(self) -> Path:
        return Path(self.path) / HASHES


def earlier_corpus(folder: str, out: Path) -> EarlierCorpus:
    """Check that ``folder`` is a finished refine corpus with paragraph hashes (one-line
    :class:`InputError` otherwise) and return it, with its path made absolute."""
    if "://" in folder and not folder.startswith("file://"):
        raise InputError(f"{folder}: --dedup-against takes a local corpus folder")
    root = Path(folder.removeprefix("file://")).resolve()
    if root == out.resolve():
        raise InputError(f"{folder}: is the output folder itself; give an earlier corpus")
    if not (root / MANIFEST).is_file():
        raise InputError(f"{folder}: not a corpus folder (no {MANIFEST}); give a refine output")
    manifest = read_manifest(root)
    if manifest.get("kind") != "refine":
        raise InputError(f"{folder}: holds a {manifest.get('kind')!r} output, not a refine corpus")
    entry = manifest.get("hashes")
    if not isinstance(entry, dict) or not (root / HASHES).is_file():
        raise InputError(
            f"{folder}: has no paragraph hashes (made by an older version); refine it again "
            "with this version to dedup against it"
        )
    if (root / HASHES).stat().st_size != entry.get("bytes"):
        raise InputError(f"{folder}/{HASHES}: size differs from the manifest; run thresher verify")
    return EarlierCorpus(str(root), str(entry.get("sha256")), int(entry.get("count", 0)))

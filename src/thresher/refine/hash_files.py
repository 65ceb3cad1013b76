"""Sorted uint64 hash files (raw little-endian) read by hash-prefix partition, memory-mapped.

Used for the paragraph hashes kept with a corpus (:mod:`thresher.refine.paragraph_hashes`)
and read back by the dedup merge (``--dedup-against``): only one partition's slice of a file
is ever paged in.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

#: the paragraph hash file beside a corpus's manifest
HASHES = "paragraph-hashes.u64"
U64 = np.dtype("<u8")


def open_hashes(path: Path) -> np.ndarray:
    """A sorted hash file as a read-only array, memory-mapped (nothing read until sliced)."""
    if path.stat().st_size == 0:
        return np.empty(0, dtype=np.uint64)
    return np.memmap(path, dtype=U64, mode="r")


def partitions(bits: int) -> Iterator[tuple[int, int | None]]:
    """The hash ranges [lo, hi) of 2^bits prefix partitions (``hi`` None: to the end)."""
    for p in range(1 << bits):
        lo = p << (64 - bits) if bits else 0
        hi = None if p == (1 << bits) - 1 else (p + 1) << (64 - bits)
        yield lo, hi


def in_range(a: np.ndarray, lo: int, hi: int | None) -> np.ndarray:
    """The slice of sorted ``a`` within [lo, hi), read into memory as uint64."""
    start = int(np.searchsorted(a, np.uint64(lo))) if lo else 0
    end = len(a) if hi is None else int(np.searchsorted(a, np.uint64(hi)))
    return np.asarray(a[start:end]).astype(np.uint64, copy=False)

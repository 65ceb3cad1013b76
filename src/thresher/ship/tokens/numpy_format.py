"""The default shard layout (``--format numpy``): ``part-NNNNN.tokens``, the shard's token
ids as a raw little-endian ``uint16``/``uint32`` array (``numpy.memmap`` reads it), and
``part-NNNNN.offsets.npy``, ``int64`` offsets of its documents: document ``i`` is
``tokens[offsets[i]:offsets[i + 1]]``, its EOS last (docs/train-ready.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from thresher.store.writers import Part, sha256_file, write_error

TOKENS = ".tokens"
OFFSETS = ".offsets.npy"


def shard_name(number: int) -> str:
    return f"part-{number:05d}"


def part_entry(path: Path, root: Path, documents: int) -> dict[str, Any]:
    """A written file as the manifest lists it."""
    return Part(path.relative_to(root).as_posix(), sha256_file(path), documents,
                path.stat().st_size).to_dict()  # fmt: skip


def write_shard(stage: Path, number: int, tokens: np.ndarray, offsets: np.ndarray) -> list[dict]:
    """Write one shard's two files into ``stage``; returns their manifest entries."""
    name = shard_name(number)
    data, index = stage / f"{name}{TOKENS}", stage / f"{name}{OFFSETS}"
    try:
        tokens.astype(tokens.dtype.newbyteorder("<"), copy=False).tofile(data)
        np.save(index, offsets.astype("<i8", copy=False))
    except OSError as e:
        raise write_error(data, e) from None
    documents = len(offsets) - 1
    return [part_entry(data, stage, documents), part_entry(index, stage, documents)]


def read_shard(data: Path, dtype: np.dtype[Any]) -> tuple[np.ndarray, np.ndarray]:
    """A shard's tokens (memory-mapped) and document offsets."""
    index = data.with_name(data.name[: -len(TOKENS)] + OFFSETS)
    offsets = np.load(index)
    if offsets[-1] == 0:
        return np.zeros(0, dtype=dtype), offsets
    return np.memmap(data, dtype=dtype, mode="r"), offsets

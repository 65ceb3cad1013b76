"""``--format megatron``: Megatron-LM's indexed dataset (MMapIndexedDataset), written from its
published layout. ``part-NNNNN.bin`` holds the token ids; ``part-NNNNN.idx`` is, all
little-endian: the magic ``MMIDIDX\\0\\0``, version (u64 = 1), dtype code (u8: 8 uint16,
4 int32), sequence count (u64), document count (u64: sequences + 1), then the sequence lengths
(int32), their byte offsets in the ``.bin`` (int64) and the document indices (int64: the
first sequence of each document, then the count). One sequence per document, EOS last."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import numpy as np

from thresher.errors import InputError
from thresher.ship.tokens.numpy_format import part_entry, shard_name
from thresher.store.writers import write_error

MAGIC = b"MMIDIDX\x00\x00"
VERSION = 1
#: Megatron's dtype codes (those it defines; it has no uint32: larger vocabularies use int32)
CODES = {
    np.dtype("uint8"): 1, np.dtype("int8"): 2, np.dtype("int16"): 3, np.dtype("int32"): 4,
    np.dtype("int64"): 5, np.dtype("float64"): 6, np.dtype("float32"): 7,
    np.dtype("uint16"): 8,
}  # fmt: skip
DTYPES = {code: dtype for dtype, code in CODES.items()}
_HEAD = struct.Struct("<9sQBQQ")


def megatron_dtype(dtype: np.dtype[Any]) -> np.dtype[Any]:
    """uint16 stays; uint32 ids are written as int32, Megatron's type for large vocabularies."""
    return np.dtype("<u2") if np.dtype(dtype).itemsize == 2 else np.dtype("<i4")


def write_index(path: Path, lengths: np.ndarray, dtype: np.dtype[Any]) -> None:
    """The ``.idx`` of a ``.bin`` holding sequences of ``lengths`` tokens of ``dtype``."""
    n = len(lengths)
    pointers = np.zeros(n, dtype="<i8")
    if n:
        np.cumsum(lengths[:-1] * np.dtype(dtype).itemsize, out=pointers[1:])
    with open(path, "wb") as f:
        f.write(_HEAD.pack(MAGIC, VERSION, CODES[np.dtype(dtype).newbyteorder("=")], n, n + 1))
        f.write(lengths.astype("<i4").tobytes())
        f.write(pointers.tobytes())
        f.write(np.arange(n + 1, dtype="<i8").tobytes())


def read_index(path: Path) -> tuple[np.dtype[Any], np.ndarray, np.ndarray, np.ndarray]:
    """dtype, sequence lengths, byte pointers and document indices of an ``.idx`` file."""
    raw = Path(path).read_bytes()
    if len(raw) < _HEAD.size:
        raise InputError(f"{path}: not a Megatron index (too short)")
    magic, version, code, n, docs = _HEAD.unpack_from(raw)
    if magic != MAGIC or version != VERSION or code not in DTYPES:
        raise InputError(f"{path}: not a Megatron index (magic, version or dtype code)")
    at = _HEAD.size
    lengths = np.frombuffer(raw, "<i4", n, at)
    pointers = np.frombuffer(raw, "<i8", n, at + 4 * n)
    documents = np.frombuffer(raw, "<i8", docs, at + 12 * n)
    return DTYPES[code].newbyteorder("<"), lengths, pointers, documents


def write_shard(stage: Path, number: int, tokens: np.ndarray, offsets: np.ndarray) -> list[dict]:
    """Write one shard as ``.bin`` and ``.idx`` into ``stage``; returns the manifest entries."""
    name = shard_name(number)
    data, index = stage / f"{name}.bin", stage / f"{name}.idx"
    dtype = megatron_dtype(tokens.dtype)
    try:
        tokens.astype(dtype, copy=False).tofile(data)
        write_index(index, np.diff(offsets), dtype)
    except OSError as e:
        raise write_error(data, e) from None
    documents = len(offsets) - 1
    return [part_entry(data, stage, documents), part_entry(index, stage, documents)]


def read_shard(data: Path) -> tuple[np.ndarray, np.ndarray]:
    """A ``.bin`` shard's tokens (memory-mapped) and its documents' offsets in tokens."""
    dtype, lengths, pointers, _ = read_index(data.with_suffix(".idx"))
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    offsets[:-1] = pointers // dtype.itemsize
    offsets[-1] = offsets[-2] + lengths[-1] if len(lengths) else 0
    if offsets[-1] == 0:
        return np.zeros(0, dtype=dtype), offsets
    return np.memmap(data, dtype=dtype, mode="r"), offsets

"""How many documents a part of a ``thresher tokenize`` folder holds, read from its index
alone (``verify`` counts every part): ``part-N.offsets.npy`` holds one offset more than
documents, a Megatron ``part-N.idx`` says its sequence count in its header; a ``.tokens`` or
``.bin`` file counts through the index beside it. Local paths or object-store URLs."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import IO

import numpy as np

from thresher.store.remote import is_remote, open_remote

_SIBLING = {".tokens": ".offsets.npy", ".bin": ".idx"}
SUFFIXES = (".tokens", ".offsets.npy", ".bin", ".idx")
_IDX_HEAD = struct.Struct("<9sQBQQ")  # magic, version, dtype code, sequences, documents


def is_token_part(name: str) -> bool:
    """Whether ``name`` is one of a tokenize folder's part files."""
    base = name.rstrip("/").rsplit("/", 1)[-1]
    return base.startswith("part-") and base.endswith(SUFFIXES)


def _open(path: str | Path) -> IO[bytes]:
    return open_remote(str(path)) if is_remote(path) else open(path, "rb")


def count_token_documents(path: str | Path) -> int:
    """Documents in a token part (``ValueError`` for an index that is not one)."""
    name = str(path)
    for data, index in _SIBLING.items():
        if name.endswith(data):
            return count_token_documents(name[: -len(data)] + index)
    with _open(path) as f:
        if name.endswith(".offsets.npy"):
            major, _ = np.lib.format.read_magic(f)
            read_header = (
                np.lib.format.read_array_header_1_0
                if major == 1
                else np.lib.format.read_array_header_2_0
            )
            shape, _, _ = read_header(f)
            if len(shape) != 1 or shape[0] < 1:
                raise ValueError(f"offsets of shape {shape}")
            return int(shape[0]) - 1
        head = f.read(_IDX_HEAD.size)
    if len(head) < _IDX_HEAD.size or not head.startswith(b"MMIDIDX"):
        raise ValueError("not a Megatron index")
    return int(_IDX_HEAD.unpack(head)[3])

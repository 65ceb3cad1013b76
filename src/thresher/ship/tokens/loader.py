""":class:`TokenShards`: a tokenize output folder read back with numpy alone (the shards are
memory-mapped, nothing is copied until a document is sliced)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from thresher.errors import InputError
from thresher.ship.tokens import megatron, numpy_format


class TokenShards:
    """The shards of a ``thresher tokenize`` folder, in order: ``len()`` documents,
    ``shard(k)`` a shard's tokens and offsets, ``document(i)`` or iteration the documents'
    ids (without their EOS), ``tokens`` the total written (EOS included)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        try:
            manifest = json.loads((self.folder / "manifest.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"{self.folder}: no manifest.json (not a tokenize output)") from None
        except (OSError, ValueError) as e:
            raise InputError(f"{self.folder}/manifest.json: unreadable: {e}") from None
        info = manifest.get("tokens") if isinstance(manifest, dict) else None
        if manifest.get("kind") != "tokens" or not isinstance(info, dict):
            kind = manifest.get("kind")
            raise InputError(f"{self.folder}: not a tokenize output (kind {kind!r})")
        self.manifest: dict[str, Any] = manifest
        self.format: str = info["format"]
        self.dtype = np.dtype(info["dtype"]).newbyteorder("<")
        self.eos_id: int = int(info["eos_id"])
        self.tokens: int = int(info["total"])
        suffix = ".bin" if self.format == "megatron" else numpy_format.TOKENS
        self.paths = sorted(
            self.folder / p["path"] for p in manifest["parts"] if p["path"].endswith(suffix)
        )
        counts = [
            int(p["documents"]) for p in sorted(manifest["parts"], key=lambda p: p["path"])
            if p["path"].endswith(suffix)
        ]  # fmt: skip
        self._first = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)])

    def __len__(self) -> int:
        return int(self._first[-1])

    @property
    def shards(self) -> int:
        return len(self.paths)

    def shard(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Shard ``k``'s token ids (a read-only memmap) and its ``documents + 1`` offsets."""
        if self.format == "megatron":
            return megatron.read_shard(self.paths[k])
        return numpy_format.read_shard(self.paths[k], self.dtype)

    def document(self, i: int) -> np.ndarray:
        """Document ``i`` (in shard order) as ids, its EOS left off."""
        if not 0 <= i < len(self):
            raise IndexError(i)
        k = int(np.searchsorted(self._first, i, side="right")) - 1
        tokens, offsets = self.shard(k)
        j = i - int(self._first[k])
        return np.asarray(tokens[offsets[j] : offsets[j + 1] - 1])

    def __iter__(self) -> Iterator[np.ndarray]:
        for k in range(self.shards):
            tokens, offsets = self.shard(k)
            for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True):
                yield np.asarray(tokens[a : b - 1])

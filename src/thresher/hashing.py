"""64-bit hashes: the first 8 bytes of SHA-1, read little-endian (CCNet's ``np.uint64`` view of
the digest). One definition for every 64-bit hash thresher keeps or compares (paragraph dedup,
the paragraph hashes kept with a corpus, ``diff``), so they all agree across versions."""

from __future__ import annotations

from collections.abc import Iterable
from hashlib import sha1

_from_bytes = int.from_bytes


def hash64_bytes(data: bytes) -> int:
    """First 64 bits of SHA-1 of ``data``, read little-endian."""
    return _from_bytes(sha1(data).digest()[:8], "little")


def hash64(text: str) -> int:
    """:func:`hash64_bytes` of the UTF-8 bytes of ``text`` (lone surrogates kept as they are)."""
    return _from_bytes(sha1(text.encode("utf-8", "surrogatepass")).digest()[:8], "little")


def hash64_each(keys: Iterable[bytes]) -> list[int]:
    """:func:`hash64_bytes` of every key, with 0 kept to mean "no hash": an empty key gets 0,
    a key that hashes to 0 gets 1. One comprehension, no call per key: it runs on every
    paragraph of a corpus."""
    return [(_from_bytes(sha1(k).digest()[:8], "little") or 1) if k else 0 for k in keys]

"""A disk cache of fetched pages and robots.txt files for the reader: a second read of a page
within its time to live sends nothing to the site. One file per entry (a JSON header line,
then the body), written under a unique temporary name and renamed, so concurrent readers and
writers never see half an entry; a damaged entry is a miss.

Entries live in a folder of their own inside the folder given (``DIR/thresher-read-cache``,
marked by a ``CACHEDIR.TAG``), and pruning removes only files of the exact shape this cache
writes there (``pages/ab/<64 hex digits>``), so ``--cache`` pointed at a folder that holds
anything else never deletes the user's files."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["CacheEntry", "PageCache", "default_cache_dir"]

#: the subfolder of the cache folder that holds the entries, and the kinds of entries
STORE = "thresher-read-cache"
KINDS = ("pages", "robots")
#: marks the store as a cache (https://bford.info/cachedir/): backup tools skip it
_TAG = b"Signature: 8a477f597d28d172789f06886806bc55\n# thresher read cache: safe to delete\n"
_ENTRY = re.compile(r"[0-9a-f]{64}")


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/thresher/read`` (``~/.cache/thresher/read`` when unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "thresher" / "read"


@dataclass(slots=True)
class CacheEntry:
    """What was stored: a JSON-able header and the body bytes."""

    meta: dict[str, Any]
    body: bytes
    stored: float


class PageCache:
    """Entries by (kind, key) under ``root``; ``get`` ignores entries older than ``ttl``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.store = root / STORE
        self.hits = 0
        self.misses = 0

    def _path(self, kind: str, key: str) -> Path:
        if kind not in KINDS:
            raise ValueError(f"unknown cache kind {kind!r}")
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
        return self.store / kind / digest[:2] / digest

    def get(self, kind: str, key: str, ttl: float) -> CacheEntry | None:
        """The entry stored for ``key`` less than ``ttl`` seconds ago, else None."""
        path = self._path(kind, key)
        try:
            data = path.read_bytes()
            head, _, body = data.partition(b"\n")
            header = json.loads(head)
            if header.get("key") != key:  # a hash collision or a foreign file
                raise ValueError("other key")
            stored = float(header["stored"])
        except (OSError, ValueError, KeyError, TypeError):
            self.misses += 1
            return None
        if time.time() - stored >= ttl:
            self.misses += 1
            return None
        self.hits += 1
        return CacheEntry(header.get("meta") or {}, body, stored)

    def prune(self, older_than: float) -> int:
        """Remove entries stored more than ``older_than`` seconds ago (by file time: no
        reader would use them any more); returns how many went. Only files named as this
        cache names its entries, in a store that carries its tag, are looked at."""
        if not (self.store / "CACHEDIR.TAG").is_file():
            return 0
        cutoff = time.time() - older_than
        removed = 0
        for kind in KINDS:
            for path in (self.store / kind).glob("??/*"):
                if not (_ENTRY.fullmatch(path.name) and path.parent.name == path.name[:2]):
                    continue
                with contextlib.suppress(OSError):
                    if path.is_file() and path.stat().st_mtime < cutoff:
                        path.unlink()
                        removed += 1
        return removed

    def put(self, kind: str, key: str, meta: dict[str, Any], body: bytes) -> None:
        """Store an entry; a cache that cannot be written is skipped, not an error."""
        path = self._path(kind, key)
        header = json.dumps({"key": key, "stored": time.time(), "meta": meta}).encode("utf-8")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._tag()
            fd, tmp = tempfile.mkstemp(prefix=".", dir=path.parent)
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(header + b"\n" + body)
            os.replace(tmp, path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)

    def _tag(self) -> None:
        tag = self.store / "CACHEDIR.TAG"
        if not tag.exists():
            tag.write_bytes(_TAG)

"""The response cache: a validated answer per (model, prompt, schema, page content), one small
JSON file each, so a rerun over the same pages (into any output folder) sends no request.
Failures are not cached. Entries are written atomically and bounded in size; a damaged,
oversized or unreadable entry is a miss (asked again and rewritten), never an error."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import Any

#: bump when the meaning of a cached entry changes
VERSION = 1
#: an entry larger than this (bytes of JSON) is neither written nor read back
MAX_ENTRY_BYTES = 1 << 20


def cache_key(model: str, prompt: str, schema: dict[str, Any], content: str) -> str:
    """SHA-256 over everything that decides the answer (hex)."""
    blob = json.dumps(
        {"v": VERSION, "model": model, "prompt": prompt, "schema": schema, "content": content},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()


class ResponseCache:
    """Entries under ``root/ab/abcdef....json``; written under a unique temporary name and
    renamed, so parallel workers never see half an entry."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The entry under ``key``; None when missing, damaged or oversized."""
        try:
            with open(self._path(key), "rb") as f:
                raw = f.read(MAX_ENTRY_BYTES + 1)
            if len(raw) > MAX_ENTRY_BYTES:
                return None
            data = json.loads(raw)
        except (OSError, ValueError, RecursionError):  # asked again and rewritten
            return None
        return data if isinstance(data, dict) and "record" in data else None

    def put(self, key: str, entry: dict[str, Any]) -> None:
        """Store ``entry`` (a temporary file renamed into place); one over MAX_ENTRY_BYTES is
        not kept."""
        path = self._path(key)
        blob = json.dumps(entry, ensure_ascii=False).encode("utf-8", "surrogatepass")
        if len(blob) > MAX_ENTRY_BYTES:
            return
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(blob)
            os.replace(tmp, path)
        except OSError:  # a cache that cannot be written costs a request next time, nothing else
            tmp.unlink(missing_ok=True)

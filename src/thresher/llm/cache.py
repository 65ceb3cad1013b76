"""The response cache: a validated answer per (model, prompt, schema, page content), one small
JSON file each, so a rerun over the same pages sends no request. Failures are not cached."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import Any

#: bump when the meaning of a cached entry changes
VERSION = 1


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
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):  # missing, or damaged: asked again and rewritten
            return None
        return data if isinstance(data, dict) and "record" in data else None

    def put(self, key: str, entry: dict[str, Any]) -> None:
        path = self._path(key)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(entry, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, path)
        except OSError:  # a cache that cannot be written costs a request next time, nothing else
            tmp.unlink(missing_ok=True)

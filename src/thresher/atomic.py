"""Atomic file writes: readers see the old file or the new one, never half of one."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def write_json(path: Path, data: Any, *, sort_keys: bool = False, fsync: bool = False) -> None:
    """Write ``data`` as indented JSON under a hidden temporary name, then rename it over
    ``path``. With ``fsync`` the bytes reach the disk before the rename (manifests)."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, sort_keys=sort_keys, ensure_ascii=False, default=str)
        f.write("\n")
        if fsync:
            f.flush()
            os.fsync(f.fileno())
    os.replace(tmp, path)

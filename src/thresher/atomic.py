"""Atomic file writes: readers see the old file or the new one, never half of one."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any


def _write_atomic(path: Path, fill: Callable[[IO[str]], None], fsync: bool) -> None:
    """Write through ``fill`` under a hidden temporary name, then rename it over ``path``;
    on any failure (a full disk, Ctrl-C) the temporary file is removed and ``path`` is
    untouched."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            fill(f)
            if fsync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json(path: Path, data: Any, *, sort_keys: bool = False, fsync: bool = False) -> None:
    """Write ``data`` as indented JSON atomically. With ``fsync`` the bytes reach the disk
    before the rename (manifests)."""

    def fill(f: IO[str]) -> None:
        json.dump(data, f, indent=2, sort_keys=sort_keys, ensure_ascii=False, default=str)
        f.write("\n")

    _write_atomic(path, fill, fsync)


def write_text(path: Path, text: str, *, fsync: bool = False) -> None:
    """Write ``text`` (UTF-8) atomically."""
    _write_atomic(path, lambda f: f.write(text), fsync)

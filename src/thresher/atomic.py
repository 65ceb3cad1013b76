"""Atomic file writes: readers see the old file or the new one, never half of one."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from thresher.errors import OutputError


@contextmanager
def replacing(path: Path, *, fsync: bool = False) -> Iterator[IO[bytes]]:
    """A binary file to write ``path`` through: written under a hidden temporary name and
    renamed over ``path`` when the block ends. On any failure (a full disk, Ctrl-C) the
    temporary file is removed and ``path`` is untouched; a failed write is an
    :class:`OutputError` naming ``path``."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as f:
            yield f
            if fsync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"{path}: cannot write: {e.strerror or e}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json(path: Path, data: Any, *, sort_keys: bool = False, fsync: bool = False) -> None:
    """Write ``data`` as indented JSON atomically. With ``fsync`` the bytes reach the disk
    before the rename (manifests)."""
    text = json.dumps(data, indent=2, sort_keys=sort_keys, ensure_ascii=False, default=str)
    write_text(path, text + "\n", fsync=fsync)


def write_text(path: Path, text: str, *, fsync: bool = False) -> None:
    """Write ``text`` (UTF-8) atomically."""
    with replacing(path, fsync=fsync) as f:
        f.write(text.encode("utf-8"))

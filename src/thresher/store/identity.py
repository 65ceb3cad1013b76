"""A run's identity: one fingerprint rule for every stage.

A run is its settings and its inputs. Each local input file counts by its resolved path, its
size and the SHA-256 of its content (inputs rewritten with the same bytes, such as the output of
a deterministic extract run again, are the same run); an object-store input by its URL, size
and the store's tag of its content (ETag), without reading it; a web URL by name; an ``hf:``
dataset by its revision; a source's named items (a Common Crawl slice, a Reddit query) by
name. The order in which the inputs are given does not count.

Digests of large local files are kept in the user's cache folder keyed by path, size, inode
and modification time, so a rerun or a resume over terabytes of archives does not read them
all again before it starts.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

from thresher.atomic import write_json
from thresher.errors import OutputError
from thresher.store.hf import identity as dataset_identity
from thresher.store.hf import is_dataset_spec
from thresher.store.remote import is_remote, remote_identity
from thresher.store.writers import sha256_file

#: files at least this large keep their digest in the cache folder
CACHED_DIGEST_BYTES = 64 << 20


def _digest_cache(resolved: Path) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    key = hashlib.sha1(str(resolved).encode(), usedforsecurity=False).hexdigest()
    return base / "thresher" / "digests" / key[:2] / f"{key}.json"


def file_digest(path: Path) -> str:
    """SHA-256 of a local file's content; a large file's is remembered until it changes."""
    st = path.stat()
    if st.st_size < CACHED_DIGEST_BYTES:
        return sha256_file(path)
    resolved = path.resolve()
    stamp = [st.st_size, st.st_mtime_ns, st.st_ino]
    cache = _digest_cache(resolved)
    try:
        saved = json.loads(cache.read_text(encoding="utf-8"))
        if saved.get("path") == str(resolved) and saved.get("stamp") == stamp:
            return str(saved["sha256"])
    except (OSError, ValueError, AttributeError, KeyError):
        pass  # no entry, or a damaged one: compute it again
    digest = sha256_file(path)
    with contextlib.suppress(OSError, OutputError):  # unwritable: the next run reads again
        cache.parent.mkdir(parents=True, exist_ok=True)
        write_json(cache, {"path": str(resolved), "stamp": stamp, "sha256": digest})
    return digest


def input_line(spec: str | Path) -> str:
    """What the fingerprint records of one input file (see the module's docstring)."""
    text = str(spec)
    if is_dataset_spec(text):
        return f"{dataset_identity(text)}\n"
    if text.startswith(("http://", "https://")):
        return f"{text}\n"  # a web server gives no content tag worth a request per file
    if is_remote(text):
        return f"{remote_identity(text)}\n"
    path = Path(text.removeprefix("file://"))
    return f"{path.resolve()}\0{path.stat().st_size}\0{file_digest(path)}\n"


def run_fingerprint(settings: str, files: Iterable[str | Path], named: Iterable[str] = ()) -> str:
    """The identity of a run of ``settings`` over input ``files`` (by content) and ``named``
    items (by name), whatever their order: 32 hex digits."""
    h = hashlib.sha256(settings.encode())
    lines = sorted(input_line(f) for f in files)
    for line in [*sorted(f"{name}\n" for name in named), *lines]:
        h.update(line.encode())
    return h.hexdigest()[:32]

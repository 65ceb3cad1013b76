"""Naming a decontamination benchmark: whether a spec can be one (a local file or folder,
an ``hf:`` dataset), its files, and its SHA-256 (what the run's identity records of it).
Kept apart from the n-gram index (:mod:`thresher.refine.benchmarks`) so that the settings
(:mod:`thresher.refine.config`) check specs without importing the index."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from thresher.errors import InputError
from thresher.store.hf import identity as dataset_identity
from thresher.store.hf import is_dataset_spec, parse_spec
from thresher.store.identity import file_digest
from thresher.store.readers import iter_document_files
from thresher.store.remote import is_remote


def check_spec(spec: str) -> None:
    """Fail with one line when ``spec`` cannot name a benchmark: an object-store URL, a
    missing file or folder, a malformed ``hf:`` name."""
    if is_dataset_spec(spec):
        parse_spec(spec)
    elif is_remote(spec):
        raise InputError(f"{spec}: a benchmark is a local file or folder or an hf: dataset")
    elif not Path(spec).exists():
        raise InputError(f"{spec}: no such benchmark file or folder")


def benchmark_files(spec: str) -> list[Path]:
    check_spec(spec)
    files = [Path(f) for f in iter_document_files([spec])]
    if not files:
        raise InputError(f"{spec}: no benchmark files (.jsonl[.gz|.zst], .parquet, .csv)")
    return files


_digests: dict[tuple[Any, ...], str] = {}


def benchmark_sha256(spec: str) -> str:
    """SHA-256 of a benchmark's files (names, sizes and bytes) or of an ``hf:`` dataset's
    identity (:func:`thresher.store.hf.identity`); cached per process by size and mtime.
    ``missing`` when it cannot be read now (loading it then fails with the reason)."""
    try:
        if is_dataset_spec(spec):
            key: tuple[Any, ...] = (spec,)
            if key not in _digests:
                _digests[key] = hashlib.sha256(dataset_identity(spec).encode()).hexdigest()
            return _digests[key]
        files = benchmark_files(spec)
        key = (spec, *((str(f.resolve()), f.stat().st_size, f.stat().st_mtime_ns) for f in files))
        if key not in _digests:
            if len(files) == 1:
                _digests[key] = file_digest(files[0])
            else:
                h = hashlib.sha256()
                for f in files:
                    rel = f.relative_to(spec).as_posix()
                    h.update(f"{rel}\0{f.stat().st_size}\0{file_digest(f)}\n".encode())
                _digests[key] = h.hexdigest()
        return _digests[key]
    except (InputError, OSError):
        return "missing"

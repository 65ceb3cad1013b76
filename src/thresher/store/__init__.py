"""Storage of documents: part writers and readers (JSONL, Parquet, CSV) and the manifest.

The names below are loaded on first use, so importing one small module of this package
(``thresher.store.remote``, ``thresher.store.folder``) does not load pyarrow.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from thresher.store.manifest import (
        VerifyResult,
        find_manifests,
        read_manifest,
        verify,
        write_manifest,
    )
    from thresher.store.readers import DocumentReader, count_documents, read_documents
    from thresher.store.writers import CorpusWriter, Part, PartWriter

_WHERE = {
    "VerifyResult": "manifest",
    "find_manifests": "manifest",
    "read_manifest": "manifest",
    "verify": "manifest",
    "write_manifest": "manifest",
    "DocumentReader": "readers",
    "count_documents": "readers",
    "read_documents": "readers",
    "CorpusWriter": "writers",
    "Part": "writers",
    "PartWriter": "writers",
}

__all__ = [
    "CorpusWriter",
    "DocumentReader",
    "Part",
    "PartWriter",
    "VerifyResult",
    "count_documents",
    "find_manifests",
    "read_documents",
    "read_manifest",
    "verify",
    "write_manifest",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'thresher.store' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"thresher.store.{module}"), name)
    globals()[name] = value
    return value

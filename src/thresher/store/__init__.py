"""Storage of documents: part writers and readers (JSONL, Parquet, CSV) and the manifest."""

from thresher.store.manifest import (
    VerifyResult,
    find_manifests,
    read_manifest,
    verify,
    write_manifest,
)
from thresher.store.readers import DocumentReader, count_documents, read_documents
from thresher.store.writers import CorpusWriter, Part, PartWriter

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

"""The Arrow schema of document parts.

``metadata`` is stored as a JSON string: its keys differ from document to document, and a fixed
column type keeps every part of a corpus readable as one table (pyarrow, DuckDB, datasets).
"""

from __future__ import annotations

from typing import Any

import orjson
import pyarrow as pa

from thresher.document import FIELDS, Document

SCHEMA = pa.schema(
    [
        pa.field("id", pa.string()),
        pa.field("url", pa.string()),
        pa.field("source", pa.string()),
        pa.field("fetched_at", pa.string()),
        pa.field("title", pa.string()),
        pa.field("author", pa.string()),
        pa.field("date", pa.string()),
        pa.field("text", pa.string()),
        pa.field("markdown", pa.string()),
        pa.field("language", pa.string()),
        pa.field("language_score", pa.float64()),
        pa.field("perplexity", pa.float64()),
        pa.field("bucket", pa.string()),
        pa.field("metadata", pa.string(), metadata={"encoding": "json"}),
    ],
    metadata={"thresher.record": "document"},
)

assert tuple(SCHEMA.names) == FIELDS


def dumps_metadata(meta: dict[str, Any]) -> str:
    return orjson.dumps(meta, option=orjson.OPT_NON_STR_KEYS, default=str).decode()


def docs_to_table(docs: list[Document]) -> pa.Table:
    """Build an Arrow table of documents in the contract's column order."""
    columns: dict[str, list[Any]] = {name: [] for name in FIELDS}
    for d in docs:
        for name in FIELDS:
            if name == "metadata":
                columns[name].append(dumps_metadata(d.metadata))
            else:
                columns[name].append(getattr(d, name))
    return pa.Table.from_pydict(columns, schema=SCHEMA)


def row_to_document(row: dict[str, Any]) -> Document:
    """Turn a Parquet row (any subset of the contract's columns) back into a document."""
    meta = row.get("metadata")
    if isinstance(meta, str | bytes):
        try:
            row = {**row, "metadata": orjson.loads(meta) if meta else {}}
        except orjson.JSONDecodeError:
            row = {**row, "metadata": {"raw": meta}}
    return Document.from_dict(row)

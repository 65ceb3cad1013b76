"""Field mappings: records of any layout (partner JSONL, CSV, Parquet, Hub datasets) to documents.

A :class:`FieldMap` names which field of a record holds the text, id, URL, title and date;
a name may be a dotted path into nested objects (``meta.url``, ``turns.0.text``). Every other
field goes to ``metadata``, so nothing of the record is lost. A record without an id gets
one from its content, the same wherever the record sits in its file.
"""

from __future__ import annotations

import datetime as dt
from copy import copy
from typing import Any

from pydantic import Field

from thresher.document import Document, stable_id
from thresher.settings_base import Section


class FieldMap(Section):
    """Which record field holds each document field (``refine.fields`` in the YAML)."""

    text: str = Field("text", min_length=1, description="field of the text (required)")
    id: str | None = Field(
        None, min_length=1, description="field of the id (default: from the content)"
    )
    url: str | None = Field(None, min_length=1, description="field of the URL")
    title: str | None = Field(None, min_length=1, description="field of the title")
    date: str | None = Field(None, min_length=1, description="field of the date")

    def to_document(self, record: dict[str, Any]) -> Document:
        """The document of one record; ``ValueError`` when the text field is missing or empty."""
        rest = dict(record)
        text = _take(rest, self.text)
        if not isinstance(text, str) or not text:
            raise ValueError(f"record has no text in field {self.text!r}")
        found = {
            name: _scalar(_take(rest, path))
            for name, path in (
                ("id", self.id),
                ("url", self.url),
                ("title", self.title),
                ("date", self.date),
            )
            if path is not None
        }
        meta = rest.pop("metadata", None) if isinstance(rest.get("metadata"), dict) else None
        metadata = {**(meta or {}), **rest}
        doc_id = found.get("id") or stable_id(found.get("url"), text)
        return Document(
            text=text,
            id=doc_id,
            url=found.get("url"),
            title=found.get("title"),
            date=found.get("date"),
            metadata=metadata,
        )


def field_map(
    text: str | None = None,
    id: str | None = None,
    url: str | None = None,
    title: str | None = None,
    date: str | None = None,
    base: FieldMap | None = None,
) -> FieldMap | None:
    """A mapping from command-line options over one from the YAML (``base``); None when
    neither names a field (records are then read as thresher documents)."""
    given = {
        k: v
        for k, v in {"text": text, "id": id, "url": url, "title": title, "date": date}.items()
        if v is not None
    }
    if not given:
        return base
    return (base or FieldMap()).model_copy(update=given)


_MISSING = object()


def value_at(record: dict[str, Any], path: str) -> Any:
    """The value at ``path`` (a key, else a dotted path; digits index lists), or None; the
    record is left as it is (fields named like ``--text-field``)."""
    return _take(dict(record), path)


def _take(record: dict[str, Any], path: str) -> Any:
    """Remove and return the value at ``path`` (a key, else a dotted path; digits index
    lists). Objects on the path are copied before the removal, and one left empty goes too,
    so the value is not kept twice in ``metadata`` and the caller's record is untouched."""
    if path in record:
        return record.pop(path)
    *inner, last = path.split(".")
    node: Any = record
    trail: list[tuple[dict[str, Any] | list[Any], str | int]] = []
    for key in inner:
        step = _step(node, key)
        if step is _MISSING or not isinstance(node[step], dict | list):
            return None
        node[step] = copy(node[step])
        trail.append((node, step))
        node = node[step]
    step = _step(node, last)
    if step is _MISSING:
        return None
    value = node[step]
    if isinstance(node, dict):
        del node[step]
        for parent, key in reversed(trail):  # drop objects the removal left empty
            if parent[key] or not isinstance(parent, dict):  # type: ignore[index]
                break
            del parent[key]  # type: ignore[arg-type]
    return value


def _step(node: Any, key: str) -> Any:
    """The key or list index ``key`` names in ``node``, or ``_MISSING``."""
    if isinstance(node, dict):
        return key if key in node else _MISSING
    if isinstance(node, list) and key.isdigit() and int(key) < len(node):
        return int(key)
    return _MISSING


def _scalar(value: Any) -> str | None:
    """A field value as the string a document holds (dates in ISO 8601)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)

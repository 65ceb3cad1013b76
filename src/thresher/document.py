"""The document record: the one type that flows from extract through refine to the corpus."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from typing import Any

#: Field order of the record as written to JSONL / Parquet / CSV (DESIGN.md contract).
FIELDS: tuple[str, ...] = (
    "id",
    "url",
    "source",
    "fetched_at",
    "title",
    "author",
    "date",
    "text",
    "markdown",
    "language",
    "language_score",
    "perplexity",
    "bucket",
    "metadata",
)


def stable_id(*parts: str | None) -> str:
    """A stable document id: the first 128 bits of SHA-1 over the given parts, hex encoded.

    Built from where the bytes came from (e.g. WARC record id, or URL + capture time) so the
    same input always yields the same id, and every later step keeps it unchanged.
    """
    h = hashlib.sha1()
    for p in parts:
        h.update((p or "").encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return h.hexdigest()[:32]


@dataclass(slots=True)
class Document:
    """One document. Only ``text`` is required; everything else is null until a step fills it."""

    text: str
    id: str | None = None
    url: str | None = None
    source: str | None = None
    fetched_at: str | None = None
    title: str | None = None
    author: str | None = None
    date: str | None = None
    markdown: str | None = None
    language: str | None = None
    language_score: float | None = None
    perplexity: float | None = None
    bucket: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.id is None:
            self.id = stable_id(self.url, self.source, self.text if self.url is None else None)

    def to_dict(self) -> dict[str, Any]:
        """The record as a plain dict in contract field order."""
        return {name: getattr(self, name) for name in FIELDS}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        """Build a document from a record; unknown top-level keys go into ``metadata``.

        Raises ``ValueError`` when ``text`` is missing or not a string.
        """
        text = data.get("text")
        if not isinstance(text, str):
            raise ValueError("record has no 'text' string")
        known = {f.name for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in data.items():
            if key in known:
                kwargs[key] = value
            else:
                extra[key] = value
        meta = kwargs.get("metadata")
        if meta is None:
            meta = {}
        elif not isinstance(meta, dict):
            meta = {"value": meta}
        if extra:
            meta = {**meta, **extra}
        kwargs["metadata"] = meta
        return cls(**kwargs)

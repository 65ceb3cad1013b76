"""One page → one Document: decode, parse once, read metadata, extract the main content."""

from __future__ import annotations

from typing import Any

from selectolax.lexbor import LexborHTMLParser

from thresher.document import Document, stable_id
from thresher.extract.content import extract_content
from thresher.extract.decode import decode_html, repair_mojibake
from thresher.extract.metadata import extract_metadata


def parse_html(html: bytes | str, charset: str | None = None) -> tuple[LexborHTMLParser, str]:
    """Decode (when bytes) and parse; returns the tree and the codec used."""
    if isinstance(html, bytes):
        text, enc = decode_html(html, charset)
    else:
        text, enc = html, "str"
    return LexborHTMLParser(text), enc


def extract_html(
    html: bytes | str,
    url: str | None = None,
    *,
    markdown: bool = False,
    include_comments: bool = False,
    links: bool = True,
    charset: str | None = None,
    doc_id: str | None = None,
    source: str | None = None,
    fetched_at: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Document | None:
    """Extract one page; None when the page has no main text."""
    tree, enc = parse_html(html, charset)
    meta = extract_metadata(tree, url)
    content = extract_content(tree, markdown=markdown, include_comments=include_comments)
    text = repair_mojibake(content.text)
    if not text.strip():
        return None
    md = repair_mojibake(content.markdown) if content.markdown is not None else None
    title = meta.pop("title")
    author = meta.pop("author")
    date = meta.pop("date")
    if not links:
        meta.pop("links", None)
    metadata: dict[str, Any] = {k: v for k, v in meta.items() if v not in (None, "", [])}
    if url:
        from urllib.parse import urljoin

        for img in content.images:
            img["src"] = urljoin(url, img["src"])
    if content.images:
        metadata["images"] = content.images
    metadata["charset"] = enc
    if extra:
        metadata.update(extra)
    return Document(
        text=text,
        id=doc_id or stable_id(url, fetched_at, None if url else text),
        url=url,
        source=source,
        fetched_at=fetched_at,
        title=repair_mojibake(title) if title else None,
        author=author,
        date=date,
        markdown=md,
        metadata=metadata,
    )

"""One page → one Document: decode, parse once, read metadata, extract the main content."""

from __future__ import annotations

import re
from typing import Any

from selectolax.lexbor import LexborHTMLParser

from thresher.document import Document, stable_id
from thresher.extract.budget import Deadline
from thresher.extract.content import extract_content
from thresher.extract.decode import decode_html, repair_mojibake
from thresher.extract.metadata import extract_metadata, safe_join

_NOSCRIPT = re.compile(r"<(/?)noscript", re.IGNORECASE)
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")


def clean_text(text: str) -> str:
    """Drop soft hyphens and zero-width characters; repair mojibake."""
    return repair_mojibake(_INVISIBLE.sub("", text))


def parse_html(html: bytes | str, charset: str | None = None) -> tuple[LexborHTMLParser, str]:
    """Decode (when bytes) and parse; returns the tree and the codec used."""
    if isinstance(html, bytes):
        text, enc = decode_html(html, charset)
    else:
        text, enc = html, "str"
    if "noscript" in text or "NOSCRIPT" in text:
        # parsed as raw text with scripting on; as elements (then judged like any other
        # hidden block) they can still hold a page's whole content
        text = _NOSCRIPT.sub(r"<\1div data-noscript", text)
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
    deadline: Deadline | None = None,
) -> Document | None:
    """Extract one page; None when the page has no main text. With a ``deadline``, raises
    :class:`~thresher.extract.budget.PageTimeout` once it has passed."""
    tree, enc = parse_html(html, charset)
    if deadline is not None:
        deadline.check()
    meta = extract_metadata(tree, url)
    content = extract_content(
        tree, markdown=markdown, include_comments=include_comments, deadline=deadline
    )
    text = clean_text(content.text)
    if deadline is not None:
        deadline.check()
    if not text.strip():
        return None
    md = clean_text(content.markdown) if content.markdown is not None else None
    title = meta.pop("title")
    author = meta.pop("author")
    date = meta.pop("date")
    if not links:
        meta.pop("links", None)
    metadata: dict[str, Any] = {k: v for k, v in meta.items() if v not in (None, "", [])}
    if url:
        for img in content.images:
            img["src"] = safe_join(url, img["src"])
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

"""One page → one Document: decode, parse once, read metadata, extract the main content."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from selectolax.lexbor import LexborHTMLParser

from thresher.document import Document, stable_id
from thresher.extract.budget import Deadline
from thresher.extract.content import (
    JUNK_TAGS,
    Content,
    blocks_in,
    extract_content,
    without_title,
)
from thresher.extract.decode import decode_html, repair_mojibake
from thresher.extract.fallback import fallback_extract
from thresher.extract.layouts import Profile, product_description, profile_for, thread
from thresher.extract.metadata import extract_metadata, jsonld_objects, resolve_links, safe_join
from thresher.extract.pagetype import PageType, classify

#: Pages whose own result holds less prose than this (UTF-8 bytes) get a second opinion.
FALLBACK_BELOW = 300
#: ... unless its text already holds this many characters (short items, many of them: a
#: list's or a table's content, no failed extraction).
FALLBACK_TEXT_MAX = 1500
#: Larger pages (characters, scripts and styles removed) never go to the fallback.
FALLBACK_MAX_CHARS = 2_000_000
#: A thread's posts are the content when they hold this share of the words of the block
#: walk's main text (else they are comments under an article, reviews under a product).
THREAD_COVER = 0.55
#: A product's JSON-LD description is added when the text holds less than this share of
#: its words.
DESCRIPTION_COVER = 0.5
_WORD = re.compile(r"\w+")
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
#: The page's headings kept for a model (``headings=True``): at most this many, H1 to H3, ...
MAX_HEADINGS = 16
#: ... each cut to this many characters.
MAX_HEADING_CHARS = 160


def clean_text(text: str) -> str:
    """Drop soft hyphens and zero-width characters; repair mojibake."""
    return repair_mojibake(_INVISIBLE.sub("", text))


def decode(html: bytes | str, charset: str | None = None) -> tuple[str, str]:
    """The page as a string and the codec used (``str`` when it already was one)."""
    if isinstance(html, bytes):
        return decode_html(html, charset)
    return html, "str"


def parse_html(html: bytes | str, charset: str | None = None) -> tuple[LexborHTMLParser, str]:
    """Decode (when bytes) and parse; returns the tree and the codec used."""
    text, enc = decode(html, charset)
    return _parse(text), enc


#: ``<noscript`` and ``</noscript`` (either all lower or all upper case) in page bytes.
_NOSCRIPT_BYTES = re.compile(rb"<(/?)(?:noscript|NOSCRIPT)")


def _noscript_div(m: re.Match[bytes]) -> bytes:
    return b"</div" if m.group(1) else b"<div data-noscript"


def _parse(text: str | bytes) -> LexborHTMLParser:
    """Parse a page (bytes must be UTF-8); ``<noscript>`` becomes an element: parsed as raw
    text with scripting on, but as an element (then judged like any other hidden block) it
    can still hold a page's whole content."""
    if isinstance(text, bytes):
        # one pass of a regex: four passes of replace() cost a third of the parse
        return LexborHTMLParser(_NOSCRIPT_BYTES.sub(_noscript_div, text))
    if "noscript" in text:
        text = text.replace("<noscript", "<div data-noscript").replace("</noscript", "</div")
    if "NOSCRIPT" in text:
        text = text.replace("<NOSCRIPT", "<div data-noscript").replace("</NOSCRIPT", "</div")
    return LexborHTMLParser(text)


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
    fallback_below: int = FALLBACK_BELOW,
    headings: bool = False,
    page_types: bool = True,
    block_model: bool = True,
) -> Document | None:
    """Extract one page; None when the page has no main text. When the page's own result
    holds less than ``fallback_below`` bytes of prose, trafilatura gets a try (see
    :mod:`~thresher.extract.fallback`). With a ``deadline``, raises
    :class:`~thresher.extract.budget.PageTimeout` once it has passed. ``headings``: keep the
    page's H1-H3 (anywhere on the page, bounded) as ``metadata.headings`` for a model.
    ``block_model``: let the learned block model (:mod:`~thresher.extract.blockmodel`)
    reconsider the rules' blocks (needs ``page_types``)."""
    source_html, enc = decode(html, charset)
    if enc == "utf-8" and isinstance(html, bytes) and not html.startswith(b"\xef\xbb\xbf"):
        tree = _parse(html)  # lexbor reads UTF-8 bytes as they are: no encoding back
    else:
        tree = _parse(source_html)
    if deadline is not None:
        deadline.check()
    meta = extract_metadata(tree, url, links=False)
    heads = page_headings(tree) if headings else []
    ld = jsonld_objects(tree) if page_types else []
    ptype = classify(tree, url, ld) if page_types else None
    posts: list[dict[str, Any]] = []
    thread_text: tuple[str, str | None] | None = None
    if ptype is not None and ptype.name == "forum" and ptype.posts:
        text, md, posts = thread(ptype.posts, markdown)
        if posts:
            thread_text = (text, md)
    # a type barely ahead of "article" is recorded, but the page is cut out as an article
    sure = ptype is not None and ptype.margin >= profile_for(ptype.name).margin
    profile = profile_for(ptype.name if ptype and sure and thread_text is None else "article")
    content = extract_content(
        tree,
        markdown=markdown,
        include_comments=include_comments or profile.comments,
        deadline=deadline,
        links=links,
        layout=profile.region,
        lenient=profile.lenient,
        drop_repeats=profile.drop_repeats,
        link_items=profile.link_items,
    )
    if deadline is not None:
        deadline.check()
    extractor = None
    if thread_text is not None and ptype is not None:
        # the posts are the content when they hold most of the walk's main text, or when
        # the walk found next to no prose and the posts hold more text than it
        found_little = content.prose < FALLBACK_BELOW and len(thread_text[0]) > len(content.text)
        if found_little or covers(thread_text[0], content.text) >= THREAD_COVER:
            text, md = thread_text
            content = replace(content, text=text, markdown=md, prose=len(text.encode()))
            extractor = "thread"
        else:
            # the posts are comments under an article or reviews of a product: the page's
            # own main text is not among them
            posts = []
            ptype = replace(ptype, name=ptype.runner_up, posts=[])
    if not profile.fallback or extractor == "thread":
        fallback_below = 0  # a short thread is still the page's every post
    if (
        content.prose < fallback_below
        and len(content.text) < FALLBACK_TEXT_MAX
        and _time_for_more(deadline)
    ):
        # little prose found: trafilatura's choice of blocks, in thresher's own rendering
        # (not on huge pages: trafilatura cannot be cut off by the deadline)
        tree.strip_tags(list(JUNK_TAGS))  # scripts and styles only slow trafilatura down
        stripped = tree.html or ""
        second = None
        if len(stripped) <= FALLBACK_MAX_CHARS:
            second = fallback_extract(stripped, url, include_comments=include_comments)
        if second is not None:
            guided = blocks_in(content, second, markdown)
            if guided.text.strip():
                content = guided
                extractor = "trafilatura"
    if block_model and ptype is not None and extractor != "thread" and _time_for_more(deadline):
        # (a page that has used half its time keeps the rules' choice: on a page of very
        # many blocks the model costs about half as much as the walk did)
        content = _second_look(content, ptype, sure, extractor == "trafilatura", profile, markdown)
        if deadline is not None:
            deadline.check()
    if meta.get("title") and extractor != "thread":
        content = without_title(content, meta["title"], markdown)
    raw_text, raw_md = content.text, content.markdown
    if ptype is not None and ptype.name == "product":
        # a product's description in JSON-LD only (a tab the page fills by script)
        desc = product_description(ld)
        if desc and covers(raw_text, desc) < DESCRIPTION_COVER:
            raw_text = f"{desc}\n{raw_text}" if raw_text else desc
            raw_md = f"{desc}\n\n{raw_md}" if raw_md else (desc + "\n" if markdown else None)
    text = clean_text(raw_text)
    if not text.strip():
        return None
    md = clean_text(raw_md) if raw_md is not None else None
    title = meta.pop("title")
    author = meta.pop("author")
    date = meta.pop("date")
    if links:
        meta["links"] = resolve_links(content.links, url)
    metadata: dict[str, Any] = {k: v for k, v in meta.items() if v not in (None, "", [])}
    if url:
        for img in content.images:
            img["src"] = safe_join(url, img["src"])
    if content.images:
        metadata["images"] = content.images
    metadata["charset"] = enc
    if extractor == "trafilatura":
        metadata["fallback"] = extractor
    if heads:
        metadata["headings"] = heads
    if ptype is not None:
        metadata["page_type"] = ptype.name
        metadata["page_type_score"] = ptype.score
    if posts:
        metadata["posts"] = posts
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


def _time_for_more(deadline: Deadline | None) -> bool:
    """Whether a page may still get a second opinion (the trafilatura fallback, the block
    model): not once it has spent half its time budget."""
    return deadline is None or deadline.left() > deadline.seconds / 2


def _second_look(
    content: Content,
    ptype: PageType,
    sure: bool,
    fallback: bool,
    profile: Profile,
    markdown: bool,
) -> Content:
    """The learned block model's choice of blocks, given the rules' (``sure``: the page
    type's rules were used; ``fallback``: trafilatura chose the blocks). numpy comes with
    the model: the modules that only import this one do not load it."""
    from thresher.extract.blockmodel import PageFacts, reconsider, shipped_model

    model = shipped_model()
    if model is None:
        return content
    return reconsider(
        content,
        PageFacts.of(ptype, sure, fallback),
        markdown,
        model,
        drop_repeats=profile.drop_repeats,
        may_drop=profile.region is None,
    )


def covers(outer: str, inner: str) -> float:
    """The share of ``inner``'s distinct words found in ``outer``."""
    words = set(_WORD.findall(inner.casefold()))
    if not words:
        return 1.0
    return len(words & set(_WORD.findall(outer.casefold()))) / len(words)


def page_headings(tree: LexborHTMLParser) -> list[list[Any]]:
    """The page's H1-H3 in page order as ``[level, text]``, wherever they are (a product's
    name is often an H1 outside the main content): at most MAX_HEADINGS, each cut to
    MAX_HEADING_CHARS characters, empty ones and repeats left out."""
    found: list[list[Any]] = []
    seen: set[str] = set()
    for node in tree.css("h1, h2, h3"):
        text = " ".join(clean_text(node.text(separator=" ")).split())[:MAX_HEADING_CHARS]
        if not text or text in seen:
            continue
        seen.add(text)
        found.append([int(node.tag[1]), text])
        if len(found) >= MAX_HEADINGS:
            break
    return found

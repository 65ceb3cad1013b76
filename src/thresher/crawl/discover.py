"""Discovery: links from HTML, URLs from sitemaps (index, gzip) and RSS/Atom feeds, and the
opt-out signals a page carries (robots meta, ``X-Robots-Tag``, ``noai``, TDMRep)."""

from __future__ import annotations

import html
import re
import zlib
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser

from thresher.archive.compression import detect_compression
from thresher.nesting import DEFAULT_MAX_DEPTH, exceeds_depth

__all__ = [
    "PageInfo",
    "parse_feed",
    "parse_html",
    "parse_sitemap",
    "robots_directives",
    "sitemap_locs",
    "sniff_kind",
]

_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")
_MAX_XML_BYTES = 64 * 1024 * 1024


@dataclass(slots=True)
class PageInfo:
    """What a crawler needs from an HTML page."""

    links: list[str] = field(default_factory=list)
    feeds: list[str] = field(default_factory=list)
    base: str | None = None
    directives: set[str] = field(default_factory=set)  # noindex, nofollow, noai, ...
    tdm_reservation: int | None = None  # <meta name="tdm-reservation">: 1, 0 or unset
    tdm_policy: str | None = None
    too_deep: bool = False  # nested past DEFAULT_MAX_DEPTH: not parsed, no links taken

    @property
    def tdm_reserved(self) -> bool:
        return self.tdm_reservation == 1


def tdm_value(value: str | None) -> int | None:
    """A TDMRep ``tdm-reservation`` value: 1 or 0, None when absent or not valid (unset)."""
    value = (value or "").strip()
    return int(value) if value in ("0", "1") else None


def robots_directives(value: str, agent: str) -> set[str]:
    """Directives of a robots meta content or ``X-Robots-Tag`` value that apply to ``agent``.

    ``X-Robots-Tag: otherbot: noindex`` applies to ``otherbot`` only; ``none`` means
    ``noindex, nofollow``.
    """
    out: set[str] = set()
    agent = agent.lower()
    scope_ok = True
    for raw in value.split(","):
        part = raw.strip().lower()
        if not part:
            continue
        if ":" in part:
            head, rest = part.split(":", 1)
            head = head.strip()
            if (
                head
                and " " not in head
                and head
                not in (
                    "max-snippet",
                    "max-image-preview",
                    "max-video-preview",
                    "unavailable_after",
                )
            ):
                scope_ok = head in (agent, "*")
                part = rest.strip()
            else:
                continue
        if not scope_ok:
            continue
        for word in part.split():
            if word == "none":
                out.update(("noindex", "nofollow"))
            elif word == "all":
                continue
            else:
                out.add(word)
    return out


def parse_html(body: bytes, agent: str) -> PageInfo:
    """Links (``a``, ``area``, ``link rel=next/prev/canonical``), feeds, ``<base>`` and the
    opt-out signals of an HTML page. A page nested deeper than ``DEFAULT_MAX_DEPTH`` is not
    parsed (lexbor's time grows with the square of the depth): ``too_deep``, no links."""
    info = PageInfo()
    if exceeds_depth(body, DEFAULT_MAX_DEPTH):
        info.too_deep = True
        return info
    tree = LexborHTMLParser(body)
    agent_l = agent.lower()
    links = info.links
    for tag in ("a", "area"):
        for node in tree.tags(tag):
            href = node.attributes.get("href")
            if href:
                links.append(href)
    for node in tree.tags("link"):
        attrs = node.attributes
        href = attrs.get("href")
        if not href:
            continue
        rels = (attrs.get("rel") or "").lower().split()
        if "alternate" in rels and (attrs.get("type") or "").lower() in _FEED_TYPES:
            info.feeds.append(href)
        elif "next" in rels or "prev" in rels or "canonical" in rels:
            links.append(href)
    for node in tree.tags("base"):
        href = node.attributes.get("href")
        if href:
            info.base = href
            break
    for node in tree.tags("meta"):
        attrs = node.attributes
        name = (attrs.get("name") or "").lower()
        if not name:
            continue
        content = attrs.get("content") or ""
        if name in ("robots", agent_l):
            info.directives |= robots_directives(content, agent_l)
        elif name == "tdm-reservation":
            info.tdm_reservation = tdm_value(content)
        elif name == "tdm-policy" and content.strip():
            info.tdm_policy = content.strip()
    return info


_LOC = re.compile(rb"<(?:[A-Za-z0-9_]+:)?loc>\s*(.*?)\s*</(?:[A-Za-z0-9_]+:)?loc>", re.S | re.I)
_SITEMAP_INDEX = re.compile(rb"<(?:[A-Za-z0-9_]+:)?sitemapindex[\s>]", re.I)
_RSS_LINK = re.compile(rb"<item[\s>].*?<link>\s*(.*?)\s*</link>", re.S | re.I)
_ATOM_ENTRY = re.compile(rb"<entry[\s>](.*?)</entry>", re.S | re.I)
_ATOM_HREF = re.compile(rb"<link\b([^>]*)>", re.I)
_ATTR = re.compile(rb"""(\w+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_CDATA = re.compile(rb"^<!\[CDATA\[(.*)\]\]>$", re.S)


def gunzip_bounded(data: bytes, limit: int = _MAX_XML_BYTES) -> bytes:
    """Decompress gzip data, refusing to grow beyond ``limit`` bytes (no decompression bombs)."""
    d = zlib.decompressobj(47)
    out = d.decompress(data, limit)
    if d.unconsumed_tail:
        raise ValueError(f"decompressed size exceeds {limit} bytes")
    return out


def _text(raw: bytes) -> str:
    m = _CDATA.match(raw)
    if m:
        raw = m.group(1)
    return html.unescape(raw.decode("utf-8", "replace")).strip()


def parse_sitemap(body: bytes) -> tuple[list[str], bool]:
    """The ``<loc>`` URLs of a sitemap and whether it is a sitemap index (gzip accepted)."""
    urls, is_index, _ = sitemap_locs(body)
    return urls, is_index


def sitemap_locs(
    body: bytes, index_limit: int | None = None, url_limit: int | None = None
) -> tuple[list[str], bool, int]:
    """The first ``<loc>`` URLs of a sitemap (at most ``index_limit`` of an index, at most
    ``url_limit`` of a URL set), whether it is an index, and how many more it holds
    (gzip accepted, decompressed up to 64 MiB)."""
    if detect_compression(body) == "gzip":
        body = gunzip_bounded(body)
    is_index = _SITEMAP_INDEX.search(body[:4096]) is not None
    limit = index_limit if is_index else url_limit
    urls: list[str] = []
    dropped = 0
    for m in _LOC.finditer(body):
        if limit is not None and len(urls) >= limit:
            dropped += 1  # counted, not decoded
        else:
            urls.append(_text(m.group(1)))
    return urls, is_index, dropped


def parse_feed(body: bytes) -> list[str]:
    """Entry links of an RSS or Atom feed."""
    if detect_compression(body) == "gzip":
        body = gunzip_bounded(body)
    links = [_text(m) for m in _RSS_LINK.findall(body)]
    for entry in _ATOM_ENTRY.findall(body):
        best = None
        for m in _ATOM_HREF.finditer(entry):
            attrs = {k.lower(): (a or b) for k, a, b in _ATTR.findall(m.group(1))}
            href = attrs.get(b"href")
            if not href:
                continue
            rel = attrs.get(b"rel", b"alternate")
            if rel == b"alternate" or best is None:
                best = href
        if best:
            links.append(_text(best))
    return [u for u in links if u]


def sniff_kind(content_type: str, body: bytes) -> str:
    """``html``, ``sitemap``, ``feed``, ``text`` or ``other`` from the type and first bytes."""
    ct = content_type.split(";", 1)[0].strip().lower()
    head = body[:1024].lstrip().lower()
    if ct in ("text/html", "application/xhtml+xml"):
        return "html"
    if ct in _FEED_TYPES:
        return "feed"
    if ct in ("application/xml", "text/xml") or head.startswith(b"<?xml"):
        if b"<urlset" in head or b"<sitemapindex" in head or b":urlset" in head:
            return "sitemap"
        if b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head:
            return "feed"
        return "other"
    if not ct and (head.startswith(b"<!doctype html") or head.startswith(b"<html")):
        return "html"
    if ct.startswith("text/"):
        return "text"
    return "other"

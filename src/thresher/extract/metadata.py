"""Page metadata: title, author, date (ISO 8601), description, site name, canonical URL,
language, links and images, from ``<meta>``, Open Graph, JSON-LD, ``<time>`` and the URL."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import orjson
from selectolax.lexbor import LexborHTMLParser

MAX_LINKS = 1000
_WS = re.compile(r"\s+")
_URL_DATE = re.compile(
    r"/((?:19|20)\d{2})[/-](0?[1-9]|1[0-2])[/-](0?[1-9]|[12]\d|3[01])(?:/|[-_]|$)"
)
_ISO_DATE = re.compile(
    r"((?:19|20)\d{2})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?)?"
)


def safe_join(base: str | None, href: str) -> str:
    """``urljoin`` that returns ``href`` unchanged when either URL is malformed."""
    if not base:
        return href
    try:
        return urljoin(base, href)
    except ValueError:
        return href


def _clean(value: str | None) -> str | None:
    if not value:
        return None
    v = _WS.sub(" ", value).strip()
    return v or None


def iso8601(value: str | None) -> str | None:
    """Normalize a date string (ISO-like or RFC 2822) to ISO 8601; None when not a date."""
    if not value:
        return None
    v = value.strip()
    m = _ISO_DATE.search(v)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        try:
            datetime(y, mo, d)
        except ValueError:
            return None
        if m.group(4) is None:
            return f"{y:04d}-{mo:02d}-{d:02d}"
        hh, mm, ss = int(m.group(4)), int(m.group(5)), int(m.group(6) or 0)
        if hh > 23 or mm > 59 or ss > 59:
            return f"{y:04d}-{mo:02d}-{d:02d}"
        tz = m.group(7)
        base = f"{y:04d}-{mo:02d}-{d:02d}T{hh:02d}:{mm:02d}:{ss:02d}"
        if tz is None:
            return base
        if tz == "Z":
            return base + "Z"
        tz = tz if ":" in tz else tz[:3] + ":" + tz[3:]
        return base + tz
    try:
        from email.utils import parsedate_to_datetime

        dt = parsedate_to_datetime(v)
    except (TypeError, ValueError, IndexError):
        return None
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC)
        return dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return dt.strftime("%Y-%m-%dT%H:%M:%S")


def _jsonld(tree: LexborHTMLParser) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for node in tree.css('script[type="application/ld+json"]'):
        raw = node.text(deep=True)
        try:
            data = orjson.loads(raw.strip().rstrip(";"))
        except orjson.JSONDecodeError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                out.append(item)
                graph = item.get("@graph")
                if isinstance(graph, list):
                    stack.extend(graph)
    return out


#: The page's JSON-LD objects (nested lists and @graph flattened): page types read them too.
jsonld_objects = _jsonld


def _ld_name(value: Any) -> str | None:
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, dict):
        return _ld_name(value.get("name"))
    if isinstance(value, list):
        names = [n for n in (_ld_name(v) for v in value) if n]
        return "; ".join(dict.fromkeys(names)) or None
    return None


_ARTICLE_TYPES = ("Article", "NewsArticle", "BlogPosting", "Report", "WebPage", "Posting")


def extract_metadata(
    tree: LexborHTMLParser, url: str | None, *, links: bool = True
) -> dict[str, Any]:
    """Everything found in the head, JSON-LD and the document (call before content pruning);
    ``links=False`` leaves the links out (the content walk can gather them on its way)."""
    meta: dict[str, str] = {}
    for node in tree.css("meta"):
        attrs = node.attributes
        key = attrs.get("property") or attrs.get("name") or attrs.get("itemprop")
        content = attrs.get("content")
        if key and content and key.lower() not in meta:
            meta[key.lower()] = content
    ld = _jsonld(tree)
    article = next((d for d in ld if any(str(t).endswith(_ARTICLE_TYPES) for t in _types(d))), None)

    title = _clean(meta.get("og:title") or meta.get("twitter:title"))
    if not title and article:
        title = _clean(str(article.get("headline") or "") or None)
    if not title:
        node = tree.css_first("title")
        title = _clean(node.text()) if node else None
    if not title:
        node = tree.css_first("h1")
        title = _clean(node.text()) if node else None

    author = _clean(
        meta.get("author")
        or meta.get("article:author")
        or meta.get("dc.creator")
        or meta.get("parsely-author")
        or meta.get("sailthru.author")
    )
    if author and author.startswith("http"):
        author = None
    if not author and article:
        author = _ld_name(article.get("author"))
    if not author:
        node = tree.css_first('[rel="author"], [itemprop="author"], .author-name, .byline-author')
        author = _clean(node.text()) if node else None
        if author and len(author) > 80:
            author = None

    date = None
    for key in (
        "article:published_time",
        "datepublished",
        "og:published_time",
        "date",
        "dc.date",
        "dc.date.issued",
        "pubdate",
        "publishdate",
        "sailthru.date",
        "parsely-pub-date",
        "dcterms.date",
        "article.published",
    ):
        date = iso8601(meta.get(key))
        if date:
            break
    if not date and article:
        date = iso8601(str(article.get("datePublished") or article.get("dateCreated") or ""))
    if not date:
        node = tree.css_first("time[datetime]")
        date = iso8601(node.attributes.get("datetime")) if node else None
    if not date and url:
        m = _URL_DATE.search(urlsplit(url).path)
        if m:
            date = iso8601(f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}")
    modified = iso8601(
        meta.get("article:modified_time")
        or meta.get("og:updated_time")
        or (str(article.get("dateModified") or "") if article else None)
    )

    canonical = None
    node = tree.css_first('link[rel="canonical"]')
    if node is not None:
        href = node.attributes.get("href")
        if href:
            canonical = safe_join(url, href.strip())
    if not canonical:
        canonical = _clean(meta.get("og:url"))
    html = tree.css_first("html")
    lang = _clean(html.attributes.get("lang")) if html is not None else None
    if not lang:
        lang = _clean(meta.get("content-language") or meta.get("og:locale"))
    sitename = _clean(meta.get("og:site_name") or meta.get("application-name"))
    if not sitename and article:
        sitename = _ld_name(article.get("publisher"))
    out: dict[str, Any] = {
        "title": title,
        "author": author,
        "date": date,
        "date_modified": modified,
        "description": _clean(meta.get("description") or meta.get("og:description")),
        "sitename": sitename,
        "canonical_url": canonical,
        "lang": lang,
        "keywords": _clean(meta.get("keywords")),
        "image": _clean(meta.get("og:image")),
        "links": extract_links(tree, url) if links else None,
    }
    return out


def _types(d: dict[str, Any]) -> list[str]:
    t = d.get("@type")
    if isinstance(t, list):
        return [str(x) for x in t]
    return [str(t)] if t else []


def _host(absolute: str) -> str | None:
    """The lower-cased host of an absolute URL, by string slicing (urlsplit is slow)."""
    i = absolute.find("://")
    if i < 0:
        return None
    netloc = absolute[i + 3 :].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    netloc = netloc.rsplit("@", 1)[-1]
    if netloc.startswith("["):
        return netloc.split("]", 1)[0][1:].lower()
    return netloc.split(":", 1)[0].lower() or None


_END = ("", "/", "?", "#")


class _Resolver:
    """Resolves hrefs against a base URL; the common shapes without urljoin."""

    def __init__(self, base: str | None) -> None:
        self.base = base
        self.origin = None
        self.scheme = None
        if base and "://" in base:
            scheme, rest = base.split("://", 1)
            self.scheme = scheme
            self.origin = scheme + "://" + rest.split("/", 1)[0].split("?", 1)[0]

    def __call__(self, href: str) -> str:
        if href.startswith(("http://", "https://")) or not self.base:
            return href
        if href.startswith("//") and self.scheme:
            return self.scheme + ":" + href
        if href.startswith("/") and self.origin:
            return self.origin + href
        return urljoin(self.base, href)


def extract_links(tree: LexborHTMLParser, url: str | None) -> list[dict[str, Any]]:
    """Links of the page: absolute URL, anchor text, and whether they stay on the same host."""
    raw = ((node.attributes.get("href") or "", node.text()) for node in tree.css("a[href]"))
    return resolve_links(raw, url)


def resolve_links(raw: Iterable[tuple[str, str]], url: str | None) -> list[dict[str, Any]]:
    """(href, anchor text) pairs in page order → link records: absolute URL, anchor text,
    same host or not; fragments, scripts, mail and phone links and repeats left out."""
    host = _host(url) if url else None
    resolve = _Resolver(url)
    origin = resolve.origin
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for href, text in raw:
        href = href.strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
            continue
        try:
            absolute = resolve(href)
        except ValueError:
            continue
        if absolute in seen:
            continue
        seen.add(absolute)
        if (
            origin
            and absolute.startswith(origin)
            and absolute[len(origin) : len(origin) + 1] in _END
        ):
            internal = True  # same scheme and host as the page: no parsing needed
        else:
            target = _host(absolute)
            internal = target is None or target == host
        out.append({"url": absolute, "text": " ".join(text.split()), "internal": internal})
        if len(out) >= MAX_LINKS:
            break
    return out

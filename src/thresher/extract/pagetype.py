"""Page types from structure and markup: article, forum, product, collection, listing,
documentation, service or other. Each type collects evidence (schema.org types in JSON-LD and
microdata, repeated post blocks, card grids, prices, code blocks, runs of sections, a few
path words of the URL); the best-supported type wins, its share of the evidence is the score.
The type then picks how the main content is cut out (see :mod:`thresher.extract.layouts`)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

PAGE_TYPES = (
    "article", "forum", "product", "collection", "listing", "documentation", "service", "other",
)  # fmt: skip

#: schema.org types and the page type they speak for (with a weight).
_SCHEMA: dict[str, tuple[str, float]] = {
    "discussionforumposting": ("forum", 3.0),
    "qapage": ("forum", 3.0),
    "comment": ("forum", 0.5),
    "answer": ("forum", 0.5),
    "product": ("product", 2.5),
    "productgroup": ("product", 2.0),
    "offer": ("product", 0.5),
    "aggregateoffer": ("product", 0.5),
    "itemlist": ("listing", 1.0),
    "collectionpage": ("collection", 2.0),
    "searchresultspage": ("listing", 2.0),
    "techarticle": ("documentation", 2.5),
    "apireference": ("documentation", 3.0),
    "softwaresourcecode": ("documentation", 1.5),
    "howto": ("documentation", 0.5),
    "service": ("service", 1.5),
    "professionalservice": ("service", 1.5),
    "localbusiness": ("service", 0.7),
    "faqpage": ("service", 0.7),
    "article": ("article", 1.5),
    "newsarticle": ("article", 2.5),
    "blogposting": ("article", 2.0),
    "reportagenewsarticle": ("article", 2.5),
    "opinionnewsarticle": ("article", 2.5),
    "recipe": ("article", 1.0),
    "review": ("article", 0.3),
}
#: Path words of a URL (whole segments, or segment prefixes before ``-``/``_``/``.``).
_URL_WORDS: dict[str, tuple[str, float]] = {
    "forum": ("forum", 1.0), "forums": ("forum", 1.0), "thread": ("forum", 1.0),
    "threads": ("forum", 1.0), "topic": ("forum", 0.8), "viewtopic": ("forum", 1.5),
    "showthread": ("forum", 1.5), "questions": ("forum", 0.8), "discussion": ("forum", 0.8),
    "community": ("forum", 0.4), "t": ("forum", 0.3),
    "product": ("product", 1.0), "products": ("product", 0.6), "dp": ("product", 1.0),
    "item": ("product", 0.4), "p": ("product", 0.2),
    "collections": ("collection", 0.8), "category": ("collection", 0.8),
    "categories": ("collection", 0.8), "shop": ("collection", 0.4), "c": ("collection", 0.2),
    "docs": ("documentation", 2.5), "doc": ("documentation", 1.5),
    "latest": ("documentation", 0.6), "stable": ("documentation", 0.6),
    "documentation": ("documentation", 1.5), "api": ("documentation", 0.6),
    "reference": ("documentation", 0.8), "manual": ("documentation", 0.8),
    "guide": ("documentation", 0.3), "wiki": ("documentation", 0.6),
    "tutorial": ("documentation", 0.3), "library": ("documentation", 0.3),
    "services": ("service", 0.8), "service": ("service", 0.6), "solutions": ("service", 0.6),
    "pricing": ("service", 1.0), "features": ("service", 0.6),
    "news": ("article", 0.6), "blog": ("article", 0.6), "article": ("article", 0.8),
    "articles": ("article", 0.6), "story": ("article", 0.6), "post": ("article", 0.3),
    "search": ("listing", 0.8), "list": ("listing", 0.4), "jobs": ("listing", 0.4),
    "events": ("listing", 0.3), "chart": ("listing", 0.4), "top": ("listing", 0.2),
}  # fmt: skip
#: class/id words of a post in a thread.
_POST_NAMES = re.compile(
    r"(?:^|[\s_-])(?:post|posts|message|messages|comment|reply|replies|answer|"
    r"postbody|post-body|post_body|topic-post|forumpost|thread-post|cmnt)(?:$|[\s_-]|\d)",
    re.IGNORECASE,
)
_POST_TAGS = frozenset({"article", "div", "li", "section", "table", "tr"})
#: Elements that may be posts (a first cut in C; _POST_NAMES decides): one selector, its
#: cheap tag test first, so that lexbor reads the attributes of those tags only.
_POST_CANDIDATES = (
    f":is({', '.join(sorted(_POST_TAGS))}):is("
    + ", ".join(
        f"[{attr}*={word} i]"
        for attr in ("class", "id")
        for word in ("post", "message", "comment", "reply", "replies", "answer", "cmnt")
    )
    + ", [itemtype])"
)
_PRICE = re.compile(r"(?:[$€£¥₹]\s?\d[\d.,]*|\d[\d.,]*\s?(?:€|EUR|USD|GBP|zł|kr|Kč|руб|₽|\$))")
_DATE_HINT = re.compile(r"\b(?:19|20)\d{2}\b|\bago\b|\d{1,2}[:.]\d{2}")
_DIGITS = re.compile(r"\d+")
#: A card holds at least this many characters (besides its links when it has no picture
#: or heading).
CARD_MIN_CHARS = 20
#: A card grid's weight when the page also has three or more long paragraphs.
GRID_WITH_PROSE = 0.3
#: ... or this many long paragraphs outside the grid (an article's "more from" grid; one
#: beside a carousel).
GRID_PROSE_OUTSIDE = 2
#: The first label of a URL's host and the page type it speaks for (docs.example.org).
_HOST_WORDS: dict[str, tuple[str, float]] = {
    "docs": ("documentation", 1.5), "doc": ("documentation", 1.2),
    "developer": ("documentation", 1.2), "developers": ("documentation", 1.2),
    "devdocs": ("documentation", 1.5), "forum": ("forum", 1.0), "forums": ("forum", 1.0),
    "community": ("forum", 0.4), "shop": ("collection", 0.4), "store": ("collection", 0.4),
}  # fmt: skip
#: A link to edit the page's source ("Edit this page" on a documentation site).
_EDIT_LINK = 'a[href*="/edit/"]'
_SEGMENT = re.compile(r"[a-z]+")
#: class words of a carousel or slider (a strip of teasers, rarely a page's own grid).
_CAROUSEL = re.compile(
    r"(?:^|[\s_-])(?:carousel|slider|swiper|slick|owl|glide|splide|flickity|slideshow)"
    r"(?:$|[\s_-])",
    re.IGNORECASE,
)


def _carousel(grid: LexborNode) -> bool:
    """Whether a grid's element or one of its two parents is named as a carousel."""
    node: LexborNode | None = grid
    for _ in range(3):
        if node is None:
            return False
        attrs = node.attributes
        if _CAROUSEL.search(f"{attrs.get('class') or ''} {attrs.get('id') or ''}"):
            return True
        node = node.parent
    return False


_URL_DATE = re.compile(r"/(?:19|20)\d{2}/[01]?\d/")


@dataclass(slots=True)
class PageType:
    """The chosen type, its score (share of the evidence, 0..1) and the evidence by type."""

    name: str
    score: float
    evidence: dict[str, float] = field(default_factory=dict)
    #: the repeated post elements when the page reads as a thread
    posts: list[LexborNode] = field(default_factory=list)
    #: the best-supported type after this one
    runner_up: str = "article"
    #: how much more evidence the type has than "article"
    margin: float = 0.0


def _ld_types(tree: LexborHTMLParser, ld: list[dict[str, Any]] | None) -> Counter[str]:
    """schema.org types named in JSON-LD (every object, nested ones too) and microdata."""
    found: Counter[str] = Counter()
    stack: list[Any] = list(ld or [])
    seen = 0
    while stack and seen < 2000:
        item = stack.pop()
        seen += 1
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            t = item.get("@type")
            for name in t if isinstance(t, list) else [t]:
                if isinstance(name, str):
                    found[name.rsplit("/", 1)[-1].lower()] += 1
            stack.extend(v for k, v in item.items() if k != "@type" and isinstance(v, dict | list))
    for node in tree.css("[itemtype]"):
        for t in (node.attributes.get("itemtype") or "").split():
            found[t.rstrip("/").rsplit("/", 1)[-1].lower()] += 1
    return found


_SIGNATURES: dict[str, str] = {}


def _signature(node: LexborNode) -> str:
    """An element's tag and class names with digits dropped: what repeated blocks share
    (cached by the raw tag and class: the same few recur on every page)."""
    key = f"{node.tag}.{node.attributes.get('class') or ''}"
    sig = _SIGNATURES.get(key)
    if sig is None:
        tag, _, cls = key.partition(".")
        sig = tag + "." + _DIGITS.sub("", " ".join(sorted(cls.split()[:3])))
        if len(_SIGNATURES) > 50_000:
            _SIGNATURES.clear()
        _SIGNATURES[key] = sig
    return sig


def find_posts(tree: LexborHTMLParser) -> list[LexborNode]:
    """The posts of a thread: the largest group (by text) of at least two elements that share
    a tag and class names saying post/message/comment/reply, each holding some text, none
    inside another."""
    groups: dict[str, list[LexborNode]] = {}
    seen: set[int] = set()
    for node in tree.css(_POST_CANDIDATES):
        # an element matching several selectors comes once for each
        if node.mem_id in seen:
            continue
        seen.add(node.mem_id)
        attrs = node.attributes
        names = f"{attrs.get('class') or ''} {attrs.get('id') or ''}"
        micro = (attrs.get("itemtype") or "").lower()
        if not (
            _POST_NAMES.search(names)
            or "comment" in micro
            or "posting" in micro
            or "answer" in micro
            or "question" in micro
        ):
            continue
        groups.setdefault(_signature(node), []).append(node)
    best: list[LexborNode] = []
    best_size = 0
    for nodes in groups.values():
        if len(nodes) < 2 or len(nodes) > 500:
            continue
        texts = [len(n.text(deep=True, strip=True)) for n in nodes]
        with_text = sum(1 for t in texts if t >= 20)
        size = sum(texts)
        if with_text >= 2 and size > best_size and not _nested(nodes):
            best, best_size = nodes, size
    return best


def _nested(nodes: list[LexborNode]) -> bool:
    """Whether the second element lies inside the first (a wrapper and its parts)."""
    return _inside(nodes[1], nodes[0], levels=40)


#: Elements that may hold a grid of cards: those with four element children or more
#: (found in C; most containers have fewer).
_GRID_PARENTS = ", ".join(
    f"{tag}:has(> :nth-child(4))" for tag in ("ul", "ol", "div", "section", "tbody")
)


def _card_grid(tree: LexborHTMLParser) -> tuple[int, int, int, LexborNode | None]:
    """The largest run of sibling cards (same signature, each with a link and some text) as
    (cards, cards with a price, cards with a heading or image, the cards' parent)."""
    best: tuple[int, int, int, LexborNode | None] = (0, 0, 0, None)
    for parent in tree.css(_GRID_PARENTS):
        kids = [k for k in parent.iter(include_text=False) if k.tag and k.tag[0] not in "-_!"]
        if len(kids) < 4 or len(kids) <= best[0]:
            continue
        sigs = [_signature(k) for k in kids]
        sig, n = Counter(sigs).most_common(1)[0]
        if n < 4 or n <= best[0]:
            continue
        cards = [k for k, s in zip(kids, sigs, strict=True) if s == sig]
        linked = priced = rich = 0
        for card in cards:
            if card.css_first("a[href]") is None:
                continue
            text = card.text(deep=True, strip=True)
            if len(text) < CARD_MIN_CHARS or len(text) > 1500:
                continue
            has_media = card.css_first("img, picture, h2, h3, h4, h5") is not None
            if not has_media:
                # a list of bare links (an archive, a menu) is no grid of cards
                links = sum(len(a.text(deep=True, strip=True)) for a in card.css("a"))
                if len(text) - links < CARD_MIN_CHARS:
                    continue
            linked += 1
            if _PRICE.search(text):
                priced += 1
            if has_media:
                rich += 1
        if linked >= 4 and linked >= 0.6 * n and linked > best[0]:
            best = (linked, priced, rich, parent)
    return best


_DATED = (
    'meta[property="article:published_time"], meta[name="date"], meta[itemprop="datePublished"],'
    ' [itemprop="datePublished"], meta[name="author"], [rel="author"]'
)


def _prose_evidence(tree: LexborHTMLParser) -> tuple[float, list[LexborNode]]:
    """Long paragraphs and a publication date or author (what articles have): the evidence
    and the long paragraphs (up to 12)."""
    long: list[LexborNode] = []
    for p in tree.css("p"):
        if len(p.text(deep=True, strip=True)) >= 200:
            long.append(p)
            if len(long) >= 12:
                break
    dated = tree.css_first(_DATED) is not None
    return len(long) * 0.2 + (0.8 if dated else 0.0), long


def _inside(node: LexborNode, outer: LexborNode, levels: int = 60) -> bool:
    """Whether ``node`` lies within ``outer`` (up to ``levels`` levels up)."""
    parent = node.parent
    for _ in range(levels):
        if parent is None:
            return False
        if parent.mem_id == outer.mem_id:
            return True
        parent = parent.parent
    return False


#: Open Graph types (``og:type``) and the page type they speak for: sites set them for
#: sharing, mostly from the page's template, so they are a hint, weighed lightly.
_OG_TYPES: dict[str, tuple[str, float]] = {
    "article": ("article", 0.5),
    "product": ("product", 1.0),
    "og:product": ("product", 1.0),
    "product.item": ("product", 1.0),
}


def _og_type(tree: LexborHTMLParser) -> tuple[str, float] | None:
    """The page type its ``og:type`` meta speaks for, with the weight: a page about one
    video, song or book reads like an article."""
    node = tree.css_first('meta[property="og:type"]')
    if node is None:
        return None
    og = (node.attributes.get("content") or "").strip().lower()
    if og.split(".", 1)[0] in ("video", "music", "book"):
        og = "article"
    return _OG_TYPES.get(og)


def _host_label(url: str | None) -> str:
    """The first label of the URL's host, lower-cased (``docs`` of docs.example.org)."""
    if not url or "://" not in url:
        return ""
    host = url.split("://", 1)[1].split("/", 1)[0]
    return host.split(".", 1)[0].lower() if host.count(".") >= 2 else ""


def _url_words(url: str | None) -> Counter[str]:
    if not url:
        return Counter()
    path = url.split("://", 1)[-1]
    path = path.split("/", 1)[1] if "/" in path else ""
    words: Counter[str] = Counter()
    for seg in path.split("?")[0].lower().split("/")[:6]:
        m = _SEGMENT.match(seg)
        if m and (m.end() == len(seg) or seg[m.end()] in "-_."):
            words[m.group(0)] += 1
    return words


#: Evidence that posts and card grids can add at most: a lead larger than this settles the
#: type without looking for them (the costly part, skipped on most articles).
STRUCTURE_MAX = 3.6


#: Pages with less evidence than this in all (the article's default is 0.8) are "other".
OTHER_BELOW = 1.0


def _settled(ev: dict[str, float]) -> bool:
    """Whether the article's lead is beyond what posts or card grids could overturn."""
    first, second = sorted(ev.values(), reverse=True)[:2]
    return ev["article"] == first and first - second > STRUCTURE_MAX


def classify(
    tree: LexborHTMLParser, url: str | None = None, ld: list[dict[str, Any]] | None = None
) -> PageType:
    """The page's type from its markup and structure (``ld``: its parsed JSON-LD objects)."""
    ev: dict[str, float] = dict.fromkeys(PAGE_TYPES, 0.0)
    ev["article"] = 0.8  # the default: prose pages are the common case
    types = _ld_types(tree, ld)
    for name, count in types.items():
        hit = _SCHEMA.get(name)
        if hit:
            kind, weight = hit
            ev[kind] += weight * min(count, 3) ** 0.5
    if types.get("product", 0) >= 4:  # many products: a grid of them
        ev["collection"] += 2.0 + ev["product"] * 0.5
        ev["product"] *= 0.3
    for word in _url_words(url):
        hit = _URL_WORDS.get(word)
        if hit:
            ev[hit[0]] += hit[1]
    host = _host_label(url)
    if host in _HOST_WORDS:
        kind, weight = _HOST_WORDS[host]
        ev[kind] += weight
    if url and _URL_DATE.search(url):
        ev["article"] += 1.0
    tags = Counter(node.tag for node in tree.css("pre, code, section"))  # one pass
    pre = tags["pre"]
    code = tags["code"]
    if pre or code >= 4:
        ev["documentation"] += min(pre, 6) * 0.5 + min(code, 20) * 0.05
    if tree.css_first(_EDIT_LINK) is not None:
        ev["documentation"] += 0.6
    prose, paragraphs = _prose_evidence(tree)
    long = len(paragraphs)
    ev["article"] += prose
    og = _og_type(tree)
    if og is not None:
        ev[og[0]] += og[1]
    sections = tags["section"]
    if sections >= 4:
        ev["service"] += min(sections, 12) * 0.15
    if tree.css_first('form [type="submit"], button[type="submit"]') is not None:
        ev["service"] += 0.2
    posts: list[LexborNode] = []
    if not _settled(ev):
        posts = find_posts(tree)
        if len(posts) >= 2:
            dated = sum(1 for p in posts[:20] if _DATE_HINT.search(p.text(deep=True)[:2000]))
            ev["forum"] += min(len(posts), 10) * 0.25 + (1.0 if dated >= 2 else 0.0)
        cards, priced, rich, grid_node = _card_grid(tree)
        if cards >= 4:
            # a grid beside long paragraphs is an article's teasers, not the page
            # (one long paragraph is enough beside a carousel: a "more from" strip)
            need = 1 if grid_node is not None and _carousel(grid_node) else GRID_PROSE_OUTSIDE
            beside_prose = long >= 3 or (
                grid_node is not None and sum(not _inside(p, grid_node) for p in paragraphs) >= need
            )
            grid = min(cards, 24) / 8 * (GRID_WITH_PROSE if beside_prose else 1.0)
            if priced >= 0.5 * cards:
                ev["collection"] += 1.0 + grid
            else:
                ev["listing"] += 0.5 + grid * (1.0 if rich >= 0.5 * cards else 0.6)
    ranked = sorted(ev, key=lambda k: -ev[k])
    best = ranked[0]
    total = sum(ev.values())
    score = round(ev[best] / total, 3) if total else 0.0
    if best == "article" and total <= OTHER_BELOW:
        best = "other"  # no long paragraphs, no markup, no structure that says anything
    evidence = {k: round(v, 2) for k, v in ev.items() if v}
    margin = round(ev[ranked[0]] - ev["article"], 3)
    return PageType(best, score, evidence, posts, ranked[1], margin)

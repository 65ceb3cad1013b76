"""Extraction by page type: a thread's every post with its author and date, and the settings
of the block walk for the other types (see :func:`profile_for`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from selectolax.lexbor import LexborNode

from thresher.extract.content import node_text, render_node

#: class/id words of the element holding a post's author name.
_AUTHOR_NAMES = re.compile(
    r"(?:^|[\s_-])(?:author|username|user-name|user_name|poster|postername|postauthor|"
    r"nickname|nick|uname|member-?name|display-?name|byline)(?:$|[\s_-])",
    re.IGNORECASE,
)
_DATE_NAMES = re.compile(
    r"(?:^|[\s_-])(?:date|time|timestamp|posted|post-?date|postdate|published|"
    r"datetime|created)(?:$|[\s_-])",
    re.IGNORECASE,
)
#: class/id words of the element holding a post's text: specific ones first ...
_BODY_NAMES = re.compile(
    r"(?:^|[\s_-])(?:(?:post|message|comment|reply|answer|entry|topic)[-_]?"
    r"(?:body|content|text|message)|postbody|bbwrapper|cooked|js-post-body|s-prose|"
    r"usercontent)(?:$|[\s_-])",
    re.IGNORECASE,
)
#: ... then general ones.
_BODY_WEAK = re.compile(r"(?:^|[\s_-])(?:content|message|text|body|md)(?:$|[\s_-])", re.I)
_PROFILE_HREF = ("/member", "/members/", "/user", "/users/", "/profile", "/u/", "memberlist")
MAX_AUTHOR_CHARS = 60
MAX_DATE_CHARS = 60
#: At most this many posts of a thread are extracted (a page rarely holds more).
MAX_POSTS = 500


#: The lead over "article" a page type needs for its rules to be used (see Profile.margin).
PROFILE_MARGIN = 0.35


@dataclass(slots=True)
class Profile:
    """How the block walk runs for a page type."""

    #: only layout words (navigation, footers, ads) mark boilerplate, not author/date/tags
    lenient: bool = False
    #: the region to take: None (the best subtree and its prose siblings), "wide" (grown
    #: upwards while the score holds) or "main" (``<main>`` or the body)
    region: str | None = None
    #: comment sections are content (a thread's replies)
    comments: bool = False
    #: ask trafilatura when little prose is found
    fallback: bool = True
    #: blocks repeating an earlier block go (a shop's desktop, tablet and mobile copies of
    #: one panel, a carousel's clones); on articles and docs repeats are mostly meant
    drop_repeats: bool = False
    #: lists of linked topics and linked headings between paragraphs are content (an index
    #: of a manual's sub-pages); on articles they are "read also" boxes
    link_items: bool = False
    #: the page is cut out by these rules only when its type leads "article" by this much
    #: evidence (pagetype.classify); closer calls are extracted as articles
    margin: float = PROFILE_MARGIN


PROFILES: dict[str, Profile] = {
    "article": Profile(),
    # an article's rules and linked topic lists: safe on a close call
    "documentation": Profile(link_items=True, margin=0.01),
    "forum": Profile(lenient=True, comments=True),
    "product": Profile(fallback=False, drop_repeats=True),
    "collection": Profile(lenient=True, region="wide", drop_repeats=True),
    "listing": Profile(lenient=True, region="main"),
    "service": Profile(lenient=True, region="main", fallback=False),
    "other": Profile(),
}


def profile_for(page_type: str) -> Profile:
    """The walk settings of a page type (the article's for unknown ones)."""
    return PROFILES.get(page_type, PROFILES["article"])


def _short_text(node: LexborNode, limit: int) -> str | None:
    text = " ".join(node.text(deep=True, separator=" ").split())
    return text if 0 < len(text) <= limit else None


def _first_named(post: LexborNode, pattern: re.Pattern[str], limit: int) -> str | None:
    for node in post.css("[class], [id]"):
        attrs = node.attributes
        names = f"{attrs.get('class') or ''} {attrs.get('id') or ''}"
        if pattern.search(names):
            text = _short_text(node, limit)
            if text:
                return text
    return None


def post_author(post: LexborNode) -> str | None:
    """The author's name in a post: schema.org author, a class saying so, a profile link."""
    node = post.css_first('[itemprop="author"] [itemprop="name"], [itemprop="author"]')
    if node is not None:
        name = node.attributes.get("content") or _short_text(node, MAX_AUTHOR_CHARS)
        if name:
            return name
    name = _first_named(post, _AUTHOR_NAMES, MAX_AUTHOR_CHARS)
    if name:
        return name
    for a in post.css("a[href]"):
        href = a.attributes.get("href") or ""
        if any(h in href for h in _PROFILE_HREF):
            text = _short_text(a, MAX_AUTHOR_CHARS)
            if text:
                return text
    return None


def post_date(post: LexborNode) -> str | None:
    """The date shown in a post: a ``<time>`` element, schema.org dates, a class saying so."""
    node = post.css_first('time, [itemprop="datePublished"], [itemprop="dateCreated"]')
    if node is not None:
        text = _short_text(node, MAX_DATE_CHARS)
        return text or node.attributes.get("datetime") or node.attributes.get("content")
    return _first_named(post, _DATE_NAMES, MAX_DATE_CHARS)


def post_body(post: LexborNode) -> LexborNode:
    """The element holding a post's text: schema.org text, a body/content class, else the
    post itself."""
    node = post.css_first('[itemprop="text"], [itemprop="articleBody"]')
    if node is not None:
        return node
    for pattern in (_BODY_NAMES, _BODY_WEAK):
        best, best_len = None, 0
        for cand in post.css("[class], [id]"):
            attrs = cand.attributes
            names = f"{attrs.get('class') or ''} {attrs.get('id') or ''}"
            if cand.tag not in ("a", "span", "time") and pattern.search(names):
                size = len(cand.text(deep=True, strip=True))
                if size > best_len:
                    best, best_len = cand, size
        if best is not None:
            return best
    return post


#: Parts of a post that are about its author or its history, not what it says: the
#: author's signature, "Last edited by ...".
_POST_EXTRAS = ", ".join(
    f"[{attr}*={word} i]"
    for attr in ("class", "id")
    for word in ("signature", "lastedit", "last-edit", "edited-by", "edited_by", "editedby")
)
#: Lines of a quote shorter than this are not compared with earlier posts.
QUOTE_LINE_MIN = 20


def _repeats(quote: LexborNode, earlier: str) -> bool:
    """Whether a quote repeats earlier posts of the thread (half its text or more, in lines
    of QUOTE_LINE_MIN characters or more): a reply's quote of a post already read."""
    lines = [line for line in node_text(quote).split("\n") if len(line) >= QUOTE_LINE_MIN]
    total = sum(len(line) for line in lines)
    return total > 0 and 2 * sum(len(line) for line in lines if line in earlier) >= total


def thread(posts: list[LexborNode], markdown: bool) -> tuple[str, str | None, list[dict[str, Any]]]:
    """Every post of a thread as author and text (quotes as ``>`` in Markdown; a quote of
    an earlier post left out): the text, the Markdown and the posts' metadata (author,
    date, characters, quotes)."""
    texts: list[str] = []
    mds: list[str] = []
    meta: list[dict[str, Any]] = []
    earlier = ""  # the text of the posts so far, for quotes to be compared with
    for post in posts[:MAX_POSTS]:
        body = post_body(post)
        quotes = body.css("blockquote")
        skip = frozenset(
            [q.mem_id for q in quotes if _repeats(q, earlier)]
            + [n.mem_id for n in body.css(_POST_EXTRAS)]
        )
        text, md = render_node(body, markdown, skip)
        if not text.strip():
            continue
        earlier += "\n" + text
        author = post_author(post)
        date = post_date(post)
        # the author opens the post; its date is metadata only (a time stamp is no text)
        named = author is not None and author not in text[:200]
        texts.append(f"{author}\n{text}" if named else text)
        if markdown:
            lead = f"**{author}**" if named else ""
            mds.append("\n\n".join(x for x in (lead, md or "") if x))
        item: dict[str, Any] = {"chars": len(text)}
        if author:
            item["author"] = author
        if date:
            item["date"] = date
        quotes = len(body.css("blockquote"))
        if quotes:
            item["quotes"] = quotes
        meta.append(item)
    md_out = ("\n\n---\n\n".join(mds) + "\n") if markdown and mds else ("" if markdown else None)
    return "\n\n".join(texts), md_out, meta


#: A JSON-LD description is cut to this many characters.
MAX_DESCRIPTION_CHARS = 20_000


def product_description(ld: list[dict[str, Any]]) -> str | None:
    """The description of the page's schema.org Product in JSON-LD, whitespace collapsed."""
    for item in ld:
        t = item.get("@type")
        names = t if isinstance(t, list) else [t]
        if any(isinstance(n, str) and n.lower() in ("product", "productgroup") for n in names):
            desc = item.get("description")
            if isinstance(desc, str) and desc.strip():
                return " ".join(desc.split())[:MAX_DESCRIPTION_CHARS]
    return None

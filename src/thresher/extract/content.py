"""Main-content extraction: one walk over a lexbor DOM builds text blocks, a subtree score
picks the content container, and context rules drop the boilerplate left inside it.

Scoring: each block weighs its UTF-8 length (so CJK text counts fairly) as positive when it is
prose (long, few links) and negative when it is link lists or marked boilerplate (navigation,
footers, captions, author boxes, share bars, comments, ...). The element whose subtree has the
largest sum is the content (never a bare paragraph, list or row: then its parent), with sibling
subtrees that carry prose and a second, distant region with a good share of the score (an
article split over the page). Inside, short blocks stay only where prose surrounds them;
credits, link lists and a heading after the last paragraph go; a lede just before the content
element is added. Containers with little prose keep all their unmarked blocks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from thresher.extract.budget import CHECK_EVERY, Deadline

#: Elements whose content is never text (removed before the walk).
JUNK_TAGS = (
    "script",
    "style",
    "template",
    "svg",
    "math",
    "canvas",
    "iframe",
    "object",
    "embed",
    "button",
    "input",
    "select",
    "textarea",
    "option",
    "audio",
    "video",
    "source",
    "link",
    "meta",
    "head",
    "dialog",
    "rt",  # ruby annotations (furigana) would split the words they annotate
    "rp",
)
_JUNK = frozenset(JUNK_TAGS)
#: Elements that are boilerplate by their semantics.
BOILER_TAGS = frozenset({"nav", "aside", "footer", "menu", "figcaption"})
BLOCK_TAGS = frozenset(
    {
        "p", "div", "section", "article", "main", "li", "ul", "ol", "dl", "dt", "dd",
        "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "table", "tr", "thead",
        "tbody", "tfoot", "caption", "figure", "figcaption", "address", "hr", "form",
        "fieldset", "center", "details", "summary", "body", "html", "nav", "aside",
        "footer", "header", "menu", "legend", "noframes", "frameset", "frame",
    }
)  # fmt: skip
HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_CELL = frozenset({"td", "th"})
# what the walk does with an element, by tag (one lookup instead of a chain of tests)
_K_INLINE, _K_BLOCK, _K_JUNK, _K_BR, _K_IMG, _K_CELL = range(6)
_KINDS: dict[str, int] = {
    **dict.fromkeys(_CELL, _K_CELL),
    "img": _K_IMG,
    "br": _K_BR,
    "wbr": _K_BR,
    **dict.fromkeys(BLOCK_TAGS, _K_BLOCK),
    **dict.fromkeys(_JUNK, _K_JUNK),
}
#: Blocks that hold text but are not containers of an article.
NOT_CONTAINERS = frozenset({"p", "li", "ul", "ol", "tr", "tbody", "blockquote", "dl"})
_WS = re.compile(r"\s+")

#: Boilerplate by layout on every kind of page (navigation, footers, banners, ads, ...).
_LAYOUT_WORDS = (
    r"nav|navbar|navigation|menu|menus|mainmenu|submenu|breadcrumbs?|crumbs?|sidebar|side-bar|"
    r"widgets?|footer|site-footer|masthead|banner|cookies?|consent|gdpr|share|sharing|"
    r"sharedaddy|social|socials|sns|shariff|related|recommend\w*|popular|trending|newsletter|"
    r"subscribe|subscription|signup|promo|promotion|advert\w*|ads|adsense|ad-slot|sponsor\w*|"
    r"tagcloud|pagination|pager|paging|skip|toolbar|login|search|searchform|modal|popup|overlay|"
    r"disclaimer|copyright|jump|outbrain|taboola|sr-only|screen-reader-text|visually-hidden|"
    r"hitcounter|statcounter|visitor-?counter|whos-?online|useronline|users-online|online-users"
)
#: Boilerplate around an article's text that is content elsewhere: a forum post's author and
#: date, a card's tags and rating, a product's meta data.
_ARTICLE_WORDS = (
    r"tags?|tag-list|categories|author-?bio|about-author|byline|postmeta|post-meta|entry-meta|"
    r"article-meta|meta-data|metadata|dateline|print|rating|ratings|vote|votes|caption|"
    r"caption-credit|credits?|author|bio|legend|disclosure|teasers"
)
_BOILER_WORDS = _LAYOUT_WORDS + "|" + _ARTICLE_WORDS
# WordPress-style taxonomy classes on posts (tag-foo, category-bar) say nothing about layout
_TAXONOMY = re.compile(
    r"(?:^|(?<=\s))(?:tag|category|format|status|type|author|term|taxonomy|post|postid)-"
    r"(?!(?:cloud|list|links|box|wrap|wrapper|container|area|widget|meta|info|share|bio|avatar|"
    r"description)(?:\s|$))"
    r"\S*",
    re.IGNORECASE,
)
_COMMENT_WORDS = r"comments?|comment-list|commentlist|disqus\w*|respond|replies|reply|discussion"
_TOKEN_RE = r"(?:^|[\s_-])(?:{words})(?:$|[\s_-])"
BOILER_RE = re.compile(_TOKEN_RE.format(words=_BOILER_WORDS), re.IGNORECASE)
LAYOUT_RE = re.compile(_TOKEN_RE.format(words=_LAYOUT_WORDS), re.IGNORECASE)
COMMENT_RE = re.compile(_TOKEN_RE.format(words=_COMMENT_WORDS), re.IGNORECASE)
# class/id names that say "this is the content"
# class/id tokens that name the main text container (entry-content, article__body, ...)
CONTENT_RE = re.compile(
    r"(?:^|\s)(?:[a-z]{1,12}[-_]{1,2})?(?:article|entry|post|story|news|blog|main|page|single)"
    r"[-_]{0,2}(?:content|body|text|entry)(?:\s|$)",
    re.IGNORECASE,
)
_PROP_TAGS = frozenset({"div", "section"})
_CONTENT_PROPS = frozenset({"articlebody", "text", "maincontentofpage", "reviewbody"})
CONTENT_BONUS = 1.25
ARTICLE_BONUS = 1.2
#: Attributes besides class and id that is_boiler reads.
_MARK_ATTRS = frozenset(
    {"hidden", "data-noscript", "aria-hidden", "style", "role", "aria-modal", "itemprop"}
)
_ROLES_BOILER = frozenset(
    {"navigation", "banner", "contentinfo", "complementary", "menu", "menubar", "search",
     "dialog", "alert", "toolbar", "tablist"}
)  # fmt: skip


@dataclass(slots=True)
class Block:
    """A run of text owned by one block-level element."""

    text: str
    md: str
    link_chars: int
    tag: str
    ancestors: tuple[int, ...]
    boiler: tuple[int, ...]
    weight: float = 0.0
    size: int = 0
    boiler_tag: bool = False
    #: mostly link text, but sentences with words between the links (a Wikipedia
    #: paragraph), not a list of links
    link_prose: bool = False
    #: a visitor counter line ("Visitors today: 1234 / Online: 12")
    counter: bool = False


@dataclass(slots=True)
class Content:
    """The result of main-content extraction."""

    text: str
    markdown: str | None
    blocks: list[Block] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    root: LexborNode | None = None
    #: UTF-8 bytes of prose (long, low-link blocks) in the result: how sure the choice is
    prose: int = 0
    #: every block of the page, for a second opinion to choose from
    page_blocks: list[Block] = field(default_factory=list)
    #: (href, anchor text) of every link met on the way, when asked for
    links: list[tuple[str, str]] = field(default_factory=list)
    #: the blocks of the chosen container(s), before the context rules
    chosen: list[Block] = field(default_factory=list)
    #: the tag of every block element by its id (see Block.ancestors)
    tags: dict[int, str] = field(default_factory=dict)
    #: elements the walk marked, by id: MARK_COMMENT, MARK_OVERLAY, MARK_CONTENT bits
    marks: dict[int, int] = field(default_factory=dict)

    def with_blocks(self, blocks: list[Block], markdown: bool, prose: int | None = None) -> Content:
        """This page's content made of other blocks (in page order): their text and Markdown;
        ``prose`` (default: the prose among ``blocks``) as the measure of the choice."""
        return Content(
            text="\n".join(b.text for b in blocks),
            markdown=join_markdown(blocks) if markdown else None,
            blocks=blocks,
            images=self.images,
            root=self.root,
            prose=sum(b.size for b in blocks if b.weight > 0) if prose is None else prose,
            page_blocks=self.page_blocks,
            links=self.links,
            chosen=self.chosen,
            tags=self.tags,
            marks=self.marks,
        )


#: Link-dense blocks with at least this many links may be prose (see _is_link_prose).
LINK_PROSE_MIN_LINKS = 3
LINK_PROSE_MIN_CHARS = 80
_LETTER = re.compile(r"[^\W\d_]")
_SENTENCE_END = re.compile(r"[.!?。！？]")


def _is_link_prose(parts: list[str], spans: list[tuple[int, int]]) -> bool:
    """Whether a link-dense block is written prose: most stretches between its links hold
    words (``The [Romans] built a [ford] near ...``), where a link list holds separators
    (``[Aire] · [Derwent] · [Foss]``), and it has a sentence end."""
    worded = 0
    prev = 0
    for start, end in spans:
        if start < prev:  # a link inside a link
            continue
        if start > prev and _LETTER.search("".join(parts[prev:start])):
            worded += 1
        prev = end
    tail = "".join(parts[prev:])
    if _LETTER.search(tail):
        worded += 1
    if 2 * worded < len(spans):
        return False
    return _SENTENCE_END.search("".join(parts)) is not None


def _lines(raw: str) -> str:
    """A block's text with whitespace collapsed; line breaks only where ``<br>`` was."""
    if _BR in raw:
        lines = (" ".join(line.split()) for line in raw.split(_BR))
        return "\n".join(line for line in lines if line)
    return " ".join(raw.split())


#: Stands for ``<br>`` while a block's text is gathered (NUL never survives HTML parsing).
_BR = "\x00"
#: Stands for the bar between two table cells until the row's text is complete.
_CELL_SEP = "\x1f"
_CELL_RUNS = re.compile("\\s*(?:\x1f\\s*)+")
# separators next to a line break (a cell's <br>) start or end a line: they go
_CELL_AT_BR = re.compile("\x00[\\s\x1f]*\x1f|\x1f[\\s\x1f]*\x00")


def _cell_bars(raw: str, collapse: bool) -> str:
    """Cell separators as `` | ``, none at the start or end of a line (the neighbouring
    cell's content went to a block of its own); with ``collapse``, runs of empty cells
    make one bar."""
    raw = raw.strip(_CELL_SEP + " \t\r\n\f\v")
    if _BR in raw:
        raw = _CELL_AT_BR.sub(_BR, raw)
    if collapse:
        return _CELL_RUNS.sub(" | ", raw)
    return raw.replace(_CELL_SEP, " | ")


_TOKEN_CACHE: dict[str, int] = {}
_DIGITS = re.compile(r"\d+")
_ASCII_DIGITS = frozenset("0123456789")


def _camel_layout() -> re.Pattern[str]:
    """A camelCase name that is a page's layout: a layout word first (after a short prefix
    like ``p-`` or a site-wide word like ``site``/``main``), then nothing or a generic part
    (``Bar``, ``Content``, ``Wrapper``): SiteFooter, mainNav, footerContent, navBar; not
    a card's or a post's part (CardFooter, userBanner) nor a link target (navSource)."""
    words = "|".join(f"[{w[0]}{w[0].upper()}]{w[1:]}" for w in _LAYOUT_WORDS.split("|"))
    site = "[sS]ite|[pP]age|[mM]ain|[gG]lobal|[pP]rimary|[aA]pp"
    lead = f"(?:[a-z]{{1,3}}[-_]+)?(?:(?:{site})(?=[A-Z]))?"
    rest = (
        "(?:Bar|Content|Contents|Container|Wrapper|Wrap|Inner|List|Items?|Links?|Menu|Top"
        "|Bottom|Section|Area)?"
    )
    return re.compile(f"{lead}(?:{words}){rest}(?:$|[-_])")


CAMEL_LAYOUT_RE = _camel_layout()
_BOILER, _COMMENT, _CONTENT, _LAYOUT, _CONSENT = 1, 2, 4, 8, 16
MARK_COMMENT, MARK_OVERLAY, MARK_CONTENT = 1, 2, 4
#: Class/id words of a cookie or consent banner: boilerplate that is never a wrapper of the
#: content, however much text it holds (see release_wrappers).
CONSENT_RE = re.compile(_TOKEN_RE.format(words=r"cookies?|consent|gdpr"), re.IGNORECASE)
#: Roles and ARIA marks of a dialog laid over the page (a consent form, a sign-up box).
_DIALOG_ROLES = frozenset({"dialog", "alertdialog"})


def _ascii_twin(rx: re.Pattern[str]) -> re.Pattern[str] | None:
    """The pattern without IGNORECASE, for lower-cased ASCII text: the same matches, several
    times faster (None when the pattern spells capitals of its own)."""
    if not rx.flags & re.IGNORECASE or re.search(r"(?<!\\)[A-Z]", rx.pattern):
        return None
    return re.compile(rx.pattern, rx.flags & ~re.IGNORECASE)


def _search(rx: re.Pattern[str], twin: re.Pattern[str] | None, text: str, low: str | None) -> bool:
    """``rx.search(text)``, through its case-sensitive ``twin`` when ``low`` is the text
    lower-cased (ASCII text only: then both give the same answer)."""
    if low is not None and twin is not None:
        return twin.search(low) is not None
    return rx.search(text) is not None


_BOILER_LOW = _ascii_twin(BOILER_RE)
_LAYOUT_LOW = _ascii_twin(LAYOUT_RE)
_COMMENT_LOW = _ascii_twin(COMMENT_RE)
_CONSENT_LOW = _ascii_twin(CONSENT_RE)
_CONTENT_LOW = _ascii_twin(CONTENT_RE)


def _classify_token(token: str) -> int:
    """Flags of one class or id token (cached: the same tokens recur on every page)."""
    flags = _TOKEN_CACHE.get(token)
    if flags is None:
        # digits never decide a match (they are not token boundaries): ids like post-613
        # and post-614 share one entry
        if token.isascii() and _ASCII_DIGITS.isdisjoint(token):
            shape = token  # no digits: its shape is itself, not in the cache either
        else:
            shape = _DIGITS.sub("0", token)
            flags = _TOKEN_CACHE.get(shape)
            if flags is not None:
                _TOKEN_CACHE[token] = flags
                return flags
        clean = _TAXONOMY.sub(" ", token) if "-" in token else token
        low = clean.lower() if clean.isascii() else None
        flags = 0
        if _search(BOILER_RE, _BOILER_LOW, clean, low):
            flags |= _BOILER
            if _search(LAYOUT_RE, _LAYOUT_LOW, clean, low):
                flags |= _LAYOUT
        elif not clean.islower() and CAMEL_LAYOUT_RE.match(clean):
            # camelCase layout names are words too (SiteFooter, mainNav, footerContent)
            flags |= _BOILER | _LAYOUT
        if _search(COMMENT_RE, _COMMENT_LOW, clean, low):
            flags |= _COMMENT
        if flags & _BOILER and _search(CONSENT_RE, _CONSENT_LOW, clean, low):
            flags |= _CONSENT
        if _search(CONTENT_RE, _CONTENT_LOW, clean, low):
            flags |= _CONTENT
        if len(_TOKEN_CACHE) > 200_000:
            _TOKEN_CACHE.clear()
        _TOKEN_CACHE[token] = _TOKEN_CACHE[shape] = flags
    return flags


def _token_flags(names: str) -> int:
    """The union of the flags of a class or id string's tokens (cached by the string: the
    same class strings recur on every element of a kind)."""
    found = _FOUND_CACHE.get(names)
    if found is None:
        found = 0
        for token in names.split():
            found |= _classify_token(token)
        if len(_FOUND_CACHE) > 100_000:
            _FOUND_CACHE.clear()
        _FOUND_CACHE[names] = found
    return found


def _judge(found: int, include_comments: bool, lenient: bool) -> int:
    """Flags of an element from the union of its tokens' flags: boilerplate, comment
    section, content container. With ``lenient``, only layout words (navigation, footers,
    ads, ...) mark boilerplate."""
    flags = found & (_CONTENT | _CONSENT)
    if found & (_LAYOUT if lenient else _BOILER):
        flags |= _BOILER
    elif found & _COMMENT and not include_comments:
        flags |= _BOILER | _COMMENT
    return flags


_FOUND_CACHE: dict[str, int] = {}
#: _judge's answer for every union of token flags, by (include_comments, lenient)
_JUDGED: dict[tuple[bool, bool], tuple[int, ...]] = {
    (c, lenient): tuple(_judge(found, c, lenient) for found in range(32))
    for c in (False, True)
    for lenient in (False, True)
}


def _classify_names(names: str, include_comments: bool, lenient: bool = False) -> int:
    """Flags for a class/id string: boilerplate, comment section, content container. With
    ``lenient``, only layout words (navigation, footers, ads, ...) mark boilerplate."""
    return _JUDGED[include_comments, lenient][_token_flags(names)]


_SLUG_GAPS = re.compile(r"[\W_]+")


def _heading_anchor(node: LexborNode, tag: str, ident: str) -> bool:
    """Whether an id is the slug of the element's own heading (the anchor a documentation
    generator or a Markdown renderer gives a section or a heading: ``#respond-to-comments``
    for "Respond to comments"), possibly after a prefix (``user-content-``)."""
    head = node if tag in HEADINGS else node.css_first("h1, h2, h3, h4, h5, h6")
    if head is None:
        return False
    slug = _SLUG_GAPS.sub("-", head.text(deep=True).casefold()).strip("-")
    if not slug or "-" not in slug:
        return False
    ident = ident.casefold()
    return ident == slug or ident.endswith("-" + slug)


class _Walker:
    """Turns a DOM into blocks with ancestor ids; one pass, no tree mutation."""

    def __init__(
        self,
        markdown: bool,
        include_comments: bool,
        base_tags: bool = True,
        deadline: Deadline | None = None,
    ) -> None:
        self.markdown = markdown
        self.deadline = deadline
        self.ticks = 0
        self.include_comments = include_comments
        self.blocks: list[Block] = []
        self.parts: list[str] = []
        self.md_parts: list[str] = []
        # images on lines of their own in Markdown: those of a heading (before or after
        # its text) and those met before any text that end up outside the block holding
        # the next text (they open that block instead of being glued to its first word)
        self.md_lead: list[str] = []
        self.md_trail: list[str] = []
        self.md_loose: int | None = None  # where images before any text start in md_parts
        self.link_chars = 0
        self.link_spans: list[tuple[int, int]] = []  # (start, end) in parts of each link
        self.stack: list[int] = []  # ancestor element ids
        self.boiler: list[int] = []  # ancestor ids marked as boilerplate
        self.block_tag: list[str] = ["body"]
        self.counter = 0
        self.in_link = 0
        self.in_pre = 0
        self.nodes: dict[int, LexborNode] = {}
        self.tags: dict[int, str] = {}
        self.parents: dict[int, int] = {}
        self.links: list[tuple[str, str]] | None = None  # (href, text) when asked for
        self.in_boiler_tag = 0  # depth of <nav>, <footer>, <aside>, ... around the walk
        self.list_stack: list[list[int]] = []  # [ordered, counter]
        self.table_row_cells = 0
        self.images: list[tuple[tuple[int, ...], dict[str, Any]]] = []
        self.boiler_tags = BOILER_TAGS if base_tags else frozenset()
        self.comment_ids: set[int] = set()
        #: dialogs and consent banners: boilerplate that is never released as a wrapper
        self.overlay_ids: set[int] = set()
        self.bonus: dict[int, float] = {}
        self.detect = base_tags
        self.lenient = False
        self.inline_end = -1  # len(parts) right after the last inline element
        self.skip: frozenset[int] = frozenset()  # mem_ids of elements left out

    def marks(self) -> dict[int, int]:
        """Element id -> MARK_* bits: comment sections, dialogs and banners, and elements
        whose class/id or itemprop names the content."""
        out: dict[int, int] = dict.fromkeys(self.bonus, MARK_CONTENT)
        for eid in self.comment_ids:
            out[eid] = out.get(eid, 0) | MARK_COMMENT
        for eid in self.overlay_ids:
            out[eid] = out.get(eid, 0) | MARK_OVERLAY
        return out

    # ------------------------------------------------------------------ blocks
    def flush(self) -> None:
        if not self.parts:
            return
        raw = "".join(self.parts)
        if _CELL_SEP in raw:
            raw = _cell_bars(raw, collapse=True)
        text = raw.replace(_BR, "\n").strip("\n") if self.in_pre else _lines(raw)
        if text:
            md = ""
            if self.markdown:
                md = "".join(self.md_parts)
                if self.block_tag[-1] == "tr":
                    # "| a | b", empty cells kept; a Markdown row has no line breaks
                    md = md.replace(_CELL_SEP, " | ").replace(_BR, " ")
                elif _CELL_SEP in md:
                    md = _cell_bars(md, collapse=False)
                md = md.replace(_BR, "\n") if self.in_pre else _lines(md)
                if self.md_lead or self.md_trail:
                    if self.block_tag[-1] == "tr":  # images stay inside the row
                        md = " ".join([*self.md_lead, md, *self.md_trail])
                    else:
                        md = "\n\n".join([*self.md_lead, md, *self.md_trail])
                    self.md_lead = []
                    self.md_trail = []
            link_prose = (
                2 * self.link_chars >= len(text)
                and len(text) >= LINK_PROSE_MIN_CHARS
                and len(self.link_spans) >= LINK_PROSE_MIN_LINKS
                and "\n" not in text  # lines of links (sources, link lists) are not prose
                and _is_link_prose(self.parts, self.link_spans)
            )
            self.blocks.append(
                Block(
                    text=text,
                    md=md,
                    link_chars=self.link_chars,
                    tag=self.block_tag[-1],
                    ancestors=tuple(self.stack),
                    boiler=tuple(self.boiler),
                    boiler_tag=self.in_boiler_tag > 0,
                    link_prose=link_prose,
                )
            )
        elif self.md_trail:
            self.md_lead.extend(self.md_trail)
            self.md_trail = []
        self.parts = []
        self.md_parts = []
        self.md_loose = None
        self.link_chars = 0
        self.link_spans = []

    def lift_images(self) -> None:
        """Images met before any text, when a new block starts or a block ends without
        text: they leave the Markdown being gathered and open the next block."""
        at = self.md_loose
        if at is not None:
            self.md_lead.extend(p for p in self.md_parts[at:] if p.strip())
            del self.md_parts[at:]
            self.md_loose = None

    def is_boiler(self, node: LexborNode, tag: str) -> bool:
        if not self.detect:
            return False
        if tag in self.boiler_tags or (self.skip and node.mem_id in self.skip):
            return True
        attrs = node.attributes
        if not attrs:
            return False
        if not _MARK_ATTRS.isdisjoint(attrs):  # most elements have a class and no more
            if "hidden" in attrs or "data-noscript" in attrs or attrs.get("aria-hidden") == "true":
                return True
            style = attrs.get("style")
            if style and "none" in style and re.search(r"display\s*:\s*none", style):
                return True
            role = attrs.get("role")
            if role and role.lower() in _ROLES_BOILER:
                if role.lower() in _DIALOG_ROLES:
                    self.overlay_ids.add(self.counter)
                return True
            if attrs.get("aria-modal") == "true":
                self.overlay_ids.add(self.counter)
                return True
            if tag in _PROP_TAGS:
                prop = attrs.get("itemprop")
                if prop and prop.lower() in _CONTENT_PROPS:
                    self.bonus[self.counter] = CONTENT_BONUS
        cls = attrs.get("class")
        ident = attrs.get("id")
        if not cls and not ident:
            return False
        # the class and the id are looked up apart: ids are often unique (post-613), so
        # their pair would rarely be met twice
        judged = _JUDGED[self.include_comments, self.lenient]
        found = _token_flags(cls) if cls else 0
        flags = judged[found | _token_flags(ident)] if ident else judged[found]
        if flags & _BOILER and ident and "-" in ident and _heading_anchor(node, tag, ident):
            # an id made from the section's own heading ("respond-to-review-comments"): an
            # anchor, it says nothing about layout
            flags = judged[found]
        if tag in ("body", "html", "main", "article") or not flags & _BOILER:
            if flags & _CONTENT:
                self.bonus[self.counter] = CONTENT_BONUS
            return False
        if flags & _COMMENT:
            self.comment_ids.add(self.counter)
        if flags & _CONSENT:
            self.overlay_ids.add(self.counter)
        return True

    # ------------------------------------------------------------------ walk
    def walk(self, node: LexborNode) -> None:
        # the markdown, link, pre and lenient states do not change while one element's
        # children are walked (nested elements restore them): read them once
        parts = self.parts
        markdown = self.markdown
        in_link = self.in_link
        in_pre = self.in_pre
        lenient = self.lenient
        deadline = self.deadline
        for child in node.iter(include_text=True):
            tag = child.tag
            if tag == "-text":
                t = child.text_content
                if t and (parts or not t.isspace()):
                    # whitespace is collapsed per block in flush(), not per text node; a
                    # block's leading whitespace is dropped right away
                    parts.append(t)
                    if markdown:
                        self.md_parts.append(_md_escape(t) if not in_pre else t)
                    if in_link:
                        self.link_chars += len(t.strip())
                continue
            kind = _KINDS.get(tag)  # type: ignore[arg-type]
            if kind is None:
                if tag is None or tag[0] in "-!_":
                    continue  # comments, doctypes, processing instructions
                kind = _K_INLINE
            if deadline is not None:
                self.ticks += 1
                if not self.ticks % CHECK_EVERY:
                    deadline.check()
            if kind == _K_BLOCK:
                self._block(child, tag)
                parts = self.parts
            elif kind == _K_INLINE:
                if lenient and parts and self.inline_end == len(parts):
                    # two inline elements side by side (a card's "2026", "1h 54m", "R"):
                    # words apart, as the page's styles show them
                    last = parts[-1]
                    if last and not last[-1].isspace():
                        parts.append(" ")
                        if markdown:
                            self.md_parts.append(" ")
                if markdown or tag in _INLINE_SPECIAL:
                    self._inline(child, tag)
                else:
                    self.walk(child)  # plain inline markup: its text joins the block
                parts = self.parts
                self.inline_end = len(parts)
            elif kind == _K_JUNK:
                continue
            elif kind == _K_BR:
                parts.append(_BR)
                if markdown:
                    self.md_parts.append(_BR)
            elif kind == _K_IMG:
                self._image(child)
            else:  # a table cell
                self._cell(child)

    def _block(self, node: LexborNode, tag: str) -> None:
        if self.parts:
            self.flush()
        elif self.md_loose is not None:
            self.lift_images()
        self.counter += 1
        eid = self.counter
        self.nodes[eid] = node
        self.tags[eid] = tag
        stack = self.stack
        if stack:
            self.parents[eid] = stack[-1]
        stack.append(eid)
        boiler = self.is_boiler(node, tag)
        boiler_tag = False
        if boiler:
            self.boiler.append(eid)
            boiler_tag = tag in self.boiler_tags
            if boiler_tag:
                self.in_boiler_tag += 1
        elif tag in ("article", "main") and eid not in self.bonus:
            self.bonus[eid] = ARTICLE_BONUS
        self.block_tag.append(tag)
        md = self.markdown
        special = tag in _BLOCK_SPECIAL  # most blocks are none of pre, ul, ol, tr
        if md:
            mark = len(self.md_parts)
            if tag == "pre":
                self.md_parts.append("```\n")
            else:
                self._md_open(tag)
        if special:
            if tag == "pre":
                self.in_pre += 1
            elif tag == "tr":
                self.table_row_cells = 0
            else:
                self.list_stack.append([tag == "ol", 0])
        self.walk(node)
        if special and tag == "pre":
            if md:
                self.md_parts.append("\n```")
            self.flush()
            self.in_pre -= 1
        elif self.parts:
            self.flush()
        if md:
            # a block without text leaves no Markdown behind: its heading, list or fence
            # markers would otherwise open the next block ("## " before a paragraph)
            if self.md_loose is not None:
                self.lift_images()
            del self.md_parts[mark:]
        if special and (tag == "ul" or tag == "ol"):
            self.list_stack.pop()
        self.block_tag.pop()
        if boiler:
            self.boiler.pop()
            if boiler_tag:
                self.in_boiler_tag -= 1
        stack.pop()

    def _md_open(self, tag: str) -> None:
        level = HEADINGS.get(tag)
        if level:
            self.md_parts.append("#" * level + " ")
        elif tag == "li":
            depth = max(len(self.list_stack) - 1, 0)
            if self.list_stack and self.list_stack[-1][0]:
                self.list_stack[-1][1] += 1
                self.md_parts.append("   " * depth + f"{self.list_stack[-1][1]}. ")
            else:
                self.md_parts.append("   " * depth + "- ")
        elif tag == "blockquote":
            self.md_parts.append("> ")

    def _cell(self, node: LexborNode) -> None:
        # table cells are inline parts of their row block, separated by " | " (a sentinel
        # until flush: a cell whose content went to blocks of its own leaves no stray bar);
        # Markdown marks every cell, the first too, so that empty cells keep their column
        if self.table_row_cells:
            self.parts.append(_CELL_SEP)
        if self.markdown:
            self.md_parts.append(_CELL_SEP)
        self.table_row_cells += 1
        saved = self.table_row_cells
        self.walk(node)
        self.table_row_cells = saved

    def _inline(self, node: LexborNode, tag: str) -> None:
        if tag == "a":
            self.in_link += 1
            href = node.attributes.get("href")
            parts = self.parts
            before, first = len(parts), len(self.blocks)
            if self.markdown:
                start = len(self.md_parts)
                self.walk(node)
                inner = "".join(self.md_parts[start:]).strip()
                del self.md_parts[start:]
                if inner and href and not href.startswith(("javascript:", "#")):
                    self.md_parts.append(f"[{inner}]({href})")
                else:
                    self.md_parts.append(inner)
            else:
                self.walk(node)
            self.in_link -= 1
            inline = len(self.blocks) == first and self.parts is parts
            if inline:
                self.link_spans.append((before, len(parts)))
            if href is not None and self.links is not None:
                if inline:
                    text = "".join(parts[before:]).replace(_BR, " ")
                else:  # the link wraps blocks: their text
                    text = " ".join(b.text for b in self.blocks[first:])
                self.links.append((href, text))
            return
        if self.markdown and tag in _MD_INLINE and not self.in_pre:
            mark = _MD_INLINE[tag]
            start = len(self.md_parts)
            self.walk(node)
            inner = "".join(self.md_parts[start:])
            del self.md_parts[start:]
            stripped = inner.strip()
            if stripped:
                lead = inner[: len(inner) - len(inner.lstrip())]
                trail = inner[len(inner.rstrip()) :]
                self.md_parts.append(f"{lead}{mark}{stripped}{mark}{trail}")
            return
        if tag in _INLINE_BOILER and self.is_boiler(node, tag):
            # inline boilerplate (dates, share labels): drop without splitting the block
            return
        self.walk(node)

    def _image(self, node: LexborNode) -> None:
        attrs = node.attributes
        src = attrs.get("src") or attrs.get("data-src") or ""
        if src and not src.startswith("data:"):
            self.images.append((tuple(self.stack), {"src": src, "alt": attrs.get("alt") or ""}))
            if self.markdown:
                img = f"![{_md_escape(attrs.get('alt') or '')}]({src})"
                if self.block_tag[-1] in HEADINGS:
                    (self.md_trail if self.parts else self.md_lead).append(img)
                    return
                if not self.parts and self.md_loose is None:
                    self.md_loose = len(self.md_parts)
                self.md_parts.append(img)  # inline: a list item's icon, a cell's flag


_INLINE_BOILER = frozenset({"span", "time", "small", "label"})
#: Blocks with work of their own around the walk of their children.
_BLOCK_SPECIAL = frozenset({"pre", "ul", "ol", "tr"})
#: Inline elements with work of their own (links, boilerplate marks) besides their text.
_INLINE_SPECIAL = _INLINE_BOILER | {"a"}
_MD_INLINE = {"strong": "**", "b": "**", "em": "*", "i": "*", "code": "`", "kbd": "`"}
_MD_SPECIAL = re.compile(r"([\\`*_\[\]])")


def _md_escape(text: str) -> str:
    return (
        _MD_SPECIAL.sub(r"\\\1", text)
        if ("*" in text or "_" in text or "[" in text or "`" in text or "\\" in text)
        else text
    )


# ---------------------------------------------------------------------- scoring

_PUNCT = re.compile(r"[.!?。！？…]|[,;:，、；]")
#: A visitor counter or "who is online" line: a counter word, a few more words, a colon
#: (or "No.") and a number ("Visitors today: 1234", "Online: 12", "Besucher Nr. 4711").
COUNTER_RE = re.compile(
    r"(?:^|\W)(?:visitors?|visits|hits|page ?views|pageviews|online|guests?|besucher\w*|"
    r"zugriffe|aufrufe|visiteurs?|visites|visitas|visitantes|посетител\w*|просмотр\w*|"
    r"访问\w*|访客|在线|訪問者|閲覧数)"
    r"[^:：\n\d]{0,25}?(?:[:：]|\bn[or]\.|#)\s*\d[\d.,\u2009\u202f ]*(?![\d:])",
    re.IGNORECASE,
)
COUNTER_MAX = 200
# what every counter line holds (a number after a colon, "No." or "#"): a cheap first test
_COUNTER_HINT = re.compile(r"[:：#.]\s*\d")


def _is_counter(block: Block) -> bool:
    """A short block that counts visitors (a sidebar widget, never content)."""
    text = block.text
    return (
        block.size < COUNTER_MAX
        and _COUNTER_HINT.search(text) is not None
        and COUNTER_RE.search(text) is not None
    )


def _score(block: Block) -> None:
    text = block.text
    size = block.size
    if block.boiler:
        block.weight = W_BOILER * size
        return
    if size < COUNTER_MAX and _is_counter(block):
        block.counter = True
        block.weight = W_BOILER * size
        return
    ld = block.link_chars / max(len(text), 1)
    if ld >= 0.5 and not block.link_prose:
        block.weight = W_LINKS * size
    elif size >= 80:
        block.weight = size * (1.0 - ld)
    elif size >= 25 and ld < 0.3 and _PUNCT.search(text):
        block.weight = 0.5 * size
    else:
        block.weight = -0.1 * size


SIBLING_SHARE = 0.1
W_BOILER = -0.25
W_LINKS = -1.0
SIBLING_MIN = 50.0
SHORT_BEFORE_BAD = 80
RELEASE_MIN = 400
SECOND_SHARE = 0.3
SECOND_MIN = 200.0
LEDE_REACH = 3
RELAX_BELOW = 1000
#: A block of at least this many characters is left out when an earlier one says the same.
REPEAT_MIN_CHARS = 20
#: A wide region grows to the parent while the parent keeps this share of the score.
WIDE_KEEP = 0.5
#: ... and is taken only when the best subtree holds less prose (UTF-8 bytes) than this.
WIDE_BELOW = 3000


def release_wrappers(
    blocks: list[Block], comment_ids: set[int], keep: frozenset[int] | set[int] = frozenset()
) -> None:
    """Un-mark boilerplate elements that hold most of the page's prose: they are wrappers
    with an unlucky class name (``container has-sidebar``), not boilerplate. Elements in
    ``keep`` (``<footer>``: an author box under a short post) stay marked."""
    prose: dict[int, int] = {}
    total = 0
    for b in blocks:
        if b.size >= 80 and b.link_chars < 0.3 * len(b.text):
            total += b.size
            for eid in b.boiler:
                prose[eid] = prose.get(eid, 0) + b.size
    if total < RELEASE_MIN:
        # too little prose for any wrapper to be the article (a link-list page with a
        # footer line): nothing is released, so the footer cannot become the content
        return
    released = {
        eid
        for eid, n in prose.items()
        if n > (0.75 if eid in comment_ids else 0.4) * total and eid not in keep
    }
    if released:
        for b in blocks:
            if b.boiler:
                b.boiler = tuple(e for e in b.boiler if e not in released)


def select_content(
    blocks: list[Block],
    bonus: dict[int, float] | None = None,
    deadline: Deadline | None = None,
    tags: dict[int, str] | None = None,
    parents: dict[int, int] | None = None,
    totals_out: dict[int, float] | None = None,
) -> tuple[int | None, set[int]]:
    """The id of the element whose subtree of blocks has the largest total weight, and the
    ids of sibling subtrees that carry prose too (content split over several containers).
    A paragraph, list or table row is never the container itself: its parent is."""
    totals: dict[int, float] = {}
    if parents is None:
        parent: dict[int, int] = {}
        for i, b in enumerate(blocks):
            if deadline is not None and not i % CHECK_EVERY:
                deadline.check()
            w = b.weight
            prev = 0
            for a in b.ancestors:
                totals[a] = totals.get(a, 0.0) + w
                if prev:
                    parent[a] = prev
                prev = a
    else:
        # each block adds to its own element; sums then flow up, children before parents
        # (ids are given in document order, so a child's id is larger than its parent's)
        parent = parents
        for b in blocks:
            own = b.ancestors[-1]
            totals[own] = totals.get(own, 0.0) + b.weight
        for eid in range(max(totals, default=0), 0, -1):
            t = totals.get(eid)
            if t is not None:
                p = parent.get(eid)
                if p is not None:
                    totals[p] = totals.get(p, 0.0) + t
        if deadline is not None:
            deadline.check()
    if not totals:
        return None, set()
    if totals_out is not None:
        totals_out.update(totals)
    if bonus:
        for eid, factor in bonus.items():
            t = totals.get(eid)
            if t is not None and t > 0:
                totals[eid] = t * factor
    best = None
    best_score = float("-inf")
    # ancestors come in document order: prefer the deepest of equal scores
    for eid, score in totals.items():
        if score > best_score or (score == best_score and best is not None and eid > best):
            best, best_score = eid, score
    if tags:
        while best is not None and tags.get(best) in NOT_CONTAINERS and best in parent:
            best = parent[best]
            best_score = totals[best]
    chosen = {best} if best is not None else set()
    up = parent.get(best) if best is not None else None
    if up is not None and best_score > 0:
        limit = max(SIBLING_SHARE * best_score, SIBLING_MIN)
        for eid, p in parent.items():
            if p == up and eid != best and totals.get(eid, 0.0) >= limit:
                chosen.add(eid)
    if best is not None and best_score > 0:
        second = _second_region(best, best_score, totals, parent, chosen, tags)
        if second is not None:
            chosen.add(second)
    return best, chosen


class _Inside:
    """Whether an element lies in one of the chosen subtrees (memoised walk up the tree)."""

    def __init__(self, ids: set[int], parent: dict[int, int]) -> None:
        self.parent = parent
        self.memo: dict[int, bool] = dict.fromkeys(ids, True)

    def __call__(self, eid: int) -> bool:
        memo = self.memo
        found = memo.get(eid)
        if found is not None:
            return found
        path = []
        parent = self.parent
        while found is None:
            path.append(eid)
            if eid not in parent:
                found = False
                break
            eid = parent[eid]
            found = memo.get(eid)
        for e in path:
            memo[e] = found
        return found


def _ancestors(eid: int, parent: dict[int, int]) -> set[int]:
    out = set()
    while eid in parent:
        eid = parent[eid]
        out.add(eid)
    return out


def _second_region(
    best: int,
    best_score: float,
    totals: dict[int, float],
    parent: dict[int, int],
    chosen: set[int],
    tags: dict[int, str] | None,
) -> int | None:
    """The best-scoring element apart from the chosen ones (neither inside nor around them)
    when it carries a good share of the best one's score: an article split over distant
    parts of the page (an intro box and the body, text and a table of facts)."""
    floor = max(SECOND_SHARE * best_score, SECOND_MIN)
    around = _ancestors(best, parent)
    found, found_score = None, 0.0
    for eid, score in totals.items():
        if score < floor or score <= found_score or eid in chosen or eid in around:
            continue
        if tags and tags.get(eid) in NOT_CONTAINERS:
            continue
        if not _ancestors(eid, parent).isdisjoint(chosen):
            continue
        found, found_score = eid, score
    return found


#: Short lines that credit a picture or its source ("Foto: dpa", "© Reuters").
CREDIT_RE = re.compile(
    r"^(?:fotos?|photos?|photograph|bild|credits?|quelle|crédits?|copyright|titelbild)\s*:|©",
    re.IGNORECASE,
)


def _link_list(block: Block) -> bool:
    """Mostly link text and not link-dense prose."""
    return block.link_chars >= 0.5 * len(block.text) and not block.link_prose


def is_credit(block: Block) -> bool:
    """A short picture credit or copyright line ("Foto: ...", "© 2026 ...")."""
    text = block.text
    return (
        block.size < 150
        and ("©" in text or ":" in text)  # what every credit holds
        and CREDIT_RE.search(text) is not None
    )


def _is_bad(block: Block) -> bool:
    """Marked boilerplate, a link list, or a picture credit."""
    return bool(block.boiler) or _link_list(block) or block.counter or is_credit(block)


def _lede_before(blocks: list[Block], kept: list[Block]) -> list[Block]:
    """Add prose right before the content (a lede or intro outside the article body's
    element): up to LEDE_REACH blocks back, over at most one short line (a date, a byline,
    which stays out), never over boilerplate or a link list."""
    first = next(i for i, b in enumerate(blocks) if b is kept[0])
    extra: list[Block] = []
    skipped = False
    for i in range(first - 1, max(first - 1 - LEDE_REACH, -1), -1):
        b = blocks[i]
        if _is_bad(b):
            break
        if b.weight > 0 and b.size >= 80:
            extra.insert(0, b)
        elif b.tag in HEADINGS or not skipped:
            skipped = skipped or b.tag not in HEADINGS
        else:
            break
    return extra + kept if extra else kept


#: Blocks that may be a linked item of a documentation page (see _keep's ``link_items``).
_LINKED_ITEMS = frozenset({"li", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd"})


def _keep(blocks: list[Block], link_items: bool = False) -> list[Block]:
    """Context rules inside the container: prose stays, link lists and boilerplate go; short
    blocks stay only between prose blocks (headings also right before prose), and never when
    the next longer block is boilerplate (the heading of a link list). With ``link_items``,
    list items and headings made of links stay between the first and the last prose block."""
    n = len(blocks)
    good = [b.weight > 0 and b.size >= 80 for b in blocks]
    bad = [_is_bad(b) for b in blocks]
    first_good = next((i for i in range(n) if good[i]), None)
    last_good = next((i for i in range(n - 1, -1, -1) if good[i]), None)
    if first_good is None or last_good is None:
        return [b for i, b in enumerate(blocks) if not bad[i]]
    if link_items:
        # a documentation page's lists of linked topics and its linked section headings
        # between its paragraphs are its content (an index of sub-pages), not link lists
        for i in range(last_good):
            b = blocks[i]
            if bad[i] and not b.boiler and not b.counter and b.tag in _LINKED_ITEMS:
                bad[i] = False
    next_bad = [False] * n
    following_bad = False
    for i in range(n - 1, -1, -1):
        next_bad[i] = following_bad
        if good[i]:
            following_bad = False
        elif bad[i]:
            following_bad = True
        else:
            following_bad = False
    # headings and short prose (a lede) directly before the first long prose block
    lead = first_good
    while lead > 0 and not bad[lead - 1]:
        prev = blocks[lead - 1]
        if prev.tag not in HEADINGS and prev.weight <= 0:
            break
        lead -= 1
    out: list[Block] = []
    opened = False  # a heading after the last paragraph opened another section
    for i, b in enumerate(blocks):
        if bad[i]:
            continue
        if good[i]:
            out.append(b)
        elif next_bad[i] and b.size < SHORT_BEFORE_BAD:
            continue
        elif lead <= i < last_good:
            out.append(b)
        elif i > last_good and b.tag in HEADINGS:
            opened = True
        elif i > last_good and not opened and b.size >= 25 and b.weight > 0:
            # a short closing line stays; a heading after the last paragraph opens another
            # section (related links, comments, a newsletter box): nothing after it stays
            out.append(b)
    return out


def _wide_root(
    best: int,
    totals: dict[int, float],
    tags: dict[int, str],
    parents: dict[int, int],
    nodes: dict[int, LexborNode],
    keep: float = 0.5,
) -> int:
    """The region of a page whose content is spread over many sections or cards: from the
    best subtree up while the wider element scores at least as well (its other children
    add content, not menus and link lists), never past ``<main>`` nor to the body."""
    eid = best
    while eid in parents:
        if tags.get(eid) == "main" or nodes[eid].attributes.get("role") == "main":
            return eid
        up = parents[eid]
        if keep and (up not in parents or tags.get(up) == "body"):
            return eid
        if keep and totals.get(up, 0.0) < keep * totals.get(eid, 0.0):
            return eid
        eid = up
    return eid


def first_of_repeats(blocks: list[Block]) -> list[Block]:
    """The blocks without repeats of an earlier block's text (a carousel's or a tab's copy
    of the same panel, a mobile and a desktop version of one section): the first stays."""
    seen: set[str] = set()
    out: list[Block] = []
    for b in blocks:
        if len(b.text) >= REPEAT_MIN_CHARS:
            if b.text in seen:
                continue
            seen.add(b.text)
        out.append(b)
    return out


def render_node(
    node: LexborNode, markdown: bool, skip: frozenset[int] = frozenset()
) -> tuple[str, str | None]:
    """An element's text (and Markdown) without its layout boilerplate (navigation, ads,
    share bars): a forum post's body, quotes and code kept, except the elements whose
    ``mem_id`` is in ``skip``."""
    walker = _Walker(markdown, True)
    walker.lenient = True
    walker.skip = skip
    walker.counter += 1
    walker.stack.append(walker.counter)
    walker.walk(node)
    walker.flush()
    kept = [b for b in walker.blocks if not b.boiler]
    text = "\n".join(b.text for b in kept)
    return text, (join_markdown(kept) if markdown else None)


def node_text(node: LexborNode) -> str:
    """All text of an element, blocks on their own lines (no boilerplate judgement)."""
    walker = _Walker(False, True, base_tags=False)
    walker.walk(node)
    walker.flush()
    return "\n".join(b.text for b in walker.blocks)


def extract_content(
    tree: LexborHTMLParser,
    *,
    markdown: bool = False,
    include_comments: bool = False,
    deadline: Deadline | None = None,
    links: bool = False,
    layout: str | None = None,
    lenient: bool = False,
    drop_repeats: bool = False,
    link_items: bool = False,
) -> Content:
    """The main content of a parsed page as text (and Markdown when asked); with ``links``,
    also the page's (href, anchor text) pairs in page order. Scripts, styles, forms' inputs
    and other non-text elements are skipped on the walk (the tree is not changed). With
    ``drop_repeats``, blocks that repeat an earlier one's text go; with ``link_items``, linked
    list items and headings between paragraphs stay (a documentation page's topic lists)."""
    body = tree.body
    if body is None:
        return Content(text="", markdown="" if markdown else None)
    walker = _Walker(markdown, include_comments, deadline=deadline)
    walker.lenient = lenient
    if links:
        walker.links = []
    walker.counter += 1
    walker.stack.append(walker.counter)
    walker.nodes[walker.counter] = body
    walker.walk(body)
    walker.flush()
    blocks = walker.blocks
    if deadline is not None:
        deadline.check()
    for b in blocks:
        b.size = len(b.text.encode("utf-8"))
    footers = {e for e, t in walker.tags.items() if t == "footer"}
    release_wrappers(blocks, walker.comment_ids, footers | walker.overlay_ids)
    for b in blocks:
        _score(b)
    totals: dict[int, float] = {}
    best, ids = select_content(
        blocks, walker.bonus, deadline, walker.tags, walker.parents, totals if layout else None
    )
    if best is None:
        return Content(text="", markdown="" if markdown else None, links=walker.links or [])
    inside = _Inside(ids, walker.parents)
    chosen = [b for b in blocks if inside(b.ancestors[-1])]
    kept = _keep(chosen, link_items)
    prose = sum(b.size for b in kept if b.weight > 0)
    if layout in ("wide", "main") and prose < WIDE_BELOW:
        # content spread over cards or sections; a page whose best subtree already holds
        # much prose is read as an article
        keep = 0.0 if layout == "main" else WIDE_KEEP
        ids = {_wide_root(best, totals, walker.tags, walker.parents, walker.nodes, keep)}
        inside = _Inside(ids, walker.parents)
        chosen = [b for b in blocks if inside(b.ancestors[-1])]
        kept = [b for b in chosen if not _is_bad(b) or (b.tag in HEADINGS and not b.boiler)]
    elif prose < RELAX_BELOW:
        # little prose in the container (a product page, a list of short items): its short
        # blocks are the content, so only marked boilerplate and link lists go (but what the
        # context rules kept stays: a documentation page's linked topics)
        held = {id(b) for b in kept}
        kept = [b for b in chosen if id(b) in held or not _is_bad(b)]
    if kept:
        kept = _lede_before(blocks, kept)
    total = sum(b.size for b in blocks if not b.boiler)
    if sum(b.size for b in kept) < 0.1 * total and total < 2000:
        # tiny page or nothing prose-like: fall back to everything that is not boilerplate
        kept = [b for b in blocks if not _is_bad(b)]
    if drop_repeats:
        kept = first_of_repeats(kept)
    text = "\n".join(b.text for b in kept)
    md = None
    if markdown:
        md = join_markdown(kept)
    images = [img for anc, img in walker.images if anc and inside(anc[-1])]
    return Content(
        text=text,
        markdown=md,
        blocks=kept,
        images=images,
        root=walker.nodes[best],
        prose=prose,
        page_blocks=blocks,
        links=walker.links or [],
        chosen=chosen,
        tags=walker.tags,
        marks=walker.marks(),
    )


def without_title(content: Content, title: str, markdown: bool) -> Content:
    """The content without the ``<h1>`` that repeats the page title: the title is a field of
    the document of its own, the text holds the body (as trafilatura does)."""
    norm = " ".join(title.split()).casefold()
    kept = [
        b
        for b in content.blocks
        if not (b.tag == "h1" and " ".join(b.text.split()).casefold() in norm)
    ]
    if not kept or len(kept) == len(content.blocks):
        return content
    return content.with_blocks(kept, markdown, content.prose)


def blocks_in(content: Content, guide: str, markdown: bool) -> Content:
    """The page's blocks that another extractor's text holds (``guide``), in page order:
    its choice of what is content, in thresher's own text and Markdown. Blocks inside
    navigation, footers, asides and captions, and visitor counters, stay out whatever the
    guide says."""
    norm = " ".join(guide.split())
    bare = "".join(guide.split())  # words glued as the guide may glue them ("1h 54mR")
    kept = []
    for b in content.page_blocks:
        if b.boiler_tag or b.counter:
            continue
        line = b.text if "\n" not in b.text else b.text.replace("\n", " ")
        if line in norm or (" " in line and "".join(line.split()) in bare):
            kept.append(b)
    return content.with_blocks(kept, markdown)


def join_markdown(blocks: list[Block]) -> str:
    out: list[str] = []
    prev_tag = ""
    prev_row = False
    for b in blocks:
        md = b.md.strip("\n") if b.tag == "pre" else b.md.strip()
        if not md:
            continue
        md = "\n".join(line.rstrip() for line in md.split("\n"))
        # a row of one cell is a layout table's cell, not a table (unless a table runs)
        is_row = b.tag == "tr" and (prev_row or " | " in md)
        if b.tag == "tr" and not is_row:
            md = md.removeprefix("| ").removesuffix(" |").strip()
            if not md or md == "|":
                continue
        if is_row:
            cells = md.count(" | ") + 1
            md = md if md.startswith("|") else "| " + md
            md = md + " |"
            if not prev_row:
                out.append("\n" + md + "\n" + "|" + " --- |" * cells)
            else:
                out.append(md)
        elif b.tag == "li" and prev_tag == "li":
            out.append(md)
        else:
            out.append("\n" + md)
        prev_tag = b.tag
        prev_row = is_row
    return "\n".join(out).strip("\n") + "\n" if out else ""

"""A cheap bound on how deeply a page's elements nest, checked before the page is parsed:
lexbor's tree building grows with the square of the nesting depth (10,000 nested ``<div>``
take about 1 s, 100,000 over 20 s), so a page nested past ``max_depth`` is a counted skip
(``too_deep``) that never reaches the parser.

The bound comes from one scan of the start and end tags, not from a tree: an end tag only
closes an element of its name that the scan saw open (stray end tags change nothing), void
elements and elements whose end tag HTML implies (``p``, ``li``, ``td``, ...) do not count,
``/>`` closes only inside ``svg`` and ``math``, and comments and the raw text of ``script``,
``style`` and the like are left out. Pages with no more start tags than the limit cannot
exceed it and are not scanned at all (98 % of the pages of the trafilatura evaluation set).
Used by extract (``extract.max_depth``) and by the crawler's link parsing.
"""

from __future__ import annotations

import re

__all__ = ["DEFAULT_MAX_DEPTH", "exceeds_depth", "nesting_depth"]

#: Deepest nesting a page may have before it is skipped (``extract.max_depth``).
DEFAULT_MAX_DEPTH = 3000

#: elements whose content is text, not markup (their end tag is the only way out)
_RAW_TEXT = (b"script", b"style", b"textarea", b"title", b"xmp", b"iframe", b"noembed", b"noframes")
#: (``/`` of an end tag, name, the last character before ``>``: ``/`` when self-closing)
_TAG = re.compile(rb"<(/?)([a-z][^\s/>]*)(?:[^>]*([^>]))?>")
#: never hold children (void), or closed by the next sibling of their kind (implied end tags)
_FLAT = frozenset(
    b"area base br col embed hr img input keygen link meta param source track wbr"
    b" p li dt dd tr td th option optgroup tbody thead tfoot colgroup caption rb rt rp rtc".split()
)
_FOREIGN = (b"svg", b"math")
_TAG_END = (b" ", b"\t", b"\r", b"\n", b"\f", b"/", b">")


def nesting_depth(html: bytes, stop_above: int | None = None) -> int:
    """An estimate (meant as an upper bound on ordinary markup) of the page's deepest
    element nesting; the scan stops once it passes ``stop_above``."""
    if html[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 with a byte order mark
        codec = "utf-16-le" if html[:2] == b"\xff\xfe" else "utf-16-be"
        html = html[2:].decode(codec, errors="replace").encode("utf-8")
    low = _markup_only(html.lower())
    open_by_name: dict[bytes, int] = {}
    depth = peak = 0
    limit = stop_above if stop_above is not None else len(low)
    for end, name, last in _TAG.findall(low):
        if end:
            n = open_by_name.get(name)
            if n:
                open_by_name[name] = n - 1
                depth -= 1
            continue
        if name in _FLAT:
            continue
        if last == b"/" and any(open_by_name.get(f) for f in _FOREIGN):
            continue
        open_by_name[name] = open_by_name.get(name, 0) + 1
        depth += 1
        if depth > peak:
            peak = depth
            if peak > limit:
                break
    return peak


def _markup_only(low: bytes) -> bytes:
    """The page without comments and raw-text content, found with ``find`` (a lazy regex
    over long scripts costs more than the whole scan); each kind's next start is looked up
    again only once the scan has passed it, so the page is read a bounded number of times."""
    starts = {name: _start_tag(low, name, 0) for name in (b"!--", *_RAW_TEXT)}
    keep: list[bytes] = []
    i = 0
    while True:
        for name, at in starts.items():
            if 0 <= at < i:
                starts[name] = _start_tag(low, name, i)
        live = [(at, name) for name, at in starts.items() if at >= 0]
        if not live:
            break
        at, name = min(live)
        keep.append(low[i:at])
        if name == b"!--":
            close = low.find(b"-->", at + 4)
            i = close + 3
        else:  # the end tag stays: it closes the element whose start tag was kept
            close = i = low.find(b"</" + name, at + len(name) + 1)
        if close < 0:  # unterminated: the parser reads the rest as text or a comment
            return b"".join(keep)
    keep.append(low[i:])
    return b"".join(keep)


def _start_tag(low: bytes, name: bytes, start: int) -> int:
    """Position of the next ``<name`` (followed by a space, ``/`` or ``>``; ``<!--`` as is)."""
    at = low.find(b"<" + name, start)
    if name == b"!--":
        return at
    end = len(name) + 1
    while at >= 0 and low[at + end : at + end + 1] not in _TAG_END:
        at = low.find(b"<" + name, at + 1)  # <titles>, <scripts>: other elements
    return at


def exceeds_depth(html: bytes, max_depth: int) -> bool:
    """True when the page nests deeper than ``max_depth`` (0: no limit)."""
    if max_depth <= 0:
        return False
    tags = html.count(b"<")  # UTF-16 too: "<" is one byte
    if tags <= max_depth or tags - html.count(b"</") <= max_depth:  # fewer start tags
        return False
    return nesting_depth(html, max_depth) > max_depth

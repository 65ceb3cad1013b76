"""The faster paths of extraction give the answers of the plain ones they replace: the
case-sensitive twins of the class-word patterns, the one-pass ``<noscript>`` rewrite, and the
lexbor selectors that find card-grid parents and post candidates."""

from __future__ import annotations

import re

import pytest

from thresher.extract import content
from thresher.extract.page import _parse
from thresher.extract.pagetype import _GRID_PARENTS, _POST_CANDIDATES, _POST_TAGS

pytestmark = pytest.mark.timeout(60)

TOKENS = [
    "nav", "NAV", "Site-Footer", "mainNav", "footerContent", "post-613", "entry-content",
    "Article__Body", "ad-slot", "sidebar_left", "recommendedPosts", "cookie-consent", "GDPR",
    "comment-list", "disqus_thread", "byline", "tag-cloud", "category-news", "x1-nav",
    "navé", "ſidebar", "KOMMENTAR", "related_items", "share-bar", "", "--", "a_b-c",
]  # fmt: skip


@pytest.mark.parametrize(
    "rx",
    [
        content.BOILER_RE,
        content.LAYOUT_RE,
        content.COMMENT_RE,
        content.CONSENT_RE,
        content.CONTENT_RE,
    ],
)
def test_ascii_twins_answer_as_the_patterns_do(rx: re.Pattern[str]) -> None:
    twin = content._ascii_twin(rx)
    assert twin is not None
    for token in TOKENS:
        for text in (token, content._TAXONOMY.sub(" ", token)):
            low = text.lower() if text.isascii() else None
            assert content._search(rx, twin, text, low) == (rx.search(text) is not None), text


def test_a_pattern_with_capitals_of_its_own_has_no_twin() -> None:
    assert content._ascii_twin(re.compile(r"(?:^|\s)Nav", re.IGNORECASE)) is None
    assert content._ascii_twin(re.compile(r"nav")) is None  # not case-insensitive anyway
    assert content._ascii_twin(re.compile(r"\Snav\W", re.IGNORECASE)) is not None


def test_token_flags_do_not_depend_on_the_cache() -> None:
    for token in TOKENS:
        content._TOKEN_CACHE.clear()
        cold = content._classify_token(token)
        assert content._classify_token(token) == cold, token


def _replaced(text: bytes) -> bytes:
    """The four replace() passes the one regex pass stands for."""
    if b"noscript" in text:
        text = text.replace(b"<noscript", b"<div data-noscript")
        text = text.replace(b"</noscript", b"</div")
    if b"NOSCRIPT" in text:
        text = text.replace(b"<NOSCRIPT", b"<div data-noscript")
        text = text.replace(b"</NOSCRIPT", b"</div")
    return text


@pytest.mark.parametrize(
    "page",
    [
        b"<p>no such element</p>",
        b"<noscript><p>Enable JS</p></noscript><p>x</p>",
        b"<NOSCRIPT>old</NOSCRIPT><NoScript>mixed</NoScript>",
        b"<</noscript<noscript</NOSCRIPT><noscript>",
        b"<p>the word noscript in text</p><noscriptx>",
    ],
)
def test_noscript_rewrite_is_the_replace_passes(page: bytes) -> None:
    from selectolax.lexbor import LexborHTMLParser

    assert _parse(page).html == LexborHTMLParser(_replaced(page)).html


PAGE = b"""<html><body>
<div id="a"><p>1</p><p>2</p><!-- not an element --><p>3</p>text</div>
<ul id="b"><li>1</li><li>2</li><li>3</li><li>4</li></ul>
<section id="c"><div class="post-body" id="p1">One</div><div class="Post-body" id="p2">Two</div>
<div><span class="comment">inline</span></div><li class="reply" id="r">r</li>
<table><tbody id="t"><tr class="post"><td>a</td></tr><tr><td>b</td></tr><tr><td>c</td></tr>
<tr><td>d</td></tr></tbody></table></section>
<div itemtype="https://schema.org/Comment" id="m">micro</div>
</body></html>"""


def test_grid_parents_are_the_containers_with_four_element_children() -> None:
    tree = _parse(PAGE)
    plain = []
    for parent in tree.css("ul, ol, div, section, tbody"):
        kids = [k for k in parent.iter(include_text=False) if k.tag and k.tag[0] not in "-_!"]
        if len(kids) >= 4:
            plain.append(parent.mem_id)
    assert [n.mem_id for n in tree.css(_GRID_PARENTS)] == plain
    assert plain  # the page has some


def test_post_candidates_are_the_attribute_matches_of_post_tags() -> None:
    tree = _parse(PAGE)
    words = ("post", "message", "comment", "reply", "replies", "answer", "cmnt")
    selector = ", ".join(f"[{a}*={w} i]" for a in ("class", "id") for w in words) + ", [itemtype]"
    plain: list[int] = []
    for node in tree.css(selector):
        if node.tag in _POST_TAGS and node.mem_id not in plain:
            plain.append(node.mem_id)
    found: list[int] = []
    for node in tree.css(_POST_CANDIDATES):
        if node.mem_id not in found:
            found.append(node.mem_id)
    assert found == plain
    assert len(plain) >= 4

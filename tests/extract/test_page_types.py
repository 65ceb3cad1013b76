"""Page types: what each hand-written page is classified as, what is kept and what is dropped,
and the ``--page-types`` filter of ``thresher extract``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from thresher.cli import main
from thresher.extract import extract_html
from thresher.extract.config import ExtractConfig
from thresher.extract.page import _parse
from thresher.extract.pagetype import classify
from thresher.store import read_documents

pytestmark = pytest.mark.timeout(60)

NAV = """<header><nav class="main-nav"><ul><li><a href="/">Home</a></li>
<li><a href="/about">About us</a></li><li><a href="/contact">Contact</a></li></ul></nav></header>"""
FOOTER = "<footer><p>Copyright 2024 Example Holdings. All rights reserved.</p></footer>"


def _post(n: int, author: str, date: str, body: str) -> str:
    return f"""<article class="message post" id="post-{n}">
  <div class="message-user"><a class="username" href="/members/{author.lower()}.{n}/">{author}</a>
    <span class="user-title">Member</span><span class="joined">Joined 2019 Messages 812</span></div>
  <div class="message-main"><time datetime="2024-03-0{n}T10:00">Mar {n}, 2024</time>
    <div class="message-body">{body}</div>
    <div class="message-actions"><a href="/report">Report</a> <a href="/reply">Reply</a></div>
  </div></article>"""


P1 = (
    "<p>I am camping on an exposed ridge next month and the forecast says gusts of sixty "
    "kilometres an hour. Which tent shape holds up best in that kind of wind?</p>"
)
P2 = (
    "<p>A tunnel tent pitched tail into the wind has never let me down, as long as every "
    "guy line is out and the pegs are long enough for the ground.</p>"
)
P3 = (
    '<blockquote class="quote">A tunnel tent pitched tail into the wind has never let me '
    "down</blockquote><p>Thanks, that matches what the shop told me, so I ordered longer pegs "
    "as well and will report back after the trip.</p>"
)
FORUM = f"""<html><head><title>Which tent for a windy ridge? | Outdoor Forum</title></head><body>
{NAV}<main><h1>Which tent for a windy ridge?</h1>
<div class="posts">
{_post(1, "Ridgewalker", "Mar 1, 2024", P1)}
{_post(2, "Tarptown", "Mar 2, 2024", P2)}
{_post(3, "Ridgewalker", "Mar 3, 2024", P3)}
</div></main>{FOOTER}</body></html>"""


def test_forum_thread_keeps_every_post_with_author_date_and_quote() -> None:
    doc = extract_html(FORUM, "https://forum.example.org/threads/windy-ridge.123/", markdown=True)
    assert doc is not None
    assert doc.metadata["page_type"] == "forum"
    assert 0 < doc.metadata["page_type_score"] <= 1
    posts = doc.metadata["posts"]
    assert [p.get("author") for p in posts] == ["Ridgewalker", "Tarptown", "Ridgewalker"]
    assert [p.get("date") for p in posts] == ["Mar 1, 2024", "Mar 2, 2024", "Mar 3, 2024"]
    assert posts[2]["quotes"] == 1 and "quotes" not in posts[0]
    for words in ("exposed ridge", "guy line is out", "ordered longer pegs"):
        assert words in doc.text
    # the author opens each post; the date is metadata (a time stamp is not text)
    assert "Tarptown" in doc.text and "Mar 2, 2024" not in doc.text
    assert "**Tarptown**" in (doc.markdown or "")
    # the third post's quote of the second one is read once, where it was written
    assert doc.text.count("A tunnel tent pitched tail into the wind") == 1
    for gone in ("About us", "All rights reserved", "Report"):
        assert gone not in doc.text


def test_comments_under_an_article_are_no_thread() -> None:
    body = " ".join(["The council approved the new cycle lanes after a long debate."] * 12)
    comments = "".join(
        f'<div class="comment"><span class="comment-author">Reader{i}</span>'
        f"<time>May {i}, 2024</time><p>Comment number {i} says something short.</p></div>"
        for i in range(1, 5)
    )
    html = f"""<html><body>{NAV}<article><h1>Cycle lanes approved</h1>
    <p>{body}</p><p>{body}</p></article><section class="comments">{comments}</section>
    {FOOTER}</body></html>"""
    doc = extract_html(html, "https://news.example.com/2024/05/02/cycle-lanes")
    assert doc is not None
    assert doc.metadata["page_type"] != "forum" and "posts" not in doc.metadata
    assert "council approved" in doc.text and "Comment number" not in doc.text


PRODUCT_LD = {
    "@context": "https://schema.org",
    "@type": "Product",
    "name": "Summit 2 Trekking Pole",
    "description": "A carbon trekking pole with a cork grip that folds to 38 cm for travel.",
    "offers": {"@type": "Offer", "price": "89.00", "priceCurrency": "EUR"},
}
RELATED = "".join(
    f'<li class="card"><a href="/p/{i}"><img src="/i/{i}.jpg" alt=""><h3>Other pole {i}</h3></a>'
    f'<span class="price">€{40 + i}.00</span></li>'
    for i in range(6)
)
PRODUCT = f"""<html><head><title>Summit 2 Trekking Pole</title>
<script type="application/ld+json">{json.dumps(PRODUCT_LD)}</script></head><body>{NAV}
<main><div class="product"><h1>Summit 2 Trekking Pole</h1><p class="price">€89.00</p>
<form action="/cart"><button type="submit">Add to cart</button></form>
<div class="specs"><h2>Specifications</h2><table>
<tr><th>Weight</th><td>230 g</td></tr><tr><th>Length</th><td>105-135 cm</td></tr>
<tr><th>Material</th><td>Carbon fibre</td></tr></table></div></div>
<aside class="related"><h2>You may also like</h2><ul class="grid">{RELATED}</ul></aside></main>
{FOOTER}</body></html>"""


def test_product_keeps_specs_and_json_ld_description_not_the_grid() -> None:
    doc = extract_html(PRODUCT, "https://shop.example.com/product/summit-2")
    assert doc is not None
    assert doc.metadata["page_type"] == "product"
    assert "folds to 38 cm" in doc.text  # only in JSON-LD
    assert "Weight | 230 g" in doc.text and "Carbon fibre" in doc.text
    for gone in ("Other pole", "You may also like", "About us"):
        assert gone not in doc.text


def _card(i: int) -> str:
    return (
        f'<div class="result-card"><a href="/jobs/{i}"><h3>Field technician {i}</h3></a>'
        f'<p class="summary">Maintain wind turbines in region {i}; full-time, '
        f"travel required.</p></div>"
    )


LISTING = f"""<html><head><title>Jobs in renewable energy</title></head><body>{NAV}
<main><h1>Jobs in renewable energy</h1><p>{8} open positions</p>
<div class="results">{"".join(_card(i) for i in range(1, 9))}</div>
<nav class="pagination"><a href="?page=2">Next page</a></nav></main>{FOOTER}</body></html>"""


def test_listing_keeps_every_card() -> None:
    doc = extract_html(LISTING, "https://jobs.example.com/search?q=wind")
    assert doc is not None
    assert doc.metadata["page_type"] == "listing"
    for i in range(1, 9):
        assert f"Field technician {i}" in doc.text
        assert f"turbines in region {i};" in doc.text
    assert "Next page" not in doc.text and "About us" not in doc.text


SIDEBAR = "".join(
    f'<li><a href="/docs/api/{n}">{n}()</a></li>'
    for n in ("open", "read", "seek", "close", "flush", "stat")
)
DOCS = f"""<html><head><title>read() - Files API</title></head><body>{NAV}
<div class="layout"><nav class="sidebar" aria-label="Docs"><ul>{SIDEBAR}</ul></nav>
<main><article><h1>read()</h1>
<p>Reads up to <code>n</code> bytes from an open file and returns them; at the end of the file it
returns an empty bytes object rather than raising an error.</p>
<pre><code>with open("data.bin", "rb") as f:
    chunk = f.read(4096)</code></pre>
<h2>Errors</h2><p>Raises <code>ValueError</code> when the file is closed, and <code>OSError</code>
when the operating system reports a failure while reading.</p>
<pre><code>f.close()
f.read()  # ValueError</code></pre></article></main>
<div class="toc"><h4>On this page</h4><ul><li><a href="#errors">Errors</a></li></ul></div></div>
{FOOTER}</body></html>"""


def test_docs_keep_code_blocks_not_sidebar_or_toc() -> None:
    doc = extract_html(DOCS, "https://example.dev/docs/api/read", markdown=True)
    assert doc is not None
    assert doc.metadata["page_type"] == "documentation"
    assert doc.markdown is not None
    assert '```\nwith open("data.bin", "rb") as f:\n    chunk = f.read(4096)\n```' in doc.markdown
    assert "## Errors" in doc.markdown
    for gone in ("seek()", "On this page", "About us"):
        assert gone not in doc.text


def test_classify_plain_article_and_other() -> None:
    text = " ".join(["A long paragraph of ordinary news prose about the harbour."] * 6)
    paragraphs = f"<p>{text}</p>" * 3
    tree = _parse(f"<html><body><article>{paragraphs}</article></body></html>")
    assert classify(tree, "https://news.example.com/2024/01/02/harbour").name == "article"
    assert classify(_parse("<html><body><div>Hi</div></body></html>")).name == "other"


def test_page_types_setting_is_checked() -> None:
    assert ExtractConfig(page_types="Article, forum").page_types == ["article", "forum"]
    with pytest.raises(ValueError, match="unknown page type recipes"):
        ExtractConfig(page_types=["article", "recipes"])


def test_cli_page_types_filter_counts_drops(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "in"
    src.mkdir()
    (src / "thread.html").write_text(FORUM, encoding="utf-8")
    (src / "jobs.html").write_text(LISTING, encoding="utf-8")
    (src / "read.html").write_text(DOCS, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["extract", str(src), "-o", str(out), "--page-types", "forum,documentation"]) == 0
    docs = list(read_documents([out]))
    assert sorted(d.metadata["page_type"] for d in docs) == ["documentation", "forum"]
    stats = json.loads((out / "stats.json").read_text())["steps"][0]
    assert stats["dropped"] == {"page_type:listing": 1}
    assert stats["counters"]["page_type:forum"] == 1
    assert stats["counters"]["page_type:listing"] == 1
    err = capsys.readouterr().err
    assert "page types: " in err and "listing 1" in err
    bad = main(["extract", str(src), "-o", str(tmp_path / "o2"), "--page-types", "recipe"])
    assert bad == 2
    assert "unknown page type recipe" in capsys.readouterr().err


def test_empty_body_is_no_crash() -> None:
    assert extract_html("<html><body><br></body></html>", "https://example.com/") is None


def _more_from_grid(n: int) -> str:
    cards = "".join(
        f'<li class="teaser"><a href="/show/{i}"><img src="/t{i}.jpg" alt="">'
        f"<h3>Episode {i} of the series</h3></a><span>Broadcast on channel {i}</span></li>"
        for i in range(n)
    )
    return f'<section><h2>More from the series</h2><ul class="teasers-row">{cards}</ul></section>'


def test_article_with_a_grid_of_teasers_after_its_text_stays_an_article() -> None:
    # two long paragraphs outside a grid of 12 picture cards: the grid is "more from", not
    # the page (read as a listing, the whole page came out, teasers and all)
    text = " ".join(["The harbour board voted to dredge the channel before the winter."] * 4)
    html = (
        f"<html><body>{NAV}<div class='story'><h1>Harbour to be dredged</h1>"
        f"<p>{text}</p><p>{text}</p></div>{_more_from_grid(12)}{FOOTER}</body></html>"
    )
    tree = _parse(html)
    assert classify(tree, "https://news.example.com/harbour").name == "article"
    doc = extract_html(html, "https://news.example.com/harbour")
    assert doc is not None and "dredge the channel" in doc.text
    assert "Episode 3 of the series" not in doc.text
    # the same grid with no prose beside it is a listing
    listing = f"<html><body>{NAV}<h1>All episodes</h1>{_more_from_grid(12)}</body></html>"
    assert classify(_parse(listing), "https://tv.example.com/series").name == "listing"


def test_open_graph_type_is_evidence() -> None:
    specs = "".join(f"<tr><td>Spec {i}</td><td>{i} mm</td></tr>" for i in range(6))
    page = (
        "<html><head><meta property='og:type' content='{og}'></head><body><h1>Trail lamp</h1>"
        f"<table>{specs}</table><p>Weighs 90 g and runs for ten hours.</p></body></html>"
    )
    assert classify(_parse(page.format(og="product"))).name == "product"
    assert classify(_parse(page.format(og="website"))).name != "product"
    video = classify(_parse(page.format(og="video.episode")))
    assert video.evidence["article"] > classify(_parse(page.format(og="website"))).evidence.get(
        "article", 0.0
    )


def test_product_panel_copied_for_each_screen_size_comes_once() -> None:
    panel = (
        "<div class='feature'><h3>Built for the trail</h3><p>The cork grip stays dry in the"
        " rain and the carbon shaft folds to 38 cm for travel.</p></div>"
    )
    page = PRODUCT.replace(
        '<div class="specs">',
        "".join(f'<div class="{v}">{panel}</div>' for v in ("desktop", "tablet", "mobile"))
        + '<div class="specs">',
    )
    doc = extract_html(page, "https://shop.example.com/product/summit-2")
    assert doc is not None and doc.metadata["page_type"] == "product"
    assert doc.text.count("The cork grip stays dry in the rain") == 1
    assert "Carbon fibre" in doc.text
    # an article's repeats are left as the page has them
    text = " ".join(["The council met again on Tuesday to discuss the bridge."] * 5)
    art = f"<html><body><article><p>{text}</p><p>Agreed.</p><p>{text}</p></article></body></html>"
    doc = extract_html(art, "https://news.example.com/2024/01/02/bridge")
    assert doc is not None and doc.text.count(text) == 2


def test_camel_case_footer_is_layout() -> None:
    legal = " ".join(["All listings come from the regional board and are deemed reliable."] * 5)
    cards = "".join(
        f'<div class="HomeCard"><a href="/home/{i}"><img src="/h{i}.jpg" alt=""></a>'
        f"<h3>{i} Birch Lane</h3><p>A bright three-bedroom house with a large garden, a new"
        f" roof and {1200 + i} square feet of living space.</p></div>"
        for i in range(8)
    )
    html = (
        f"<html><body>{NAV}<h1>Homes for sale</h1><div class='HomeCards'>{cards}</div>"
        f"<div class='SiteFooter'><div class='footerContent'><p>{legal}</p>"
        "</div></div></body></html>"
    )
    doc = extract_html(html, "https://homes.example.com/city/sparks")
    assert doc is not None
    assert "4 Birch Lane" in doc.text
    assert "deemed reliable" not in doc.text


def test_a_quote_from_outside_the_thread_stays() -> None:
    quote = (
        '<blockquote class="quote">Pitch the narrow end of the tent towards the prevailing '
        "wind and peg the windward side first.</blockquote><p>That is from the manual of my "
        "old tent, and it still holds for every tunnel tent I have owned since.</p>"
    )
    page = FORUM.replace(P3, quote)
    doc = extract_html(page, "https://forum.example.org/threads/windy-ridge.123/", markdown=True)
    assert doc is not None and doc.metadata["page_type"] == "forum"
    assert "peg the windward side first" in doc.text
    assert doc.markdown is not None and "> Pitch the narrow end" in doc.markdown


def test_signatures_and_edit_notes_are_not_the_post() -> None:
    extra = (
        '<div class="message-lastEdit">Last edited by Tarptown: Mar 4, 2024</div>'
        '<div class="message-signature"><div>Gear nerd since 1998. Views are my own.</div>'
        "</div>"
    )
    page = FORUM.replace(
        "pegs are long enough for the ground.</p>",
        f"pegs are long enough for the ground.</p>{extra}",
    )
    doc = extract_html(page, "https://forum.example.org/threads/windy-ridge.123/")
    assert doc is not None and doc.metadata["page_type"] == "forum"
    assert "pegs are long enough" in doc.text
    assert "Last edited by" not in doc.text and "Gear nerd since" not in doc.text

"""Extraction misses seen on real pages (issue 8, item 10), on hand-written fixtures shaped
like them: link-dense Wikipedia prose, a visitor-counter sidebar, table layouts, headings
with images."""

from __future__ import annotations

from pathlib import Path

import pytest

from thresher.document import Document
from thresher.extract import extract_html
from thresher.extract.content import COUNTER_RE

FIXTURES = Path(__file__).parent / "fixtures"


def _extract(name: str, fallback_below: int | None = None) -> Document:
    html = (FIXTURES / name).read_bytes()
    kwargs = {} if fallback_below is None else {"fallback_below": fallback_below}
    doc = extract_html(html, f"https://example.org/{name}", markdown=True, **kwargs)
    assert doc is not None
    return doc


# own scoring (no second opinion) and the default (trafilatura on low-prose pages)
MODES = [pytest.param(0, id="own"), pytest.param(None, id="default")]


@pytest.mark.parametrize("fallback_below", MODES)
def test_link_dense_prose_is_kept(fallback_below: int | None) -> None:
    doc = _extract("wiki_link_dense.html", fallback_below)
    assert "fallback" not in doc.metadata  # own scoring finds the article
    for sentence in (
        "The River Wendle is a river in Northern England, a tributary of the River Ouse",
        "Its catchment covers limestone uplands, arable farmland and the market town",
        "The Romans built a ford near Castle Marsh; the Normans later raised",
    ):
        assert sentence in doc.text
    # link lists stay out: the sidebar, the navbox (separators between links, no words),
    # the category links
    for boiler in ("Random article", "Current events", "Aire · Derwent", "Categories:"):
        assert boiler not in doc.text
    assert doc.title == "River Wendle - Wikipedia"


def test_a_list_of_links_with_words_but_no_sentence_stays_out() -> None:
    html = """<html><body><div class="main">
    <p>This article is long enough to be the content of the page, with a first sentence of
    ordinary prose, and a second one that follows it. It has no links at all in it.</p>
    <p>A second paragraph keeps the article ahead of everything else on the page, so that
    the choice of the container is clear, and a third sentence ends it.</p>
    <div><a href="/a">Alpha news</a> and <a href="/b">Beta news</a> or <a href="/c">Gamma
    news</a> and <a href="/d">Delta news</a></div>
    </div></body></html>"""
    doc = extract_html(html, "https://example.org/list", fallback_below=0)
    assert doc is not None
    assert "This article is long enough" in doc.text
    assert "Alpha news" not in doc.text


@pytest.mark.parametrize("fallback_below", MODES)
def test_visitor_counter_sidebar_is_not_content(fallback_below: int | None) -> None:
    doc = _extract("visitor_counter.html", fallback_below)
    assert "Spring meeting on 14 April at the Red Lion." in doc.text
    assert "Keep dogs on leads near the lake." in doc.text
    for counter in ("Visitors today", "Online: 12", "Total visits", "Online now", "Page views"):
        assert counter not in doc.text
        assert doc.markdown is not None and counter not in doc.markdown
    if fallback_below == 0:
        assert "Guestbook" not in doc.text  # the menu too (trafilatura keeps it)


@pytest.mark.parametrize(
    "line",
    [
        "Visitors today: 1234 / Online: 12",
        "Besucher heute: 17 | Gesamt: 120.334",
        "Online now: 3 guests, 0 members.",
        "Aufrufe: 1120 | Hinzugefügt von: Posh",
        "访问量：12345",
        "Посетителей сегодня: 58",
    ],
)
def test_counter_lines_are_recognised(line: str) -> None:
    assert COUNTER_RE.search(line)


@pytest.mark.parametrize(
    "line",
    [
        "Information reaching OBSERVER ONLINE is that about 3:00 pm, a boy was seen.",
        "Heute erreichbar: 9:00 - 18:00 Uhr",
        "The museum had 12,000 visitors last year, twice as many as in 2019.",
        "Guests: please check in at the front desk.",
    ],
)
def test_prose_and_opening_hours_are_not_counters(line: str) -> None:
    assert not COUNTER_RE.search(line)


@pytest.mark.parametrize("fallback_below", MODES)
def test_table_layout_leaves_no_stray_bars(fallback_below: int | None) -> None:
    doc = _extract("table_layout.html", fallback_below)
    lines = doc.text.split("\n")
    assert lines[0].startswith("The society meets on the first Tuesday")
    assert "The next talk, on the history of the watermill" in doc.text
    for line in lines:
        assert not line.startswith("|") and not line.endswith("|"), line
        assert line.strip() != "|"
    assert doc.markdown is not None
    # a layout table's one-cell rows are paragraphs, not a one-column Markdown table
    assert "| --- |" not in doc.markdown
    for line in doc.markdown.split("\n"):
        assert not line.startswith("| The society"), line


def test_data_tables_still_have_their_bars() -> None:
    html = """<html><body><article>
    <p>The results of the spring match, with the weight of each angler's catch in pounds, and
    the peg each one fished from on the day, are in the table below.</p>
    <table><tr><th>Angler</th><th>Peg</th><th>Weight</th></tr>
    <tr><td>J. Smith</td><td></td><td>12.5</td></tr>
    <tr><td>A. Jones</td><td>4</td><td>9.75</td></tr></table>
    <p>Thanks to everyone who came along; the next match is on the first Sunday in May.</p>
    </article></body></html>"""
    doc = extract_html(html, "https://example.org/results", markdown=True, fallback_below=0)
    assert doc is not None and doc.markdown is not None
    assert "Angler | Peg | Weight" in doc.text
    assert "J. Smith | 12.5" in doc.text  # an empty cell makes no double bar in text
    assert "| Angler | Peg | Weight |\n| --- | --- | --- |" in doc.markdown
    assert "| J. Smith | | 12.5 |" in doc.markdown  # Markdown keeps the column


def test_headings_and_images_are_not_glued() -> None:
    doc = _extract("heading_image.html", 0)
    assert doc.markdown is not None
    lines = doc.markdown.split("\n")
    for line in lines:
        if line.startswith("#"):
            assert "![" not in line, line
        assert not line.startswith("- - "), line
        assert line.strip() not in ("#", "##", "###")
    assert "## Stripping the hull" in lines
    assert "![The bare hull](/img/hull.jpg)" in lines
    assert "![New frames](/img/frames.jpg)" in lines
    assert lines.index("![New frames](/img/frames.jpg)") < lines.index("## Replacing the frames")
    assert "![Varnish](/img/icon-varnish.png)" in lines
    assert "- Tools we used are listed on the next page." in lines
    # the plain text is the same as ever
    assert doc.text.split("\n")[:2] == [
        "Stripping the hull",
        "We began by stripping seven layers of paint from the hull, which took most of a "
        "fortnight and revealed the original cedar planking underneath, still sound in most "
        "places.",
    ]
    assert [img["src"] for img in doc.metadata["images"]] == [
        "https://example.org/img/hull.jpg",
        "https://example.org/img/frames.jpg",
        "https://example.org/img/icon-varnish.png",
    ]


def test_inline_images_stay_in_list_items_and_cells() -> None:
    html = """<html><body><article>
    <p>Three rivers meet at Wendleford, and each has its own angling club with a long history
    of matches, permits and work parties along its banks, as listed here.</p>
    <ul><li><img src="/f/ouse.png" alt="">Ouse club</li><li><img src="/f/wendle.png" alt="">Wendle
    club</li></ul>
    <p>Permits for all three are sold at the tackle shop on the market square, six days a week
    from nine in the morning.</p></article></body></html>"""
    doc = extract_html(html, "https://example.org/clubs", markdown=True, fallback_below=0)
    assert doc is not None and doc.markdown is not None
    assert "- ![](/f/ouse.png)Ouse club\n- ![](/f/wendle.png)Wendle club" in doc.markdown


def test_markdown_rows_keep_empty_first_cells_and_one_line() -> None:
    html = """<html><body><article>
    <p>Catches by season at the club's two waters, in pounds, as reported by the members at
    the annual general meeting in the village hall last winter.</p>
    <table><tr><th></th><th>2019</th><th>2020</th></tr>
    <tr><td>Lake</td><td>310</td><td>402</td></tr>
    <tr><td>River<br>(upper)</td><td>95</td><td>120</td></tr></table>
    <p>Both waters did better in 2020, when the lake was restocked in the spring and the river
    banks were cleared by the work parties.</p></article></body></html>"""
    doc = extract_html(html, "https://example.org/catches", markdown=True, fallback_below=0)
    assert doc is not None and doc.markdown is not None
    assert (
        "| | 2019 | 2020 |\n| --- | --- | --- |\n| Lake | 310 | 402 |\n| River (upper) | 95 | 120 |"
        in doc.markdown
    )  # a line break inside a cell does not end the Markdown row
    assert "2019 | 2020\nLake | 310 | 402" in doc.text

"""extract() and extract_html(): boilerplate removal, Markdown, stats, inputs of every kind."""

from __future__ import annotations

import gzip
from pathlib import Path

from thresher.extract import ExtractConfig, extract, extract_html
from thresher.stats import StepStats

from .warcs import page, warc_record, write_warc


def test_nav_and_footer_are_dropped() -> None:
    doc = extract_html(page("Hello", "Main words here."), "http://example.com/a")
    assert doc is not None
    assert "Main words here." in doc.text
    assert "About" not in doc.text and "Copyright" not in doc.text and "Imprint" not in doc.text
    assert doc.title == "Hello"
    assert doc.url == "http://example.com/a"


def test_markdown_keeps_structure() -> None:
    html = """<html><body><article><h2>Section</h2>
    <p>Some <strong>bold</strong> and <em>italic</em> text with a <a href="/x">link</a> in it,
    long enough to be prose.</p><ul><li>one</li><li>two</li></ul>
    <pre><code>x = 1
y = 2</code></pre><table><tr><th>k</th><th>v</th></tr><tr><td>a</td><td>1</td></tr></table>
    <p>Another paragraph of the article that is long enough to be kept as prose.</p>
    </article></body></html>"""
    doc = extract_html(html, "http://example.com/m", markdown=True)
    assert doc is not None and doc.markdown is not None
    md = doc.markdown
    assert "## Section" in md
    assert "**bold**" in md and "*italic*" in md
    assert "[link](/x)" in md
    assert "- one\n- two" in md
    assert "```\nx = 1\ny = 2\n```" in md
    assert "| k | v |\n| --- | --- |\n| a | 1 |" in md
    assert "**" not in doc.text and "one\ntwo" in doc.text


def test_extract_warc_counts_drops(tmp_path: Path) -> None:
    recs = [
        warc_record("http://example.com/ok", page("Ok", "Good page.")),
        warc_record("http://example.com/missing", b"not found", status="404 Not Found"),
        warc_record("http://example.com/x.pdf", b"%PDF-1.4", content_type="application/pdf"),
        warc_record("http://example.com/ok2", page("Ok2", "Another good page.")),
    ]
    path = tmp_path / "a.warc.gz"
    offsets = write_warc(path, recs, "gzip")
    stats = StepStats("extract")
    docs = list(extract([str(path)], ExtractConfig(), stats=stats))
    assert [d.url for d in docs] == ["http://example.com/ok", "http://example.com/ok2"]
    assert docs[0].source == f"{path}@{offsets[0]}"
    assert docs[0].fetched_at == "2024-05-01T12:00:00Z"
    assert docs[0].metadata["http_status"] == 200
    assert docs[0].metadata["content_type"] == "text/html"
    assert stats.seen == 4 and stats.kept == 2
    assert stats.dropped == {"non_200_status": 1, "not_html": 1}
    assert stats.counters["status:404"] == 1
    assert stats.counters["content_type:application/pdf"] == 1
    # ids are stable across runs
    assert [d.id for d in extract([str(path)])] == [d.id for d in docs]


def test_truncated_warc_keeps_good_records(tmp_path: Path) -> None:
    recs = [warc_record(f"http://example.com/{i}", page(f"P{i}", f"Text {i}.")) for i in range(3)]
    path = tmp_path / "t.warc.gz"
    offsets = write_warc(path, recs, "gzip")
    path.write_bytes(path.read_bytes()[: offsets[2] + 30])
    other = tmp_path / "z.html"
    other.write_bytes(page("After", "The run goes on after a damaged file."))
    stats = StepStats("extract")
    docs = list(extract([str(path), str(other)], stats=stats))
    assert [d.url for d in docs][:2] == ["http://example.com/0", "http://example.com/1"]
    assert len(docs) == 3
    assert stats.counters["errors"] == 1 and stats.counters["error:truncated"] == 1


def test_wet_records_keep_text(tmp_path: Path) -> None:
    text = "Line one of the converted text.\nLine two."
    rec = warc_record(
        "http://example.com/w", text.encode(), kind="conversion", content_type="text/plain"
    )
    path = tmp_path / "a.warc.wet.gz"
    write_warc(path, [rec], "gzip")
    (doc,) = list(extract([str(path)]))
    assert doc.text == text


def test_html_files_and_folders(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.html").write_bytes(page("A", "Alpha text."))
    (tmp_path / "b.htm.gz").write_bytes(gzip.compress(page("B", "Beta text.")))
    (tmp_path / "notes.txt").write_text("ignored")
    docs = sorted(extract([str(tmp_path)]), key=lambda d: d.title or "")
    assert [d.title for d in docs] == ["A", "B"]
    assert docs[0].url == (tmp_path / "sub" / "a.html").resolve().as_uri()
    assert docs[0].source == str(tmp_path / "sub" / "a.html")
    assert docs[0].fetched_at is not None and docs[0].fetched_at.endswith("Z")


def test_workers_give_same_documents(tmp_path: Path) -> None:
    recs = [warc_record(f"http://example.com/{i}", page(f"P{i}", f"Text {i}.")) for i in range(40)]
    path = tmp_path / "many.warc.gz"
    write_warc(path, recs, "gzip")
    one = {d.id: d.to_dict() for d in extract([str(path)])}
    stats = StepStats("extract")
    two = {
        d.id: d.to_dict()
        for d in extract([str(path)], ExtractConfig(workers=2, batch_size=8), stats=stats)
    }
    assert one == two and len(one) == 40
    assert stats.kept == 40


LINK_LIST = """<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Actualités</title>
</head><body>
<div class="cookie-banner"><p>Nous utilisons des cookies pour améliorer votre expérience.</p></div>
<header><a class="logo" href="/">Gazette</a><nav><ul><li><a href="/">Home</a></li>
<li><a href="/en/">English</a></li></ul></nav></header>
<div class="layout"><main><h1>Actualités</h1><ul class="articles">
<li><a href="/fr/articles/01.html">Un nouveau chapitre pour le village de pêcheurs</a></li>
<li><a href="/fr/articles/02.html">Un nouveau chapitre pour les collines du nord</a></li>
<li><a href="/fr/articles/03.html">Ce que pensent d'anciens marins</a></li>
</ul></main>
<aside class="sidebar"><h3>Les plus lus</h3><ul><li><a href="/a">Lire la suite #1</a></li></ul>
</aside></div>
<footer class="site-footer">
<p>© 2026 Gazette de la Vallée du Port. Tous droits réservés. Écrire à la rédaction.</p>
<p><a href="/about.html">About</a> · <a href="/sitemap.xml">Sitemap</a></p></footer>
</body></html>"""


def test_link_list_page_never_yields_the_footer() -> None:
    doc = extract_html(LINK_LIST, "http://example.com/fr/")
    text = doc.text if doc else ""
    assert "droits réservés" not in text and "cookies" not in text
    assert text in ("", "Actualités") or "Un nouveau chapitre" in text


def test_only_html_responses_become_documents(tmp_path: Path) -> None:
    sitemap = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/'
        b'schemas/sitemap/0.9"><url><loc>http://example.com/a</loc></url></urlset>'
    )
    feed = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'
    xhtml = b'<?xml version="1.0"?>\n<!DOCTYPE html>' + page("X", "An XHTML page.")
    recs = [
        warc_record("http://example.com/sitemap.xml", sitemap, content_type="application/xml"),
        warc_record("http://example.com/feed", feed, content_type="text/xml"),
        warc_record("http://example.com/untyped.xml", sitemap, content_type=""),
        warc_record("http://example.com/untyped", page("U", "Untyped HTML page."), content_type=""),
        warc_record("http://example.com/x", xhtml, content_type="application/xhtml+xml"),
        warc_record("http://example.com/j", b'{"a": 1}', content_type="text/html"),
    ]
    path = tmp_path / "mixed.warc"
    write_warc(path, recs)
    stats = StepStats("extract")
    docs = list(extract([str(path)], stats=stats))
    assert sorted(d.url or "" for d in docs) == [
        "http://example.com/untyped",
        "http://example.com/x",
    ]
    assert stats.dropped == {"not_html": 4}
    assert stats.counters["content_type:application/xml"] == 1
    assert stats.counters["content_type:text/xml"] == 1
    assert stats.counters["content_type:unknown"] == 1
    assert stats.counters["content_type:text/html:not_html"] == 1
    # an XML file given as input is sniffed the same way
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitemap.html").write_bytes(sitemap)
    stats = StepStats("extract")
    assert list(extract([str(tmp_path / "site")], stats=stats)) == []
    assert stats.dropped == {"not_html": 1}


SHORT_ITEMS = """<html><head><title>Specs</title></head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/shop">Shop</a></li></ul></nav>
<div class="product"><h1>Trail shoe</h1><ul class="specs"><li>Weight: 280 g</li>
<li>Drop: 6 mm</li><li>Upper: recycled mesh</li></ul>
<p>A light shoe for long runs on rough ground.</p></div>
<footer><p>© 2026 Example Shop. All rights reserved.</p></footer></body></html>"""


def test_low_prose_pages_get_a_second_opinion(tmp_path: Path) -> None:
    doc = extract_html(SHORT_ITEMS, "http://example.com/p")
    assert doc is not None and doc.metadata.get("fallback") == "trafilatura"
    assert "Drop: 6 mm" in doc.text and "light shoe" in doc.text
    assert "All rights reserved" not in doc.text and "Shop" not in doc.text.split("\n")
    own = extract_html(SHORT_ITEMS, "http://example.com/p", fallback_below=0)
    assert own is not None and "fallback" not in own.metadata
    assert "Drop: 6 mm" in own.text  # short items of a low-prose container are kept
    path = tmp_path / "p.html"
    path.write_text(SHORT_ITEMS)
    stats = StepStats("extract")
    assert len(list(extract([str(path)], stats=stats))) == 1
    assert stats.counters["fallback:trafilatura"] == 1
    stats = StepStats("extract")
    list(extract([str(path)], ExtractConfig(fallback_below=0), stats=stats))
    assert "fallback:trafilatura" not in stats.counters


def test_a_long_list_of_short_items_needs_no_second_opinion() -> None:
    # little prose but much text (a table of short items): the page's own reading stands
    rows = "".join(f"<li>Part {i} steel bracket 40 mm zinc plated</li>" for i in range(60))
    html = SHORT_ITEMS.replace("<li>Drop: 6 mm</li>", f"<li>Drop: 6 mm</li>{rows}")
    doc = extract_html(html, "http://example.com/p")
    assert doc is not None and "fallback" not in doc.metadata
    assert "Part 59 steel bracket" in doc.text and "Drop: 6 mm" in doc.text


def test_ruby_annotations_do_not_split_words() -> None:
    html = (
        "<html><body><article><p><ruby>法律<rp>(</rp><rt>ほうりつ</rt><rp>)</rp></ruby>では"
        "<ruby>虐待<rt>ぎゃくたい</rt></ruby>をした親に専門家が子どもの育て方を教えます。"
        "</p></article></body></html>"
    )
    doc = extract_html(html, None, fallback_below=0)
    assert (
        doc is not None and doc.text == "法律では虐待をした親に専門家が子どもの育て方を教えます。"
    )


ARTICLE = """<html><body><main><article>
<h1>Harbour repairs begin</h1>
<p>The council started work on the old harbour wall this week, after years of delays and a
long argument about who should pay for the stones, the cranes and the divers.</p>
<figure><img src="/wall.jpg" alt="wall"><figcaption>The wall at low tide, seen from the pier.
</figcaption></figure>
<p>Foto: Harbour Office</p>
<p>Engineers expect the work to last two summers, and boats will use the north quay while the
south basin is closed; the ferry keeps its timetable.</p>
<p>{more}</p>
<p>{more}</p>
<div class="author-bio"><p>Anna Berg writes about the coast and its towns for the paper, and
has done so for more than twenty years now, with a fondness for lighthouses.</p></div>
<h2>Read next</h2>
<p>Lighthouse keepers remember the storm of 1987.</p>
</article></main></body></html>"""


def test_captions_credits_bios_and_trailing_sections_are_dropped() -> None:
    more = "Fishermen say the quay is crowded, but they accept it, as long as the work ends. " * 5
    doc = extract_html(ARTICLE.format(more=more), "http://example.com/harbour", fallback_below=0)
    assert doc is not None
    assert "council started work" in doc.text and "two summers" in doc.text
    for boiler in ("low tide", "Foto:", "Anna Berg", "Read next"):
        assert boiler not in doc.text, boiler


def test_nothing_after_a_heading_that_follows_the_last_paragraph_stays() -> None:
    more = "Fishermen say the quay is crowded, but they accept it, as long as the work ends. " * 5
    html = ARTICLE.format(more=more)
    for block_model in (False, True):
        doc = extract_html(html, "http://example.com/h", fallback_below=0, block_model=block_model)
        assert doc is not None and doc.text.endswith("as long as the work ends."), block_model
        assert "Lighthouse keepers" not in doc.text


def test_lede_outside_the_body_element_is_kept() -> None:
    para = "<p>{}</p>".format(
        "The ferry will run every hour from May, the harbour office said on Monday. " * 3
    )
    html = f"""<html><body><nav><a href="/">Home</a> <a href="/news">News</a></nav>
    <div class="wrap"><header><h1>More ferries</h1>
    <p class="intro">Islanders have asked for a better service for years, and the new
    timetable finally gives them one, starting with the spring holidays.</p>
    <p class="date">3 March 2026</p></header>
    <div class="columns"><div class="article-body">{para * 4}</div>
    <aside><a href="/a">Most read</a></aside></div></div>
    <footer>Copyright 2026 Island News</footer></body></html>"""
    doc = extract_html(html, "http://example.com/ferry", fallback_below=0)
    assert doc is not None
    assert doc.text.startswith("Islanders have asked") and "every hour" in doc.text
    assert "3 March 2026" not in doc.text and "Copyright" not in doc.text


def test_article_split_over_distant_parts_of_the_page() -> None:
    facts = "The vineyard area is about 65,000 hectares, on both banks of the Ebro river. " * 4
    body = "<p>{}</p>".format("Rioja wines age in oak barrels for at least a year, then rest. " * 3)
    links = " ".join(
        f'<a href="/w/{i}">Another wine from the region, number {i}</a>' for i in range(12)
    )
    html = f"""<html><body><div class="top"><div class="facts"><p>{facts}</p></div>
    <nav>{links}</nav></div>
    <div class="columns"><div class="entry-content">{body * 4}</div>
    <aside><h3>Popular</h3>{links}</aside></div>
    <footer>Copyright 2026 Wine Shop</footer></body></html>"""
    doc = extract_html(html, "http://example.com/rioja", fallback_below=0)
    assert doc is not None
    assert "65,000 hectares" in doc.text and "oak barrels" in doc.text
    assert "Popular" not in doc.text and "Copyright" not in doc.text

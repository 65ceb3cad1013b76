"""Decoding of legacy and mislabelled pages, metadata fields, and per-page budgets."""

from __future__ import annotations

from pathlib import Path

import pytest

from thresher.extract import ExtractConfig, extract, extract_html
from thresher.extract.decode import decode_html
from thresher.extract.inputs import Page
from thresher.extract.run import process_page
from thresher.stats import StepStats

from .warcs import warc_record, write_warc

PROSE = {
    "zh": "这是一个关于中文网页编码的测试段落，内容足够长，可以被识别为正文内容。我们再写一句话。",
    "zh-tw": "這是一個關於中文網頁編碼的測試段落，內容足夠長，可以被識別為正文內容。",
    "ja": "これは日本語のウェブページの文字コードを試すための段落です。十分な長さがあります。",
    "ru": "Это абзац для проверки кодировки русской веб-страницы, он достаточно длинный.",
    "de": "Dies ist ein Absatz über Größe, Übermut und Äpfel, lang genug, um als Text zu gelten.",
}


def _html(text: str, meta: str = "") -> str:
    return f"<html><head>{meta}<title>t</title></head><body><article><p>{text}</p>" \
        f"<p>{text}</p></article></body></html>"  # fmt: skip


@pytest.mark.parametrize(
    ("lang", "codec", "declare"),
    [
        ("zh", "gb18030", '<meta charset="gb2312">'),
        ("zh-tw", "big5", '<meta http-equiv="Content-Type" content="text/html; charset=big5">'),
        ("ja", "shift_jis", '<meta charset="Shift_JIS">'),
        ("ja", "euc_jp", ""),
        ("ru", "cp1251", '<meta charset="windows-1251">'),
        ("ru", "koi8_r", '<meta charset="koi8-r">'),
        ("de", "cp1252", '<meta charset="iso-8859-1">'),
        ("zh", "utf-8", ""),
    ],
)
def test_legacy_encodings_decode_cleanly(lang: str, codec: str, declare: str) -> None:
    data = _html(PROSE[lang], declare).encode(codec)
    doc = extract_html(data, "http://example.com/")
    assert doc is not None
    assert PROSE[lang] in doc.text
    assert "\ufffd" not in doc.text


def test_http_header_wins_and_bom() -> None:
    data = _html(PROSE["ru"], '<meta charset="utf-8">').encode("cp1251")
    assert PROSE["ru"] in decode_html(data, "windows-1251")[0]
    bom = "\ufeff".encode() + _html(PROSE["de"], '<meta charset="iso-8859-1">').encode()
    assert PROSE["de"] in decode_html(bom)[0]


def test_utf8_mislabelled_as_latin1_and_mojibake_repair() -> None:
    data = _html(PROSE["de"], '<meta charset="iso-8859-1">').encode("utf-8")
    doc = extract_html(data, None, charset="iso-8859-1")
    assert doc is not None and PROSE["de"] in doc.text
    double = PROSE["de"].encode("utf-8").decode("cp1252")  # "GrÃ¶ÃŸe"
    doc = extract_html(_html(double), None)
    assert doc is not None and PROSE["de"] in doc.text


def test_metadata_fields() -> None:
    html = """<html lang="de-DE"><head><title>Page title | Site</title>
    <meta property="og:title" content="The headline">
    <meta name="author" content="Erika Mustermann">
    <meta property="article:published_time" content="2023-04-05T06:07:08+02:00">
    <meta name="description" content="What it is about">
    <meta property="og:site_name" content="Example News">
    <link rel="canonical" href="/news/headline">
    </head><body><nav><a href="/">Home</a></nav><article>
    <p>Long enough paragraph of article text, with a <a href="https://other.org/x">link</a>
    and an image <img src="/img/a.jpg" alt="A picture"> in it, to be the main content.</p>
    </article></body></html>"""
    doc = extract_html(html, "https://news.example.com/2023/04/05/headline?x=1")
    assert doc is not None
    assert doc.title == "The headline"
    assert doc.author == "Erika Mustermann"
    assert doc.date == "2023-04-05T06:07:08+02:00"
    m = doc.metadata
    assert m["description"] == "What it is about"
    assert m["sitename"] == "Example News"
    assert m["canonical_url"] == "https://news.example.com/news/headline"
    assert m["lang"] == "de-DE"
    assert {"url": "https://other.org/x", "text": "link", "internal": False} in m["links"]
    assert {"url": "https://news.example.com/", "text": "Home", "internal": True} in m["links"]
    assert m["images"] == [{"src": "https://news.example.com/img/a.jpg", "alt": "A picture"}]


def test_date_from_json_ld_and_url() -> None:
    ld = '<script type="application/ld+json">{"@type":"NewsArticle","datePublished":' \
        '"2021-01-02","author":{"@type":"Person","name":"Jo"}}</script>'  # fmt: skip
    doc = extract_html(_html(PROSE["de"], ld), None)
    assert doc is not None and doc.date == "2021-01-02" and doc.author == "Jo"
    doc = extract_html(_html(PROSE["de"]), "https://b.example/2019/07/08/post")
    assert doc is not None and doc.date == "2019-07-08"


def test_comments_dropped_unless_asked() -> None:
    html = _html(PROSE["de"]).replace(
        "</article>",
        '</article><div id="comments"><p>A reader comment that is long enough to be prose, '
        "really it is a full sentence.</p></div>",
    )
    doc = extract_html(html, None)
    assert doc is not None and "reader comment" not in doc.text
    doc = extract_html(html, None, include_comments=True)
    assert doc is not None and "reader comment" in doc.text


def test_size_budget_and_deep_nesting_are_counted(tmp_path: Path) -> None:
    big = ("<html><body><p>" + "word " * 200_000 + "</p></body></html>").encode()
    deep = ("<div>" * 50_000 + "deep text" + "</div>" * 50_000).encode()
    cfg = ExtractConfig(max_html_bytes=100_000)
    doc, _, counters = process_page(Page("s", "http://x/", None, big), cfg)
    assert doc is not None and counters == ["cut_to_size", "page_type:other"]
    path = tmp_path / "hostile.warc"
    ok = _html(PROSE["de"]).encode()
    write_warc(path, [warc_record("http://x/deep", deep), warc_record("http://x/ok", ok)])
    stats = StepStats("extract")
    docs = list(extract([str(path)], ExtractConfig(), stats=stats))
    assert [d.url for d in docs][-1] == "http://x/ok"
    assert stats.seen == 2


SLOW = (
    "<html><body>"
    + "<div><p>Some words in a paragraph, long enough to count.</p><span>x</span></div>" * 30_000
    + "</body></html>"
).encode()


def _timed_out(cfg: ExtractConfig) -> str | None:
    return process_page(Page("s", "http://x/slow", None, SLOW), cfg)[1]


def test_time_budget_cuts_a_slow_page_in_threads_too() -> None:
    from concurrent.futures import ThreadPoolExecutor

    cfg = ExtractConfig(timeout=0.01)
    assert _timed_out(cfg) == "timeout"
    with ThreadPoolExecutor(2) as pool:  # no signals: the deadline holds off the main thread
        assert list(pool.map(_timed_out, [cfg, cfg])) == ["timeout", "timeout"]
    assert _timed_out(ExtractConfig(timeout=60)) is None


def test_time_budget_in_worker_processes(tmp_path: Path) -> None:
    path = tmp_path / "slow.warc.gz"
    ok = _html(PROSE["de"]).encode()
    recs = [warc_record("http://x/slow", SLOW), warc_record("http://x/ok", ok)]
    write_warc(path, recs * 2, "gzip")
    stats = StepStats("extract")
    cfg = ExtractConfig(timeout=0.05, workers=2, batch_size=1)
    docs = list(extract([str(path)], cfg, stats=stats))
    assert sorted(d.url or "" for d in docs) == ["http://x/ok", "http://x/ok"]
    assert stats.dropped == {"timeout": 2}

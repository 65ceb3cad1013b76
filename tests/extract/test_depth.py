"""The nesting-depth guard: a page nested past ``max_depth`` is a counted skip that never
reaches the parser; ordinary markup (unclosed paragraphs, SVG icons, scripts) is not."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from thresher.extract.config import ExtractConfig
from thresher.extract.inputs import Page
from thresher.extract.run import process_page
from thresher.nesting import exceeds_depth, nesting_depth

pytestmark = pytest.mark.timeout(60)

PROSE = "<p>" + "A sentence of the article that is long enough to be kept as text. " * 5 + "</p>"


def _bomb(n: int, tag: str = "div") -> bytes:
    return f"<html><body>{f'<{tag}>' * n}x{f'</{tag}>' * n}</body></html>".encode()


def test_depth_of_ordinary_and_tricky_markup() -> None:
    assert nesting_depth(b"<div>" * 10) == 10
    assert nesting_depth(b"<div></div>" * 10) == 1
    assert nesting_depth(b"<p>x" * 5000 + b"<li>y" * 5000 + b"<br><img src=a>" * 5000) == 0
    assert nesting_depth(b"<svg>" + b"<path d='M0'/>" * 5000 + b"</svg>") == 1
    # end tags that close nothing, or hide in scripts and comments, do not hide a bomb
    assert nesting_depth(b"</x><div>" * 50) == 50
    hidden = b"<script>'" + b"</div>" * 50 + b"'</script><!-- " + b"</div>" * 50 + b" -->"
    assert nesting_depth(hidden + b"<div>" * 40) == 40
    assert nesting_depth(b"<div/>" * 30) == 30  # not self-closing outside svg and math
    assert nesting_depth(b"<title>x</title><titles><div>") == 2
    assert nesting_depth(_bomb(100_000), stop_above=10) == 11  # stops once past the limit


def test_cheap_paths_and_limits() -> None:
    assert not exceeds_depth(_bomb(2_000), 3_000)  # fewer "<" than the limit: no scan
    assert exceeds_depth(_bomb(3_001), 3_000)
    assert not exceeds_depth(b"<div></div>" * 5_000, 3_000)  # many tags, shallow
    assert not exceeds_depth(_bomb(100_000), 0)  # 0: no limit
    utf16 = "\ufeff" + _bomb(4_000).decode()
    assert exceeds_depth(utf16.encode("utf-16-le"), 3_000)


def _page(payload: bytes) -> Page:
    return Page(source="t.html", url="https://example.org/", fetched_at=None, payload=payload)


def test_a_deep_page_is_a_counted_skip_before_parsing() -> None:
    t0 = time.monotonic()
    doc, reason, _ = process_page(_page(_bomb(100_000)), ExtractConfig())
    assert doc is None and reason == "too_deep"
    assert time.monotonic() - t0 < 5  # parsing it takes over 20 s
    shallow = f"<html><body><article>{PROSE}</article></body></html>".encode()
    doc, reason, _ = process_page(_page(shallow), ExtractConfig(max_depth=5))
    assert doc is not None and reason is None


def test_thresher_extract_counts_too_deep(tmp_path: Path) -> None:
    from thresher.extract.stream import extract
    from thresher.stats import StepStats

    (tmp_path / "bomb.html").write_bytes(_bomb(50_000))
    (tmp_path / "good.html").write_text(f"<html><body><article>{PROSE}</article></body></html>")
    stats = StepStats("extract")
    docs = list(extract([str(tmp_path)], ExtractConfig(), stats=stats))
    assert len(docs) == 1 and stats.dropped.get("too_deep") == 1, stats.to_dict()

"""The report: one self-contained page with the funnel, languages, perplexity cut-offs,
lengths, domains, duplicates and crawl decisions under readable labels, rendered in headless
Chromium without console errors, and a screenshot taken."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from thresher.report import build_report
from thresher.report.corpus import cutoffs


@pytest.fixture(scope="module")
def report(demo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_report(demo_root, tmp_path_factory.mktemp("report") / "report.html")


def test_sections_and_readable_labels(report: Path) -> None:
    page = report.read_text(encoding="utf-8")
    for needed in (
        "From pages to documents", "Pages fetched", "Documents extracted", "Documents kept",
        "not HTML 2", "empty after dedup 3", "Documents and tokens per language",
        "Documents per language and perplexity bucket",
        "Perplexity per language, with the bucket cut-offs", 'class="marker"', ">head<",
        ">tail<", "Text length", "Top domains", "127.0.0.1", "Duplicates",
        "Documents left empty by paragraph dedup", "Responses by HTTP status",
        "disallowed by robots.txt", "Skipped pages by reason", "Paragraph dedup",
        "Gopher repetition filter", "Pages per second",
    ):  # fmt: skip
        assert needed in page, needed
    assert "robots-disallowed" not in page and "skipped_by_reason" not in page  # no raw keys
    assert page.count('class="marker"') == 8  # two cut-offs for each of the 4 languages


def test_self_contained(report: Path) -> None:
    page = report.read_text(encoding="utf-8")
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and "url(" not in page


def test_cutoffs_between_buckets() -> None:
    assert cutoffs({"head": [1.0, 2.0], "middle": [3.0, 4.0], "tail": [5.0]}, None) == [2.5, 4.5]
    assert cutoffs({"head": [1.0]}, [100.0, 1000.0]) == [2.0, 3.0]
    assert cutoffs({"all": [1.0, 2.0]}, None) == []


def test_renders_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian chromium is not installed")
    errors: list[str] = []
    requests: list[str] = []
    shot = tmp_path / "report.png"
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(report.as_uri())
            page.screenshot(path=str(shot), full_page=True)
            charts = page.locator("svg.chart").count()
            height = page.evaluate("document.body.scrollHeight")
        finally:
            browser.close()
    assert errors == []
    assert requests == [report.as_uri()]  # nothing else fetched
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
    width, png_height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width == 1100 and png_height == height > 2000
    assert charts >= 10

"""Sitemaps stay within the crawl's budget: a huge sitemap index cannot flood the frontier."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from aiohttp import web

from tests.crawl.site import SiteServer, fast_config, page, text
from thresher.cli.crawl import summary_lines
from thresher.crawl import CrawlConfig, crawl
from thresher.crawl.discover import sitemap_locs

pytestmark = pytest.mark.timeout(60)

_NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def _bomb(site: SiteServer, sitemaps: int, urls: int) -> dict[str, int]:
    """An index of ``sitemaps`` sitemaps of ``urls`` URLs each, each made when asked for."""
    served = {"sitemaps": 0}
    b = site.base

    def index(_: web.Request) -> web.Response:
        entries = "".join(f"<sitemap><loc>{b}/sm/{i}.xml</loc></sitemap>" for i in range(sitemaps))
        return web.Response(
            text=f"<?xml version='1.0'?><sitemapindex {_NS}>{entries}</sitemapindex>",
            content_type="application/xml",
        )

    def child(request: web.Request) -> web.Response:
        served["sitemaps"] += 1
        n = request.path.rsplit("/", 1)[1].split(".")[0]
        entries = "".join(f"<url><loc>{b}/p/{n}/{i}</loc></url>" for i in range(urls))
        return web.Response(
            text=f"<?xml version='1.0'?><urlset {_NS}>{entries}</urlset>",
            content_type="application/xml",
        )

    site.routes["/robots.txt"] = text(f"User-agent: *\nSitemap: {b}/index.xml\n")
    site.routes["/index.xml"] = index
    site.routes["/"] = page([])
    site.default = lambda r: child(r) if r.path.startswith("/sm/") else page([])(r)
    return served


def test_sitemap_index_bomb_stays_within_the_budget(site: SiteServer, tmp_path: Path) -> None:
    served = _bomb(site, sitemaps=20_000, urls=50_000)
    out = tmp_path / "out"
    result = crawl(fast_config(site, max_pages=30), out)
    run = result.stats["this_run"]
    # The first sitemap fills the 300-URL budget; only those already in flight (per_host 4)
    # are fetched besides it, and they add nothing.
    fetched = served["sitemaps"]
    assert 1 <= fetched <= 4
    assert run["sitemaps_fetched"] == 1 + fetched  # the index too
    assert result.pages == 30 + 1 + fetched  # pages, index and sitemaps are archived
    assert run["sitemap_urls"] == 300
    assert run["sitemap_urls_dropped"] == fetched * 50_000 - 300
    # 20,000 listed: 29 queued (max_sitemaps follows max_pages: 30 with the index), the rest
    # left out; those queued and not fetched are skipped (unless max_pages stops the crawl
    # before the last of them comes up).
    capped = result.skipped["sitemap-cap"]
    assert 29 - fetched - 4 <= capped <= 29 - fetched
    assert run["sitemaps_skipped"] == 20_000 - 29 + capped
    with sqlite3.connect(out / "frontier.sqlite") as db:
        (rows,) = db.execute("SELECT count(*) FROM urls").fetchone()
    assert rows <= 2 + 31 + 300  # seed, robots/index, sitemaps, sitemap URLs
    lines = summary_lines(result, out)
    assert any(
        line.startswith(f"sitemaps: {1 + fetched} fetched, 300 URLs taken, ")
        and f"{20_000 - 29 + capped} sitemaps skipped" in line
        and "URLs dropped (raise max_sitemap_urls)" in line
        for line in lines
    ), lines


def test_sitemap_budget_holds_across_runs(site: SiteServer, tmp_path: Path) -> None:
    served = _bomb(site, sitemaps=5, urls=100)
    out = tmp_path / "out"
    cfg = {"max_pages": 3, "max_sitemap_urls": 20, "max_sitemaps": 3, "per_host": 1}
    crawl(fast_config(site, **cfg), out)
    assert served["sitemaps"] == 1
    result = crawl(fast_config(site, **{**cfg, "max_pages": 10}), out)
    assert served["sitemaps"] == 1  # the resumed run does not start a fresh budget
    assert result.stats["this_run"]["sitemap_urls"] == 0


def test_sitemap_locs_caps_and_counts() -> None:
    urlset = b"<urlset>" + b"".join(b"<url><loc>http://a/%d</loc></url>" % i for i in range(10))
    assert sitemap_locs(urlset, 1, 3) == (["http://a/0", "http://a/1", "http://a/2"], False, 7)
    index = b"<sitemapindex>" + b"<sitemap><loc>http://a/s</loc></sitemap>" * 4
    assert sitemap_locs(index, 1, 3) == (["http://a/s"], True, 3)


def test_sitemap_cap_defaults_follow_max_pages() -> None:
    assert CrawlConfig().sitemap_limit() == 1000
    assert CrawlConfig().sitemap_url_limit() == 1_000_000
    assert CrawlConfig(max_pages=30).sitemap_limit() == 30
    assert CrawlConfig(max_pages=3).sitemap_limit() == 10
    assert CrawlConfig(max_pages=50_000).sitemap_limit() == 1000
    assert CrawlConfig(max_pages=30).sitemap_url_limit() == 300
    assert CrawlConfig(max_pages=30, max_sitemap_urls=5).sitemap_url_limit() == 5

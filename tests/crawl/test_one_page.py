"""The polite one-page fetcher (``thresher.crawl.PoliteFetcher``) on its own, without the
reader: robots.txt first and once, redirects checked hop by hop, the address guard, spacing,
opt-out signals, the cache protocol and the synchronous ``fetch_pages``."""

from __future__ import annotations

import ast
import asyncio
import time
from itertools import pairwise
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp import web

from tests.crawl.site import SiteServer, page, redirect, text
from thresher.crawl import CrawlConfig, FetchedPage, PageError, PoliteFetcher, fetch_pages
from thresher.crawl.page_errors import BadURL, PrivateAddress, RobotsDisallowed, UpstreamError

pytestmark = pytest.mark.timeout(60)

ROBOTS = "User-agent: *\nDisallow: /private\n"


def _site(site: SiteServer, robots: str = ROBOTS) -> None:
    site.routes["/robots.txt"] = text(robots)
    site.routes["/a"] = page([])
    site.routes["/private"] = page([])
    site.routes["/old"] = redirect("/a", 301)
    site.routes["/sneaky"] = redirect("/private")


def _fetch(config: CrawlConfig, *urls: str, **kw: Any) -> list[FetchedPage | PageError]:
    """Each URL fetched in turn by one fetcher: the page, or the error it raised."""

    async def main() -> list[FetchedPage | PageError]:
        out: list[FetchedPage | PageError] = []
        async with PoliteFetcher(config, **kw) as pages:
            for url in urls:
                try:
                    out.append(await pages.fetch(url))
                except PageError as e:
                    out.append(e)
        return out

    return asyncio.run(main())


def test_robots_once_then_pages_and_redirect_hops_checked(site: SiteServer) -> None:
    _site(site)
    cfg = CrawlConfig(allow_private=True, rate=1000)
    ok, moved, refused, sneaky = _fetch(
        cfg, site.base + "/a", site.base + "/old", site.base + "/private", site.base + "/sneaky"
    )
    assert (
        isinstance(ok, FetchedPage) and ok.url == site.base + "/a" and b"Text of /a" in ok.payload
    )
    assert isinstance(moved, FetchedPage) and moved.redirects == [site.base + "/old"]
    assert isinstance(refused, RobotsDisallowed) and refused.status == 403
    assert isinstance(sneaky, RobotsDisallowed) and "/private" in str(sneaky)
    assert site.paths() == ["/robots.txt", "/a", "/old", "/a", "/sneaky"]  # /private never asked
    agents = {h.headers["User-Agent"] for h in site.hits}
    assert len(agents) == 1 and agents.pop().startswith("thresher/")


def test_guard_and_bad_urls_are_one_line_errors(site: SiteServer) -> None:
    _site(site)
    private, bad = _fetch(CrawlConfig(rate=1000), site.base + "/a", "ftp://example.org/x")
    assert isinstance(private, PrivateAddress) and "--allow-private" in str(private)
    assert isinstance(bad, BadURL) and bad.status == 400 and "not an http(s) URL" in str(bad)
    assert site.hits == []  # not even robots.txt


def test_redirect_hop_limit(site: SiteServer) -> None:
    _site(site)
    for i in range(3):
        site.routes[f"/r{i}"] = redirect(f"/r{i + 1}")
    site.routes["/r3"] = page([])
    cfg = CrawlConfig(allow_private=True, rate=1000, max_redirects=2)
    (err,) = _fetch(cfg, site.base + "/r0")
    assert isinstance(err, UpstreamError) and "more than 2 redirects" in str(err)
    assert "/r3" not in site.paths()


def test_crawl_delay_spaces_requests_to_the_host(site: SiteServer) -> None:
    _site(site, "User-agent: *\nCrawl-delay: 0.4\n")
    cfg = CrawlConfig(allow_private=True, rate=1000)
    _fetch(cfg, site.base + "/a", site.base + "/old")
    starts = [h.at for h in site.hits]
    assert len(starts) == 4  # robots.txt, /a, /old, /a
    assert all(b - a >= 0.35 for a, b in pairwise(starts))


def test_opt_out_signals_from_headers_and_html(site: SiteServer) -> None:
    _site(site)
    site.routes["/tagged"] = page(
        [],
        head='<meta name="robots" content="noindex">',
        headers={"X-Robots-Tag": "noai", "TDM-Reservation": "1"},
    )
    (got,) = _fetch(CrawlConfig(allow_private=True, rate=1000), site.base + "/tagged")
    assert isinstance(got, FetchedPage)
    assert got.opt_outs("thresher") == ["noai", "tdm-reservation"]  # headers only
    signals = FetchedPage.html_signals(got.payload, "thresher")
    assert got.opt_outs("thresher", signals) == ["noai", "noindex", "tdm-reservation"]


class _MemoryCache:
    """The smallest :class:`~thresher.crawl.FetchCache`: entries in a dict, never stale."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], Any] = {}

    def get(self, kind: str, key: str, ttl: float) -> Any:
        return self.entries.get((kind, key))

    def put(self, kind: str, key: str, meta: dict[str, Any], body: bytes) -> None:
        self.entries[kind, key] = SimpleNamespace(meta=meta, body=body, stored=time.time())

    def prune(self, older_than: float) -> int:
        return 0


def test_a_cache_answers_the_second_fetch(site: SiteServer) -> None:
    _site(site)
    cache = _MemoryCache()
    cfg = CrawlConfig(allow_private=True, rate=1000)
    first = _fetch(cfg, site.base + "/old", cache=cache)[0]
    sent = len(site.hits)
    second = _fetch(cfg, site.base + "/old", cache=cache)[0]
    assert isinstance(first, FetchedPage) and isinstance(second, FetchedPage)
    assert second.cached and second.payload == first.payload and second.redirects == first.redirects
    assert len(site.hits) == sent == 3  # robots.txt, /old, /a; nothing the second time
    # the cached page of a private host is refused without --allow-private all the same
    (refused,) = _fetch(CrawlConfig(rate=1000), site.base + "/old", cache=cache)
    assert isinstance(refused, PrivateAddress)


def test_fetch_pages_from_synchronous_code(site: SiteServer) -> None:
    _site(site)
    site.routes["/slow"] = lambda r: asyncio.sleep(0.2, web.Response(text="late"))
    got = fetch_pages([site.base + "/old", site.base + "/slow"], CrawlConfig(allow_private=True))
    assert got[site.base + "/old"][0] == site.base + "/a"
    assert got[site.base + "/slow"] == (site.base + "/slow", b"late")


def test_the_reader_uses_only_the_fetcher_api_from_crawl() -> None:
    """serve/reader.py redoes none of the politeness: it names the crawl package's API, not
    its parts (robots, guard, fetcher, host slots)."""
    source = Path(__file__).parents[2] / "src/thresher/serve/reader.py"
    tree = ast.parse(source.read_text())
    crawl = [
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("thresher.crawl")
    ]
    assert crawl and set(crawl) == {"thresher.crawl"}, crawl

"""Politeness measured at the server: rate, crawl-delay, Retry-After, retries, robots errors."""

from __future__ import annotations

import itertools
import time
from email.utils import formatdate
from pathlib import Path

import pytest
from aiohttp import web

from tests.crawl.site import SiteServer, fast_config, page, redirect, text
from tests.crawl.warcs import ok_responses, records
from thresher.crawl import CrawlConfig, crawl
from thresher.crawl.politeness import HostState
from thresher.retry import backoff_delay, parse_retry_after

pytestmark = pytest.mark.timeout(60)


def cfg(site: SiteServer, **kw: object) -> CrawlConfig:
    """A fast crawl whose retries wait a little longer (their spacing is measured here)."""
    return fast_config(site, **{"retry_base_delay": 0.05, **kw})


def gaps(site: SiteServer, prefix: str = "/") -> list[float]:
    times = [h.at for h in site.hits if h.path.startswith(prefix)]
    return [b - a for a, b in itertools.pairwise(times)]


def test_rate_per_host_is_never_exceeded(site: SiteServer, tmp_path: Path) -> None:
    site.routes["/robots.txt"] = text("User-agent: *\nAllow: /\n")
    site.routes["/"] = page([f"/p/{i}" for i in range(14)])
    for i in range(14):
        site.routes[f"/p/{i}"] = page([])
    crawl(cfg(site, rate=10, per_host=3, concurrency=8), tmp_path)
    # robots.txt, tdmrep.json and 15 pages, all within the rate.
    assert len(site.hits) == 17
    assert site.paths()[:2] == ["/robots.txt", "/.well-known/tdmrep.json"]
    # 10 requests per second: starts at least 0.1 s apart (a little slack for scheduling).
    assert min(gaps(site)) >= 0.085, gaps(site)
    span = site.hits[-1].at - site.hits[0].at
    assert span >= 16 * 0.1 * 0.9


def test_crawl_delay_is_honoured(site: SiteServer, tmp_path: Path) -> None:
    site.routes["/robots.txt"] = text("User-agent: *\nCrawl-delay: 0.25\n")
    site.routes["/"] = page(["/a", "/b", "/c"])
    for p in ("/a", "/b", "/c"):
        site.routes[p] = page([])
    crawl(cfg(site, rate=100), tmp_path)
    assert len(site.hits) == 6  # robots.txt, tdmrep.json and 4 pages
    assert min(gaps(site)) >= 0.22


def test_retry_after_pauses_the_host(site: SiteServer, tmp_path: Path) -> None:
    calls = {"n": 0}

    def busy(request: web.Request) -> web.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            return web.Response(status=429, text="slow down", headers={"Retry-After": "1"})
        return web.Response(text="<html><body>ok</body></html>", content_type="text/html")

    site.routes["/robots.txt"] = text("")
    site.routes["/"] = page(["/busy", "/other"])
    site.routes["/busy"] = busy
    site.routes["/other"] = page([])
    result = crawl(cfg(site, per_host=1), tmp_path)
    busy_hits = [h for h in site.hits if h.path == "/busy"]
    assert len(busy_hits) == 2
    assert busy_hits[1].at - busy_hits[0].at >= 0.95
    # Nothing else was sent to the host while it asked for a pause.
    between = [h for h in site.hits if busy_hits[0].at < h.at < busy_hits[1].at]
    assert between == []
    assert result.failures == {}
    assert result.stats["this_run"]["retries"] == 1
    assert ok_responses(tmp_path)[site.base + "/busy"] == 1


def test_transient_errors_retry_with_backoff_then_fail_with_reason(
    site: SiteServer, tmp_path: Path
) -> None:
    calls = {"flaky": 0}

    def flaky(request: web.Request) -> web.Response:
        calls["flaky"] += 1
        if calls["flaky"] <= 2:
            return web.Response(status=503, text="oops")
        return web.Response(text="<html>fine</html>", content_type="text/html")

    site.routes["/robots.txt"] = text("")
    site.routes["/"] = page(["/flaky", "/dead", "/gone"])
    site.routes["/flaky"] = flaky
    site.routes["/dead"] = text("boom", status=500)
    result = crawl(cfg(site, max_retries=3, retry_base_delay=0.1), tmp_path)
    flaky_gaps = gaps(site, "/flaky")
    assert len(flaky_gaps) == 2
    assert flaky_gaps[0] >= 0.05 and flaky_gaps[1] >= 0.1  # exponential: ~0.1 then ~0.2
    assert sum(1 for p in site.paths() if p == "/dead") == 4  # 1 + 3 retries
    assert result.failures == {"http-500": 1, "http-404": 1}
    fail_meta = [
        r for r in records(tmp_path) if r["type"] == "metadata" and str(r["url"]).endswith("/dead")
    ]
    assert fail_meta and b"failure: http-500" in fail_meta[0]["body"]


def test_robots_5xx_disallows_until_it_recovers(site: SiteServer, tmp_path: Path) -> None:
    calls = {"n": 0}

    def robots(request: web.Request) -> web.Response:
        calls["n"] += 1
        if calls["n"] <= 2:
            return web.Response(status=503, text="down")
        return web.Response(text="User-agent: *\nDisallow: /secret\n")

    site.routes["/robots.txt"] = robots
    site.routes["/"] = page(["/secret", "/open"])
    site.routes["/open"] = page([])
    crawl(cfg(site), tmp_path)
    assert site.paths()[:3] == ["/robots.txt"] * 3
    assert "/secret" not in site.paths()
    assert "/open" in site.paths()


def test_robots_unreachable_fails_the_hosts_urls(site: SiteServer, tmp_path: Path) -> None:
    site.routes["/robots.txt"] = text("down", status=500)
    site.routes["/"] = page([])
    result = crawl(cfg(site, robots_max_attempts=2), tmp_path)
    assert site.paths() == ["/robots.txt", "/robots.txt"]
    assert result.failures == {"robots-unavailable": 1}


def test_robots_4xx_allows_all_and_redirects_are_followed(site: SiteServer, tmp_path: Path) -> None:
    site.routes["/robots.txt"] = redirect("/r2.txt", 301)
    site.routes["/r2.txt"] = text("User-agent: *\nDisallow: /no\n")
    site.routes["/"] = page(["/no", "/yes"])
    site.routes["/yes"] = page([])
    crawl(cfg(site), tmp_path)
    assert site.paths()[:2] == ["/robots.txt", "/r2.txt"]
    assert "/no" not in site.paths() and "/yes" in site.paths()


def test_robots_404_allows_everything(site: SiteServer, tmp_path: Path) -> None:
    site.routes["/"] = page(["/x"])
    site.routes["/x"] = page([])
    crawl(cfg(site), tmp_path)
    assert site.paths() == ["/robots.txt", "/.well-known/tdmrep.json", "/", "/x"]


def test_backoff_and_retry_after_parsing() -> None:
    for attempt in range(5):
        d = backoff_delay(attempt, 1.0, 10.0)
        nominal = min(10.0, 2.0**attempt)
        assert 0.5 * nominal <= d <= 1.5 * nominal
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480.0) == 0.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    assert parse_retry_after("1.5") == 1.5 and parse_retry_after("-3") == 0.0
    later = parse_retry_after(formatdate(time.time() + 30, usegmt=True))
    assert later is not None and 25 <= later <= 31
    h = HostState("http://e.com", base_interval=0.5)
    h.slow_down()
    assert h.interval == 1.0
    for _ in range(20):
        h.recover()
    assert h.interval == 0.5
    h.crawl_delay = 2.0
    assert h.interval == 2.0


def test_errors_slow_the_host_down(site: SiteServer, tmp_path: Path) -> None:
    site.routes["/robots.txt"] = text("")
    site.routes["/"] = page([f"/e{i}" for i in range(5)])
    for i in range(5):
        site.routes[f"/e{i}"] = text("overloaded", status=500)
    crawl(cfg(site, rate=50, per_host=1, max_retries=0), tmp_path)
    g = gaps(site)
    # 0.02 s apart while healthy; each error doubles the spacing.
    assert g[-1] >= 4 * 0.02 * 0.9, g
    assert g[-1] > g[1]


def test_robots_is_fetched_again_when_stale(site: SiteServer, tmp_path: Path) -> None:
    versions = iter(["User-agent: *\nDisallow: /late\n", "User-agent: *\nDisallow: /p\n"])
    site.routes["/robots.txt"] = lambda r: web.Response(text=next(versions, "User-agent: *\n"))
    site.routes["/"] = page([f"/p{i}" for i in range(8)])
    for i in range(8):
        site.routes[f"/p{i}"] = page([])
    crawl(cfg(site, rate=10, per_host=1, robots_ttl=0.35), tmp_path)
    paths = site.paths()
    assert paths.count("/robots.txt") >= 2
    # After the second robots.txt, /p* are disallowed: the crawl stops fetching them.
    second = [i for i, p in enumerate(paths) if p == "/robots.txt"][1]
    assert not any(p.startswith("/p") for p in paths[second:])
    assert any(p.startswith("/p") for p in paths[:second])

"""Limits and traps: redirects, loops, timeouts, huge, binary and compressed bodies, endless
URL spaces, and the guard against private addresses."""

from __future__ import annotations

import asyncio
import gzip
from pathlib import Path

import pytest
from aiohttp import web

from tests.crawl.site import SiteServer, fast_config, page, redirect, text
from tests.crawl.warcs import ok_responses, records
from thresher.crawl import crawl
from thresher.crawl.guard import AddressGuard, forbidden_ip

pytestmark = pytest.mark.timeout(60)


def test_redirects_loops_and_chains(site: SiteServer, tmp_path: Path) -> None:
    site.routes["/robots.txt"] = text("")
    site.routes["/"] = page(["/moved", "/loop1", "/c0", "/target"])
    site.routes["/moved"] = redirect("/target", 301)
    site.routes["/target"] = page([])
    site.routes["/loop1"] = redirect("/loop2")
    site.routes["/loop2"] = redirect("/loop3")
    site.routes["/loop3"] = redirect("/loop1")
    for i in range(10):
        site.routes[f"/c{i}"] = redirect(f"/c{i + 1}")
    result = crawl(fast_config(site, max_redirects=3), tmp_path)
    # The target is fetched once although it is linked and redirected to.
    assert site.paths().count("/target") == 1
    assert ok_responses(tmp_path)[site.base + "/target"] == 1
    assert result.failures == {"redirect-loop": 1, "too-many-redirects": 1}
    assert site.paths().count("/loop1") == 1
    assert "/c4" not in site.paths() and "/c3" in site.paths()
    recs = records(tmp_path)
    moved = [r for r in recs if r["type"] == "response" and str(r["url"]).endswith("/moved")]
    assert moved and moved[0]["status"] == 301


def test_timeouts_and_connection_errors_are_recorded(site: SiteServer, tmp_path: Path) -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.Response(text="late")

    site.routes["/robots.txt"] = text("")
    site.routes["/"] = page(["/slow", "http://127.0.0.1:9/refused"])
    site.routes["/slow"] = slow
    result = crawl(fast_config(site, timeout=0.3, max_retries=1, same_domain=False), tmp_path)
    assert result.failures.get("timeout") == 1
    # Port 9 refuses: its robots.txt cannot be fetched, so the host's URLs fail.
    assert sum(result.failures.values()) == 2
    assert site.paths().count("/slow") == 2


def test_huge_binary_and_compressed_bodies(site: SiteServer, tmp_path: Path) -> None:
    big = b"<html><body>" + b"x" * (3 * 1024 * 1024) + b"</body></html>"
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024))
    site.routes["/robots.txt"] = text("")
    site.routes["/"] = page(["/big", "/img.png", "/bomb", "/zipped"])
    site.routes["/big"] = lambda r: web.Response(body=big, content_type="text/html")
    site.routes["/img.png"] = lambda r: web.Response(
        body=b"\x89PNG\r\n" + bytes(5000), content_type="image/png"
    )
    site.routes["/bomb"] = lambda r: web.Response(
        body=bomb, headers={"Content-Encoding": "gzip", "Content-Type": "text/html"}
    )
    site.routes["/zipped"] = lambda r: web.Response(
        body=gzip.compress(b"<html><body><a href='/after-zip'>z</a></body></html>"),
        headers={"Content-Encoding": "gzip", "Content-Type": "text/html"},
    )
    site.routes["/after-zip"] = page([])
    crawl(fast_config(site, max_body_bytes=1024 * 1024), tmp_path)
    recs = {
        str(r["url"]).rsplit("/", 1)[-1]: r for r in records(tmp_path) if r["type"] == "response"
    }
    assert recs["big"]["headers"]["WARC-Truncated"] == "length"
    assert len(recs["big"]["body"]) == 1024 * 1024
    assert recs["bomb"]["headers"]["WARC-Truncated"] == "length"
    assert len(recs["bomb"]["body"]) <= 1024 * 1024
    assert recs["bomb"]["http"]["X-Crawler-Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in recs["bomb"]["http"]
    assert recs["img.png"]["body"].startswith(b"\x89PNG")
    # A gzip page is stored decoded and its links are followed.
    assert b"after-zip" in recs["zipped"]["body"]
    assert "/after-zip" in site.paths()


def test_non_html_can_be_skipped(site: SiteServer, tmp_path: Path) -> None:
    site.routes["/robots.txt"] = text("")
    site.routes["/"] = page(["/file.bin"])
    site.routes["/file.bin"] = lambda r: web.Response(
        body=b"\0" * 100, content_type="application/octet-stream"
    )
    result = crawl(fast_config(site, non_html="skip"), tmp_path)
    assert site.base + "/file.bin" not in ok_responses(tmp_path)
    assert result.stats["this_run"]["skipped_by_reason"] == {"content-type": 1}


def test_endless_url_spaces_are_cut(site: SiteServer, tmp_path: Path) -> None:
    def calendar(request: web.Request) -> web.Response:
        y, m = (int(x) for x in request.match_info.get("ym", request.path[5:]).split("-"))
        nxt = f"{y + (m == 12)}-{m % 12 + 1:02d}"
        return web.Response(
            text=f"<html><a href='/cal/{nxt}'>next</a></html>", content_type="text/html"
        )

    def deep(request: web.Request) -> web.Response:
        return web.Response(
            text="<html><a href='a/'>deeper</a><a href='b/'>b</a></html>", content_type="text/html"
        )

    site.routes["/robots.txt"] = text("")
    site.routes["/"] = page(["/cal/2024-01", "/loop/a/", "/x?" + "q" * 3000])
    site.default = lambda r: calendar(r) if r.path.startswith("/cal/") else deep(r)
    result = crawl(fast_config(site), tmp_path)
    cal = [p for p in site.paths() if p.startswith("/cal/")]
    assert 0 < len(cal) < 12 * 6
    assert len(site.hits) < 200
    reasons = result.stats["this_run"]["skipped_by_reason"]
    assert reasons.get("trap:calendar-trap") == 1
    assert reasons.get("trap:repeating-path-segment", 0) >= 1
    assert reasons.get("trap:url-too-long") == 1


def test_private_addresses_are_refused(site: SiteServer, tmp_path: Path) -> None:
    site.routes["/"] = page([])
    result = crawl(fast_config(site, allow_private=False), tmp_path)
    assert site.hits == []
    assert result.failures == {"blocked-private-address": 1}


def test_redirect_to_a_private_address_is_refused(site: SiteServer, tmp_path: Path) -> None:
    # The seed host is exempted by name and port; the redirect target (localhost) is not.
    site.routes["/robots.txt"] = text("")
    site.routes["/"] = page(["/go"])
    site.routes["/go"] = redirect(f"http://localhost:{site.port}/secret")
    site.routes["/secret"] = page([])
    result = crawl(
        fast_config(
            site, allow_private=False, allow_hosts=[f"127.0.0.1:{site.port}"], same_domain=False
        ),
        tmp_path,
    )
    assert "/secret" not in site.paths()
    assert result.failures == {"blocked-private-address": 1}


@pytest.mark.parametrize(
    ("ip", "bad"),
    [
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("192.168.0.1", True),
        ("169.254.169.254", True),
        ("224.0.0.1", True),
        ("::1", True),
        ("fe80::1", True),
        ("::ffff:127.0.0.1", True),
        ("0.0.0.0", True),
        ("100.64.0.1", True),
        ("8.8.8.8", False),
        ("2606:4700::1111", False),
    ],
)
def test_forbidden_ip(ip: str, bad: bool) -> None:
    assert forbidden_ip(ip) is bad


def test_guard_resolves_names() -> None:
    async def go() -> tuple[str | None, str | None, str | None]:
        g = AddressGuard(allow_private=False)
        return (
            await g.check("localhost", 80),
            await g.check("127.0.0.1", 80),
            await AddressGuard(allow_private=True).check("localhost", 80),
        )

    assert asyncio.run(go()) == ("blocked-private-address", "blocked-private-address", None)


def test_a_deeply_nested_page_is_archived_without_parsing_its_links(
    site: SiteServer, tmp_path: Path
) -> None:
    # 100k nested divs took lexbor over 20 s; the crawler must not parse such a page.
    site.routes["/robots.txt"] = text("")
    site.routes["/"] = page(["/deep", "/fine"])
    site.routes["/deep"] = page(["/hidden"], extra="<div>" * 100_000 + "</div>" * 100_000)
    site.routes["/fine"] = page([])
    site.routes["/hidden"] = page([])
    result = crawl(fast_config(site), tmp_path)
    assert ok_responses(tmp_path)[site.base + "/deep"] == 1  # archived all the same
    assert "/hidden" not in site.paths()
    assert result.stats["this_run"]["too_deep_pages"] == 1

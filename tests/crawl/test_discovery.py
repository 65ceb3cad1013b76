"""Discovery (links, sitemaps, feeds) and opt-out signals, end to end and unit by unit."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from aiohttp import web

from tests.crawl.site import SiteServer, fast_config, page, text
from tests.crawl.warcs import ok_responses, records
from thresher.crawl import crawl
from thresher.crawl.discover import parse_feed, parse_html, parse_sitemap, robots_directives

pytestmark = pytest.mark.timeout(60)


def xml(body: str | bytes, ctype: str = "application/xml"):
    data = body.encode() if isinstance(body, str) else body
    return lambda r: web.Response(body=data, content_type=ctype)


def test_sitemaps_from_robots_index_and_gzip(site: SiteServer, tmp_path: Path) -> None:
    b = site.base
    site.routes["/robots.txt"] = text(
        f"User-agent: *\nDisallow: /hidden\nSitemap: {b}/sm-index.xml\n"
    )
    site.routes["/sm-index.xml"] = xml(
        f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{b}/sm1.xml</loc></sitemap><sitemap><loc>{b}/sm2.xml.gz</loc></sitemap>"
        f"</sitemapindex>"
    )
    site.routes["/sm1.xml"] = xml(
        f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{b}/from-sitemap-1?a=1&amp;b=2</loc></url><url><loc>{b}/hidden</loc></url>"
        f"<url><loc>http://elsewhere.example/x</loc></url></urlset>"
    )
    site.routes["/sm2.xml.gz"] = xml(
        gzip.compress(f"<urlset><url><loc>{b}/from-sitemap-2</loc></url></urlset>".encode()),
        "application/gzip",
    )
    site.routes["/"] = page([])
    site.routes["/from-sitemap-1"] = page([])
    site.routes["/from-sitemap-2"] = page([])
    crawl(fast_config(site), tmp_path)
    got = set(ok_responses(tmp_path))
    assert {b + "/from-sitemap-1?a=1&b=2", b + "/from-sitemap-2", b + "/"} <= got
    assert "/hidden" not in site.paths()


def test_feeds_rel_next_canonical_and_base(site: SiteServer, tmp_path: Path) -> None:
    site.routes["/robots.txt"] = text("")
    site.routes["/"] = page(
        [],
        head='<link rel="alternate" type="application/rss+xml" href="/rss">'
        '<link rel="alternate" type="application/atom+xml" href="/atom">'
        '<link rel="next" href="/page2"><link rel="canonical" href="/canon">'
        '<link rel="stylesheet" href="/style.css">',
    )
    site.routes["/rss"] = xml(
        "<rss><channel><link>/ignored</link><item><title>a</title><link>"
        f"{site.base}/rss-item</link></item></channel></rss>",
        "application/rss+xml",
    )
    site.routes["/atom"] = xml(
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry><link rel="alternate" '
        f'href="{site.base}/atom-item"/></entry></feed>',
        "application/atom+xml",
    )
    site.routes["/page2"] = page([], head='<base href="/sub/">', extra='<a href="rel">r</a>')
    for p in ("/canon", "/rss-item", "/atom-item", "/sub/rel"):
        site.routes[p] = page([])
    crawl(fast_config(site), tmp_path)
    for p in ("/rss", "/atom", "/rss-item", "/atom-item", "/page2", "/canon", "/sub/rel"):
        assert p in site.paths(), p
    assert "/style.css" not in site.paths()


def test_opt_out_signals_are_honoured_and_recorded(site: SiteServer, tmp_path: Path) -> None:
    site.routes["/robots.txt"] = text("")
    site.routes["/"] = page(
        ["/noindex-meta", "/noindex-header", "/noai", "/tdm", "/nofollow", "/otherbot", "/fine"]
    )
    site.routes["/noindex-meta"] = page([], head='<meta name="robots" content="noindex">')
    site.routes["/noindex-header"] = page([], headers={"X-Robots-Tag": "noindex"})
    site.routes["/noai"] = page([], head='<meta name="robots" content="noai, noimageai">')
    site.routes["/tdm"] = page([], headers={"tdm-reservation": "1"})
    site.routes["/nofollow"] = page(
        ["/behind-nofollow"], head='<meta name="thresher" content="nofollow">'
    )
    site.routes["/otherbot"] = page([], headers={"X-Robots-Tag": "otherbot: noindex"})
    site.routes["/fine"] = page([])
    site.routes["/behind-nofollow"] = page([])
    result = crawl(fast_config(site), tmp_path)
    got = set(ok_responses(tmp_path))
    b = site.base
    for p in ("/noindex-meta", "/noindex-header", "/noai", "/tdm"):
        assert b + p not in got, p
    assert {b + "/nofollow", b + "/otherbot", b + "/fine"} <= got
    assert "/behind-nofollow" not in site.paths()
    assert result.stats["this_run"]["skipped_by_reason"] == {
        "opt-out:noindex": 2,
        "opt-out:noai": 1,
        "opt-out:tdm-reservation": 1,
    }
    meta = [r for r in records(tmp_path) if r["type"] == "metadata"]
    assert sum(1 for r in meta if b"opt-out:" in r["body"]) == 4


def test_opt_out_can_be_recorded_instead(site: SiteServer, tmp_path: Path) -> None:
    site.routes["/robots.txt"] = text("")
    site.routes["/"] = page(["/noindex"], head='<meta name="robots" content="nofollow">')
    site.routes["/noindex"] = page([], head='<meta name="robots" content="noindex">')
    crawl(fast_config(site, opt_out="record"), tmp_path)
    assert site.base + "/noindex" in ok_responses(tmp_path)
    meta = [r for r in records(tmp_path) if r["type"] == "metadata"]
    assert any(b"robots-directives: noindex" in r["body"] for r in meta)
    assert any(b"robots-directives: nofollow" in r["body"] for r in meta)


def test_parsers() -> None:
    info = parse_html(
        b'<html><head><meta name="ROBOTS" content="NoIndex, NoFollow"><base href="/b/">'
        b'<meta name="tdm-reservation" content="1"></head><body><a href="x">1</a>'
        b'<area href="y"><a>no href</a></body></html>',
        "thresher",
    )
    assert info.links == ["x", "y"] and info.base == "/b/"
    assert info.directives == {"noindex", "nofollow"} and info.tdm_reserved
    assert robots_directives("none", "thresher") == {"noindex", "nofollow"}
    assert robots_directives("googlebot: noindex, thresher: nofollow", "thresher") == {"nofollow"}
    assert robots_directives("max-snippet: 20, noai", "thresher") == {"noai"}
    urls, is_index = parse_sitemap(b"<sitemapindex><sitemap><loc> http://a/1 </loc></sitemap>")
    assert urls == ["http://a/1"] and is_index
    assert parse_sitemap(
        gzip.compress(b"<urlset><url><loc>http://a/&amp;</loc></url></urlset>")
    ) == (["http://a/&"], False)
    assert parse_feed(b"<rss><item><link><![CDATA[http://a/x]]></link></item></rss>") == [
        "http://a/x"
    ]
    with pytest.raises(ValueError):
        parse_sitemap(gzip.compress(b"\0" * (70 * 1024 * 1024)))

"""Rendering with Debian's Chromium: the DOM after scripts ran is archived and followed."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web

from tests.crawl.site import SiteServer, page, text
from tests.crawl.warcs import ok_responses, records
from thresher.crawl import CrawlConfig, crawl
from thresher.errors import ConfigError

pytestmark = pytest.mark.timeout(120)

JS = """
document.addEventListener('DOMContentLoaded', () => {
  const a = document.createElement('a');
  a.href = '/made-by-js';
  a.textContent = 'built by script';
  document.body.appendChild(a);
  fetch('/data.json').then(r => r.json()).then(d => {
    const p = document.createElement('p'); p.id = 'loaded'; p.textContent = d.msg;
    document.body.appendChild(p);
  });
});
"""


def test_render_archives_the_dom_and_follows_script_links(site: SiteServer, tmp_path: Path) -> None:
    site.routes["/robots.txt"] = text("")
    site.routes["/"] = lambda r: web.Response(
        text="<html><head><script src='/app.js'></script></head><body><p>static</p>"
        "<img src='/pic.png'></body></html>",
        content_type="text/html",
    )
    site.routes["/app.js"] = text(JS, content_type="application/javascript")
    site.routes["/data.json"] = text('{"msg": "hello from xhr"}', content_type="application/json")
    site.routes["/made-by-js"] = page([])
    cfg = CrawlConfig(
        seeds=[site.base + "/"], allow_private=True, rate=500, per_host=2, render=True, max_pages=2
    )
    result = crawl(cfg, tmp_path)
    # The page itself was requested once (the browser got it from memory); no image loaded.
    assert site.paths().count("/") == 1
    assert "/pic.png" not in site.paths()
    assert "/app.js" in site.paths() and "/made-by-js" in site.paths()
    rendered = [r for r in records(tmp_path) if r["type"] == "resource"]
    assert rendered and rendered[0]["url"] == site.base + "/"
    assert b"built by script" in rendered[0]["body"]
    assert b"hello from xhr" in rendered[0]["body"]
    assert result.stats["this_run"]["rendered"] >= 1
    assert ok_responses(tmp_path)[site.base + "/"] == 1


def test_render_with_missing_browser_is_a_config_error(site: SiteServer, tmp_path: Path) -> None:
    site.routes["/"] = page([])
    cfg = CrawlConfig(
        seeds=[site.base + "/"],
        allow_private=True,
        render=True,
        chromium=str(tmp_path / "no-such-chromium"),
    )
    with pytest.raises(ConfigError, match="cannot start Chromium"):
        crawl(cfg, tmp_path / "out")

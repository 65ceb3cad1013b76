"""``thresher read`` against local sites with robots rules: what is printed, what the site saw."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiohttp import web

from tests.crawl.site import SiteServer, redirect, text
from tests.serve.pages import JS_PAGE, article, serve_site
from thresher.cli import main
from thresher.crawl.config import CrawlConfig
from thresher.serve.errors import RobotsUnavailable, UpstreamError
from thresher.serve.reader import Reader

pytestmark = pytest.mark.timeout(120)

FAST = ["--allow-private", "--rate", "1000"]


def _read(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, list[str]]:
    code = main(["read", *args])
    out, err = capsys.readouterr()
    return code, out, err.strip().splitlines()


def test_read_prints_markdown_with_the_title_first(
    site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_site(site)
    code, out, err = _read([site.base + "/article", *FAST], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "# Mills of the valley"
    assert "## Early settlement" in lines
    assert "The river valley was settled early" in out
    assert "Copyright notice" not in out and "About" not in out  # boilerplate left out
    assert site.paths() == ["/robots.txt", "/article"]  # robots.txt first, the page once
    agents = {h.headers["User-Agent"] for h in site.hits}
    assert len(agents) == 1 and agents.pop().startswith("thresher/")


def test_disallowed_url_is_refused_without_requesting_it(
    site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_site(site)
    code, out, err = _read([site.base + "/private", *FAST], capsys)
    assert code == 2 and out == ""
    assert len(err) == 1 and "disallowed by robots.txt" in err[0]
    assert err[0].startswith("thresher: error: " + site.base + "/private")
    assert site.paths() == ["/robots.txt"]


def test_a_redirect_into_a_disallowed_path_is_not_followed(
    site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_site(site)
    site.routes["/old"] = redirect("/article", 301)
    site.routes["/sneaky"] = redirect("/private")
    code, out, _ = _read([site.base + "/old", *FAST], capsys)
    assert code == 0 and out.startswith("# Mills of the valley")
    code, _, err = _read([site.base + "/sneaky", *FAST, "--no-cache"], capsys)
    assert code == 2 and "disallowed by robots.txt" in err[0] and len(err) == 1
    assert "/private" not in site.paths()
    site.routes["/loop"] = redirect("/loop2")
    site.routes["/loop2"] = redirect("/loop")
    code, _, err = _read([site.base + "/loop", *FAST], capsys)
    assert code == 2 and "redirect loop" in err[0]


def test_private_address_needs_allow_private(
    site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_site(site)
    code, out, err = _read([site.base + "/article"], capsys)
    assert code == 2 and out == ""
    assert len(err) == 1 and "--allow-private" in err[0] and site.base + "/article" in err[0]
    assert site.hits == []  # not even robots.txt
    code, out, _ = _read([site.base + "/article", *FAST], capsys)
    assert code == 0 and out.startswith("# Mills")


def test_json_prints_the_document_record(
    site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_site(site)
    site.routes["/moved"] = redirect("/article")
    code, out, err = _read([site.base + "/moved", *FAST, "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert list(doc)[:4] == ["id", "url", "source", "fetched_at"]
    assert doc["url"] == site.base + "/article"
    assert doc["title"] == "Mills of the valley"
    assert "The river valley" in doc["text"] and "## Early settlement" in doc["markdown"]
    assert doc["fetched_at"].endswith("Z") and len(doc["id"]) == 32
    meta = doc["metadata"]
    assert meta["http_status"] == 200 and meta["content_type"] == "text/html"
    assert meta["redirects"] == [site.base + "/moved"] and meta["rendered"] is False


def test_second_read_comes_from_the_cache(
    site: SiteServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_site(site)
    cache = ["--cache", str(tmp_path / "c")]
    first = _read([site.base + "/article", *FAST, *cache], capsys)
    hits = len(site.hits)
    second = _read([site.base + "/article", *FAST, *cache], capsys)
    assert first[0] == second[0] == 0 and first[1] == second[1]
    assert len(site.hits) == hits == 2  # nothing sent the second time
    # Without --allow-private the cached page of a private host is refused all the same.
    code, _, err = _read([site.base + "/article", *cache], capsys)
    assert code == 2 and "--allow-private" in err[0]
    # --no-cache asks the site again; --cache-ttl 0 treats every entry as stale.
    _read([site.base + "/article", *FAST, *cache, "--no-cache"], capsys)
    assert len(site.hits) == 4
    _read([site.base + "/article", *FAST, *cache, "--cache-ttl", "0"], capsys)
    assert site.paths()[-1] == "/article" and len(site.hits) == 5


def test_failures_are_one_line(
    site: SiteServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_site(site)
    site.routes["/feed.xml"] = text("<rss></rss>", content_type="application/rss+xml")
    site.routes["/empty"] = lambda r: web.Response(
        text="<html><body></body></html>", content_type="text/html"
    )

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(3)
        return article("Slow", "Late")

    site.routes["/slow"] = slow
    cases = [
        ([site.base + "/missing"], "answered HTTP 404"),
        ([site.base + "/feed.xml"], "not an HTML page (application/rss+xml)"),
        ([site.base + "/empty"], "no main content found"),
        ([site.base + "/slow", "--timeout", "0.5"], "no answer within 0.5s"),
        (["ftp://example.org/x"], "not an http(s) URL"),
        (["http://127.0.0.1:9/page"], "connection-refused"),
    ]
    for args, message in cases:
        code, out, err = _read([*args, *FAST, "--no-cache"], capsys)
        assert code == 2 and out == "", args
        assert len(err) == 1 and message in err[0], (args, err)


def test_robots_txt_unavailable_refuses_the_site(
    site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_site(site)
    site.routes["/robots.txt"] = text("down", status=503)
    code, _, err = _read([site.base + "/article", *FAST], capsys)
    assert code == 2 and "robots.txt: unavailable (http-503)" in err[0]
    assert site.paths() == ["/robots.txt"]

    async def twice() -> list[str]:
        async with Reader(CrawlConfig(allow_private=True, rate=1000)) as reader:
            errors = []
            for _ in range(2):
                with pytest.raises(RobotsUnavailable) as e:
                    await reader.read(site.base + "/article")
                errors.append(str(e.value))
            return errors

    first, second = asyncio.run(twice())
    assert first == second  # the second read does not ask the failing robots.txt again
    assert site.paths() == ["/robots.txt"] * 2
    site.routes["/robots.txt"] = text("gone", status=404)  # no robots.txt: all allowed
    code, out, _ = _read([site.base + "/article", *FAST], capsys)
    assert code == 0 and out.startswith("# Mills")


def test_crawl_delay_spaces_robots_txt_and_the_page(site: SiteServer) -> None:
    """Timed at the server, with the reader in its own process: in this one, the reader's
    work would hold the server thread back and shift its clock (seen under load)."""
    serve_site(site, robots="User-agent: *\nCrawl-delay: 1\n")
    cmd = [sys.executable, "-m", "thresher", "read", site.base + "/article", *FAST, "--no-cache"]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    robots, page = site.hits
    assert page.at - robots.at >= 0.95


def test_body_cap_from_the_crawl_settings(
    site: SiteServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_site(site)
    big = "<p>" + "Long text of a very large page about the valley. " * 400 + "</p>"
    site.routes["/big"] = lambda r: web.Response(
        text=f"<html><head><title>Big</title></head><body><article>{big}</article></body></html>",
        content_type="text/html",
    )
    cfg = tmp_path / "read.yaml"
    cfg.write_text("crawl:\n  max_body_bytes: 4096\n")
    code, out, err = _read([site.base + "/big", *FAST, "--json", "--config", str(cfg)], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["metadata"]["truncated"] == "length"
    assert len(doc["text"]) < 4096


def test_render_runs_the_script_first(site: SiteServer, tmp_path: Path) -> None:
    serve_site(site)
    site.routes["/app"] = lambda r: web.Response(text=JS_PAGE, content_type="text/html")
    cmd = [sys.executable, "-m", "thresher", "read", site.base + "/app", *FAST, "--no-cache"]
    plain = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert plain.returncode == 2 and "no main content found" in plain.stderr
    t0 = time.monotonic()
    rendered = subprocess.run([*cmd, "--render", "--json"], capture_output=True, text=True)
    assert rendered.returncode == 0, rendered.stderr
    doc = json.loads(rendered.stdout)
    assert doc["title"] == "Built by script"
    assert "only exists after the script ran" in doc["text"]
    assert doc["metadata"]["rendered"] is True
    # The browser got the page from memory: one request for it per run.
    assert site.paths().count("/app") == 2
    assert time.monotonic() - t0 < 60


def test_redirect_to_another_host_obeys_that_hosts_robots(
    site: SiteServer, other_site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_site(site)
    serve_site(other_site, robots="User-agent: thresher\nDisallow: /\n\nUser-agent: *\nAllow: /\n")
    site.routes["/away"] = redirect(other_site.base + "/article")
    code, _, err = _read([site.base + "/away", *FAST], capsys)
    assert code == 2 and "disallowed by robots.txt for 'thresher'" in err[0]
    assert other_site.paths() == ["/robots.txt"]
    # Another product token is not named by the group: the page is read.
    code, out, _ = _read([site.base + "/away", *FAST, "--user-agent", "otherbot/1.0"], capsys)
    assert code == 0 and out.startswith("# Mills")


def test_a_name_that_resolves_to_loopback_is_refused(
    site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_site(site)
    code, _, err = _read([f"http://localhost:{site.port}/article", "--rate", "1000"], capsys)
    assert code == 2 and "--allow-private" in err[0]
    assert site.hits == []


def test_retry_after_and_one_request_in_flight_per_host(site: SiteServer) -> None:
    serve_site(site)
    site.routes["/busy"] = lambda r: web.Response(status=429, headers={"Retry-After": "1"})

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(0.5)
        return article("Slow", "Late")

    site.routes["/slow"] = slow

    async def later(reader: Reader) -> None:
        await asyncio.sleep(0.1)  # asked while /slow is in flight
        await reader.read(site.base + "/page/1")

    async def run() -> None:
        async with Reader(CrawlConfig(allow_private=True, rate=1000)) as reader:
            with pytest.raises(UpstreamError, match="HTTP 429"):
                await reader.read(site.base + "/busy")
            await reader.read(site.base + "/article")  # waits out Retry-After
            await asyncio.gather(reader.read(site.base + "/slow"), later(reader))

    asyncio.run(run())
    at = {h.path: h.at for h in site.hits}
    assert at["/article"] - at["/busy"] >= 0.95
    assert at["/page/1"] - at["/slow"] >= 0.45  # the host's one slot was held until /slow answered


def test_opt_out_signals_are_recorded(site: SiteServer, capsys: pytest.CaptureFixture[str]) -> None:
    serve_site(site)

    def marked(request: web.Request) -> web.Response:
        page = article("Marked", "Opted out").text or ""
        page = page.replace("<head>", '<head><meta name="tdm-reservation" content="1">')
        return web.Response(
            text=page, content_type="text/html", headers={"X-Robots-Tag": "noai, noindex"}
        )

    site.routes["/marked"] = marked
    code, out, _ = _read([site.base + "/marked", *FAST, "--json"], capsys)
    assert code == 0
    assert json.loads(out)["metadata"]["opt_out"] == ["noai", "noindex", "tdm-reservation"]
    code, out, _ = _read([site.base + "/article", *FAST, "--json"], capsys)
    assert "opt_out" not in json.loads(out)["metadata"]


def test_entries_too_old_for_any_read_are_pruned(site: SiteServer, tmp_path: Path) -> None:
    from thresher.serve.cache import PageCache

    serve_site(site)
    cache = PageCache(tmp_path / "c")
    cache.put("pages", "old", {"url": "x"}, b"old")
    cache.put("pages", "new", {"url": "y"}, b"new")
    entries = (tmp_path / "c" / "thresher-read-cache").glob("*/??/*")
    (old,) = [p for p in entries if p.read_bytes().endswith(b"old")]
    long_ago = time.time() - 2 * 86400
    os.utime(old, (long_ago, long_ago))

    async def open_and_close() -> None:
        async with Reader(CrawlConfig(allow_private=True), cache=cache):
            pass

    asyncio.run(open_and_close())
    assert not old.exists()
    assert cache.get("pages", "new", 60) is not None


def test_prune_removes_only_the_caches_own_entries(site: SiteServer, tmp_path: Path) -> None:
    """--cache pointed at a folder of the user's: files of the same shape as entries (and
    entries' look-alikes beside the store) are left alone, however old."""
    from thresher.serve.cache import PageCache

    serve_site(site)
    user = tmp_path / "mine"
    long_ago = time.time() - 30 * 86400
    digest = "ab" + "0" * 62
    planted = [
        user / "photos" / "01" / "wedding.jpg",
        user / "pages" / "ab" / digest,  # the old layout's shape, outside the store
        user / "thresher-read-cache" / "pages" / "ab" / "notes.txt",
        user / "thresher-read-cache" / "other" / "ab" / digest,
    ]
    for path in planted:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"the user's")
        os.utime(path, (long_ago, long_ago))
    cache = PageCache(user)
    assert cache.prune(0) == 0  # no tag yet: nothing of the cache's is there
    cache.put("pages", "old", {"url": "x"}, b"old")
    (entry,) = [
        p for p in (user / "thresher-read-cache" / "pages").glob("??/*") if p.name != "notes.txt"
    ]
    os.utime(entry, (long_ago, long_ago))
    asyncio.run(_open_and_close(cache))
    assert not entry.exists()
    assert all(p.read_bytes() == b"the user's" for p in planted)


async def _open_and_close(cache: object) -> None:
    async with Reader(CrawlConfig(allow_private=True), cache=cache):  # type: ignore[arg-type]
        pass

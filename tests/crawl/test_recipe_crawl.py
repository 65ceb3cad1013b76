"""Crawls that follow a recipe's link rules: a small phpBB-style board on a real local server,
then ``thresher extract --recipe`` over the crawl's WARC."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from aiohttp import web

from tests.crawl.site import SiteServer, fast_config
from thresher.cli import main
from thresher.crawl import CrawlConfig, crawl
from thresher.errors import ConfigError
from thresher.store import read_documents

pytestmark = pytest.mark.timeout(60)

NAV = (
    '<div class="navbar"><a href="./index.php">Board index</a>'
    ' <a href="./memberlist.php">Members</a> <a href="./ucp.php?mode=login">Login</a></div>'
)

# topic id → pages of (post id, author, text); a topic with two pages has a "next" link.
TOPICS = {
    "101": [[("1", "alice", "Welcome everyone, introduce yourselves here.")]],
    "102": [
        [("2", "bob", "Steel or aluminium frame for touring?")],
        [("3", "alice", "Steel, without a doubt: it can be repaired anywhere.")],
    ],
    "103": [[("4", "carol", "Panniers or a trailer for a long trip?")]],
}
# forum pages: topics listed on each page of viewforum.php?f=2
FORUM = [["101", "102"], ["103"]]


def _doc(title: str, body: str) -> web.Response:
    return web.Response(
        text=f"<!DOCTYPE html><html><head><title>{title}</title></head><body>{NAV}{body}"
        "</body></html>",
        content_type="text/html",
    )


def _pagination(href: str | None) -> str:
    if href is None:
        return '<div class="pagination"><ul><li class="active"><span>1</span></li></ul></div>'
    return (
        '<div class="pagination"><ul><li class="next">'
        f'<a href="{href}" rel="next">Next</a></li></ul></div>'
    )


def _forum(request: web.Request) -> web.Response:
    page = int(request.query.get("start", "0")) // 25
    rows = "".join(
        '<li class="row"><dl class="row-item"><dt><div class="list-inner">'
        f'<a href="./viewtopic.php?t={t}" class="topictitle">Topic {t}</a>'
        f'<div class="topic-poster">by <a href="./memberlist.php?u={t}" class="username">'
        f"{TOPICS[t][0][0][1]}</a></div></div></dt>"
        f'<dd class="posts">{sum(len(p) for p in TOPICS[t])}</dd></dl></li>'
        for t in FORUM[page]
    )
    nxt = f"./viewforum.php?f=2&amp;start={(page + 1) * 25}" if page + 1 < len(FORUM) else None
    return _doc(
        "General",
        f'<div class="forabg"><ul class="topiclist topics">{rows}</ul></div>{_pagination(nxt)}',
    )


def _topic(request: web.Request) -> web.Response:
    t = request.query["t"]
    page = int(request.query.get("start", "0")) // 10
    posts = "".join(
        f'<div id="p{pid}" class="post"><div class="inner">'
        f'<dl class="postprofile"><dt><a href="./memberlist.php?u={author}" class="username">'
        f"{author}</a></dt></dl>"
        f'<div class="postbody"><h3><a href="#p{pid}">Topic {t}</a></h3>'
        f'<p class="author">by <strong><a href="./memberlist.php?u={author}" class="username">'
        f'{author}</a></strong> <time datetime="2024-03-0{pid}T10:00:00+00:00">'
        f"Mar {pid}</time></p>"
        f'<div class="content">{text} <a href="./faq.php" class="postlink-local">FAQ</a>'
        "</div></div></div></div>"
        for pid, author, text in TOPICS[t][page]
    )
    nxt = (
        f"./viewtopic.php?t={t}&amp;start={(page + 1) * 10}" if page + 1 < len(TOPICS[t]) else None
    )
    return _doc(f"Topic {t}", posts + _pagination(nxt))


def forum_site(site: SiteServer) -> None:
    site.routes["/viewforum.php"] = _forum
    site.routes["/viewtopic.php"] = _topic
    for off in ("/index.php", "/memberlist.php", "/ucp.php", "/faq.php"):
        site.routes[off] = lambda r: _doc("off", '<a href="./viewforum.php?f=2">General</a>')


def test_crawl_follows_recipe_links_and_extract_yields_posts(
    site: SiteServer, tmp_path: Path
) -> None:
    forum_site(site)
    out = tmp_path / "crawl"
    cfg = fast_config(site, seeds=[site.base + "/viewforum.php?f=2"], recipe="phpbb")
    crawl(cfg, out)
    fetched = {p for p in site.paths() if not p.startswith(("/robots.txt", "/.well-known/"))}
    assert fetched == {
        "/viewforum.php?f=2",
        "/viewforum.php?f=2&start=25",  # forum pagination
        "/viewtopic.php?t=101",
        "/viewtopic.php?t=102",
        "/viewtopic.php?t=102&start=10",  # topic pagination
        "/viewtopic.php?t=103",
    }
    # Off-recipe links on every page (members, login, board index, FAQ) were never fetched.
    assert not any(p.startswith(("/memberlist", "/ucp", "/index", "/faq")) for p in site.paths())
    stats = json.loads((out / "crawl-stats.json").read_text())
    assert stats["this_run"]["recipe_links"] == {"item": 3, "pagination": 2, "no-links": 3}

    docs_dir = tmp_path / "docs"
    assert main(["extract", str(out / "warc"), "-o", str(docs_dir), "--recipe", "phpbb"]) == 0
    docs = list(read_documents(docs_dir))
    posts = sorted(
        (d.text.split(" FAQ")[0], d.author) for d in docs if d.metadata["record_type"] == "post"
    )
    expected = sorted((text, a) for pages in TOPICS.values() for p in pages for _, a, text in p)
    assert posts == expected
    threads = [d for d in docs if d.metadata["record_type"] == "thread"]
    assert sorted(d.text for d in threads) == ["Topic 101", "Topic 102", "Topic 103"]


def test_crawl_without_recipe_follows_every_link(site: SiteServer, tmp_path: Path) -> None:
    forum_site(site)
    cfg = fast_config(site, seeds=[site.base + "/viewforum.php?f=2"], max_pages=20)
    crawl(cfg, tmp_path)
    assert "/memberlist.php" in site.paths()
    stats = json.loads((tmp_path / "crawl-stats.json").read_text())
    assert "recipe_links" not in stats["this_run"]


UNKNOWN_RECIPE = (
    "^recipe 'nosuch' does not exist: no such file, and the built-in recipes are"
    " discourse, phpbb, vbulletin, xenforo$"
)


def test_unknown_recipe_lists_the_builtin_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warc = tmp_path / "in.html"
    warc.write_text("<html><body><p>x</p></body></html>")
    for args in (
        ["extract", str(warc), "-o", str(tmp_path / "docs"), "--recipe", "nosuch"],
        ["crawl", "http://127.0.0.1:9/", "-o", str(tmp_path / "crawl"), "--recipe", "nosuch"],
    ):
        assert main(args) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and re.match(UNKNOWN_RECIPE, err[0].removeprefix("thresher: error: "))
    assert not (tmp_path / "crawl").exists()


def test_bad_recipe_fails_before_any_fetch(site: SiteServer, tmp_path: Path) -> None:
    forum_site(site)
    with pytest.raises(ConfigError, match=UNKNOWN_RECIPE):
        crawl(fast_config(site, recipe="nosuch"), tmp_path / "a")
    bad_css = tmp_path / "bad.yaml"
    bad_css.write_text("name: bad\npages:\n  - name: p\n    follow:\n      - {css: 'a[['}\n")
    with pytest.raises(ConfigError, match=r"bad CSS selector 'a\[\['"):
        crawl(fast_config(site, recipe=str(bad_css)), tmp_path / "b")
    not_yaml = tmp_path / "broken.yaml"
    not_yaml.write_text("name: [\n")
    with pytest.raises(ConfigError, match=r"broken\.yaml"):
        crawl(fast_config(site, recipe=str(not_yaml)), tmp_path / "c")
    assert site.hits == []
    # The CLI prints one line and exits 2.
    code = main(["crawl", site.base + "/", "-o", str(tmp_path / "d"), "--recipe", "nosuch"])
    assert code == 2 and site.hits == []
    assert CrawlConfig(recipe="phpbb").recipe == "phpbb"

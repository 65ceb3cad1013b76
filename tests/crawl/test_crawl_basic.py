"""End-to-end crawls of a real local site: scope, robots, WARC contents, resume, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.crawl.site import SiteServer, fast_config, page, text
from tests.crawl.warcs import fast_counts, ok_responses, records
from thresher.cli import main
from thresher.crawl import CrawlConfig, crawl
from thresher.errors import ConfigError

pytestmark = pytest.mark.timeout(60)


def small_site(site: SiteServer, n: int = 30) -> list[str]:
    site.routes["/robots.txt"] = text("User-agent: *\nDisallow: /private/\n")
    site.routes["/"] = page(
        [f"/p/{i}.html" for i in range(n)] + ["/private/a.html", "http://other.example/x"]
    )
    for i in range(n):
        site.routes[f"/p/{i}.html"] = page(
            ["/", f"/p/{(i + 1) % n}.html", f"p/../{(i + 3) % n}.html#x"]
        )
    site.routes["/private/a.html"] = page([])
    return ["/"] + [f"/p/{i}.html" for i in range(n)]


def archived(out: Path) -> dict[str, int]:
    """200 responses per page URL (robots.txt left out)."""
    return {u: n for u, n in ok_responses(out).items() if not u.endswith("/robots.txt")}


def test_crawl_fetches_every_page_once_and_obeys_robots(site: SiteServer, tmp_path: Path) -> None:
    pages = small_site(site)
    result = crawl(fast_config(site), tmp_path)
    assert site.paths()[0] == "/robots.txt"
    assert not any(p.startswith("/private/") for p in site.paths())
    counts = archived(tmp_path)
    assert set(counts) == {site.base + p for p in pages}
    assert set(counts.values()) == {1}
    assert result.pages == len(pages)
    assert result.failures == {}
    assert result.warc_files and all(p.exists() for p in result.warc_files)
    recs = records(tmp_path)
    assert recs[0]["type"] == "warcinfo"
    meta = [r for r in recs if r["type"] == "metadata"]
    assert any(
        b"robots: disallowed" in r["body"] and "/private/a.html" in str(r["url"]) for r in meta
    )
    n_req = sum(1 for r in recs if r["type"] == "request")
    n_resp = sum(1 for r in recs if r["type"] == "response")
    assert n_req == n_resp == len(site.hits)
    fc = fast_counts(tmp_path)
    assert fc["response"] == n_resp and fc["request"] == n_req
    stats = json.loads((tmp_path / "crawl-stats.json").read_text())
    assert stats["finished"] is True and stats["complete"] is True
    assert stats["total"]["urls"]["done"] == len(pages)
    assert stats["this_run"]["skipped_by_reason"] == {"robots-disallowed": 1}
    assert stats["this_run"]["out_of_scope"] == 1
    ua = site.hits[0].headers["User-Agent"]
    assert ua.startswith("thresher/")


def test_second_run_resumes_without_refetching(site: SiteServer, tmp_path: Path) -> None:
    pages = small_site(site)
    first = crawl(fast_config(site, max_pages=8, per_host=1), tmp_path)
    assert first.pages == 8
    hits_first = len(site.hits)
    second = crawl(fast_config(site), tmp_path)
    assert second.pages == len(pages)
    counts = archived(tmp_path)
    assert set(counts) == {site.base + p for p in pages} and set(counts.values()) == {1}
    # robots.txt is cached in the state: the second run does not fetch it again.
    assert site.paths()[hits_first:].count("/robots.txt") == 0
    third = crawl(fast_config(site), tmp_path)
    assert third.fetched == 0


def test_include_exclude_and_depth(site: SiteServer, tmp_path: Path) -> None:
    small_site(site, 10)
    crawl(fast_config(site, exclude=[r"/p/[5-9]\.html$"], max_depth=1), tmp_path)
    got = set(archived(tmp_path))
    assert got == {site.base + "/"} | {site.base + f"/p/{i}.html" for i in range(5)}


def test_bad_seed_and_regex_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ftp://x"):
        crawl(CrawlConfig(seeds=["ftp://x/"]), tmp_path)
    with pytest.raises(ConfigError, match="include"):
        crawl(CrawlConfig(seeds=["http://127.0.0.1:1/"], include=["("]), tmp_path)


def test_cli_crawl_and_config_file(
    site: SiteServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    small_site(site, 5)
    cfg = tmp_path / "c.yaml"
    cfg.write_text("crawl:\n  rate: 300\n  per_host: 2\n  retry_base_delay: 0.01\n")
    code = main(
        [
            "crawl",
            site.base + "/",
            "-o",
            str(tmp_path / "out"),
            "--config",
            str(cfg),
            "--allow-private",
            "--max-pages",
            "4",
        ]
    )
    assert code == 0
    assert "crawled 4 pages" in capsys.readouterr().out
    assert len(archived(tmp_path / "out")) == 4
    bad = tmp_path / "bad.yaml"
    bad.write_text("crawl:\n  rat: 3\n")
    assert main(["crawl", site.base + "/", "-o", str(tmp_path / "o2"), "--config", str(bad)]) == 2
    assert "crawl.rat" in capsys.readouterr().err


def test_cli_robots(tmp_path: Path) -> None:
    f = tmp_path / "robots.txt"
    f.write_text("user-agent: FooBot\ndisallow: /x\n")
    assert main(["robots", str(f), "http://e.com/x/y", "FooBot"]) == 1
    assert main(["robots", str(f), "http://e.com/y", "FooBot"]) == 0
    assert main(["robots", str(f), "http://e.com/x", "BarBot"]) == 0
    assert main(["robots", str(tmp_path / "missing.txt"), "http://e.com/", "FooBot"]) == 2


def test_per_host_page_cap(site: SiteServer, tmp_path: Path) -> None:
    small_site(site, 10)
    result = crawl(fast_config(site, max_pages_per_host=3, per_host=1), tmp_path)
    assert len(archived(tmp_path)) == 3
    assert result.stats["this_run"]["skipped_by_reason"]["host-page-cap"] == 8


def test_bad_state_folder_and_concurrent_runs(site: SiteServer, tmp_path: Path) -> None:
    import fcntl

    from thresher.errors import InputError, ThresherError

    small_site(site, 2)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "frontier.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(InputError, match=r"frontier\.sqlite"):
        crawl(fast_config(site), bad)
    busy = tmp_path / "busy"
    busy.mkdir()
    with open(busy / ".thresher.lock", "a+b") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        with pytest.raises(ThresherError, match="in use by another thresher run"):
            crawl(fast_config(site), busy)
    afile = tmp_path / "file"
    afile.write_text("x")
    with pytest.raises(ThresherError, match="exists and is not a folder"):
        crawl(fast_config(site), afile)

"""Crawl failures in plain sight: refused connections fail fast with their own reason, bad
proxies are configuration errors, the summary names every reason with the flag that lifts
it, and ``thresher crawl`` exits 1 when no seed could be fetched (real servers, real
processes)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiohttp import web

from tests.crawl.site import SiteServer, fast_config, page, text
from tests.crawl.warcs import records
from thresher.config import load_section
from thresher.crawl import CrawlConfig, crawl
from thresher.crawl.frontier import DONE, FAILED, QUEUED, SKIPPED
from thresher.crawl.outcomes import (
    CrawlFailedError,
    counted_reasons,
    hint,
    reason_lines,
    unfetched_seeds,
)
from thresher.errors import ConfigError

pytestmark = pytest.mark.timeout(60)

#: a refused connection must settle well under this (the old path took 30 s)
FAST = 3.0


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound once, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_cli(*args: str, cwd: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    """``thresher ARGS`` in a real process; the result and its wall time."""
    t0 = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "thresher", *args],
        cwd=cwd,
        env={**os.environ},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return proc, time.monotonic() - t0


# -- refused connections -------------------------------------------------------------------
def test_refused_robots_fails_the_host_in_about_a_second(tmp_path: Path) -> None:
    port = closed_port()
    # default retry settings: the old path waited 2+4+8+16 s of robots.txt backoff
    seeds = [f"http://127.0.0.1:{port}/", f"http://127.0.0.1:{port}/b"]
    cfg = CrawlConfig(seeds=seeds, allow_private=True)
    t0 = time.monotonic()
    result = crawl(cfg, tmp_path)
    elapsed = time.monotonic() - t0
    assert elapsed < FAST, elapsed
    assert result.failures == {"connection-refused": 2}
    assert "robots-unavailable" not in json.dumps(result.stats)
    run = result.stats["this_run"]
    assert run["robots_fetches"] == 1 and run["retries"] == 2  # two quick retries, then done
    assert run["failed_by_reason"] == {"connection-refused": 2}
    assert result.seed_failures == {"connection-refused": 2}
    meta = [r for r in records(tmp_path) if r["type"] == "metadata"]
    assert any(b"failure: connection-refused" in r["body"] for r in meta)


def test_refused_page_fails_without_backoff(tmp_path: Path) -> None:
    port = closed_port()
    cfg = CrawlConfig(
        seeds=[f"http://127.0.0.1:{port}/page"], allow_private=True, respect_robots=False
    )
    t0 = time.monotonic()
    result = crawl(cfg, tmp_path)  # max_retries 3 with 2 s backoff would take about 14 s
    assert time.monotonic() - t0 < FAST
    assert result.failures == {"connection-refused": 1}
    assert result.stats["this_run"]["errors_by_kind"] == {"connection-refused": 1}


def test_urls_of_a_refusing_host_found_later_fail_at_once(site: SiteServer, tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{closed_port()}"

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(1.5)  # the dead host's robots.txt has failed by now
        return page([dead + "/later"])(request)  # type: ignore[return-value]

    site.routes["/robots.txt"] = text("")
    site.routes["/"] = page([dead + "/first", "/slow"])
    site.routes["/slow"] = slow
    result = crawl(fast_config(site, tdmrep=False), tmp_path)
    assert result.failures == {"connection-refused": 2}
    # one robots.txt request per host: /later was failed by the host's state, not re-asked
    assert result.stats["this_run"]["robots_fetches"] == 2
    assert result.pages == 2 and result.seed_failures is None


def test_a_dead_proxy_is_reported_as_such(site: SiteServer, tmp_path: Path) -> None:
    site.routes["/"] = page([])
    cfg = fast_config(site, proxies=[f"http://127.0.0.1:{closed_port()}"])
    t0 = time.monotonic()
    result = crawl(cfg, tmp_path)
    assert time.monotonic() - t0 < FAST
    assert result.failures == {"proxy-unreachable": 1}
    assert site.hits == []


# -- proxies as configuration ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("proxy", "message"),
    [
        ("notaproxy", "'notaproxy' is not a proxy URL"),
        ("socks5://127.0.0.1:1080", "unsupported proxy scheme 'socks5'"),
        ("http://:3128", "no proxy host"),
        ("http://proxy.example", "no proxy port"),
        ("http://proxy.example:99999", "port is not a number"),
        ("http://user:s3cret@proxy.example", "'http://***@proxy.example': no proxy port"),
    ],
)
def test_bad_proxies_are_config_errors(proxy: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)) as err:
        load_section(CrawlConfig, None, "crawl", proxies=[proxy])
    assert "\n" not in str(err.value) and "s3cret" not in str(err.value)


def test_good_proxies_are_accepted() -> None:
    urls = ["http://127.0.0.1:3128", "https://u:p@proxy.example:8443"]
    assert load_section(CrawlConfig, None, "crawl", proxies=urls).proxies == urls


def test_cli_refuses_a_bad_proxy_before_any_fetch(site: SiteServer, tmp_path: Path) -> None:
    site.routes["/"] = page([])
    out = tmp_path / "out"
    proc, elapsed = run_cli(
        "crawl", site.base + "/", "-o", str(out), "--allow-private", "--proxy", "notaproxy",
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "thresher: error: <options>: proxies: 'notaproxy' is not a proxy URL"
        " (write http://HOST:PORT)"
    ]
    assert site.hits == [] and not out.exists()
    assert elapsed < 10


# -- summary and exit codes -----------------------------------------------------------------
def test_cli_loopback_seed_without_allow_private_exits_1(site: SiteServer, tmp_path: Path) -> None:
    site.routes["/"] = page([])
    out = tmp_path / "out"
    proc, _ = run_cli("crawl", site.base + "/", "-o", str(out), cwd=tmp_path)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("crawled 0 pages (0 requests this run, 1 failed)")
    assert lines[1:] == ["failed 1:", "  blocked-private-address: 1 (use --allow-private)"]
    assert proc.stderr.strip().splitlines()[-1] == (
        "thresher: error: no seed URL could be fetched: blocked-private-address"
        " (use --allow-private)"
    )
    assert site.hits == []


def test_cli_refused_seed_exits_1_within_seconds(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/"
    proc, elapsed = run_cli(
        "crawl", url, "-o", str(tmp_path / "out"), "--allow-private", cwd=tmp_path
    )
    assert proc.returncode == 1
    assert "  connection-refused: 1" in proc.stdout.splitlines()
    assert proc.stderr.strip().endswith(
        "thresher: error: no seed URL could be fetched: connection-refused"
    )
    assert elapsed < 10  # interpreter start-up included; the crawl itself takes about 1 s


def test_cli_partial_failures_are_listed_and_exit_0(site: SiteServer, tmp_path: Path) -> None:
    site.routes["/robots.txt"] = text("User-agent: *\nDisallow: /private\n")
    site.routes["/"] = page(["/ok", "/gone", "/private/a", "/private/b"])
    site.routes["/ok"] = page([])
    out = tmp_path / "out"
    proc, _ = run_cli(
        "crawl", site.base + "/", "-o", str(out), "--allow-private", "--rate", "100", cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[1:] == [
        "failed 1:",
        "  http-404: 1",
        "skipped 2:",
        "  robots-disallowed: 2",
    ]


def test_no_seed_fetched_is_an_error_for_the_whole_flow(tmp_path: Path) -> None:
    from thresher.config import PipelineConfig
    from thresher.flow import run_pipeline

    cfg = PipelineConfig.model_validate(
        {"crawl": {"seeds": [f"http://127.0.0.1:{closed_port()}/"], "allow_private": True}}
    )
    with pytest.raises(CrawlFailedError, match="no seed URL could be fetched: connection-refused"):
        run_pipeline(cfg, tmp_path / "run")
    assert not (tmp_path / "run" / "documents").exists()


def test_run_command_stops_with_one_line(tmp_path: Path) -> None:
    port = closed_port()
    (tmp_path / "p.yaml").write_text(
        f"crawl:\n  seeds: [http://127.0.0.1:{port}/]\n  allow_private: true\n", encoding="utf-8"
    )
    proc, _ = run_cli("run", str(tmp_path / "p.yaml"), "-o", str(tmp_path / "out"), cwd=tmp_path)
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if line.startswith("thresher: error:")]
    assert errors == ["thresher: error: no seed URL could be fetched: connection-refused"]
    assert "Traceback" not in proc.stderr


# -- crawl-stats.json across runs -----------------------------------------------------------
def test_stats_keep_this_run_and_total_apart(site: SiteServer, tmp_path: Path) -> None:
    site.routes["/robots.txt"] = text("User-agent: *\nDisallow: /private\n")
    site.routes["/"] = page([f"/p{i}" for i in range(6)] + ["/gone", "/private/x"])
    for i in range(6):
        site.routes[f"/p{i}"] = page([])
    first = crawl(fast_config(site, max_pages=3), tmp_path)
    second = crawl(fast_config(site), tmp_path)
    saved = json.loads((tmp_path / "crawl-stats.json").read_text())
    assert saved == second.stats
    assert set(saved) == {"this_run", "total", "runs", "finished", "complete", "user_agent"}
    assert first.stats["runs"] == 1 and saved["runs"] == 2 and saved["complete"] is True
    pages_hit = [p for p in site.paths() if p not in ("/robots.txt", "/.well-known/tdmrep.json")]
    runs = (first.stats["this_run"], saved["this_run"])
    assert sum(r["fetched"] for r in runs) == len(pages_hit) == 8  # /, p0..p5, /gone
    total = saved["total"]
    assert total["pages"] == second.pages == 7
    assert total["urls"]["done"] == 7 and total["queue"] == 0
    assert total["failed_by_reason"] == {"http-404": 1} == second.failures
    assert total["skipped_by_reason"] == {"robots-disallowed": 1} == second.skipped
    # each this_run object counts its own run: the failure and the skip happened once
    assert sum(r["failed_by_reason"].get("http-404", 0) for r in runs) == 1
    assert sum(r["skipped_by_reason"].get("robots-disallowed", 0) for r in runs) == 1
    third = crawl(fast_config(site), tmp_path)  # nothing left: a run that fetches nothing
    assert (
        third.stats["this_run"]["fetched"] == 0
        and third.stats["this_run"]["failed_by_reason"] == {}
    )
    assert third.failures == {"http-404": 1} and third.stats["runs"] == 3
    assert third.seed_failures is None


# -- the pieces -----------------------------------------------------------------------------
def test_hints_name_the_flag_that_lifts_a_reason() -> None:
    assert hint("blocked-private-address") == "use --allow-private"
    assert hint("ssrf-blocked") == "use --allow-private"  # folders crawled before the rename
    assert hint("opt-out:noai") is not None and "opt_out: record" in str(hint("opt-out:noai"))
    assert hint("robots-disallowed") is None and hint("connection-refused") is None
    assert reason_lines("failed", {}) == []
    assert reason_lines("failed", {"http-404": 1, "blocked-private-address": 2}) == [
        "failed 3:",
        "  blocked-private-address: 2 (use --allow-private)",
        "  http-404: 1",
    ]
    assert counted_reasons("failed", {"http-404": 1, "blocked-private-address": 2}) == {
        "failed: blocked-private-address": "2 (use --allow-private)",
        "failed: http-404": 1,
    }


def test_unfetched_seeds_only_when_every_seed_settled_badly() -> None:
    assert unfetched_seeds([(FAILED, "connection-refused"), (SKIPPED, "robots-disallowed")]) == {
        "connection-refused": 1,
        "robots-disallowed": 1,
    }
    assert unfetched_seeds([(FAILED, "http-404"), (DONE, None)]) is None
    assert unfetched_seeds([(FAILED, "http-404"), (QUEUED, None)]) is None  # a stopped run
    assert unfetched_seeds([]) is None


def test_report_shows_this_run_and_total(site: SiteServer, tmp_path: Path) -> None:
    from thresher.report.html_report import build_report

    site.routes["/"] = page(["/gone"])
    crawl(fast_config(site), tmp_path / "c")
    html = build_report(tmp_path / "c", tmp_path / "r.html").read_text(encoding="utf-8")
    assert '<td>Pages fetched</td><td class="n">2</td>' in html  # this run's requests
    assert '<td>Pages archived (all runs)</td><td class="n">1</td>' in html
    assert "<h3>Failed pages by reason</h3>" in html  # the totals of one run: shown once

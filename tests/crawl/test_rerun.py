"""Running a crawl again: failures that new settings or a server now up can lift are tried
again, and what was fetched is not fetched twice."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from aiohttp import web

from tests.crawl.site import (
    SiteServer,
    fast_config,
    flaky_site,
    page,
    refused_seed_then_up,
    text,
)
from tests.crawl.test_failures import closed_port
from thresher.crawl import crawl

pytestmark = pytest.mark.timeout(60)


def slow_site(site: SiteServer) -> list[str]:
    """A home page linking to 12 pages that each take 0.3 s; returns their paths."""
    pages = [f"/p{i}" for i in range(12)]

    async def slow(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(0.3)
        return page([])(request)  # type: ignore[return-value]

    site.routes["/robots.txt"] = text("")
    site.routes["/"] = page(pages)
    for p in pages:
        site.routes[p] = slow
    return pages


def interrupt_after(args: list[str], site: SiteServer, pages: list[str]) -> tuple[int, str]:
    """Start ``args``, send SIGINT once 3 of ``pages`` were asked for: (exit code, stderr)."""
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while sum(h.path in pages for h in site.hits) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    return proc.returncode, err


def test_private_seed_is_fetched_when_rerun_with_allow_private(
    site: SiteServer, tmp_path: Path
) -> None:
    site.routes["/robots.txt"] = text("")
    site.routes["/"] = page(["/a"])
    site.routes["/a"] = page([])
    out = tmp_path / "out"
    first = crawl(fast_config(site, allow_private=False), out)
    assert first.seed_failures == {"blocked-private-address": 1}
    assert site.hits == []
    second = crawl(fast_config(site, allow_private=True), out)
    assert second.pages == 2 and second.failures == {}
    assert second.stats["this_run"]["requeued_failed"] == 1
    third = crawl(fast_config(site, allow_private=True), out)
    assert third.fetched == 0  # nothing left: done pages are not fetched again


def test_refused_seed_is_fetched_once_the_server_is_up(tmp_path: Path) -> None:
    first, second, site = refused_seed_then_up(closed_port(), tmp_path / "out")
    assert first.seed_failures == {"connection-refused": 1}
    assert second.pages == 2 and second.failures == {}
    assert Counter(site.paths())["/"] == 1


def test_rerun_fetches_transient_failures_again_but_not_done_pages(
    site: SiteServer, tmp_path: Path
) -> None:
    state = flaky_site(site)
    out = tmp_path / "out"
    first = crawl(fast_config(site, max_retries=0), out)
    assert first.failures == {"http-503": 1, "http-404": 1}
    state["up"] = True
    second = crawl(fast_config(site, max_retries=0), out)
    assert second.failures == {"http-404": 1}  # a 404 is an answer: not asked again
    assert second.stats["this_run"]["requeued_failed"] == 1
    hits = Counter(site.paths())
    assert hits["/flaky"] == 2 and hits["/ok"] == 1 and hits["/"] == 1 and hits["/gone"] == 1


def test_interrupted_crawl_exits_130_and_a_rerun_completes(
    site: SiteServer, tmp_path: Path
) -> None:
    pages = slow_site(site)
    out = tmp_path / "out"
    args = [sys.executable, "-m", "thresher", "crawl", site.base + "/", "-o", str(out)]
    args += ["--allow-private", "--rate", "100", "--per-host", "1"]
    code, err = interrupt_after(args, site, pages)
    assert code == 130, err
    last = err.strip().splitlines()[-1]
    assert re.fullmatch(r"interrupted: \d+ pages fetched; rerun the same command to resume", last)
    done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    hits = Counter(h.path for h in site.hits)
    assert all(hits[p] == 1 for p in ["/", *pages]), hits  # nothing fetched twice


def test_interrupted_run_stops_after_the_crawl_with_130(site: SiteServer, tmp_path: Path) -> None:
    # `thresher run` went on to extract and refine a partial crawl and exited 0.
    pages = slow_site(site)
    cfg = tmp_path / "p.yaml"
    cfg.write_text(
        f"crawl:\n  seeds: ['{site.base}/']\n  allow_private: true\n  rate: 100\n"
        f"output:\n  dir: {tmp_path / 'out'}\n"
    )
    code, err = interrupt_after([sys.executable, "-m", "thresher", "run", str(cfg)], site, pages)
    assert code == 130, err
    assert "rerun the same command to resume" in err.strip().splitlines()[-1]
    assert "Traceback" not in err
    assert not (tmp_path / "out" / "documents").exists()  # nothing extracted from half a crawl

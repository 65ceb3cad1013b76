"""Kill -9 the crawler at random moments, run it again: every page archived exactly once."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from aiohttp import web

from tests.crawl.site import SiteServer, text
from tests.crawl.warcs import fast_counts, ok_responses, records

N_PAGES = 900


def _site(site: SiteServer) -> None:
    site.routes["/robots.txt"] = text("User-agent: *\nDisallow: /nope/\n")

    async def handler(request: web.Request) -> web.Response:
        await asyncio.sleep(0.003)
        i = int(request.path.rsplit("/", 1)[-1].split(".")[0] or 0)
        links = "".join(f'<a href="/p/{(i * 7 + k) % N_PAGES}.html">x</a>' for k in range(1, 12))
        filler = "<p>" + ("lorem ipsum dolor sit amet " * 40) + "</p>"
        return web.Response(
            text=f"<html><body><h1>{i}</h1>{filler}{links}<a href='/nope/{i}'>n</a></body></html>",
            content_type="text/html",
        )

    site.default = handler


def _command(site: SiteServer, out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "thresher",
        "crawl",
        f"{site.base}/p/0.html",
        "-o",
        str(out),
        "--allow-private",
        "--rate",
        "150",
        "--per-host",
        "4",
        "--concurrency",
        "8",
        "--config",
        str(out.parent / "crawl.yaml"),
    ]


def test_repeated_sigkill_gives_exactly_once(site: SiteServer, tmp_path: Path) -> None:
    _site(site)
    out = tmp_path / "crawl"
    (tmp_path / "crawl.yaml").write_text("crawl:\n  checkpoint_interval: 0.3\n")
    rng = random.Random(1234)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    kills = 0
    progress = []
    for _ in range(7):
        proc = subprocess.Popen(
            _command(site, out), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(0.7, 1.5))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait(30)
        progress.append(len(site.hits))
    assert kills >= 5, f"the crawl finished too fast to be killed: {progress}"
    stats = out / "crawl-stats.json"
    assert not stats.exists() or not json.loads(stats.read_text())["finished"], progress
    print("hits after each kill:", progress)
    final = subprocess.run(
        _command(site, out), env=env, capture_output=True, text=True, timeout=120
    )
    assert final.returncode == 0, final.stderr
    # Every WARC file reads to its end with both readers, digests intact.
    counts = ok_responses(out)
    pages = {f"{site.base}/p/{i}.html" for i in range(N_PAGES)}
    page_counts = {u: n for u, n in counts.items() if not u.endswith("robots.txt")}
    assert set(page_counts) == pages
    assert set(page_counts.values()) == {1}, {u: n for u, n in page_counts.items() if n != 1}
    fc = fast_counts(out)
    recs = records(out)
    assert fc["response"] == sum(1 for r in recs if r["type"] == "response")
    assert not any(p.startswith("/nope/") for p in site.paths())


def test_sigterm_stops_cleanly_and_the_next_run_finishes(site: SiteServer, tmp_path: Path) -> None:
    _site(site)
    out = tmp_path / "crawl"
    (tmp_path / "crawl.yaml").write_text("crawl:\n  checkpoint_interval: 0.3\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(
        _command(site, out), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    # stop it mid-crawl: once it has fetched a few pages (a fixed sleep races the start-up of
    # a loaded machine, before the signal handlers are installed)
    deadline = time.monotonic() + 60
    while sum("/p/" in p for p in site.paths()) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130  # like an interrupt: state saved, rerun to resume
    assert "crawled" in stdout
    assert stderr.strip().splitlines()[-1].endswith("rerun the same command to resume")
    stats = json.loads((out / "crawl-stats.json").read_text())
    assert stats["finished"] is True and stats["complete"] is False
    assert stats["total"]["urls"]["leased"] == 0
    assert 0 < stats["total"]["urls"]["done"] < N_PAGES
    final = subprocess.run(
        _command(site, out), env=env, capture_output=True, text=True, timeout=120
    )
    assert final.returncode == 0, final.stderr
    counts = {u: n for u, n in ok_responses(out).items() if "/p/" in u}
    assert len(counts) == N_PAGES and set(counts.values()) == {1}

"""Reader and local API figures on local sites (127.0.0.1): ``thresher read`` wall time cold
and from the cache, ``serve`` GET /read from the cache and uncached over many origins, and
POST /extract of HTML, with concurrent clients. Run: ``.venv/bin/python bench/serve/read_bench.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

import aiohttp
from aiohttp import web

PARAGRAPH = (
    "The river valley was settled early, and its mills drove the first looms of the region. "
    "Every spring the water rose over the lower meadows and left a fertile silt behind. "
)


def article(path: str) -> str:
    body = "".join(f"<h2>Part {i}</h2><p>{PARAGRAPH * 4}</p>" for i in range(12))
    nav = "".join(f"<a href='/n{i}'>Link {i}</a> " for i in range(40))
    return (
        f"<!doctype html><html><head><title>Article {path}</title></head><body><nav>{nav}</nav>"
        f"<article><h1>Article {path}</h1>{body}</article><footer>Footer</footer></body></html>"
    )


class Sites:
    """``n`` origins (one port each) in one background loop; every path is an article."""

    def __init__(self, n: int) -> None:
        self.ports: list[int] = []
        self.requests = 0
        ready = threading.Event()

        async def handle(request: web.Request) -> web.Response:
            self.requests += 1
            if request.path == "/robots.txt":
                return web.Response(text="User-agent: *\nDisallow: /private\n")
            return web.Response(text=article(request.path), content_type="text/html")

        def run() -> None:
            loop = asyncio.new_event_loop()
            app = web.Application()
            app.router.add_route("GET", "/{tail:.*}", handle)
            runner = web.AppRunner(app, access_log=None)
            loop.run_until_complete(runner.setup())
            for _ in range(n):
                site = web.TCPSite(runner, "127.0.0.1", 0)
                loop.run_until_complete(site.start())
                self.ports.append(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
            ready.set()
            loop.run_forever()

        threading.Thread(target=run, daemon=True).start()
        ready.wait(30)


def cli_read(url: str, cache: Path | None) -> float:
    args = [sys.executable, "-m", "thresher", "read", url, "--allow-private", "--rate", "1000"]
    args += ["--cache", str(cache)] if cache else ["--no-cache"]
    t0 = time.perf_counter()
    run = subprocess.run(args, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return time.perf_counter() - t0


def start_serve(*args: str) -> tuple[subprocess.Popen[bytes], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "thresher", "serve", "--port", "0", *args],
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    while True:
        select.select([proc.stderr], [], [], 30)
        line = proc.stderr.readline()
        m = re.search(rb"serving on (http://\S+)", line)
        if m:
            return proc, m.group(1).decode()
        if proc.poll() is not None:
            raise SystemExit(f"serve failed: {line!r}")


async def hammer(
    requests: list[tuple[str, str, bytes | None]], concurrency: int
) -> tuple[float, list[float]]:
    """(wall seconds, latencies) for the requests, ``concurrency`` at a time."""
    sem = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as s:

        async def one(method: str, url: str, body: bytes | None) -> None:
            async with sem:
                t0 = time.perf_counter()
                headers = {"Content-Type": "application/json"} if body is not None else None
                async with s.request(method, url, data=body, headers=headers) as resp:
                    await resp.read()
                    assert resp.status == 200, (resp.status, url)
                latencies.append(time.perf_counter() - t0)

        t0 = time.perf_counter()
        await asyncio.gather(*(one(*r) for r in requests))
        return time.perf_counter() - t0, latencies


def line(name: str, n: int, wall: float, lat: list[float]) -> dict[str, object]:
    lat = sorted(lat)
    row = {
        "case": name,
        "requests": n,
        "per_second": round(n / wall, 1),
        "p50_ms": round(1000 * lat[len(lat) // 2], 1),
        "p95_ms": round(1000 * lat[int(len(lat) * 0.95)], 1),
    }
    print(json.dumps(row))
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--origins", type=int, default=16)
    ap.add_argument("--pages", type=int, default=25, help="uncached pages per origin")
    ap.add_argument("--cached", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=32)
    args = ap.parse_args()
    sites = Sites(args.origins)
    base0 = f"http://127.0.0.1:{sites.ports[0]}"
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["XDG_CACHE_HOME"] = tmp
        cold = [cli_read(f"{base0}/cli/{i}", None) for i in range(5)]
        cache = Path(tmp) / "cli"
        cli_read(f"{base0}/cli/warm", cache)
        warm = [cli_read(f"{base0}/cli/warm", cache) for _ in range(5)]
        cli = {"cold_median_s": statistics.median(cold), "cached_median_s": statistics.median(warm)}
        print(json.dumps({"case": "thresher read (process)", **cli}))
        served = Path(tmp) / "s"
        proc, api = start_serve("--allow-private", "--rate", "1000", "--cache", str(served))
        try:
            pages = [
                f"http://127.0.0.1:{p}/page/{i}" for i in range(args.pages) for p in sites.ports
            ]
            reqs = [("GET", f"{api}/read?url={quote(u, safe='')}", None) for u in pages]
            before = sites.requests
            wall, lat = asyncio.run(hammer(reqs, args.concurrency))
            line(f"serve GET /read uncached ({args.origins} origins)", len(reqs), wall, lat)
            assert sites.requests - before == len(pages) + args.origins  # pages + robots.txt
            hot = [reqs[i % len(reqs)] for i in range(args.cached)]
            wall, lat = asyncio.run(hammer(hot, args.concurrency))
            line("serve GET /read cached", len(hot), wall, lat)
            body = json.dumps({"html": article("/posted"), "url": "https://example.org/p"})
            posts = [("POST", f"{api}/extract", body.encode())] * 1000
            wall, lat = asyncio.run(hammer(posts, args.concurrency))
            line(f"serve POST /extract html ({len(body) // 1024} KB)", len(posts), wall, lat)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(15)


if __name__ == "__main__":
    main()

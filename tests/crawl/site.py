"""A real HTTP server on 127.0.0.1 for crawler tests: a small site with robots rules, traps,
redirect loops, slow and failing endpoints, huge and binary bodies; it logs every request."""

from __future__ import annotations

import asyncio
import gzip
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from thresher.crawl import CrawlConfig, CrawlResult, crawl


@dataclass
class Hit:
    path: str
    at: float
    headers: dict[str, str]


@dataclass
class SiteServer:
    """Serves ``routes`` (path → handler) in a background thread; ``hits`` logs requests."""

    routes: dict[str, Callable[[web.Request], object]] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    port: int = 0
    default: Callable[[web.Request], object] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def paths(self) -> list[str]:
        return [h.path for h in self.hits]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path_qs
        self.hits.append(Hit(path, time.monotonic(), dict(request.headers)))
        handler = self.routes.get(path) or self.routes.get(request.path) or self.default
        if handler is None:
            return web.Response(status=404, text="not found")
        out = handler(request)
        if asyncio.iscoroutine(out):
            out = await out
        return out  # type: ignore[return-value]

    def start(self) -> SiteServer:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", self._handle)
            runner = web.AppRunner(app, access_log=None)
            loop.run_until_complete(runner.setup())
            site = web.TCPSite(runner, "127.0.0.1", self.port)
            loop.run_until_complete(site.start())
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            self._runner = runner
            ready.set()
            loop.run_forever()
            loop.run_until_complete(runner.cleanup())

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


def html(body: str, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        text=f"<!doctype html><html><head><title>t</title></head><body>{body}</body></html>",
        content_type="text/html",
        status=status,
        headers=headers,
    )


def page(
    links: list[str],
    extra: str = "",
    head: str = "",
    headers: dict[str, str] | None = None,
) -> Callable[[web.Request], object]:
    """An HTML page linking to ``links``, with ``head`` markup and response ``headers``."""
    body = "".join(f'<a href="{href}">link</a> ' for href in links)
    return lambda r: web.Response(
        text=f"<!doctype html><html><head><title>{r.path}</title>{head}</head><body>"
        f"<p>Text of {r.path}.</p>{body}{extra}</body></html>",
        content_type="text/html",
        headers=headers,
    )


def redirect(to: str, status: int = 302) -> Callable[[web.Request], object]:
    return lambda r: web.Response(status=status, headers={"Location": to})


def text(body: str, status: int = 200, content_type: str = "text/plain") -> Callable:
    return lambda r: web.Response(text=body, status=status, content_type=content_type)


def gz(data: bytes) -> bytes:
    return gzip.compress(data)


def fast_config(site: SiteServer, **kw: object) -> CrawlConfig:
    """A crawl of ``site`` from its root without the polite pauses (tests only); ``kw`` wins."""
    base: dict[str, object] = {
        "seeds": [site.base + "/"],
        "allow_private": True,
        "rate": 500,
        "per_host": 4,
        "retry_base_delay": 0.01,
        "checkpoint_interval": 0.2,
    }
    base.update(kw)
    return CrawlConfig(**base)  # type: ignore[arg-type]


def flaky_site(site: SiteServer) -> dict[str, bool]:
    """A home page linking to /ok, /flaky (503 until ``state["up"]``) and /gone (404);
    returns the state to flip."""
    state = {"up": False}

    def flaky(request: web.Request) -> web.StreamResponse:
        if state["up"]:
            return page([])(request)  # type: ignore[return-value]
        return web.Response(status=503, text="busy")

    site.routes["/robots.txt"] = text("")
    site.routes["/"] = page(["/ok", "/flaky", "/gone"])
    site.routes["/ok"] = page([])
    site.routes["/flaky"] = flaky
    site.routes["/gone"] = text("no", status=404)
    return state


def refused_seed_then_up(
    port: int, out: Path, **config: object
) -> tuple[CrawlResult, CrawlResult, SiteServer]:
    """Crawl a seed on ``port`` where nothing listens, then start a site there (/ and /a) and
    crawl again into ``out``: (first result, second result, the site)."""
    site = SiteServer(port=port)
    cfg = fast_config(site, seeds=[f"http://127.0.0.1:{port}/"], **config)
    first = crawl(cfg, out)
    site.routes["/robots.txt"] = text("")
    site.routes["/"] = page(["/a"])
    site.routes["/a"] = page([])
    site.start()
    try:
        second = crawl(cfg, out)
    finally:
        site.stop()
    return first, second, site

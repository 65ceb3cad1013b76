"""JavaScript rendering through Playwright and the system Chromium (no browser download).

The page's HTML is the response the crawler already fetched (served to the browser from
memory, so the page is not requested twice); scripts and data requests go to the network
through the same address guard; images, media and fonts are not loaded.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from urllib.parse import urlsplit

from thresher.crawl.config import CrawlConfig
from thresher.crawl.fetch import FetchResult
from thresher.crawl.guard import AddressGuard
from thresher.errors import ConfigError

__all__ = ["Renderer"]

_SKIP_TYPES = {"image", "media", "font"}
_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


class Renderer:
    """A headless Chromium shared by the crawl; ``render`` returns the DOM after scripts ran."""

    def __init__(self, config: CrawlConfig, guard: AddressGuard, user_agent: str = "") -> None:
        self.config = config
        self.guard = guard
        self.user_agent = user_agent or config.user_agent
        self._sem = asyncio.Semaphore(config.render_concurrency)
        self._pw: Any = None
        self._browser: Any = None
        self.errors = 0

    async def start(self) -> None:
        try:
            from playwright.async_api import async_playwright
        except ImportError:
            raise ConfigError("--render needs Playwright: pip install 'thresher[render]'") from None
        self._pw = await async_playwright().start()
        try:
            self._browser = await self._pw.chromium.launch(
                executable_path=self.config.chromium, args=_ARGS, headless=True
            )
        except Exception as e:
            await self._pw.stop()
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise ConfigError(
                f"--render: cannot start Chromium at {self.config.chromium}: {first}"
            ) from None

    async def _route(self, route: Any, url: str, res: FetchResult) -> None:
        req = route.request
        if req.url == url and req.is_navigation_request():
            await route.fulfill(
                status=200,
                body=res.payload,
                headers={"content-type": res.content_type or "text/html"},
            )
            return
        if req.resource_type in _SKIP_TYPES:
            await route.abort()
            return
        parts = urlsplit(req.url)
        if parts.scheme not in ("http", "https"):
            await route.abort()
            return
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if await self.guard.check(parts.hostname or "", port):
            await route.abort()
            return
        await route.continue_()

    async def render(self, url: str, res: FetchResult) -> bytes | None:
        """The rendered DOM of a fetched HTML page, or None when rendering failed."""
        async with self._sem:
            context = await self._browser.new_context(user_agent=self.user_agent)
            try:
                page = await context.new_page()
                await page.route("**/*", lambda route: self._route(route, url, res))
                await page.goto(url, wait_until="load", timeout=self.config.render_timeout * 1000)
                with contextlib.suppress(Exception):
                    await page.wait_for_load_state(
                        "networkidle", timeout=min(2000, self.config.render_timeout * 1000)
                    )
                html = await page.content()
                return html.encode("utf-8")
            except Exception:
                self.errors += 1
                return None
            finally:
                with contextlib.suppress(Exception):
                    await context.close()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            if self._browser is not None:
                await self._browser.close()
        with contextlib.suppress(Exception):
            if self._pw is not None:
                await self._pw.stop()

"""Fetch one page politely, with the crawl's own parts, outside a crawl (``thresher read``,
``thresher serve``, recipe suggestions, a notebook).

:class:`PoliteFetcher` owns everything a polite single fetch needs: robots.txt (fetched once
per host, parsed and kept for ``robots_ttl``; a robots.txt that fails is not asked again for
:data:`ROBOTS_RETRY_AFTER` seconds), the honest User-Agent, the address guard before every
request and inside the HTTP client's resolver, redirects up to ``max_redirects`` with every
hop checked again (guard and robots), the body cap and timeouts of
:class:`~thresher.crawl.config.CrawlConfig`, per-host spacing (rate, Crawl-delay,
``Retry-After`` read by :mod:`thresher.retry`; ``per_host`` requests in flight), the quick
retries of refused connections of :class:`~thresher.crawl.fetcher.Fetcher`, an optional cache
of pages and robots.txt files, and the crawl's Chromium renderer for ``render``. Failures are
:class:`~thresher.crawl.page_errors.PageError` subclasses, one line each.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from thresher.crawl import urls as U
from thresher.crawl.counters import RunCounters
from thresher.crawl.discover import parse_html, robots_directives, tdm_value
from thresher.crawl.engine import effective_user_agent
from thresher.crawl.fetch import FetchResult
from thresher.crawl.fetcher import REDIRECTS, Fetcher, client_session
from thresher.crawl.guard import AddressGuard
from thresher.crawl.outcomes import BLOCKED_PRIVATE
from thresher.crawl.page_errors import (
    BadURL,
    PrivateAddress,
    RenderUnavailable,
    RobotsDisallowed,
    RobotsUnavailable,
    UpstreamError,
    UpstreamTimeout,
)
from thresher.crawl.politeness import HostState
from thresher.crawl.proxies import ProxyPool
from thresher.crawl.robots import MAX_ROBOTS_BYTES, RobotsRules, product_token
from thresher.crawl.sitefiles import robots_rules
from thresher.errors import ConfigError
from thresher.retry import parse_retry_after

if TYPE_CHECKING:
    from thresher.crawl.config import CrawlConfig

__all__ = [
    "DEFAULT_PAGE_TTL",
    "ROBOTS_RETRY_AFTER",
    "FetchCache",
    "FetchedPage",
    "PageSignals",
    "PoliteFetcher",
    "fetch_pages",
]

#: seconds a fetched page is served from the cache
DEFAULT_PAGE_TTL = 3600.0
#: seconds a robots.txt that answered 5xx (or not at all) is not asked again
ROBOTS_RETRY_AFTER = 60.0
_OPT_OUTS = frozenset({"noindex", "nofollow", "noai", "noimageai", "tdm-reservation"})
_PRIVATE_HINT = "a loopback or private address (--allow-private permits it)"

#: the robots meta directives and the TDM-Reservation meta value of a page's HTML
PageSignals = tuple[set[str], int | None]


class CachedEntry(Protocol):
    """One stored answer: its JSON-able header, its body, and when it was stored."""

    meta: dict[str, Any]
    body: bytes
    stored: float


class FetchCache(Protocol):
    """Where fetched pages and robots.txt files are kept between fetches (``kind`` is
    ``pages`` or ``robots``); :class:`thresher.serve.cache.PageCache` is one on disk."""

    def get(self, kind: str, key: str, ttl: float) -> CachedEntry | None: ...

    def put(self, kind: str, key: str, meta: dict[str, Any], body: bytes) -> None: ...

    def prune(self, older_than: float) -> int: ...


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(slots=True)
class FetchedPage:
    """The final answer to a fetch: where it ended, what came back, and how."""

    url: str
    payload: bytes
    content_type: str
    fetched_at: str
    redirects: list[str] = field(default_factory=list)
    truncated: str | None = None
    rendered: bool = False
    cached: bool = False
    #: the opt-out headers of the answer: X-Robots-Tag values, TDM-Reservation
    robots_tags: list[str] = field(default_factory=list)
    tdm_header: str | None = None

    def to_meta(self) -> dict[str, Any]:
        """Everything but the payload, as a cache entry's header."""
        return {
            "url": self.url,
            "content_type": self.content_type,
            "fetched_at": self.fetched_at,
            "redirects": self.redirects,
            "truncated": self.truncated,
            "rendered": self.rendered,
            "robots_tags": self.robots_tags,
            "tdm_header": self.tdm_header,
        }

    @classmethod
    def from_meta(cls, meta: dict[str, Any], payload: bytes) -> FetchedPage:
        """A page back from a cache entry (:meth:`to_meta` and the payload)."""
        return cls(
            url=str(meta["url"]),
            payload=payload,
            content_type=str(meta.get("content_type") or ""),
            fetched_at=str(meta.get("fetched_at") or ""),
            redirects=[str(u) for u in meta.get("redirects") or []],
            truncated=meta.get("truncated"),
            rendered=bool(meta.get("rendered")),
            cached=True,
            robots_tags=[str(v) for v in meta.get("robots_tags") or []],
            tdm_header=meta.get("tdm_header"),
        )

    @staticmethod
    def html_signals(payload: bytes, agent: str) -> PageSignals:
        """The opt-out signals in an HTML body (robots meta for ``agent``, TDM-Reservation
        meta); static, so a worker process can run it on the payload alone."""
        info = parse_html(payload, agent)
        return set(info.directives), info.tdm_reservation

    def opt_outs(self, agent: str, html: PageSignals | None = None) -> list[str]:
        """The page's opt-out signals for ``agent``, read as the crawl reads them
        (X-Robots-Tag, robots meta, TDM-Reservation header or meta): recorded, not obeyed.
        ``html`` is :meth:`html_signals` of the payload (None: headers only)."""
        found: set[str] = set(html[0]) if html is not None else set()
        for value in self.robots_tags:
            found |= robots_directives(value, agent)
        tdm = tdm_value(self.tdm_header)
        if html is not None and html[1] is not None:
            tdm = html[1]
        if tdm == 1:
            found.add("tdm-reservation")
        return sorted(found & _OPT_OUTS)


class PoliteFetcher:
    """Fetches pages one at a time or many at once (``async with PoliteFetcher(config)``);
    robots.txt rules, host spacing, the cache and the Chromium renderer are shared by every
    fetch. ``stats`` counts requests (``fetched``, ``robots_fetches``, ``retries``)."""

    def __init__(
        self,
        config: CrawlConfig,
        *,
        cache: FetchCache | None = None,
        page_ttl: float = DEFAULT_PAGE_TTL,
    ) -> None:
        self.config = config
        self.user_agent = effective_user_agent(config)
        #: the robots.txt product token of the user agent (what robots rules are read for)
        self.token = product_token(self.user_agent) or "thresher"
        proxies = ProxyPool(config.proxies)
        self.guard = AddressGuard(config.allow_private, [*config.allow_hosts, *proxies.hosts()])
        self.stats = RunCounters()
        self.fetcher = Fetcher(config, self.guard, proxies, self.user_agent, None, self.stats)
        self.cache = cache
        self.page_ttl = page_ttl
        self._hosts: dict[str, HostState] = {}
        self._robots: dict[str, tuple[float, RobotsRules]] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self._robots_failed: dict[str, tuple[float, str]] = {}
        self._pending: dict[str, asyncio.Future[FetchedPage]] = {}
        self._in_flight: dict[str, asyncio.Semaphore] = {}
        self._renderer: Any = None
        self._render_lock = asyncio.Lock()

    async def __aenter__(self) -> PoliteFetcher:
        if self.cache is not None:  # entries too old for any fetch of this fetcher
            self.cache.prune(max(self.page_ttl, self.config.robots_ttl))
        self.fetcher.session = client_session(self.config, self.guard)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP client and the browser (when one was started)."""
        if self.fetcher.session is not None:
            await self.fetcher.session.close()
            self.fetcher.session = None
        if self._renderer is not None:
            await self._renderer.close()
            self._renderer = None

    # -- the page ----------------------------------------------------------------------
    async def fetch(self, url: str, *, render: bool = False) -> FetchedPage:
        """The final answer for ``url`` after redirects, from the cache when fresh; every
        hop is guarded and allowed by robots.txt before it is requested. Concurrent fetches
        of one page share one request."""
        start = U.canonicalize(url)
        if start is None:
            raise BadURL(f"{url}: not an http(s) URL")
        await self._check_guard(start)  # before robots.txt: a refused host sees nothing
        key = f"{'rendered' if render else 'raw'} {start}"
        running = self._pending.get(key)
        if running is None:  # one fetch per page at a time; concurrent reads share it
            running = asyncio.ensure_future(self._fetch_once(start, key, render))
            self._pending[key] = running
            running.add_done_callback(lambda _done: self._pending.pop(key, None))
        return await asyncio.shield(running)

    async def _fetch_once(self, start: str, key: str, render: bool) -> FetchedPage:
        if self.cache is not None:
            hit = self.cache.get("pages", key, self.page_ttl)
            if hit is not None:
                fetched = FetchedPage.from_meta(hit.meta, hit.body)
                for hop in dict.fromkeys([start, *fetched.redirects, fetched.url]):
                    await self._check_guard(hop)  # the cache keeps no other policy's pages
                    await self._check_robots(hop)
                return fetched
        fetched = await self._follow(start)
        if render:
            fetched = await self._render(fetched)
        if self.cache is not None:
            self.cache.put("pages", key, fetched.to_meta(), fetched.payload)
        return fetched

    async def _follow(self, url: str) -> FetchedPage:
        chain: list[str] = []
        for _hop in range(self.config.max_redirects + 1):
            await self._check_robots(url)
            res = await self._get(url)
            if res.status in REDIRECTS:
                location = res.header("location")
                target = U.join(url, location) if location else None
                if target is None:
                    raise UpstreamError(f"{url}: HTTP {res.status} without a usable Location")
                if target == url or target in chain:
                    raise UpstreamError(f"{url}: redirect loop through {target}")
                chain.append(url)
                url = target
                continue
            if res.status != 200:
                raise UpstreamError(f"{url}: the site answered HTTP {res.status}")
            return FetchedPage(
                url=url,
                payload=res.payload,
                content_type=res.content_type,
                fetched_at=_iso(res.started),
                redirects=chain,
                truncated=res.truncated,
                robots_tags=res.headers_all("x-robots-tag"),
                tdm_header=res.header("tdm-reservation"),
            )
        raise UpstreamError(f"{chain[0]}: more than {self.config.max_redirects} redirects")

    async def _get(self, url: str) -> FetchResult:
        """One GET in the host's next slot; network failures become PageErrors."""
        async with self._turn(url) as h:
            res = await self.fetcher.get(url)
        self.stats.fetched += 1
        if res.error == BLOCKED_PRIVATE:
            raise PrivateAddress(f"{url}: refused: the host is {_PRIVATE_HINT}")
        if res.error == "timeout":
            raise UpstreamTimeout(f"{url}: no answer within {self.config.timeout:g}s")
        if res.error is not None:
            detail = f" ({res.error_detail})" if res.error_detail else ""
            raise UpstreamError(f"{url}: {res.error}{detail}")
        if res.status in (429, 503):
            wait = parse_retry_after(res.header("retry-after"))
            if wait is not None:
                h.pause(min(wait, self.config.max_retry_after), time.monotonic())
        return res

    async def _render(self, fetched: FetchedPage) -> FetchedPage:
        """The DOM after scripts ran, through the crawl's renderer (started on first use)."""
        async with self._render_lock:
            if self._renderer is None:
                from thresher.crawl.render import Renderer

                renderer = Renderer(self.config, self.guard, self.user_agent)
                try:
                    await renderer.start()
                except ConfigError as e:  # no Playwright, no Chromium: this install cannot
                    raise RenderUnavailable(str(e)) from None
                self._renderer = renderer
        res = FetchResult(url=fetched.url, payload=fetched.payload)
        res.content_type = fetched.content_type
        html = await self._renderer.render(fetched.url, res)
        if html is None:
            raise UpstreamError(f"{fetched.url}: rendering failed or timed out")
        fetched.payload, fetched.rendered = html, True
        fetched.content_type = "text/html; charset=utf-8"
        return fetched

    # -- politeness ----------------------------------------------------------------------
    def _host(self, url: str) -> HostState:
        key = U.host_of(url)
        h = self._hosts.get(key)
        if h is None:
            h = self._hosts[key] = HostState(key, 1.0 / self.config.rate)
        return h

    @asynccontextmanager
    async def _turn(self, url: str) -> AsyncIterator[HostState]:
        """The host's turn: at most ``per_host`` requests in flight to it, each started in
        its own slot."""
        key = U.host_of(url)
        sem = self._in_flight.get(key)
        if sem is None:
            sem = self._in_flight[key] = asyncio.Semaphore(self.config.per_host)
        async with sem:
            yield await self._slot(url)

    async def _slot(self, url: str) -> HostState:
        """Wait for the host's next request slot (rate, crawl-delay, Retry-After)."""
        h = self._host(url)
        now = time.monotonic()
        if h.paused_until - now > self.config.timeout:
            raise UpstreamError(
                f"{url}: the site asked to wait {h.paused_until - now:.0f}s (Retry-After)"
            )
        start = max(h.take_slot(now), h.paused_until)
        if start > now:
            await asyncio.sleep(start - now)
        return h

    async def _check_guard(self, url: str) -> None:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        verdict = await self.guard.check(parts.hostname or "", port)
        if verdict == BLOCKED_PRIVATE:
            raise PrivateAddress(f"{url}: refused: the host is {_PRIVATE_HINT}")
        if verdict is not None:
            raise UpstreamError(f"{url}: {verdict}")

    async def _check_robots(self, url: str) -> None:
        if not self.config.respect_robots:
            return
        rules = await self.robots(U.host_of(url))
        if not rules.allowed(self.token, url):
            raise RobotsDisallowed(
                f"{url}: disallowed by robots.txt for {self.token!r}; the page was not requested"
            )

    async def robots(self, host: str) -> RobotsRules:
        """The robots.txt rules of ``scheme://host[:port]``: from memory, the cache, or the
        site (one fetch per host at a time), kept for ``robots_ttl``."""
        lock = self._robots_locks.setdefault(host, asyncio.Lock())
        async with lock:
            known = self._robots.get(host)
            if known is not None and known[0] > time.time():
                return known[1]
            failed = self._robots_failed.get(host)
            if failed is not None and failed[0] > time.monotonic():
                raise RobotsUnavailable(failed[1])  # not asked again for a while
            ttl = self.config.robots_ttl
            hit = self.cache.get("robots", host, ttl) if self.cache is not None else None
            started: float | None = None
            if hit is not None:
                status, body, fetched = str(hit.meta.get("status")), hit.body, hit.stored
            else:
                started = time.monotonic()
                try:
                    status, body = await self._fetch_robots(host)
                except RobotsUnavailable as e:
                    self._robots_failed[host] = (time.monotonic() + ROBOTS_RETRY_AFTER, str(e))
                    raise
                fetched = time.time()
                if self.cache is not None:
                    self.cache.put("robots", host, {"status": status}, body)
            rules = robots_rules(status, body)
            h = self._host(host + "/")
            delay = rules.crawl_delay(self.token)
            h.crawl_delay = min(delay, self.config.max_crawl_delay) if delay else 0.0
            if started is not None:  # the robots.txt request counts against the crawl-delay
                h.next_slot = max(h.next_slot, started + h.interval)
            self._robots[host] = (fetched + ttl, rules)
            return rules

    async def _fetch_robots(self, host: str) -> tuple[str, bytes]:
        robots = U.robots_url(host)
        async with self._turn(robots):
            _url, res, status, detail = await self.fetcher.site_file(
                robots, MAX_ROBOTS_BYTES, "robots_fetches"
            )
        if status == "down":
            if detail == BLOCKED_PRIVATE:
                raise PrivateAddress(f"{robots}: refused: the host is {_PRIVATE_HINT}")
            raise UpstreamError(f"{host}: {detail}")
        if status == "error":
            raise RobotsUnavailable(
                f"{robots}: unavailable ({detail}); no page of {host} is fetched without it"
            )
        body = res.payload[:MAX_ROBOTS_BYTES] if status == "ok" and res is not None else b""
        return status, body


def fetch_pages(urls: list[str], config: CrawlConfig) -> dict[str, tuple[str, bytes]]:
    """Several pages fetched politely at once, from synchronous code (``thresher recipe
    suggest``'s sample URLs): each URL → (the URL after redirects, the body)."""

    async def _main() -> dict[str, tuple[str, bytes]]:
        async with PoliteFetcher(config) as pages:
            done = await asyncio.gather(*(pages.fetch(u) for u in urls))
        return {u: (f.url, f.payload) for u, f in zip(urls, done, strict=True)}

    return asyncio.run(_main())

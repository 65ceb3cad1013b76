"""One page, read politely with the crawl's own parts: robots.txt (fetched, parsed and cached as
the crawl does) before the page, the honest User-Agent, the address guard before every request
and inside the HTTP client's resolver, every redirect hop checked again (guard and robots),
the body cap and timeouts of :class:`~thresher.crawl.config.CrawlConfig`, per-host spacing
(rate, crawl-delay, Retry-After), and the crawl's Chromium renderer for ``render``. The page
becomes a document through extract's own :func:`~thresher.extract.run.process_page`.

Used by ``thresher read`` (one page) and ``thresher serve`` (many, concurrently).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from thresher.archive.record import split_content_type
from thresher.crawl import urls as U
from thresher.crawl.config import CrawlConfig
from thresher.crawl.counters import RunCounters
from thresher.crawl.discover import parse_html, robots_directives, tdm_value
from thresher.crawl.engine import effective_user_agent
from thresher.crawl.fetch import FetchResult
from thresher.crawl.fetcher import REDIRECTS, Fetcher, client_session
from thresher.crawl.guard import AddressGuard
from thresher.crawl.outcomes import BLOCKED_PRIVATE
from thresher.crawl.politeness import HostState
from thresher.crawl.proxies import ProxyPool
from thresher.crawl.robots import MAX_ROBOTS_BYTES, RobotsRules, product_token
from thresher.crawl.sitefiles import robots_rules
from thresher.document import Document
from thresher.errors import ConfigError
from thresher.extract.config import ExtractConfig
from thresher.extract.inputs import Page
from thresher.extract.run import process_page, triage
from thresher.retry import parse_retry_after
from thresher.serve.cache import PageCache
from thresher.serve.errors import (
    BadRequest,
    NotReadable,
    PrivateAddress,
    RenderUnavailable,
    RobotsDisallowed,
    RobotsUnavailable,
    UpstreamError,
    UpstreamTimeout,
)
from thresher.serve.pool import ExtractPool

__all__ = [
    "DEFAULT_PAGE_TTL",
    "ROBOTS_RETRY_AFTER",
    "Fetched",
    "Reader",
    "as_markdown",
    "read_page",
]

#: seconds a fetched page is served from the cache
DEFAULT_PAGE_TTL = 3600.0
_OPT_OUTS = frozenset({"noindex", "nofollow", "noai", "noimageai", "tdm-reservation"})
#: seconds a robots.txt that answered 5xx (or not at all) is not asked again
ROBOTS_RETRY_AFTER = 60.0
#: documents of recent reads kept in memory, so a cached page is not extracted again
_DOCUMENTS_KEPT = 256
_PRIVATE_HINT = "a loopback or private address (--allow-private permits it)"


@dataclass(slots=True)
class Fetched:
    """The final answer to a read: where it ended, what came back, and how."""

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
    def from_meta(cls, meta: dict[str, Any], payload: bytes) -> Fetched:
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


#: the robots meta directives and the TDM-Reservation meta value of a page's HTML
PageSignals = tuple[set[str], int | None]


def page_document(
    page: Page, config: ExtractConfig, token: str
) -> tuple[Document | None, str | None, PageSignals]:
    """(document, drop reason, opt-out signals of its HTML): everything that parses the page,
    in one call a worker process can run."""
    doc, reason, _ = process_page(page, config)
    if doc is None:
        return None, reason, (set(), None)
    info = parse_html(page.payload, token)
    return doc, None, (set(info.directives), info.tdm_reservation)


def why_not(reason: str | None, config: ExtractConfig) -> str:
    """Why a page gave no document, in words."""
    if reason == "too_deep":
        return f"the page's elements nest deeper than {config.max_depth} (too_deep)"
    if reason == "timeout":
        return f"extraction took longer than {config.timeout:g}s (timeout)"
    return f"no main content found ({reason})"


def as_markdown(doc: Document) -> str:
    """The main content as Markdown with the title as the first heading."""
    body = (doc.markdown or doc.text).strip()
    if doc.title:
        return f"# {doc.title.strip()}\n\n{body}\n"
    return body + "\n"


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Reader:
    """Reads pages one at a time or many at once (``async with Reader(...)``); robots.txt
    rules, host spacing and the Chromium renderer are shared by every read."""

    def __init__(
        self,
        config: CrawlConfig,
        *,
        cache: PageCache | None = None,
        page_ttl: float = DEFAULT_PAGE_TTL,
        extract: ExtractConfig | None = None,
        pool: ExtractPool | None = None,
    ) -> None:
        self.config = config
        self.user_agent = effective_user_agent(config)
        self.token = product_token(self.user_agent) or "thresher"
        proxies = ProxyPool(config.proxies)
        self.guard = AddressGuard(config.allow_private, [*config.allow_hosts, *proxies.hosts()])
        self.stats = RunCounters()
        self.fetcher = Fetcher(config, self.guard, proxies, self.user_agent, None, self.stats)
        self.cache = cache
        self.page_ttl = page_ttl
        self.extract_config = extract or ExtractConfig(markdown=True)
        #: where pages are extracted (serve: worker processes under a time limit); None: here
        self.pool = pool
        self._hosts: dict[str, HostState] = {}
        self._robots: dict[str, tuple[float, RobotsRules]] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self._robots_failed: dict[str, tuple[float, str]] = {}
        self._pending: dict[str, asyncio.Future[Fetched]] = {}
        self._in_flight: dict[str, asyncio.Semaphore] = {}
        self._documents: OrderedDict[tuple[str, str, bool, int], Document] = OrderedDict()
        self._renderer: Any = None
        self._render_lock = asyncio.Lock()

    async def __aenter__(self) -> Reader:
        if self.cache is not None:  # entries too old for any read of this reader
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
    async def read(self, url: str, *, render: bool = False) -> Document:
        """The page at ``url`` as a document (Markdown included); a ReadError says why not.
        A page read before (the same fetch, from the cache) is not extracted again."""
        fetched = await self.fetch(url, render=render)
        memo = (fetched.url, fetched.fetched_at, fetched.rendered, len(fetched.payload))
        doc = self._documents.get(memo)
        if doc is None:
            doc = await self._document(fetched)
            self._documents[memo] = doc
            if len(self._documents) > _DOCUMENTS_KEPT:
                self._documents.popitem(last=False)
        else:
            self._documents.move_to_end(memo)
        return replace(doc, metadata=dict(doc.metadata))  # callers may change their copy

    def document(self, fetched: Fetched) -> Document:
        """A fetched answer through extract's triage and extraction (in this process)."""
        page = self._page(fetched)
        return self._finish(fetched, *page_document(page, self.extract_config, self.token))

    async def _document(self, fetched: Fetched) -> Document:
        """:meth:`document`, in the extraction pool when the reader has one."""
        if self.pool is None:
            return self.document(fetched)
        page = self._page(fetched)
        found = await self.pool.call(page_document, page, self.extract_config, self.token)
        return self._finish(fetched, *found)

    def _page(self, fetched: Fetched) -> Page:
        media, charset = split_content_type(fetched.content_type)
        page = Page(
            source=fetched.url,
            url=fetched.url,
            fetched_at=fetched.fetched_at,
            payload=fetched.payload,
            charset="utf-8" if fetched.rendered else charset,
            status=200,
            content_type=media,
        )
        reason, _ = triage(page)
        if reason is not None:
            raise NotReadable(f"{fetched.url}: not an HTML page ({media or 'no content type'})")
        return page

    def _finish(
        self, fetched: Fetched, doc: Document | None, reason: str | None, signals: PageSignals
    ) -> Document:
        if doc is None:
            raise NotReadable(f"{fetched.url}: {why_not(reason, self.extract_config)}")
        extra: dict[str, Any] = {"redirects": fetched.redirects, "rendered": fetched.rendered}
        if fetched.truncated:
            extra["truncated"] = fetched.truncated
        opt_outs = self.opt_outs(fetched, signals)
        if opt_outs:
            extra["opt_out"] = opt_outs
        doc.metadata.update(extra)
        return doc

    def opt_outs(self, fetched: Fetched, signals: PageSignals) -> list[str]:
        """The page's opt-out signals for this reader's agent, read as the crawl reads them
        (X-Robots-Tag, robots meta, TDM-Reservation header or meta): recorded, not obeyed."""
        found: set[str] = set(signals[0])
        for value in fetched.robots_tags:
            found |= robots_directives(value, self.token)
        tdm = tdm_value(fetched.tdm_header)
        if signals[1] is not None:
            tdm = signals[1]
        if tdm == 1:
            found.add("tdm-reservation")
        return sorted(found & _OPT_OUTS)

    async def fetch(self, url: str, *, render: bool = False) -> Fetched:
        """The final answer for ``url`` after redirects, from the cache when fresh; every
        hop is guarded and allowed by robots.txt before it is requested."""
        start = U.canonicalize(url)
        if start is None:
            raise BadRequest(f"{url}: not an http(s) URL")
        await self._check_guard(start)  # before robots.txt: a refused host sees nothing
        key = f"{'rendered' if render else 'raw'} {start}"
        running = self._pending.get(key)
        if running is None:  # one fetch per page at a time; concurrent reads share it
            running = asyncio.ensure_future(self._fetch_once(start, key, render))
            self._pending[key] = running
            running.add_done_callback(lambda _done: self._pending.pop(key, None))
        return await asyncio.shield(running)

    async def _fetch_once(self, start: str, key: str, render: bool) -> Fetched:
        if self.cache is not None:
            hit = self.cache.get("pages", key, self.page_ttl)
            if hit is not None:
                fetched = Fetched.from_meta(hit.meta, hit.body)
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

    async def _follow(self, url: str) -> Fetched:
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
            return Fetched(
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
        """One GET in the host's next slot; network failures become ReadErrors."""
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

    async def _render(self, fetched: Fetched) -> Fetched:
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


def read_page(
    url: str,
    config: CrawlConfig,
    *,
    render: bool = False,
    cache: PageCache | None = None,
    page_ttl: float = DEFAULT_PAGE_TTL,
) -> Document:
    """Read one page (``thresher read``): a fresh reader, one read, closed again."""

    async def _main() -> Document:
        async with Reader(config, cache=cache, page_ttl=page_ttl) as reader:
            return await reader.read(url, render=render)

    return asyncio.run(_main())


def fetch_pages(urls: list[str], config: CrawlConfig) -> dict[str, tuple[str, bytes]]:
    """Several pages fetched politely at once (``thresher recipe suggest``'s sample URLs):
    each URL → (the URL after redirects, the body)."""

    async def _main() -> dict[str, tuple[str, bytes]]:
        async with Reader(config) as reader:
            done = await asyncio.gather(*(reader.fetch(u) for u in urls))
        return {u: (f.url, f.payload) for u, f in zip(urls, done, strict=True)}

    return asyncio.run(_main())

"""One request of the crawl: the address guard, proxies, quick retries of refused
connections, conditional headers, and archiving the answer as a WARC exchange."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import aiohttp

from thresher.crawl import urls as U
from thresher.crawl.fetch import ACCEPT_ENCODING, FetchResult, fetch
from thresher.crawl.frontier.base import PAGE, Entry
from thresher.crawl.guard import GuardedResolver
from thresher.crawl.outcomes import HOST_DOWN, PROXY_FAULTS, QUICK_RETRY, REFUSED_RETRY_DELAYS

if TYPE_CHECKING:
    from thresher.archive.writer import WarcWriter
    from thresher.crawl.config import CrawlConfig
    from thresher.crawl.counters import RunCounters
    from thresher.crawl.guard import AddressGuard
    from thresher.crawl.proxies import ProxyPool

__all__ = ["REDIRECTS", "Fetcher", "client_session"]

REDIRECTS = {301, 302, 303, 307, 308}
_SITE_FILE_REDIRECTS = 5


def client_session(config: CrawlConfig, guard: AddressGuard) -> aiohttp.ClientSession:
    """The crawl's HTTP client (open it inside the event loop): the address guard in its
    resolver, so it holds at connect time too; bodies raw (``fetch`` decodes them with a
    bound); no cookies; long header lines accepted."""
    connector = aiohttp.TCPConnector(
        limit=config.concurrency,
        limit_per_host=0,
        resolver=GuardedResolver(guard),
        ttl_dns_cache=300,
        force_close=False,
    )
    return aiohttp.ClientSession(
        connector=connector,
        auto_decompress=False,
        cookie_jar=aiohttp.DummyCookieJar(),
        max_line_size=65536,
        max_field_size=65536,
    )


class Fetcher:
    """GETs URLs for the crawl (``session`` is set once the crawl's client is open). Without
    a ``writer`` nothing is archived (one page at a time, :mod:`thresher.crawl.one_page`)."""

    def __init__(
        self,
        config: CrawlConfig,
        guard: AddressGuard,
        proxies: ProxyPool,
        user_agent: str,
        writer: WarcWriter | None,
        stats: RunCounters,
    ) -> None:
        self.config = config
        self.guard = guard
        self.proxies = proxies
        self.user_agent = user_agent
        self.writer = writer
        self.stats = stats
        self.session: aiohttp.ClientSession | None = None

    def headers(self, e: Entry | None) -> dict[str, str]:
        headers = {
            "User-Agent": self.user_agent,
            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "Accept-Encoding": ACCEPT_ENCODING,
        }
        if e is not None and self.config.recrawl and e.kind == PAGE:
            if e.etag:
                headers["If-None-Match"] = e.etag
            if e.last_modified:
                headers["If-Modified-Since"] = e.last_modified
        return headers

    async def get(
        self,
        url: str,
        e: Entry | None = None,
        max_body: int | None = None,
    ) -> FetchResult:
        """One GET (or a few, for a refused connection); errors are in the result."""
        assert self.session is not None
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        blocked = await self.guard.check(parts.hostname or "", port)
        if blocked:
            return FetchResult(url=url, error=blocked, started=time.time())
        if max_body is None:
            max_body = self.config.max_body_bytes
        # A refused connection is retried at once a few times, with short waits, not with
        # the backoff of other errors: nothing listening rarely starts to within minutes.
        for delay in (*REFUSED_RETRY_DELAYS, None):
            proxy = self.proxies.pick()
            res = await fetch(
                self.session,
                url,
                self.headers(e),
                timeout=self.config.timeout,
                max_body=max_body,
                proxy=proxy,
            )
            if proxy is not None:
                self.proxies.report(proxy, ok=res.error not in PROXY_FAULTS)
            if delay is None or res.error not in QUICK_RETRY:
                break
            self.stats.retries += 1
            await asyncio.sleep(delay)
        return res

    def archive(self, res: FetchResult, payload_digest: str | None = None) -> str:
        """Write the request and response records; returns the response's record id
        (empty when there is no archive)."""
        self.stats.bytes += len(res.payload)
        if self.writer is None:
            return ""
        return self.writer.write_exchange(
            res.url,
            res.request,
            res.response_block(),
            res.payload,
            ip=res.ip,
            date=res.started,
            truncated=res.truncated,
            payload_digest=payload_digest,
        )

    async def site_file(
        self, url: str, max_body: int, counter: str
    ) -> tuple[str, FetchResult | None, str, str]:
        """GET a host-wide file (robots.txt, tdmrep.json), following up to five redirects and
        archiving every answer.

        Returns the last URL and response, the outcome — ``ok`` (2xx), ``error`` (429, 5xx,
        timeouts, other network errors), ``down`` (the address guard, a refused connection,
        a name that does not resolve: the detail is the reason), ``missing`` (anything else,
        including more than five redirects) — and a detail for the records.
        """
        for _hop in range(_SITE_FILE_REDIRECTS + 1):
            res = await self.get(url, max_body=max_body)
            setattr(self.stats, counter, getattr(self.stats, counter) + 1)
            if res.error is not None:
                return url, res, "down" if res.error in HOST_DOWN else "error", res.error
            self.archive(res)
            if res.status in REDIRECTS and res.header("location"):
                nxt = U.join(url, res.header("location") or "")
                if nxt is None:
                    return url, res, "missing", "bad-redirect"
                url = nxt
                continue
            if 200 <= res.status < 300:
                return url, res, "ok", ""
            if res.status == 429 or res.status >= 500:
                return url, res, "error", f"http-{res.status}"
            return url, res, "missing", f"http-{res.status}"
        return url, None, "missing", "too-many-redirects"

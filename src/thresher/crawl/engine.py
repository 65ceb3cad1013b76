"""The crawl engine: asyncio workers over per-host queues, one durable checkpoint loop.

Flow of one URL: leased from the frontier (shallowest first) → robots.txt verdict → address
guard → rate slot on its host → fetch → archived as WARC records → links, sitemaps and feeds
queued → outcome stored. Every change lands in SQLite in the same transaction as the WARC
lengths that hold its records (:meth:`Crawler._checkpoint`), so a kill at any moment loses at
most the work since the last checkpoint, and that work is redone, not duplicated.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import json
import re
import signal
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp

from thresher import __version__
from thresher.archive.writer import WarcWriter, sha1_digest, truncate_to, warc_date
from thresher.atomic import write_json
from thresher.crawl import urls as U
from thresher.crawl.config import DEFAULT_USER_AGENT, CrawlConfig
from thresher.crawl.counters import CrawlStats, CrawlTotals, new_run_counters
from thresher.crawl.discover import (
    parse_feed,
    parse_html,
    parse_sitemap,
    robots_directives,
    sniff_kind,
    tdm_value,
)
from thresher.crawl.fetch import ACCEPT_ENCODING, FetchResult, fetch
from thresher.crawl.frontier import (
    DONE,
    FAILED,
    FEED,
    PAGE,
    SITEMAP,
    SKIPPED,
    Entry,
    Frontier,
    HostRecord,
)
from thresher.crawl.guard import AddressGuard, GuardedResolver
from thresher.crawl.outcomes import (
    HOST_DOWN,
    PROXY_FAULTS,
    QUICK_RETRY,
    REFUSED_RETRY_DELAYS,
    CrawlFailedError,
    counted_reasons,
    unfetched_seeds,
)
from thresher.crawl.politeness import HostState, backoff_delay, parse_retry_after
from thresher.crawl.proxies import ProxyPool, redact
from thresher.crawl.robots import MAX_ROBOTS_BYTES, RobotsRules, parse_robots, product_token
from thresher.crawl.tdmrep import MAX_TDMREP_BYTES, TDMREP_PATH, TdmRep, TdmRule, parse_tdmrep
from thresher.errors import ConfigError, InputError, ThresherError
from thresher.output import lock_folder

if TYPE_CHECKING:
    from thresher.extract.recipes import Recipe

__all__ = ["CrawlResult", "Crawler", "crawl", "effective_user_agent"]

_WARC_NAME = re.compile(r"^(?P<prefix>.+)-(?P<stamp>\d{14})-(?P<serial>\d{5,})\.warc\.gz$")
_TRANSIENT_STATUS = {408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524}
_REDIRECTS = {301, 302, 303, 307, 308}
_LEASE_BATCH = 256
_ROBOTS_REDIRECTS = 5
_CONSIDERED_CAP = 500_000
_STATS_INTERVAL = 10.0
_TDMREP_ERROR_TTL = 3600.0  # a tdmrep.json that failed with 5xx/network is asked again after


@dataclass
class CrawlResult:
    """What a crawl did: pages, failures and skips by reason (all runs), requests of this
    run, WARC files, crawl-stats.json as written, and why no seed could be fetched."""

    pages: int
    fetched: int
    failures: dict[str, int]
    warc_files: list[Path]
    stats: dict[str, Any] = field(default_factory=dict)
    out_dir: Path | None = None
    skipped: dict[str, int] = field(default_factory=dict)
    #: reason → seeds when every seed failed or was skipped and nothing was archived
    seed_failures: dict[str, int] | None = None

    @property
    def pages_fetched(self) -> int:
        return self.pages

    def summary(self) -> dict[str, int | str]:
        """Pages, requests and failures, then failures and skips by reason with the flag
        that lifts each (for the summary of ``thresher run`` and ``thresher demo``)."""
        return {
            "pages": self.pages,
            "fetched": self.fetched,
            "failed": sum(self.failures.values()),
            **counted_reasons("failed", self.failures),
            **counted_reasons("skipped", self.skipped),
        }

    def require_a_seed(self) -> None:
        """Raise :class:`CrawlFailedError` (one line, exit 1) when no seed could be fetched."""
        if self.seed_failures is not None:
            raise CrawlFailedError.for_seeds(self.seed_failures)


def effective_user_agent(config: CrawlConfig) -> str:
    """The User-Agent sent: the configured one, or thresher's with the contact setting."""
    if config.user_agent == DEFAULT_USER_AGENT and config.contact:
        return f"thresher/{__version__} (+{config.contact})"
    return config.user_agent


@dataclass(slots=True)
class _Job:
    host: HostState
    entry: Entry | None  # None: the host's robots.txt (or tdmrep.json)
    start: float
    tdmrep: bool = False


class Crawler:
    """One crawl into one output folder. Use :func:`crawl` unless you need the parts."""

    def __init__(self, config: CrawlConfig, out_dir: str | Path, reporter: Any = None) -> None:
        self.config = config
        self.out = Path(out_dir)
        self.reporter = reporter
        self.user_agent = effective_user_agent(config)
        self.token = product_token(self.user_agent) or "thresher"
        self.include = [self._regex(r, "include") for r in config.include]
        self.exclude = [self._regex(r, "exclude") for r in config.exclude]
        self.seeds = self._seeds(config.seeds)
        self.sites = frozenset(U.site_key(u) for u in self.seeds)
        self.proxies = ProxyPool(config.proxies)
        self.guard = AddressGuard(
            config.allow_private, [*config.allow_hosts, *self.proxies.hosts()]
        )
        self.hosts: dict[str, HostState] = {}
        self.heap: list[tuple[float, int, HostState]] = []
        self._heap_seq = 0
        self.wakeup = asyncio.Event()
        self.stopping = False
        self.inflight = 0
        self.dispatched_pages = 0
        self.stats: dict[str, Any] = new_run_counters(recipe=bool(config.recipe))
        self.now_year = time.gmtime().tm_year
        self._t0 = time.monotonic()
        self.renderer: Any = None
        self._considered: set[int] = set()
        self.recipe: Recipe | None = load_crawl_recipe(config.recipe) if config.recipe else None

    # -- setup -------------------------------------------------------------------------
    @staticmethod
    def _regex(pattern: str, what: str) -> re.Pattern[str]:
        try:
            return re.compile(pattern)
        except re.error as e:
            raise ConfigError(
                f"crawl.{what}: invalid regular expression {pattern!r}: {e}"
            ) from None

    @staticmethod
    def _seeds(seeds: list[str]) -> list[str]:
        out = []
        for s in seeds:
            c = U.canonicalize(s)
            if c is None:
                raise ConfigError(f"{s}: not an http(s) URL")
            out.append(c)
        return out

    def _open_state(self) -> None:
        self._lock = lock_folder(self.out)  # one line: not a folder, unwritable, or in use
        warc_dir = self.out / "warc"
        try:
            warc_dir.mkdir(exist_ok=True)
        except OSError as e:
            self._lock.release()
            raise ThresherError(f"{warc_dir}: cannot create: {e.strerror or e}") from None
        try:
            self.frontier = Frontier(self.out / "frontier.sqlite", fsync=self.config.fsync)
            self.frontier.recover()
        except sqlite3.DatabaseError as e:
            self._lock.release()
            raise InputError(
                f"{self.out / 'frontier.sqlite'}: not a usable crawl state: {e}"
            ) from None
        committed = self.frontier.warc_lengths()
        serial = 0
        for path in sorted(warc_dir.glob("*.warc.gz")):
            m = _WARC_NAME.match(path.name)
            if m:
                serial = max(serial, int(m.group("serial")) + 1)
            length = committed.get(path.name)
            if length is None:
                path.unlink()  # created after the last commit: holds nothing committed
            elif path.stat().st_size > length:
                truncate_to(path, length)
        self.writer = WarcWriter(
            warc_dir,
            max_bytes=self.config.warc_max_bytes,
            gzip_level=self.config.warc_gzip_level,
            first_serial=serial,
            fsync=self.config.fsync,
            background=True,
            info={
                "software": f"thresher/{__version__}",
                "format": "WARC File Format 1.1",
                "http-header-user-agent": self.user_agent,
                "robots": "obey" if self.config.respect_robots else "ignore",
            },
        )
        if self.config.recrawl and self.frontier.get_meta("recrawl") is None:
            self.frontier.requeue_done()
            self.frontier.set_meta("recrawl", str(time.time()))
        rows = []
        for url in self.seeds:
            rows.append((U.fingerprint(url), url, U.host_of(url), 0, PAGE, 0, None))
        self.frontier.add(rows)
        self.runs = int(self.frontier.get_meta("runs") or 0) + 1
        self.frontier.set_meta("runs", str(self.runs))
        self._commit()
        counts = self.frontier.counts()
        self.pages_done = counts["done"] + counts["failed"]
        self.queue_start = counts["queued"]
        self.answered = 0  # URLs settled this run (for the live queue estimate)

    # -- scheduling --------------------------------------------------------------------
    def _host(self, key: str) -> HostState:
        h = self.hosts.get(key)
        if h is None:
            h = HostState(key=key, base_interval=1.0 / self.config.rate)
            if self.config.max_pages_per_host is not None:
                h.pages = self.frontier.host_pages(key)  # the cap spans resumed runs
            self.hosts[key] = h
        return h

    def _push(self, h: HostState, at: float | None = None) -> None:
        if h.in_heap:
            return
        h.in_heap = True
        self._heap_seq += 1
        heapq.heappush(self.heap, (h.ready_at() if at is None else at, self._heap_seq, h))
        self.wakeup.set()

    def _activate(self, key: str) -> None:
        h = self._host(key)
        h.exhausted = False
        if not h.robots_busy and h.inflight < self.config.per_host:
            self._push(h)

    def _budget_left(self) -> bool:
        mp = self.config.max_pages
        return mp is None or self.pages_done + self.dispatched_pages < mp

    def _take(self, h: HostState, now: float) -> _Job | None:
        """The next job of a host whose turn it is, or None (then it waits elsewhere)."""
        if h.paused_until > now:
            self._push(h, h.paused_until)
            return None
        if h.robots_busy or h.inflight >= self.config.per_host:
            return None
        while True:
            if not self._budget_left():
                return None
            if not h.queue:
                if h.exhausted:
                    return None
                h.queue.extend(self.frontier.lease(h.key, _LEASE_BATCH))
                if not h.queue:
                    h.exhausted = True
                    return None
            if h.down is not None:  # found unreachable (or forbidden) earlier in this run
                self._fail(h.queue.popleft(), h.down)
                continue
            # robots.txt first, and only for a host that has something to fetch.
            stale = h.rules is None or time.time() >= h.robots_expires
            if self.config.respect_robots and stale and not self._load_robots(h):
                h.robots_busy = True
                h.inflight += 1
                return _Job(h, None, h.take_slot(now))
            entry = h.queue.popleft()
            if not self._robots_ok(entry, h):
                continue
            # Then the TDMRep file, once a URL of the host may be fetched at all.
            if self.config.tdmrep and time.time() >= h.tdm_expires and not self._load_tdmrep(h):
                h.queue.appendleft(entry)
                h.robots_busy = True
                h.inflight += 1
                return _Job(h, None, h.take_slot(now), tdmrep=True)
            if not self._precheck(h, entry):
                continue
            h.inflight += 1
            if entry.kind == PAGE:
                self.dispatched_pages += 1
            job = _Job(h, entry, h.take_slot(now))
            if h.inflight < self.config.per_host:
                self._push(h)
            return job

    def _robots_ok(self, e: Entry, h: HostState) -> bool:
        """robots.txt decided without the network; False when the URL is settled here."""
        rules = h.rules
        if (
            self.config.respect_robots
            and rules is not None
            and not rules.allowed(self.token, e.url)
        ):
            self._skip(e, "robots-disallowed", metadata=True)
            return False
        return True

    def _precheck(self, h: HostState, e: Entry) -> bool:
        """TDMRep and per-host caps decided without the network; False when settled here."""
        if h.tdm is not None and self.config.opt_out == "skip":
            rule = h.tdm.reserved(e.url)
            if rule is not None:
                self._count("opt_out", "tdm-reservation")
                fields = {"opt-out": "tdm-reservation", **_tdm_fields(rule), "action": "skipped"}
                self.writer.write_metadata(e.url, fields)
                self._skip(e, "opt-out:tdm-reservation", decision="tdm-reservation")
                return False
        cap = self.config.max_pages_per_host
        if cap is not None and e.kind == PAGE and h.pages >= cap:
            self._skip(e, "host-page-cap")
            return False
        return True

    async def _next_job(self) -> _Job | None:
        while True:
            if self.stopping:
                return None
            now = time.monotonic()
            if self.heap:
                t, _, h = self.heap[0]
                if t <= now:
                    heapq.heappop(self.heap)
                    h.in_heap = False
                    if h.ready_at() > now:
                        self._push(h)
                        continue
                    job = self._take(h, now)
                    if job is not None:
                        return job
                    continue
                timeout = t - now
            else:
                if self.inflight == 0:
                    if not self._budget_left():
                        self.stopping = True
                        self.wakeup.set()
                        return None
                    if not self._refill_hosts():
                        nxt = self.frontier.next_ready_at()
                        if nxt is None:
                            self.stopping = True
                            self.wakeup.set()
                            return None
                        timeout = max(0.01, min(5.0, nxt - time.time()))
                    else:
                        continue
                else:
                    timeout = 1.0
            self.wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wakeup.wait(), timeout)

    def _refill_hosts(self) -> bool:
        """Activate hosts that have ready URLs in the database; True if any."""
        found = False
        for key in self.frontier.hosts_ready():
            h = self._host(key)
            if h.queue or h.in_heap or h.inflight or h.robots_busy:
                continue
            h.exhausted = False
            self._push(h)
            found = True
        return found

    def _done(self, h: HostState) -> None:
        h.inflight -= 1
        self.inflight -= 1
        if h.inflight < self.config.per_host and not h.robots_busy:
            self._push(h)
        self.wakeup.set()

    # -- robots ------------------------------------------------------------------------
    def _load_robots(self, h: HostState) -> bool:
        """Use the stored robots.txt of a host if it is fresh; True when rules are set."""
        rec = self.frontier.get_host(h.key)
        if rec is None or rec.robots_fetched is None or rec.robots_status == "error":
            return False
        if time.time() - rec.robots_fetched >= self.config.robots_ttl:
            return False
        self._apply_robots(h, rec)
        return True

    def _apply_robots(self, h: HostState, rec: HostRecord) -> None:
        if rec.robots_status == "ok" and rec.robots is not None:
            h.rules = parse_robots(rec.robots)
        elif rec.robots_status == "missing":
            h.rules = RobotsRules.allowing_all()
        else:
            h.rules = RobotsRules.disallowing_all()
        delay = h.rules.crawl_delay(self.token)
        h.crawl_delay = min(delay, self.config.max_crawl_delay) if delay else 0.0
        h.robots_expires = (rec.robots_fetched or time.time()) + self.config.robots_ttl

    async def _run_robots(self, job: _Job) -> None:
        h = job.host
        rec = self.frontier.get_host(h.key) or HostRecord(h.key, None, None, None, 0)
        url, res, status, detail = await self._fetch_site_file(
            U.robots_url(h.key), MAX_ROBOTS_BYTES, "robots_fetches"
        )
        if status == "down":
            self._host_down(h, detail, url)
            self._host_job_done(h)
            return
        body = b""
        if status == "ok" and res is not None:
            body = res.payload[:MAX_ROBOTS_BYTES]
        now_wall = time.time()
        if status == "error":
            rec.robots_attempts += 1
            if rec.robots_attempts >= self.config.robots_max_attempts:
                n = self._fail_host(h, "robots-unavailable")
                self.writer.write_metadata(
                    U.robots_url(h.key),
                    {"robots": "unavailable", "detail": detail, "failed-urls": n},
                )
                rec.robots_attempts = 0
            else:
                wait = backoff_delay(
                    rec.robots_attempts - 1,
                    self.config.retry_base_delay,
                    self.config.retry_max_delay,
                )
                h.pause(wait, time.monotonic())
                self.frontier.release(q.fp for q in h.queue)
                h.queue.clear()
                self.frontier.defer_host(h.key, now_wall + wait)
                self.writer.write_metadata(
                    U.robots_url(h.key), {"robots": "disallow-all", "detail": detail}
                )
            rec.robots_status = "error"
            rec.robots_fetched = now_wall
            self.frontier.put_host(rec)
            h.rules = None
            h.exhausted = False
        else:
            rec.robots, rec.robots_status = body, status
            rec.robots_fetched, rec.robots_attempts = now_wall, 0
            self.frontier.put_host(rec)
            self._apply_robots(h, rec)
            if status == "ok" and self.config.use_sitemaps and h.rules:
                self._queue_links(
                    h.rules.sitemaps, base=url, depth=0, kind=SITEMAP, force_scope=False
                )
        # The robots.txt request counts against the (possibly new) crawl-delay.
        h.next_slot = max(h.next_slot, job.start + h.interval)
        self._host_job_done(h)

    def _host_down(self, h: HostState, reason: str, url: str) -> None:
        """The host cannot (or may not) be reached: its URLs fail with ``reason`` now, and
        those found later in this run too; nothing is sent to it, so its rate slot is free."""
        h.down = reason
        h.next_slot = 0.0
        n = self._fail_host(h, reason)
        self.writer.write_metadata(url, {"failure": reason, "failed-urls": n})

    def _fail_host(self, h: HostState, reason: str) -> int:
        """Fail every queued URL of a host with ``reason``; returns how many."""
        n = self.frontier.fail_host(h.key, reason)
        h.queue.clear()
        self._count("errors_by_kind", reason, n)
        self._count("failed_by_reason", reason, n)
        return n

    def _host_job_done(self, h: HostState) -> None:
        """A robots.txt or tdmrep.json job ended: the host's pages may go on."""
        h.robots_busy = False
        h.inflight -= 1
        self.inflight -= 1
        self._push(h)
        self.wakeup.set()

    async def _fetch_site_file(
        self, url: str, max_body: int, counter: str
    ) -> tuple[str, FetchResult | None, str, str]:
        """GET a host-wide file (robots.txt, tdmrep.json), following up to five redirects and
        archiving every answer.

        Returns the last URL and response, the outcome — ``ok`` (2xx), ``error`` (429, 5xx,
        timeouts, other network errors), ``down`` (the address guard, a refused connection,
        a name that does not resolve: the detail is the reason), ``missing`` (anything else,
        including more than five redirects) — and a detail for the records.
        """
        for _hop in range(_ROBOTS_REDIRECTS + 1):
            res = await self._fetch(url, max_body=max_body)
            self.stats[counter] += 1
            if res.error is not None:
                return url, res, "down" if res.error in HOST_DOWN else "error", res.error
            self._archive(res)
            if res.status in _REDIRECTS and res.header("location"):
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

    # -- TDMRep ------------------------------------------------------------------------
    def _load_tdmrep(self, h: HostState) -> bool:
        """Use the stored tdmrep.json outcome of a host if it is fresh; True when set."""
        rec = self.frontier.get_host(h.key)
        if rec is None or rec.tdmrep_fetched is None:
            return False
        ttl = self.config.robots_ttl
        if rec.tdmrep_status == "error":
            ttl = min(ttl, _TDMREP_ERROR_TTL)
        if time.time() - rec.tdmrep_fetched >= ttl:
            return False
        self._apply_tdmrep(h, rec.tdmrep if rec.tdmrep_status == "ok" else None)
        h.tdm_expires = rec.tdmrep_fetched + ttl
        return True

    def _apply_tdmrep(self, h: HostState, body: bytes | None) -> None:
        h.tdm = TdmRep()
        if body is not None:
            with contextlib.suppress(ValueError):  # stored only after it parsed
                h.tdm = parse_tdmrep(body)

    async def _run_tdmrep(self, job: _Job) -> None:
        """Fetch a host's /.well-known/tdmrep.json; anything but a usable file: no rules."""
        h = job.host
        url, res, status, detail = await self._fetch_site_file(
            h.key + TDMREP_PATH, MAX_TDMREP_BYTES, "tdmrep_fetches"
        )
        body: bytes | None = None
        rules: TdmRep | None = None
        if status == "down":
            self._host_down(h, detail, url)
            status = "error"
        elif status == "ok" and res is not None:
            if res.truncated is not None:
                status, detail = "invalid", f"larger than {MAX_TDMREP_BYTES} bytes"
            else:
                try:
                    rules = parse_tdmrep(res.payload)
                except ValueError as err:
                    status, detail = "invalid", str(err)
                else:
                    body = res.payload
        self._count("tdmrep", status)
        if status == "ok" and rules is not None and rules.ignored:
            self._count("tdmrep", "ignored-rules", rules.ignored)
        if status in ("invalid", "error"):
            self.writer.write_metadata(
                h.key + TDMREP_PATH, {"tdmrep": status, "detail": detail, "action": "no-rules"}
            )
        now_wall = time.time()
        self.frontier.put_tdmrep(h.key, body, status, now_wall)
        h.tdm = rules if rules is not None else TdmRep()
        ttl = self.config.robots_ttl
        h.tdm_expires = now_wall + (min(ttl, _TDMREP_ERROR_TTL) if status == "error" else ttl)
        self._host_job_done(h)

    # -- fetching ----------------------------------------------------------------------
    def _headers(self, e: Entry | None) -> dict[str, str]:
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

    async def _fetch(
        self,
        url: str,
        e: Entry | None = None,
        max_body: int | None = None,
    ) -> FetchResult:
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
                self._headers(e),
                timeout=self.config.timeout,
                max_body=max_body,
                proxy=proxy,
            )
            if proxy is not None:
                self.proxies.report(proxy, ok=res.error not in PROXY_FAULTS)
            if delay is None or res.error not in QUICK_RETRY:
                break
            self.stats["retries"] += 1
            await asyncio.sleep(delay)
        return res

    def _archive(self, res: FetchResult, payload_digest: str | None = None) -> str:
        rid = self.writer.write_exchange(
            res.url,
            res.request,
            res.response_block(),
            res.payload,
            ip=res.ip,
            date=res.started,
            truncated=res.truncated,
            payload_digest=payload_digest,
        )
        self.stats["bytes"] += len(res.payload)
        return rid

    async def _run_page(self, job: _Job) -> None:
        h, e = job.host, job.entry
        assert e is not None
        res = await self._fetch(e.url, e)
        now = time.monotonic()
        self.stats["fetched"] += 1
        if res.error is not None:
            self._count("errors_by_kind", res.error)
            if res.error in HOST_DOWN:
                self._fail(e, res.error, detail=res.error_detail)
                return
            h.slow_down()
            self._retry_or_fail(e, res.error, detail=res.error_detail)
            return
        status = res.status
        self._count("responses_by_status", str(status))
        if res.elapsed > self.config.slow_response:
            h.slow_down()
        if status in _TRANSIENT_STATUS:
            self._archive(res)
            self._count("errors_by_kind", f"http-{status}")
            h.slow_down()
            wait = parse_retry_after(res.header("retry-after"))
            if wait is not None and status in (429, 503):
                wait = min(wait, self.config.max_retry_after)
                h.pause(wait, now)
                self.frontier.release(q.fp for q in h.queue)
                h.queue.clear()
                self.frontier.defer_host(h.key, time.time() + wait)
                h.exhausted = False
            self._retry_or_fail(e, f"http-{status}", wait=wait)
            return
        h.recover()
        if status in _REDIRECTS:
            rid = self._archive(res)
            self._redirect(e, res, rid)
            return
        if status == 304 and e.payload_digest:
            self.writer.write_revisit(
                e.url,
                res.request,
                res.response_head(),
                refers_to=e.record_id,
                refers_to_date=e.warc_date,
                payload_digest=e.payload_digest,
            )
            self.stats["revisits"] += 1
            self._finish(e, DONE, status=200, reason="not-modified")
            return
        if status != 200:
            self._archive(res)
            self._finish(
                e, FAILED if status >= 400 else DONE, status=status, reason=f"http-{status}"
            )
            if status >= 400:
                self._count("errors_by_kind", f"http-{status}")
            return
        await self._handle_ok(h, e, res)

    async def _handle_ok(self, h: HostState, e: Entry, res: FetchResult) -> None:
        kind = sniff_kind(res.content_type, res.payload)
        decision: set[str] = set()
        for value in res.headers_all("x-robots-tag"):
            decision |= robots_directives(value, self.token)
        # TDMRep: the site file, superseded by the header, superseded by the HTML meta.
        rule = h.tdm.match(e.url) if h.tdm is not None else None
        reservation: int | None = None
        tdm: dict[str, object] = {}
        if rule is not None and rule.reservation is not None:
            reservation, tdm = rule.reservation, _tdm_fields(rule)
        header_tdm = tdm_value(res.header("tdm-reservation"))
        if header_tdm is not None:
            reservation, tdm = header_tdm, {"tdm-source": "header"}
            if res.header("tdm-policy"):
                tdm["tdm-policy"] = res.header("tdm-policy")
        links: list[str] = []
        base = e.url
        feeds: list[str] = []
        rendered: bytes | None = None
        if e.kind == SITEMAP or kind == "sitemap":
            try:
                found, is_index = parse_sitemap(res.payload)
            except ValueError as err:
                found, is_index = [], False
                self._count("errors_by_kind", "bad-sitemap")
                res.error_detail = str(err)
            self._queue_links(
                found,
                base=e.url,
                depth=e.depth if is_index else e.depth + 1,
                kind=SITEMAP if is_index else PAGE,
                sitemap=True,
            )
        elif e.kind == FEED or kind == "feed":
            try:
                links = parse_feed(res.payload)
            except ValueError:
                links = []
        elif kind == "html":
            if self.renderer is not None:
                rendered = await self.renderer.render(e.url, res)
            info = parse_html(rendered if rendered is not None else res.payload, self.token)
            decision |= info.directives
            if info.tdm_reservation is not None:
                reservation, tdm = info.tdm_reservation, {"tdm-source": "meta"}
                if info.tdm_policy:
                    tdm["tdm-policy"] = info.tdm_policy
            links = info.links
            feeds = info.feeds
            if info.base:
                base = U.join(e.url, info.base) or e.url
            if self.recipe is not None:
                links = self._recipe_links(rendered or res.payload, base)
        elif kind == "other" and self.config.non_html == "skip":
            self.writer.write_metadata(
                e.url, {"skipped": "content-type", "content-type": res.content_type}
            )
            self._skip(e, "content-type")
            return
        if reservation == 1:
            decision.add("tdm-reservation")
        else:
            tdm = {}
        opted_out = sorted(decision & {"noindex", "noai", "tdm-reservation"})
        for d in sorted(decision & {"noindex", "nofollow", "noai", "tdm-reservation"}):
            self._count("opt_out", d)
        honour = self.config.opt_out == "skip"
        decision_text = ",".join(sorted(decision)) or None
        if not ("nofollow" in decision and honour):
            self._queue_links(links, base=base, depth=e.depth + 1, kind=PAGE)
            self._queue_links(feeds, base=base, depth=e.depth + 1, kind=FEED)
        if opted_out and honour:
            self.writer.write_metadata(
                e.url, {"opt-out": ",".join(opted_out), **tdm, "action": "skipped"}
            )
            self._skip(e, "opt-out:" + opted_out[0], decision=decision_text)
            return
        digest = sha1_digest(res.payload)
        rid = self._archive(res, digest)
        if rendered is not None:
            self.writer.write_resource(
                e.url,
                rendered,
                "text/html; charset=utf-8",
                refers_to=rid,
                extra=[("WARC-Resource-Type", "rendered-dom")],
            )
            self.stats["rendered"] += 1
        if decision_text:
            self.writer.write_metadata(
                e.url,
                {"robots-directives": decision_text, **tdm, "action": "recorded"},
                refers_to=rid,
            )
        h.pages += 1
        self._finish(
            e,
            DONE,
            status=200,
            decision=decision_text,
            etag=res.header("etag"),
            last_modified=res.header("last-modified"),
            payload_digest=digest,
            record_id=rid,
            warc_date=warc_date(res.started),
        )

    def _redirect(self, e: Entry, res: FetchResult, rid: str) -> None:
        self.stats["redirects"] += 1
        loc = res.header("location")
        target = U.join(e.url, loc) if loc else None
        if target is None:
            self._finish(e, FAILED, status=res.status, reason="bad-redirect")
            return
        chain = json.loads(e.via) if e.via else []
        if target == e.url or target in chain:
            self.writer.write_metadata(e.url, {"failure": "redirect-loop", "location": target})
            self._finish(e, FAILED, status=res.status, reason="redirect-loop")
            self._count("errors_by_kind", "redirect-loop")
            return
        if e.hops + 1 > self.config.max_redirects:
            self.writer.write_metadata(e.url, {"failure": "too-many-redirects", "location": target})
            self._finish(e, FAILED, status=res.status, reason="too-many-redirects")
            self._count("errors_by_kind", "too-many-redirects")
            return
        self._finish(e, DONE, status=res.status, reason="redirect")
        via = json.dumps([*chain, e.url][-self.config.max_redirects - 1 :])
        self._queue_links(
            [target],
            base=e.url,
            depth=e.depth,
            kind=e.kind,
            hops=e.hops + 1,
            via=via,
            redirect=True,
        )

    # -- outcomes ----------------------------------------------------------------------
    def _count(self, group: str, key: str, n: int = 1) -> None:
        d = self.stats[group]
        d[key] = d.get(key, 0) + n

    def _finish(self, e: Entry, state: int, **kw: Any) -> None:
        self.frontier.finish(e.fp, state, **kw)
        if state == FAILED:
            self._count("failed_by_reason", kw.get("reason") or "")
        self.answered += 1
        if e.kind == PAGE:
            self.pages_done += 1  # max_pages counts every page that got an answer

    def _skip(
        self, e: Entry, reason: str, *, metadata: bool = False, decision: str | None = None
    ) -> None:
        self._count("skipped_by_reason", reason)
        if metadata:
            self.writer.write_metadata(e.url, {"robots": "disallowed", "agent": self.token})
        self.frontier.finish(e.fp, SKIPPED, reason=reason, decision=decision)
        self.answered += 1

    def _fail(self, e: Entry, reason: str, detail: str = "") -> None:
        fields: dict[str, object] = {"failure": reason, "attempts": e.attempts + 1}
        if detail:
            fields["detail"] = redact(detail)
        self.writer.write_metadata(e.url, fields)
        self.frontier.finish(e.fp, FAILED, reason=reason)
        self._count("failed_by_reason", reason)
        self.answered += 1
        if e.kind == PAGE:
            self.pages_done += 1

    def _retry_or_fail(
        self, e: Entry, reason: str, *, detail: str = "", wait: float | None = None
    ) -> None:
        if e.attempts >= self.config.max_retries:
            self._fail(e, reason, detail)
            return
        self.stats["retries"] += 1
        delay = backoff_delay(e.attempts, self.config.retry_base_delay, self.config.retry_max_delay)
        if wait is not None:
            delay = max(delay, wait)
        self.frontier.retry(e.fp, time.time() + delay, reason)
        h = self.hosts.get(e.host)
        if h is not None:
            h.exhausted = False

    # -- discovery ---------------------------------------------------------------------
    def _recipe_links(self, payload: bytes, base: str) -> list[str]:
        """The links the recipe follows from an HTML page, counted by kind."""
        assert self.recipe is not None
        try:
            pairs = self.recipe.follow_links(payload, base)
        except Exception:  # a page the recipe's selectors cannot handle: no links, counted
            self._count("errors_by_kind", "recipe-error")
            return []
        if not pairs:
            self._count("recipe_links", "no-links")  # pages the recipe takes nothing from
        for _, kind in pairs:
            self._count("recipe_links", kind)
        return [url for url, _ in pairs]

    def _in_scope(self, url: str) -> bool:
        if self.config.same_domain and not U.same_site(url, self.sites):
            return False
        if self.include and not any(r.search(url) for r in self.include):
            return False
        return not any(r.search(url) for r in self.exclude)

    def _queue_links(
        self,
        hrefs: list[str],
        *,
        base: str,
        depth: int,
        kind: int,
        hops: int = 0,
        via: str | None = None,
        force_scope: bool = True,
        sitemap: bool = False,
        redirect: bool = False,
    ) -> None:
        if not hrefs:
            return
        cfg = self.config
        if cfg.max_depth is not None and depth > cfg.max_depth and kind == PAGE and not redirect:
            self._count("skipped_by_reason", "max-depth", len(hrefs))
            return
        self.stats["links_seen"] += len(hrefs)
        strip = cfg.strip_tracking
        origin = U.host_of(base)
        canon = U.canonicalize
        considered = self._considered
        if len(considered) >= _CONSIDERED_CAP:
            considered.clear()
        fresh = []
        for href in hrefs:
            if href[:1] == "/" and href[1:2] != "/":
                url = canon(origin + href, strip)
            elif href.startswith(("http://", "https://")):
                url = canon(href, strip)
            else:
                url = U.join(base, href, strip)
            if url is None:
                continue
            # A 64-bit in-memory screen keeps repeats (navigation links) away from SQLite.
            key = hash(url)
            if key in considered:
                continue
            considered.add(key)
            fresh.append(url)
        if not fresh:
            return
        keep = []
        traps = []
        for url in fresh:
            row = (U.fingerprint(url), url, U.host_of(url), depth, kind, hops, via)
            if (force_scope or sitemap) and not self._in_scope(url):
                self.stats["out_of_scope"] += 1
                continue
            trap = U.looks_like_trap(
                url,
                max_length=cfg.max_url_length,
                max_segments=cfg.max_path_segments,
                now_year=self.now_year,
            )
            if trap:
                traps.append((row, trap))
                continue
            keep.append(row)
        for row, trap in traps:
            if self.frontier.add([row], state=SKIPPED, reason="trap:" + trap):
                self._count("skipped_by_reason", "trap:" + trap)
        new = self.frontier.add(keep)
        self.stats["urls_queued"] += len(new)
        for row in new:
            h = self.hosts.get(row[2])
            if h is None or h.exhausted or not (h.in_heap or h.inflight or h.queue):
                self._activate(row[2])

    # -- durability --------------------------------------------------------------------
    def _commit(self) -> None:
        self.frontier.commit(self.writer.checkpoint() if hasattr(self, "writer") else {})

    def _write_stats(self, final: bool = False) -> CrawlStats:
        elapsed = time.monotonic() - self._t0
        this_run = {
            **self.stats,
            "elapsed_seconds": round(elapsed, 3),
            "pages_per_second": round(self.stats["fetched"] / elapsed, 2) if elapsed else 0,
            "hosts": len(self.hosts),
            "warc_records": self.writer.records,
            "proxies": self.proxies.summary(),
        }
        total = CrawlTotals(
            urls=self.frontier.counts(),
            failed_by_reason=self.frontier.reasons(FAILED),
            skipped_by_reason=self.frontier.reasons(SKIPPED),
            warc_files=sorted(p.name for p in (self.out / "warc").glob("*.warc.gz")),
        )
        stats = CrawlStats(this_run, total, self.runs, final, self.user_agent)
        write_json(self.out / "crawl-stats.json", stats.to_json(), sort_keys=True)
        return stats

    async def _checkpoint_loop(self) -> None:
        last_stats = time.monotonic()
        while not self.stopping:
            await asyncio.sleep(self.config.checkpoint_interval)
            try:
                self._commit()
            except OSError:
                self.stop()  # the final commit reports the error
                return
            if time.monotonic() - last_stats >= _STATS_INTERVAL:
                self._write_stats()  # counts by state: a scan, so not at every checkpoint
                last_stats = time.monotonic()

    # -- workers -----------------------------------------------------------------------
    async def _worker(self) -> None:
        while True:
            job = await self._next_job()
            if job is None:
                return
            self.inflight += 1
            delay = job.start - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            # However late this worker woke, two requests to a host never start closer
            # together than the host's interval.
            h = job.host
            while (wait := h.last_start + h.interval - time.monotonic()) > 0:
                await asyncio.sleep(wait)
            h.last_start = time.monotonic()
            try:
                if job.tdmrep:
                    await self._run_tdmrep(job)
                    continue
                if job.entry is None:
                    await self._run_robots(job)
                    continue
                await self._run_page(job)
            except Exception as err:  # a bug must not kill the crawl: count and carry on
                if job.entry is not None:
                    self._count("errors_by_kind", "internal-error")
                    self._fail(job.entry, "internal-error", f"{type(err).__name__}: {err}")
                else:
                    if job.tdmrep:  # no endless re-asking: no rules for a while
                        job.host.tdm = TdmRep()
                        job.host.tdm_expires = time.time() + _TDMREP_ERROR_TTL
                    self._host_job_done(job.host)
                    continue
            if job.entry is not None:
                if job.entry.kind == PAGE:
                    self.dispatched_pages -= 1
                self._done(job.host)
                if self.reporter is not None:
                    self.reporter.advance(
                        1,
                        queue=max(0, self.queue_start + self.stats["urls_queued"] - self.answered),
                        errors=sum(self.stats["errors_by_kind"].values()),
                    )

    async def run(self) -> CrawlResult:
        """Crawl until the frontier is empty, ``max_pages`` is reached, or a stop signal."""
        self._open_state()
        resolver = GuardedResolver(self.guard)
        connector = aiohttp.TCPConnector(
            limit=self.config.concurrency,
            limit_per_host=0,
            resolver=resolver,
            ttl_dns_cache=300,
            force_close=False,
        )
        stop_handlers = []
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self.stop)
                stop_handlers.append(sig)
        self._refill_hosts()
        # The WARC thread compresses while this one parses; a short GIL switch interval keeps
        # SQLite and socket calls (which release the GIL) from waiting 5 ms to get it back.
        switch = sys.getswitchinterval()
        sys.setswitchinterval(min(switch, 0.0005))
        try:
            if self.config.render:
                from thresher.crawl.render import Renderer

                self.renderer = Renderer(self.config, self.guard, self.user_agent)
                await self.renderer.start()
            async with aiohttp.ClientSession(
                connector=connector,
                auto_decompress=False,
                cookie_jar=aiohttp.DummyCookieJar(),
                max_line_size=65536,
                max_field_size=65536,
            ) as session:
                self.session = session
                checkpoint = asyncio.create_task(self._checkpoint_loop())
                workers = [
                    asyncio.create_task(self._worker()) for _ in range(self.config.concurrency)
                ]
                await asyncio.gather(*workers)
                self.stopping = True
                checkpoint.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await checkpoint
        finally:
            sys.setswitchinterval(switch)
            for sig in stop_handlers:
                loop.remove_signal_handler(sig)
            if self.renderer is not None:
                await self.renderer.close()
            for h in self.hosts.values():
                if h.queue:
                    self.frontier.release(q.fp for q in h.queue)
                    h.queue.clear()
            if (
                self.frontier.get_meta("recrawl") is not None
                and self.frontier.next_ready_at() is None
            ):
                self.frontier.set_meta("recrawl", None)  # the pass is complete
            try:
                touched = self.writer.close()
            except OSError as e:
                # The archive could not be written: keep the state of the last good commit.
                self.frontier.abandon()
                self._lock.release()
                raise ThresherError(
                    f"{self.out / 'warc'}: cannot write WARC: {e.strerror or e}"
                ) from None
            self.frontier.commit(touched)
            stats = self._write_stats(final=True)
            seeds = self.frontier.outcomes(U.fingerprint(u) for u in self.seeds).values()
            self.frontier.close()
            self._lock.release()
        return CrawlResult(
            pages=stats.total.pages,
            fetched=self.stats["fetched"],
            failures=stats.total.failed_by_reason,
            warc_files=sorted((self.out / "warc").glob("*.warc.gz")),
            stats=stats.to_json(),
            out_dir=self.out,
            skipped=stats.total.skipped_by_reason,
            seed_failures=unfetched_seeds(seeds) if stats.total.pages == 0 else None,
        )

    def stop(self) -> None:
        """Finish the requests in flight, commit, and return (SIGINT/SIGTERM do this)."""
        self.stopping = True
        self.wakeup.set()


def _tdm_fields(rule: TdmRule) -> dict[str, object]:
    """Metadata fields for a decision taken from a tdmrep.json rule."""
    fields: dict[str, object] = {
        "tdm-source": "tdmrep.json",
        "tdm-location": rule.location,
    }
    if rule.policy:
        fields["tdm-policy"] = rule.policy
    return fields


def load_crawl_recipe(name: str) -> Recipe:
    """A recipe by file or built-in name, its CSS checked, so a bad one fails before a fetch."""
    from selectolax.lexbor import LexborHTMLParser

    from thresher.extract.recipes import load_recipe

    recipe = load_recipe(name)  # an unknown name: one line listing the built-in recipes
    empty = LexborHTMLParser("<html></html>")
    for pt in recipe.pages:
        for css in [pt.match.css, *(r.css for r in pt.follow)]:
            if css is None:
                continue
            try:
                empty.css(css)
            except Exception as e:  # selectolax raises ValueError/SelectolaxError on bad CSS
                raise ConfigError(
                    f"{name}: page {pt.name!r}: bad CSS selector {css!r}: {e}"
                ) from None
    return recipe


def crawl(config: CrawlConfig, out_dir: str | Path, *, reporter: Any = None) -> CrawlResult:
    """Crawl ``config.seeds`` into ``out_dir`` (WARC files, state, stats); resumes if run again."""
    if not config.seeds:
        raise ConfigError("crawl: no seed URLs given")

    async def _main() -> CrawlResult:
        return await Crawler(config, out_dir, reporter).run()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_main())
    # Called from inside an event loop (a notebook): run in a thread of its own.
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _main()).result()

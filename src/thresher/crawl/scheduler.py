"""Which request goes next: hosts in a heap by their next free slot, each with its URLs
leased from the frontier in memory, its robots.txt and tdmrep.json first, and the page
budget (``max_pages``) and per-host caps checked before a job is handed out."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from thresher.crawl.frontier.base import PAGE, SITEMAP, Entry
from thresher.crawl.politeness import HostState
from thresher.crawl.sitemaps import SITEMAP_CAP

if TYPE_CHECKING:
    from thresher.crawl.config import CrawlConfig
    from thresher.crawl.frontier.base import CrawlFrontier
    from thresher.crawl.outcomes import Outcomes
    from thresher.crawl.sitefiles import SiteFiles

__all__ = ["Job", "Scheduler"]

#: how long a host waits when another crawler of a shared frontier fetches its site files
_SITE_FILE_WAIT = 0.2
#: how long a host waits when the shared page budget is held by pages in flight elsewhere
_BUDGET_WAIT = 0.2


@dataclass(slots=True)
class Job:
    """One request to make: a page, or (``entry`` None) the host's robots.txt/tdmrep.json."""

    host: HostState
    entry: Entry | None
    start: float
    tdmrep: bool = False


class Scheduler:
    """Hands out jobs in politeness order; ``stopping`` ends the crawl's workers."""

    def __init__(
        self,
        config: CrawlConfig,
        frontier: CrawlFrontier,
        outcomes: Outcomes,
        sitefiles: SiteFiles,
    ) -> None:
        self.config = config
        self.frontier = frontier
        self.outcomes = outcomes
        self.sitefiles = sitefiles
        self.hosts: dict[str, HostState] = {}
        self.heap: list[tuple[float, int, HostState]] = []
        self._heap_seq = 0
        self.wakeup = asyncio.Event()
        self.stopping = False
        self.inflight = 0
        self.dispatched_pages = 0
        self.budget_spent = False  # a shared frontier said max_pages is reached

    # -- hosts -------------------------------------------------------------------------
    def host(self, key: str) -> HostState:
        h = self.hosts.get(key)
        if h is None:
            h = HostState(key=key, base_interval=1.0 / self.config.rate)
            if self.config.max_pages_per_host is not None:
                h.pages = self.frontier.host_pages(key)  # the cap spans resumed runs
            self.hosts[key] = h
        return h

    def push(self, h: HostState, at: float | None = None) -> None:
        if h.in_heap:
            return
        h.in_heap = True
        self._heap_seq += 1
        heapq.heappush(self.heap, (h.ready_at() if at is None else at, self._heap_seq, h))
        self.wakeup.set()

    def activate(self, key: str) -> None:
        h = self.host(key)
        h.exhausted = False
        if not h.robots_busy and h.inflight < self.config.per_host:
            self.push(h)

    def notice(self, key: str) -> None:
        """A new URL of host ``key`` was queued: wake the host if it sleeps."""
        h = self.hosts.get(key)
        if h is None or h.exhausted or not (h.in_heap or h.inflight or h.queue):
            self.activate(key)

    def refill(self) -> bool:
        """Activate hosts that have ready URLs in the frontier; True if any."""
        found = False
        for key in self.frontier.hosts_ready():
            h = self.host(key)
            if h.queue or h.in_heap or h.inflight or h.robots_busy:
                continue
            h.exhausted = False
            self.push(h)
            found = True
        return found

    def budget_left(self) -> bool:
        """Pages may still be dispatched: counted here for one crawler, in the shared
        frontier (page by page, :meth:`_reserve`) for several."""
        if self.frontier.shared:
            return not self.budget_spent
        mp = self.config.max_pages
        return mp is None or self.outcomes.pages_done + self.dispatched_pages < mp

    # -- jobs --------------------------------------------------------------------------
    def take(self, h: HostState, now: float) -> Job | None:
        """The next job of a host whose turn it is, or None (then it waits elsewhere)."""
        if h.paused_until > now:
            self.push(h, h.paused_until)
            return None
        if h.robots_busy or h.inflight >= self.config.per_host:
            return None
        files = self.sitefiles
        while True:
            if not self.budget_left():
                return None
            if not h.queue:
                if h.exhausted:
                    return None
                h.queue.extend(self.frontier.lease(h.key, self.frontier.lease_batch))
                if not h.queue:
                    h.exhausted = True
                    return None
            if h.down is not None:  # found unreachable (or forbidden) earlier in this run
                self.outcomes.fail(h.queue.popleft(), h.down)
                continue
            # robots.txt first, and only for a host that has something to fetch.
            if files.robots_stale(h):
                return self._site_file_job(h, now, "robots.txt")
            entry = h.queue.popleft()
            if not files.robots_allow(entry, h):
                continue
            # Then the TDMRep file, once a URL of the host may be fetched at all.
            if files.tdmrep_stale(h):
                h.queue.appendleft(entry)
                return self._site_file_job(h, now, "tdmrep.json")
            if not self._precheck(h, entry):
                continue
            verdict = self._reserve(h, entry, now)
            if verdict is not None:
                if verdict:
                    continue
                return None
            h.inflight += 1
            if entry.kind == PAGE:
                self.dispatched_pages += 1
            job = Job(h, entry, h.take_slot(now))
            if h.inflight < self.config.per_host:
                self.push(h)
            return job

    def _site_file_job(self, h: HostState, now: float, name: str) -> Job | None:
        """The job fetching a host's robots.txt or tdmrep.json; None while another crawler
        of a shared frontier fetches it (the host then waits a moment for its answer)."""
        if not self.frontier.may_fetch_site_file(h.key, name):
            h.pause(_SITE_FILE_WAIT, now)
            self.push(h, h.paused_until)
            return None
        h.robots_busy = True
        h.inflight += 1
        return Job(h, None, h.take_slot(now), tdmrep=name == "tdmrep.json")

    def _precheck(self, h: HostState, e: Entry) -> bool:
        """TDMRep and per-host caps decided without the network; False when settled here."""
        if not self.sitefiles.tdm_allows(h, e):
            return False
        if e.kind == SITEMAP and self.sitefiles.links.sitemaps.spent:
            self.outcomes.skip(e, SITEMAP_CAP)  # its URLs could not be taken any more
            self.sitefiles.stats.sitemaps_skipped += 1
            return False
        cap = self.config.max_pages_per_host
        if cap is not None and e.kind == PAGE and h.pages >= cap:
            self.outcomes.skip(e, "host-page-cap")
            return False
        return True

    def _reserve(self, h: HostState, e: Entry, now: float) -> bool | None:
        """A page's unit of the shared page budgets (several crawlers on one frontier):
        None when it may go; True when the entry is settled here (go on with the next);
        False when the host (or the whole crawl, budget spent) must wait, entry kept."""
        mp, cap = self.config.max_pages, self.config.max_pages_per_host
        if not self.frontier.shared or e.kind != PAGE or (mp is None and cap is None):
            return None
        answer = self.frontier.reserve_page(e, mp, cap)
        if answer == "ok":
            return None
        if answer == "lost":  # another crawler has the URL now
            self.frontier.release([e.fp])
            return True
        if answer == "cap":
            self.outcomes.skip(e, "host-page-cap")
            return True
        h.queue.appendleft(e)
        if answer == "budget":
            self.budget_spent = True
        else:
            h.pause(_BUDGET_WAIT, now)
            self.push(h, h.paused_until)
        return False

    async def next_job(self) -> Job | None:
        """Wait for the next job; None when the crawl is over (or stopping)."""
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
                        self.push(h)
                        continue
                    job = self.take(h, now)
                    if job is not None:
                        return job
                    continue
                timeout = t - now
            else:
                if self.inflight == 0:
                    if not self.budget_left():
                        self.stop()
                        return None
                    if not self.refill():
                        nxt = self.frontier.next_ready_at()
                        if nxt is None:
                            self.stop()
                            return None
                        timeout = max(0.01, min(5.0, nxt - time.time()))
                    else:
                        continue
                else:
                    timeout = 1.0
            self.wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wakeup.wait(), timeout)

    def page_done(self, h: HostState) -> None:
        """A page job ended: the host may take its next one."""
        h.inflight -= 1
        self.inflight -= 1
        if h.inflight < self.config.per_host and not h.robots_busy:
            self.push(h)
        self.wakeup.set()

    def site_file_done(self, h: HostState) -> None:
        """A robots.txt or tdmrep.json job ended: the host's pages may go on."""
        h.robots_busy = False
        h.inflight -= 1
        self.inflight -= 1
        self.push(h)
        self.wakeup.set()

    def release_all(self) -> None:
        """Give the URLs held in memory back to the frontier (the crawl stops)."""
        for h in self.hosts.values():
            if h.queue:
                self.frontier.release(q.fp for q in h.queue)
                h.queue.clear()

    def stop(self) -> None:
        self.stopping = True
        self.wakeup.set()

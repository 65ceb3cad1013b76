"""The crawl engine: asyncio workers over the scheduler's jobs, one durable checkpoint loop.

Flow of one URL: leased from the frontier (shallowest first) → robots.txt verdict → address
guard → rate slot on its host → fetch → archived as WARC records → links, sitemaps and feeds
queued → outcome stored. The parts live in their own modules — :mod:`scheduler` (jobs, hosts,
leases), :mod:`sitefiles` (robots.txt and tdmrep.json), :mod:`pages` (one page from request to
outcome), :mod:`outcomes` (finish, skip, fail, retry), :mod:`links` (discovery) — and this one
ties them. Every outcome becomes durable in the same commit as the WARC lengths that hold
its records (:meth:`Crawler._commit`), so a kill at any moment loses at most the work since
the last checkpoint, and that work is redone, not duplicated.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from thresher import __version__
from thresher.archive.writer import WarcWriter, truncate_to
from thresher.atomic import write_json
from thresher.crawl import urls as U
from thresher.crawl.config import DEFAULT_USER_AGENT, CrawlConfig
from thresher.crawl.counters import CrawlStats, CrawlTotals, RunCounters
from thresher.crawl.fetcher import Fetcher, client_session
from thresher.crawl.frontier.base import FAILED, PAGE, SKIPPED, CrawlFrontier
from thresher.crawl.guard import AddressGuard
from thresher.crawl.links import LinkQueue, compile_patterns
from thresher.crawl.outcomes import (
    RERUN_REASONS,
    CrawlFailedError,
    Outcomes,
    counted_reasons,
    unfetched_seeds,
)
from thresher.crawl.pages import PageHandler
from thresher.crawl.proxies import ProxyPool
from thresher.crawl.robots import product_token
from thresher.crawl.scheduler import Job, Scheduler
from thresher.crawl.sitefiles import SiteFiles
from thresher.crawl.sitemaps import SitemapBudget
from thresher.errors import ConfigError, InputError, ThresherError
from thresher.output import lock_folder

if TYPE_CHECKING:
    from thresher.extract.recipes import Recipe

__all__ = ["CrawlResult", "Crawler", "crawl", "effective_user_agent"]

_WARC_NAME = re.compile(r"^(?P<prefix>.+)-(?P<stamp>\d{14})-(?P<serial>\d{5,})\.warc\.gz$")
_STATS_INTERVAL = 10.0
_SLOT_TOLERANCE = 0.002  # seconds a shared request slot may be missed by and still be used


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
    #: the run was stopped by SIGINT/SIGTERM (state saved; running again resumes)
    interrupted: bool = False

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


def open_frontier(config: CrawlConfig, out: Path) -> CrawlFrontier:
    """The crawl state named by ``config.frontier``: SQLite in ``out``, or a shared Redis."""
    if config.frontier == "sqlite":
        from thresher.crawl.frontier.sqlite import Frontier

        path = out / "frontier.sqlite"
        try:
            frontier = Frontier(path, fsync=config.fsync)
            frontier.recover()
        except sqlite3.DatabaseError as e:
            raise InputError(f"{path}: not a usable crawl state: {e}") from None
        return frontier
    from thresher.crawl.frontier.redis_frontier import RedisFrontier

    frontier = RedisFrontier.open(
        config.frontier, out, fsync=config.fsync, lease_seconds=config.frontier_lease
    )
    frontier.recover()
    return frontier


class Crawler:
    """One crawl into one output folder. Use :func:`crawl` unless you need the parts."""

    def __init__(self, config: CrawlConfig, out_dir: str | Path, reporter: Any = None) -> None:
        self.config = config
        self.out = Path(out_dir)
        self.reporter = reporter
        self.user_agent = effective_user_agent(config)
        self.token = product_token(self.user_agent) or "thresher"
        self.include = compile_patterns(config.include, "include")
        self.exclude = compile_patterns(config.exclude, "exclude")
        self.seeds = self._seeds(config.seeds)
        self.sites = frozenset(U.site_key(u) for u in self.seeds)
        self.proxies = ProxyPool(config.proxies)
        self.guard = AddressGuard(
            config.allow_private, [*config.allow_hosts, *self.proxies.hosts()]
        )
        self.stats = RunCounters(recipe_links={} if config.recipe else None)
        self._t0 = time.monotonic()
        self.renderer: Any = None
        self.interrupted = False
        self.recipe: Recipe | None = None
        if config.recipe:  # the one loader of crawl and extract: a bad recipe fails here
            from thresher.extract.recipes import load_recipe

            self.recipe = load_recipe(config.recipe)

    # -- setup -------------------------------------------------------------------------
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
            self.frontier = open_frontier(self.config, self.out)
        except ThresherError:
            self._lock.release()
            raise
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
        self._wire()
        if self.config.recrawl and self.frontier.get_meta("recrawl") is None:
            self.frontier.requeue_done()
            self.frontier.set_meta("recrawl", str(time.time()))
        rows = []
        for url in self.seeds:
            rows.append((U.fingerprint(url), url, U.host_of(url), 0, PAGE, 0, None))
        self.frontier.add(rows)
        # A rerun tries again what failed because the host was down or forbidden, or for a
        # transient reason; what was fetched stays done.
        self.stats.requeued_failed = self.frontier.requeue_failed(RERUN_REASONS)
        self.runs = int(self.frontier.get_meta("runs") or 0) + 1
        self.frontier.set_meta("runs", str(self.runs))
        self._commit()
        counts = self.frontier.counts()
        self.outcomes.pages_done = counts["done"] + counts["failed"]
        self.queue_start = counts["queued"]

    def _wire(self) -> None:
        """The parts of the crawl, on the open frontier and WARC writer."""
        cfg, frontier, writer, stats = self.config, self.frontier, self.writer, self.stats
        self.outcomes = Outcomes(cfg, frontier, writer, stats, self.token)
        self.fetcher = Fetcher(cfg, self.guard, self.proxies, self.user_agent, writer, stats)
        self.links = LinkQueue(
            cfg, frontier, stats, self.sites, self.recipe, self.include, self.exclude
        )
        self.links.sitemaps = SitemapBudget(cfg, frontier, stats)
        self.sitefiles = SiteFiles(
            cfg, frontier, writer, stats, self.fetcher, self.outcomes, self.links, self.token
        )
        self.scheduler = Scheduler(cfg, frontier, self.outcomes, self.sitefiles)
        self.links.notice = self.scheduler.notice
        self.pages = PageHandler(
            cfg, frontier, writer, stats, self.fetcher, self.outcomes, self.links, self.token
        )

    # -- durability --------------------------------------------------------------------
    def _commit(self) -> None:
        self.frontier.commit(self.writer.checkpoint())

    def _write_stats(self, final: bool = False) -> CrawlStats:
        elapsed = time.monotonic() - self._t0
        fetched = self.stats.fetched
        this_run = {
            **self.stats.to_json(),
            "elapsed_seconds": round(elapsed, 3),
            "pages_per_second": round(fetched / elapsed, 2) if elapsed else 0,
            "hosts": len(self.scheduler.hosts),
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
        while not self.scheduler.stopping:
            await asyncio.sleep(self.config.checkpoint_interval)
            try:
                self._commit()
            except OSError:
                self.stop()  # the final commit reports the error
                return
            self.frontier.heartbeat()
            if time.monotonic() - last_stats >= _STATS_INTERVAL:
                self._write_stats()  # counts by state: a scan, so not at every checkpoint
                last_stats = time.monotonic()

    # -- workers -----------------------------------------------------------------------
    async def _wait_for_slot(self, job: Job) -> None:
        """Sleep until the job's start; two requests to a host never start closer together
        than its interval, however late this worker woke (nor, on a shared frontier,
        closer than that across every crawler of the crawl)."""
        delay = job.start - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        h = job.host
        while (wait := h.last_start + h.interval - time.monotonic()) > 0:
            await asyncio.sleep(wait)
        if self.frontier.shared:
            while True:
                wait = await self.frontier.reserve_slot(h.key, h.interval)
                due = time.monotonic() + wait
                if wait > 0:
                    await asyncio.sleep(wait)
                # Woken well past the slot (the loop was held up, for instance by a Redis
                # outage): requests of other crawlers may follow it closely, so take another.
                if time.monotonic() - due <= max(h.interval / 2, _SLOT_TOLERANCE):
                    break
            h.next_slot = max(h.next_slot, time.monotonic() + h.interval)
        h.last_start = time.monotonic()

    async def _worker(self) -> None:
        sched = self.scheduler
        while True:
            job = await sched.next_job()
            if job is None:
                return
            sched.inflight += 1
            await self._wait_for_slot(job)
            h = job.host
            try:
                if job.entry is None:
                    try:
                        if job.tdmrep:
                            await self.sitefiles.fetch_tdmrep(h)
                        else:
                            await self.sitefiles.fetch_robots(h, job.start)
                    except Exception:  # a bug must not kill the crawl
                        if job.tdmrep:  # no endless re-asking: no rules for a while
                            self.sitefiles.give_up_tdmrep(h)
                    sched.site_file_done(h)
                    continue
                await self.pages.run(h, job.entry)
            except Exception as err:  # a bug must not kill the crawl: count and carry on
                self.stats.count("errors_by_kind", "internal-error")
                self.outcomes.fail(job.entry, "internal-error", f"{type(err).__name__}: {err}")
            if job.entry.kind == PAGE:
                sched.dispatched_pages -= 1
            sched.page_done(h)
            if self.reporter is not None:
                self.reporter.advance(
                    1,
                    queue=max(
                        0, self.queue_start + self.stats.urls_queued - self.outcomes.answered
                    ),
                    errors=self.stats.errors,
                )

    async def run(self) -> CrawlResult:
        """Crawl until the frontier is empty, ``max_pages`` is reached, or a stop signal."""
        self._open_state()
        stop_handlers = []
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self.interrupt)
                stop_handlers.append(sig)
        self.scheduler.refill()
        # The WARC thread compresses while this one parses; a short GIL switch interval keeps
        # SQLite and socket calls (which release the GIL) from waiting 5 ms to get it back.
        switch = sys.getswitchinterval()
        sys.setswitchinterval(min(switch, 0.0005))
        try:
            if self.config.render:
                from thresher.crawl.render import Renderer

                self.renderer = Renderer(self.config, self.guard, self.user_agent)
                await self.renderer.start()
                self.pages.renderer = self.renderer
            async with client_session(self.config, self.guard) as session:
                self.fetcher.session = session
                checkpoint = asyncio.create_task(self._checkpoint_loop())
                workers = [
                    asyncio.create_task(self._worker()) for _ in range(self.config.concurrency)
                ]
                await asyncio.gather(*workers)
                self.scheduler.stopping = True
                checkpoint.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await checkpoint
        finally:
            sys.setswitchinterval(switch)
            for sig in stop_handlers:
                loop.remove_signal_handler(sig)
            if self.renderer is not None:
                await self.renderer.close()
            result = self._close()
        return result

    def _close(self) -> CrawlResult:
        """Give back what is held, commit the last work, write the stats, unlock."""
        self.scheduler.release_all()
        if self.frontier.get_meta("recrawl") is not None and self.frontier.next_ready_at() is None:
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
            fetched=self.stats.fetched,
            failures=stats.total.failed_by_reason,
            warc_files=sorted((self.out / "warc").glob("*.warc.gz")),
            stats=stats.to_json(),
            out_dir=self.out,
            skipped=stats.total.skipped_by_reason,
            seed_failures=unfetched_seeds(seeds) if stats.total.pages == 0 else None,
            interrupted=self.interrupted,
        )

    def stop(self) -> None:
        """Finish the requests in flight, commit, and return."""
        if hasattr(self, "scheduler"):
            self.scheduler.stop()

    def interrupt(self) -> None:
        """SIGINT/SIGTERM: stop as :meth:`stop` does, and say so in the result."""
        self.interrupted = True
        self.stop()


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

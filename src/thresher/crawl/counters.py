"""What crawl-stats.json holds: this run's counters and the folder's totals, kept apart.

A crawl folder is filled by one or more runs (a resume, a recrawl). Counters of requests,
responses, errors, retries and bytes describe one run (``this_run``); URL states, failures and
skips by reason and WARC files describe everything the folder holds (``total``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

__all__ = ["CrawlStats", "CrawlTotals", "RunCounters", "new_run_counters"]


@dataclass
class RunCounters:
    """What one run did: requests, responses, errors, retries and bytes; the ``*_by_*``,
    ``opt_out``, ``tdmrep`` and ``recipe_links`` groups are ``reason → count`` maps."""

    fetched: int = 0
    responses_by_status: dict[str, int] = field(default_factory=dict)
    errors_by_kind: dict[str, int] = field(default_factory=dict)
    failed_by_reason: dict[str, int] = field(default_factory=dict)
    skipped_by_reason: dict[str, int] = field(default_factory=dict)
    opt_out: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    redirects: int = 0
    robots_fetches: int = 0
    tdmrep_fetches: int = 0
    tdmrep: dict[str, int] = field(default_factory=dict)
    bytes: int = 0
    links_seen: int = 0
    urls_queued: int = 0
    #: URLs that failed in an earlier run for a transient or settings-dependent reason,
    #: queued again at the start of this one
    requeued_failed: int = 0
    #: sitemaps parsed; sitemaps not queued or not fetched for the max_sitemaps /
    #: max_sitemap_urls caps; URLs taken from sitemaps and dropped by the max_sitemap_urls cap
    sitemaps_fetched: int = 0
    sitemaps_skipped: int = 0
    sitemap_urls: int = 0
    sitemap_urls_dropped: int = 0
    out_of_scope: int = 0
    #: HTML pages archived whose links were not taken: nested past thresher.nesting's limit
    too_deep_pages: int = 0
    rendered: int = 0
    revisits: int = 0
    #: links a recipe followed by kind (None: no recipe, not written)
    recipe_links: dict[str, int] | None = None
    #: fetched pages another crawler of a shared frontier had taken over (not archived)
    lease_lost: int = 0

    def count(self, group: str, key: str, n: int = 1) -> None:
        """Add ``n`` to ``key`` of the ``group`` map (``errors_by_kind``, ``opt_out``...)."""
        d: dict[str, int] | None = getattr(self, group)
        if d is None:
            return
        d[key] = d.get(key, 0) + n

    @property
    def errors(self) -> int:
        return sum(self.errors_by_kind.values())

    def to_json(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        if out["recipe_links"] is None:
            del out["recipe_links"]
        if not out["lease_lost"]:
            del out["lease_lost"]  # only a shared frontier ever loses a lease
        return out


def new_run_counters(recipe: bool = False) -> dict[str, Any]:
    """The counters one run starts with, as crawl-stats.json writes them."""
    return RunCounters(recipe_links={} if recipe else None).to_json()


@dataclass
class CrawlTotals:
    """What the folder holds over all runs: URLs by state, final failures and skips by reason."""

    urls: dict[str, int]
    failed_by_reason: dict[str, int] = field(default_factory=dict)
    skipped_by_reason: dict[str, int] = field(default_factory=dict)
    warc_files: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        """URLs answered and archived (done), including redirects and not-modified pages."""
        return self.urls.get("done", 0)

    @property
    def queue(self) -> int:
        """URLs still to fetch (queued, or leased by a run that was killed)."""
        return self.urls.get("queued", 0) + self.urls.get("leased", 0)

    def to_json(self) -> dict[str, Any]:
        return {
            "pages": self.pages,
            "urls": self.urls,
            "queue": self.queue,
            "failed_by_reason": self.failed_by_reason,
            "skipped_by_reason": self.skipped_by_reason,
            "warc_files": self.warc_files,
        }


@dataclass
class CrawlStats:
    """The content of crawl-stats.json (written every 10 s and at the end of a run)."""

    this_run: dict[str, Any]
    total: CrawlTotals
    runs: int = 1  # runs in this folder so far, this one included
    finished: bool = False  # this run ended cleanly (not killed)
    user_agent: str = ""

    @property
    def complete(self) -> bool:
        """The run ended cleanly with nothing left to fetch."""
        return self.finished and self.total.queue == 0

    def to_json(self) -> dict[str, Any]:
        return {
            "this_run": self.this_run,
            "total": self.total.to_json(),
            "runs": self.runs,
            "finished": self.finished,
            "complete": self.complete,
            "user_agent": self.user_agent,
        }

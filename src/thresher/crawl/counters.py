"""What crawl-stats.json holds: this run's counters and the folder's totals, kept apart.

A crawl folder is filled by one or more runs (a resume, a recrawl). Counters of requests,
responses, errors, retries and bytes describe one run (``this_run``); URL states, failures and
skips by reason and WARC files describe everything the folder holds (``total``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["CrawlStats", "CrawlTotals", "new_run_counters"]


def new_run_counters(recipe: bool = False) -> dict[str, Any]:
    """The counters one run starts with (groups are ``reason → count`` objects)."""
    counters: dict[str, Any] = {
        "fetched": 0,
        "responses_by_status": {},
        "errors_by_kind": {},
        "failed_by_reason": {},
        "skipped_by_reason": {},
        "opt_out": {},
        "retries": 0,
        "redirects": 0,
        "robots_fetches": 0,
        "tdmrep_fetches": 0,
        "tdmrep": {},
        "bytes": 0,
        "links_seen": 0,
        "urls_queued": 0,
        "out_of_scope": 0,
        "rendered": 0,
        "revisits": 0,
    }
    if recipe:
        counters["recipe_links"] = {}
    return counters


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

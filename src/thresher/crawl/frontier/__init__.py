"""Crawl frontiers: the SQLite one of a single crawler (the default, :class:`Frontier`) and
the Redis one that several crawler processes share; both implement :class:`CrawlFrontier`.

The Redis frontier loads on first use (it needs the ``redis`` extra)."""

from __future__ import annotations

from thresher.crawl.frontier.base import (
    DONE,
    FAILED,
    FEED,
    LEASED,
    PAGE,
    QUEUED,
    SITEMAP,
    SKIPPED,
    STATE_NAMES,
    CrawlFrontier,
    Entry,
    HostRecord,
    Row,
)
from thresher.crawl.frontier.sqlite import Frontier

__all__ = [
    "DONE",
    "FAILED",
    "FEED",
    "LEASED",
    "PAGE",
    "QUEUED",
    "SITEMAP",
    "SKIPPED",
    "STATE_NAMES",
    "CrawlFrontier",
    "Entry",
    "Frontier",
    "HostRecord",
    "Row",
]

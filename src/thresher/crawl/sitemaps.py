"""The crawl's sitemap budget: how many sitemaps may be queued and how many URLs taken from
them, so that a sitemap index of millions of URLs cannot outgrow a crawl of ``max_pages``.

Both totals live in the frontier's metadata, so a resumed crawl goes on counting where the
last run stopped (on a shared frontier each crawler adds to the same totals, approximately).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from thresher.crawl.config import CrawlConfig
    from thresher.crawl.counters import RunCounters
    from thresher.crawl.frontier.base import CrawlFrontier

__all__ = ["SITEMAP_CAP", "SitemapBudget"]

#: the skip reason of a queued sitemap not fetched because the URL cap was reached
SITEMAP_CAP = "sitemap-cap"
_QUEUED = "sitemaps_queued"
_URLS = "sitemap_urls"


def _meta_int(frontier: CrawlFrontier, key: str) -> int:
    try:
        return int(frontier.get_meta(key) or 0)
    except ValueError:
        return 0


class SitemapBudget:
    """Sitemaps queued and sitemap URLs taken so far, against ``max_sitemaps`` and
    ``max_sitemap_urls`` (defaults tied to ``max_pages``)."""

    def __init__(self, config: CrawlConfig, frontier: CrawlFrontier, stats: RunCounters) -> None:
        self.frontier = frontier
        self.stats = stats
        self.max_sitemaps = config.sitemap_limit()
        self.max_urls = config.sitemap_url_limit()
        self.queued = _meta_int(frontier, _QUEUED)
        self.urls = _meta_int(frontier, _URLS)

    def sitemaps_left(self) -> int:
        """How many more sitemaps may be queued."""
        return max(0, self.max_sitemaps - self.queued)

    def urls_left(self) -> int:
        """How many more URLs may be taken from sitemaps."""
        return max(0, self.max_urls - self.urls)

    @property
    def spent(self) -> bool:
        """No URL may be taken from sitemaps any more: fetching one is pointless."""
        return self.urls_left() == 0

    def sitemaps_queued(self, added: int, dropped: int) -> None:
        """Record sitemaps newly queued and sitemaps left out for the cap."""
        self.stats.sitemaps_skipped += dropped
        if added:
            self.queued += added
            self.frontier.set_meta(_QUEUED, str(self.queued))

    def urls_taken(self, taken: int, dropped: int) -> None:
        """Record one parsed sitemap: URLs taken from it and URLs dropped for the cap."""
        self.stats.sitemaps_fetched += 1
        self.stats.sitemap_urls += taken
        self.stats.sitemap_urls_dropped += dropped
        if taken:
            self.urls += taken
            self.frontier.set_meta(_URLS, str(self.urls))

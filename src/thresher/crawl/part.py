"""What the parts of one crawl that fetch and settle URLs share (the page handler and the site
files): its settings, frontier, archive, counters, fetcher, outcomes and link queue."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from thresher.archive.writer import WarcWriter
    from thresher.crawl.config import CrawlConfig
    from thresher.crawl.counters import RunCounters
    from thresher.crawl.fetcher import Fetcher
    from thresher.crawl.frontier.base import CrawlFrontier
    from thresher.crawl.links import LinkQueue
    from thresher.crawl.outcomes import Outcomes


class CrawlPart:
    """Base of a crawl component that fetches through ``fetcher`` and settles URLs through
    ``outcomes``; ``token`` is this crawler's lease token in the frontier."""

    def __init__(
        self,
        config: CrawlConfig,
        frontier: CrawlFrontier,
        writer: WarcWriter,
        stats: RunCounters,
        fetcher: Fetcher,
        outcomes: Outcomes,
        links: LinkQueue,
        token: str,
    ) -> None:
        self.config = config
        self.frontier = frontier
        self.writer = writer
        self.stats = stats
        self.fetcher = fetcher
        self.outcomes = outcomes
        self.links = links
        self.token = token

"""The crawl stage: a polite, crash-safe crawler that archives everything it fetches as WARC.

``crawl(config, out_dir)`` is the whole API of a crawl; ``PoliteFetcher`` (and
``fetch_pages``) fetch single pages just as politely outside one (``thresher read``, ``serve``,
notebooks). The parts (robots rules, URL canonicalisation, the SQLite frontier) are importable
on their own. The names below load on first use: the engine (and aiohttp) only for a crawl or a
fetch, the configuration (pydantic) only when asked for, so ``thresher robots`` starts at once.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from thresher.crawl.config import CrawlConfig
    from thresher.crawl.engine import Crawler, CrawlResult, crawl
    from thresher.crawl.one_page import (
        DEFAULT_PAGE_TTL,
        FetchCache,
        FetchedPage,
        PageSignals,
        PoliteFetcher,
        fetch_pages,
    )
    from thresher.crawl.page_errors import PageError
    from thresher.crawl.robots import RobotsRules, parse_robots

_EXPORTS = {
    "CrawlConfig": "thresher.crawl.config",
    "crawl": "thresher.crawl.engine",
    "Crawler": "thresher.crawl.engine",
    "CrawlResult": "thresher.crawl.engine",
    "DEFAULT_PAGE_TTL": "thresher.crawl.one_page",
    "FetchCache": "thresher.crawl.one_page",
    "FetchedPage": "thresher.crawl.one_page",
    "PageSignals": "thresher.crawl.one_page",
    "PoliteFetcher": "thresher.crawl.one_page",
    "fetch_pages": "thresher.crawl.one_page",
    "PageError": "thresher.crawl.page_errors",
    "RobotsRules": "thresher.crawl.robots",
    "parse_robots": "thresher.crawl.robots",
}

__all__ = [
    "DEFAULT_PAGE_TTL",
    "CrawlConfig",
    "CrawlResult",
    "Crawler",
    "FetchCache",
    "FetchedPage",
    "PageError",
    "PageSignals",
    "PoliteFetcher",
    "RobotsRules",
    "crawl",
    "fetch_pages",
    "parse_robots",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'thresher.crawl' has no attribute {name!r}")
    return getattr(import_module(module), name)

"""The crawl stage: a polite, crash-safe crawler that archives everything it fetches as WARC.

``crawl(config, out_dir)`` is the whole API; the parts (robots rules, URL canonicalisation,
the SQLite frontier) are importable on their own. The engine (and aiohttp) is imported on
first use, so reading a configuration stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from thresher.crawl.config import CrawlConfig
from thresher.crawl.robots import RobotsRules, parse_robots

if TYPE_CHECKING:
    from thresher.crawl.engine import Crawler, CrawlResult, crawl

__all__ = ["CrawlConfig", "CrawlResult", "Crawler", "RobotsRules", "crawl", "parse_robots"]


def __getattr__(name: str) -> Any:
    if name in ("crawl", "Crawler", "CrawlResult"):
        from thresher.crawl import engine

        return getattr(engine, name)
    raise AttributeError(f"module 'thresher.crawl' has no attribute {name!r}")

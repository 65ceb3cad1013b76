"""The crawl stage: a polite, crash-safe crawler that archives everything it fetches as WARC.

``crawl(config, out_dir)`` is the whole API; the parts (robots rules, URL canonicalisation,
the SQLite frontier) are importable on their own. The names below load on first use: the
engine (and aiohttp) only for a crawl, the configuration (pydantic) only when asked for, so
``thresher robots`` starts at once.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from thresher.crawl.config import CrawlConfig
    from thresher.crawl.engine import Crawler, CrawlResult, crawl
    from thresher.crawl.robots import RobotsRules, parse_robots

_EXPORTS = {
    "CrawlConfig": "thresher.crawl.config",
    "crawl": "thresher.crawl.engine",
    "Crawler": "thresher.crawl.engine",
    "CrawlResult": "thresher.crawl.engine",
    "RobotsRules": "thresher.crawl.robots",
    "parse_robots": "thresher.crawl.robots",
}

__all__ = ["CrawlConfig", "CrawlResult", "Crawler", "RobotsRules", "crawl", "parse_robots"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'thresher.crawl' has no attribute {name!r}")
    return getattr(import_module(module), name)

"""The crawl stage: a polite, crash-safe crawler that archives everything it fetches as WARC.

``crawl(config, out_dir)`` is the whole API; the parts (robots rules, URL canonicalisation,
the SQLite frontier) are importable on their own.
"""

from thresher.crawl.config import CrawlConfig
from thresher.crawl.engine import Crawler, CrawlResult, crawl
from thresher.crawl.robots import RobotsRules, parse_robots

__all__ = ["CrawlConfig", "CrawlResult", "Crawler", "RobotsRules", "crawl", "parse_robots"]

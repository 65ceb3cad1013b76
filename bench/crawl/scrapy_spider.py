"""The peer: a Scrapy spider crawling the benchmark site like thresher does (robots.txt obeyed,
links followed within the site, every page written out). Run with the bench env's Python."""

from __future__ import annotations

import sys

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.linkextractors import LinkExtractor


class SiteSpider(scrapy.Spider):
    name = "bench"

    def __init__(self, start_at: str, **kw: object) -> None:
        super().__init__(**kw)
        self.start_at = start_at
        self.allowed_domains = ["127.0.0.1"]
        self.links = LinkExtractor()

    async def start(self):  # type: ignore[override]  # one request for the start URL
        yield scrapy.Request(self.start_at)

    def parse(self, response):  # type: ignore[no-untyped-def]
        yield {"url": response.url, "status": response.status, "body": response.text}
        for link in self.links.extract_links(response):
            yield response.follow(link.url, callback=self.parse)


def main() -> None:
    start, out = sys.argv[1], sys.argv[2]
    process = CrawlerProcess(
        settings={
            "CONCURRENT_REQUESTS": 16,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
            "DOWNLOAD_DELAY": 0,
            "AUTOTHROTTLE_ENABLED": False,
            "ROBOTSTXT_OBEY": True,
            "TELNETCONSOLE_ENABLED": False,
            "LOG_LEVEL": "WARNING",
            "FEEDS": {out: {"format": "jsonlines"}},
            "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        }
    )
    process.crawl(SiteSpider, start_at=start)
    process.start()


if __name__ == "__main__":
    main()

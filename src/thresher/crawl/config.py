"""Settings of the crawler (the YAML ``crawl:`` section and the ``thresher crawl`` options)."""

from __future__ import annotations

from pydantic import Field

from thresher.settings_base import Section

DEFAULT_USER_AGENT = "thresher/0.1 (+https://github.com/thresher-crawler/thresher)"


class CrawlConfig(Section):
    """Defaults are polite: one request per second and one in flight per host."""

    seeds: list[str] = Field(default_factory=list, description="start URLs")
    max_pages: int | None = Field(None, ge=1, description="stop after this many pages")
    max_depth: int | None = Field(None, ge=0, description="links deeper than this are not followed")
    rate: float = Field(1.0, gt=0, description="requests per second per host")
    concurrency: int = Field(16, ge=1, description="requests in flight in total")
    per_host: int = Field(1, ge=1, description="requests in flight per host")
    user_agent: str = Field(DEFAULT_USER_AGENT, description="User-Agent header")
    allow_private: bool = Field(False, description="permit loopback and private addresses")
    render: bool = Field(False, description="render pages with headless Chromium")
    proxies: list[str] = Field(default_factory=list, description="proxy URLs, rotated")
    include: list[str] = Field(default_factory=list, description="only URLs matching one regex")
    exclude: list[str] = Field(default_factory=list, description="skip URLs matching any regex")
    same_domain: bool = Field(True, description="stay on the seeds' registered domains")
    respect_robots: bool = Field(True, description="obey robots.txt")
    use_sitemaps: bool = Field(True, description="seed from sitemaps listed in robots.txt")
    timeout: float = Field(30.0, gt=0, description="connect + read timeout in seconds")
    max_retries: int = Field(3, ge=0, description="retries for transient failures")
    max_body_bytes: int = Field(10 * 1024 * 1024, ge=1024, description="bodies are cut here")
    warc_max_bytes: int = Field(1024**3, ge=1024 * 1024, description="WARC files rotate here")

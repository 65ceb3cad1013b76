"""Settings of the crawler (the YAML ``crawl:`` section and the ``thresher crawl`` options)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from thresher.crawl.proxies import check_proxy_url
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
    max_sitemaps: int | None = Field(
        None,
        ge=0,
        description="sitemaps (and sitemap indexes) queued per crawl; the rest are skipped"
        " [default: max_pages kept within 10..1000, or 1000 without max_pages]",
    )
    max_sitemap_urls: int | None = Field(
        None,
        ge=0,
        description="URLs taken from sitemaps per crawl; once reached, the rest are dropped"
        " and no further sitemap is fetched [default: 10 x max_pages, or 1,000,000]",
    )
    timeout: float = Field(30.0, gt=0, description="connect + read timeout in seconds")
    max_retries: int = Field(3, ge=0, description="retries for transient failures")
    max_body_bytes: int = Field(10 * 1024 * 1024, ge=1024, description="bodies are cut here")
    warc_max_bytes: int = Field(1024**3, ge=1024 * 1024, description="WARC files rotate here")
    max_redirects: int = Field(5, ge=0, description="redirect hops followed from one URL")
    max_url_length: int = Field(2048, ge=64, description="longer URLs are skipped as traps")
    max_path_segments: int = Field(32, ge=1, description="deeper paths are skipped as traps")
    max_pages_per_host: int | None = Field(None, ge=1, description="page cap per host")
    max_crawl_delay: float = Field(60.0, ge=0, description="robots.txt crawl-delay is capped here")
    robots_ttl: float = Field(86400.0, gt=0, description="seconds a robots.txt stays cached")
    robots_max_attempts: int = Field(
        5, ge=1, description="robots.txt fetch failures (5xx, network) before a host's URLs fail"
    )
    retry_base_delay: float = Field(2.0, ge=0, description="first retry waits about this long")
    retry_max_delay: float = Field(600.0, ge=0, description="retry waits are capped here")
    max_retry_after: float = Field(3600.0, ge=0, description="Retry-After values are capped here")
    slow_response: float = Field(
        5.0, gt=0, description="responses slower than this (seconds) slow the host down"
    )
    strip_tracking: bool = Field(True, description="drop utm_* and similar tracking parameters")
    non_html: Literal["archive", "skip"] = Field(
        "archive", description="archive or skip responses that are not HTML, XML or text"
    )
    opt_out: Literal["skip", "record"] = Field(
        "skip",
        description="noindex/noai/tdm-reservation pages: skip them, or archive and record",
    )
    tdmrep: bool = Field(
        True,
        description="read each host's /.well-known/tdmrep.json (TDMRep) before its pages;"
        " reserved paths are skipped unfetched (or recorded, see opt_out)",
    )
    allow_hosts: list[str] = Field(
        default_factory=list,
        description="host[:port] names exempt from the private-address guard",
    )
    recrawl: bool = Field(
        False, description="fetch done pages again with If-None-Match / If-Modified-Since"
    )
    frontier: str = Field(
        "sqlite",
        description="where the crawl state lives: sqlite (in the output folder) or a"
        " redis://HOST:PORT/DB URL shared by several crawler processes",
    )
    frontier_lease: float = Field(
        30.0,
        gt=0,
        description="seconds a URL leased from a shared frontier stays this crawler's without"
        " renewal (a crawler that dies gives its URLs back after this long)",
    )
    fsync: bool = Field(True, description="fsync WARC files and state at every checkpoint")
    checkpoint_interval: float = Field(
        1.0, gt=0, description="seconds between commits of WARC data and crawl state"
    )
    warc_gzip_level: int = Field(6, ge=1, le=9, description="gzip level of WARC records")
    render_timeout: float = Field(20.0, gt=0, description="seconds to wait for a page to render")
    render_concurrency: int = Field(2, ge=1, description="pages rendered at once")
    chromium: str = Field("/usr/bin/chromium", description="browser executable for --render")
    contact: str | None = Field(
        None, description="contact URL or e-mail added to the default User-Agent"
    )
    recipe: str | None = Field(
        None,
        description="a recipe file or built-in name (phpbb, xenforo, vbulletin, discourse)"
        " whose link rules the crawler follows instead of every link",
    )

    def sitemap_limit(self) -> int:
        """``max_sitemaps``, or its default tied to ``max_pages``."""
        if self.max_sitemaps is not None:
            return self.max_sitemaps
        return 1000 if self.max_pages is None else min(1000, max(10, self.max_pages))

    def sitemap_url_limit(self) -> int:
        """``max_sitemap_urls``, or its default tied to ``max_pages``."""
        if self.max_sitemap_urls is not None:
            return self.max_sitemap_urls
        return 1_000_000 if self.max_pages is None else 10 * self.max_pages

    @field_validator("frontier")
    @classmethod
    def _known_frontier(cls, value: str) -> str:
        """``sqlite`` or a Redis URL (redis://, rediss://, unix://), checked before a fetch."""
        if value == "sqlite" or value.startswith(("redis://", "rediss://", "unix://")):
            return value
        raise PydanticCustomError(
            "frontier",
            "must be sqlite or a redis://HOST:PORT/DB URL, not {value!r}",
            {"value": value},
        )

    @field_validator("proxies")
    @classmethod
    def _usable_proxies(cls, urls: list[str]) -> list[str]:
        """A proxy URL the client cannot use is a configuration error, before any fetch."""
        try:
            return [check_proxy_url(u) for u in urls]
        except ValueError as e:
            raise PydanticCustomError("proxy_url", str(e)) from None

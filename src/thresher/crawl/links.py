"""Found links into the frontier: canonical form, scope (domain, include, exclude), traps,
depth, the in-memory screen against repeats, and a recipe's own link rules."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from thresher.crawl import urls as U
from thresher.crawl.frontier.base import PAGE, SITEMAP, SKIPPED, Row
from thresher.errors import ConfigError

if TYPE_CHECKING:
    from thresher.crawl.config import CrawlConfig
    from thresher.crawl.counters import RunCounters
    from thresher.crawl.frontier.base import CrawlFrontier
    from thresher.crawl.sitemaps import SitemapBudget
    from thresher.extract.recipes import Recipe

__all__ = ["LinkQueue", "compile_patterns"]

_CONSIDERED_CAP = 500_000


def compile_patterns(patterns: list[str], what: str) -> list[re.Pattern[str]]:
    """The ``crawl.include`` / ``crawl.exclude`` regexes; a bad one is a config error."""
    out = []
    for pattern in patterns:
        try:
            out.append(re.compile(pattern))
        except re.error as e:
            raise ConfigError(
                f"crawl.{what}: invalid regular expression {pattern!r}: {e}"
            ) from None
    return out


class LinkQueue:
    """Adds the links of a page to the frontier; ``notice(host)`` is told of every host that
    got a new URL (the scheduler wakes it)."""

    def __init__(
        self,
        config: CrawlConfig,
        frontier: CrawlFrontier,
        stats: RunCounters,
        sites: frozenset[str],
        recipe: Recipe | None,
        include: list[re.Pattern[str]],
        exclude: list[re.Pattern[str]],
    ) -> None:
        self.config = config
        self.frontier = frontier
        self.stats = stats
        self.sites = sites
        self.recipe = recipe
        self.include = include
        self.exclude = exclude
        self.now_year = time.gmtime().tm_year
        self.notice: Callable[[str], None] = lambda host: None
        self.sitemaps: SitemapBudget  # set by the engine once the frontier is open
        self._considered: set[int] = set()

    def recipe_links(self, payload: bytes, base: str) -> list[str]:
        """The links the recipe follows from an HTML page, counted by kind."""
        assert self.recipe is not None
        try:
            pairs = self.recipe.follow_links(payload, base)
        except Exception:  # a page the recipe's selectors cannot handle: no links, counted
            self.stats.count("errors_by_kind", "recipe-error")
            return []
        if not pairs:
            self.stats.count("recipe_links", "no-links")  # pages the recipe takes nothing from
        for _, kind in pairs:
            self.stats.count("recipe_links", kind)
        return [url for url, _ in pairs]

    def in_scope(self, url: str) -> bool:
        if self.config.same_domain and not U.same_site(url, self.sites):
            return False
        if self.include and not any(r.search(url) for r in self.include):
            return False
        return not any(r.search(url) for r in self.exclude)

    def queue(
        self,
        hrefs: list[str],
        *,
        base: str,
        depth: int,
        kind: int,
        hops: int = 0,
        via: str | None = None,
        force_scope: bool = True,
        sitemap: bool = False,
        redirect: bool = False,
    ) -> int:
        """Queue ``hrefs`` found at ``base`` (``depth``: theirs) that are new and in scope;
        returns how many were new to the frontier."""
        if not hrefs:
            return 0
        cfg = self.config
        if cfg.max_depth is not None and depth > cfg.max_depth and kind == PAGE and not redirect:
            self.stats.count("skipped_by_reason", "max-depth", len(hrefs))
            return 0
        self.stats.links_seen += len(hrefs)
        fresh = self._unseen(hrefs, base)
        if not fresh:
            return 0
        keep: list[Row] = []
        traps = []
        for url in fresh:
            row = (U.fingerprint(url), url, U.host_of(url), depth, kind, hops, via)
            if (force_scope or sitemap) and not self.in_scope(url):
                self.stats.out_of_scope += 1
                continue
            trap = U.looks_like_trap(
                url,
                max_length=cfg.max_url_length,
                max_segments=cfg.max_path_segments,
                now_year=self.now_year,
            )
            if trap:
                traps.append((row, trap))
                continue
            keep.append(row)
        for row, trap in traps:
            if self.frontier.add([row], state=SKIPPED, reason="trap:" + trap):
                self.stats.count("skipped_by_reason", "trap:" + trap)
        new = self.frontier.add(keep)
        self.stats.urls_queued += len(new)
        for row in new:
            self.notice(row[2])
        return len(new)

    def queue_sitemaps(self, hrefs: list[str], *, base: str, depth: int, sitemap: bool) -> None:
        """Queue sitemap URLs (of robots.txt or an index) within the ``max_sitemaps`` cap;
        ``sitemap``: found in a sitemap index (scope applies) rather than robots.txt."""
        budget = self.sitemaps
        left = budget.sitemaps_left()
        added = self.queue(
            hrefs[:left],
            base=base,
            depth=depth,
            kind=SITEMAP,
            force_scope=False,
            sitemap=sitemap,
        )
        budget.sitemaps_queued(added, max(0, len(hrefs) - left))

    def _unseen(self, hrefs: list[str], base: str) -> list[str]:
        """Canonical URLs of ``hrefs`` not considered before in this run."""
        strip = self.config.strip_tracking
        origin = U.host_of(base)
        canon = U.canonicalize
        considered = self._considered
        if len(considered) >= _CONSIDERED_CAP:
            considered.clear()
        fresh = []
        for href in hrefs:
            if href[:1] == "/" and href[1:2] != "/":
                url = canon(origin + href, strip)
            elif href.startswith(("http://", "https://")):
                url = canon(href, strip)
            else:
                url = U.join(base, href, strip)
            if url is None:
                continue
            # A 64-bit in-memory screen keeps repeats (navigation links) away from the store.
            key = hash(url)
            if key in considered:
                continue
            considered.add(key)
            fresh.append(url)
        return fresh

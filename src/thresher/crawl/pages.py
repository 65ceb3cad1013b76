"""One page of the crawl from request to outcome: errors and retries, redirects, revisits,
opt-out signals (X-Robots-Tag, meta, TDMRep), rendering, link discovery and the archive."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from thresher.archive.writer import sha1_digest, warc_date
from thresher.crawl import urls as U
from thresher.crawl.discover import (
    parse_feed,
    parse_html,
    robots_directives,
    sitemap_locs,
    sniff_kind,
    tdm_value,
)
from thresher.crawl.fetcher import REDIRECTS
from thresher.crawl.frontier.base import DONE, FAILED, FEED, PAGE, SITEMAP, Entry
from thresher.crawl.outcomes import HOST_DOWN, TRANSIENT_STATUS
from thresher.crawl.part import CrawlPart
from thresher.crawl.sitefiles import tdm_fields
from thresher.retry import parse_retry_after

if TYPE_CHECKING:
    from thresher.crawl.fetch import FetchResult
    from thresher.crawl.politeness import HostState

__all__ = ["PageHandler"]


class PageHandler(CrawlPart):
    """Fetches a leased URL and settles it (``renderer`` is set when --render is on)."""

    renderer: Any = None  # the Renderer, set by the engine when --render is on

    async def run(self, h: HostState, e: Entry) -> None:
        """GET the URL and settle it by its answer."""
        res = await self.fetcher.get(e.url, e)
        self.stats.fetched += 1
        if not await self.frontier.claim(e):
            # A shared frontier gave the URL to another crawler (this one's lease expired):
            # that crawler archives it, so this answer is dropped unrecorded.
            self.stats.lease_lost += 1
            return
        if res.error is not None:
            self.stats.count("errors_by_kind", res.error)
            if res.error in HOST_DOWN:
                self.outcomes.fail(e, res.error, detail=res.error_detail)
                return
            h.slow_down()
            self.outcomes.retry_or_fail(e, res.error, h, detail=res.error_detail)
            return
        status = res.status
        self.stats.count("responses_by_status", str(status))
        if res.elapsed > self.config.slow_response:
            h.slow_down()
        if status in TRANSIENT_STATUS:
            self.fetcher.archive(res)
            self.stats.count("errors_by_kind", f"http-{status}")
            h.slow_down()
            wait = parse_retry_after(res.header("retry-after"))
            if wait is not None and status in (429, 503):
                wait = min(wait, self.config.max_retry_after)
                self.outcomes.defer_host(h, wait)
            self.outcomes.retry_or_fail(e, f"http-{status}", h, wait=wait)
            return
        h.recover()
        if status in REDIRECTS:
            rid = self.fetcher.archive(res)
            self._redirect(e, res, rid)
            return
        if status == 304 and e.payload_digest:
            self.writer.write_revisit(
                e.url,
                res.request,
                res.response_head(),
                refers_to=e.record_id,
                refers_to_date=e.warc_date,
                payload_digest=e.payload_digest,
            )
            self.stats.revisits += 1
            self.outcomes.finish(e, DONE, status=200, reason="not-modified")
            return
        if status != 200:
            self.fetcher.archive(res)
            self.outcomes.finish(
                e, FAILED if status >= 400 else DONE, status=status, reason=f"http-{status}"
            )
            if status >= 400:
                self.stats.count("errors_by_kind", f"http-{status}")
            return
        await self._ok(h, e, res)

    async def _ok(self, h: HostState, e: Entry, res: FetchResult) -> None:
        kind = sniff_kind(res.content_type, res.payload)
        decision: set[str] = set()
        for value in res.headers_all("x-robots-tag"):
            decision |= robots_directives(value, self.token)
        # TDMRep: the site file, superseded by the header, superseded by the HTML meta.
        rule = h.tdm.match(e.url) if h.tdm is not None else None
        reservation: int | None = None
        tdm: dict[str, object] = {}
        if rule is not None and rule.reservation is not None:
            reservation, tdm = rule.reservation, tdm_fields(rule)
        header_tdm = tdm_value(res.header("tdm-reservation"))
        if header_tdm is not None:
            reservation, tdm = header_tdm, {"tdm-source": "header"}
            if res.header("tdm-policy"):
                tdm["tdm-policy"] = res.header("tdm-policy")
        links: list[str] = []
        base = e.url
        feeds: list[str] = []
        rendered: bytes | None = None
        if e.kind == SITEMAP or kind == "sitemap":
            self._sitemap(e, res)
        elif e.kind == FEED or kind == "feed":
            try:
                links = parse_feed(res.payload)
            except ValueError:
                links = []
        elif kind == "html":
            if self.renderer is not None:
                rendered = await self.renderer.render(e.url, res)
            info = parse_html(rendered if rendered is not None else res.payload, self.token)
            if info.too_deep:
                self.stats.too_deep_pages += 1
            decision |= info.directives
            if info.tdm_reservation is not None:
                reservation, tdm = info.tdm_reservation, {"tdm-source": "meta"}
                if info.tdm_policy:
                    tdm["tdm-policy"] = info.tdm_policy
            links = info.links
            feeds = info.feeds
            if info.base:
                base = U.join(e.url, info.base) or e.url
            if self.links.recipe is not None:
                links = self.links.recipe_links(rendered or res.payload, base)
        elif kind == "other" and self.config.non_html == "skip":
            self.writer.write_metadata(
                e.url, {"skipped": "content-type", "content-type": res.content_type}
            )
            self.outcomes.skip(e, "content-type")
            return
        if reservation == 1:
            decision.add("tdm-reservation")
        else:
            tdm = {}
        opted_out = sorted(decision & {"noindex", "noai", "tdm-reservation"})
        for d in sorted(decision & {"noindex", "nofollow", "noai", "tdm-reservation"}):
            self.stats.count("opt_out", d)
        honour = self.config.opt_out == "skip"
        decision_text = ",".join(sorted(decision)) or None
        if not ("nofollow" in decision and honour):
            self.links.queue(links, base=base, depth=e.depth + 1, kind=PAGE)
            self.links.queue(feeds, base=base, depth=e.depth + 1, kind=FEED)
        if opted_out and honour:
            self.writer.write_metadata(
                e.url, {"opt-out": ",".join(opted_out), **tdm, "action": "skipped"}
            )
            self.outcomes.skip(e, "opt-out:" + opted_out[0], decision=decision_text)
            return
        digest = sha1_digest(res.payload)
        rid = self.fetcher.archive(res, digest)
        if rendered is not None:
            self.writer.write_resource(
                e.url,
                rendered,
                "text/html; charset=utf-8",
                refers_to=rid,
                extra=[("WARC-Resource-Type", "rendered-dom")],
            )
            self.stats.rendered += 1
        if decision_text:
            self.writer.write_metadata(
                e.url,
                {"robots-directives": decision_text, **tdm, "action": "recorded"},
                refers_to=rid,
            )
        h.pages += 1
        self.outcomes.finish(
            e,
            DONE,
            status=200,
            decision=decision_text,
            etag=res.header("etag"),
            last_modified=res.header("last-modified"),
            payload_digest=digest,
            record_id=rid,
            warc_date=warc_date(res.started),
        )

    def _sitemap(self, e: Entry, res: FetchResult) -> None:
        """Queue a sitemap's URLs, or an index's sitemaps, within the crawl's caps."""
        budget = self.links.sitemaps
        try:
            found, is_index, dropped = sitemap_locs(
                res.payload, budget.sitemaps_left(), budget.urls_left()
            )
        except ValueError as err:
            found, is_index, dropped = [], False, 0
            self.stats.count("errors_by_kind", "bad-sitemap")
            res.error_detail = str(err)
        if is_index:
            budget.urls_taken(0, 0)
            self.links.queue_sitemaps(found, base=e.url, depth=e.depth, sitemap=True)
            budget.sitemaps_queued(0, dropped)
            return
        budget.urls_taken(len(found), dropped)
        self.links.queue(found, base=e.url, depth=e.depth + 1, kind=PAGE, sitemap=True)

    def _redirect(self, e: Entry, res: FetchResult, rid: str) -> None:
        self.stats.redirects += 1
        loc = res.header("location")
        target = U.join(e.url, loc) if loc else None
        if target is None:
            self.outcomes.finish(e, FAILED, status=res.status, reason="bad-redirect")
            return
        chain = json.loads(e.via) if e.via else []
        if target == e.url or target in chain:
            self.writer.write_metadata(e.url, {"failure": "redirect-loop", "location": target})
            self.outcomes.finish(e, FAILED, status=res.status, reason="redirect-loop")
            self.stats.count("errors_by_kind", "redirect-loop")
            return
        if e.hops + 1 > self.config.max_redirects:
            self.writer.write_metadata(e.url, {"failure": "too-many-redirects", "location": target})
            self.outcomes.finish(e, FAILED, status=res.status, reason="too-many-redirects")
            self.stats.count("errors_by_kind", "too-many-redirects")
            return
        self.outcomes.finish(e, DONE, status=res.status, reason="redirect")
        via = json.dumps([*chain, e.url][-self.config.max_redirects - 1 :])
        self.links.queue(
            [target],
            base=e.url,
            depth=e.depth,
            kind=e.kind,
            hops=e.hops + 1,
            via=via,
            redirect=True,
        )

"""Host-wide files: robots.txt and /.well-known/tdmrep.json go through one cycle — fetched
once per host (following redirects, every answer archived), cached in the frontier, applied
to the host, asked again when the cache expires — and the decisions taken from them without
the network (robots.txt disallows, TDMRep reservations)."""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING

from thresher.crawl import urls as U
from thresher.crawl.frontier.base import Entry, HostRecord
from thresher.crawl.part import CrawlPart
from thresher.crawl.robots import MAX_ROBOTS_BYTES, RobotsRules, parse_robots
from thresher.crawl.tdmrep import MAX_TDMREP_BYTES, TDMREP_PATH, TdmRep, TdmRule, parse_tdmrep
from thresher.retry import backoff_delay

if TYPE_CHECKING:
    from thresher.crawl.politeness import HostState

__all__ = ["TDMREP_ERROR_TTL", "SiteFiles", "robots_rules", "tdm_fields"]

#: a tdmrep.json that failed with 5xx or a network error is asked again after this long
TDMREP_ERROR_TTL = 3600.0


def robots_rules(status: str | None, body: bytes | None) -> RobotsRules:
    """The rules of a robots.txt fetch outcome: a file (``ok``) as written, none (``missing``:
    4xx, too many redirects) allows everything, anything else (5xx, network) disallows all."""
    if status == "ok" and body is not None:
        return parse_robots(body)
    if status == "missing":
        return RobotsRules.allowing_all()
    return RobotsRules.disallowing_all()


def tdm_fields(rule: TdmRule) -> dict[str, object]:
    """Metadata fields for a decision taken from a tdmrep.json rule."""
    fields: dict[str, object] = {
        "tdm-source": "tdmrep.json",
        "tdm-location": rule.location,
    }
    if rule.policy:
        fields["tdm-policy"] = rule.policy
    return fields


class SiteFiles(CrawlPart):
    """robots.txt and tdmrep.json of every host: load, fetch, store, apply, expire."""

    # -- robots.txt --------------------------------------------------------------------
    def robots_stale(self, h: HostState) -> bool:
        """robots.txt must be fetched before the host's pages (none yet, or expired)."""
        if not self.config.respect_robots:
            return False
        return (h.rules is None or time.time() >= h.robots_expires) and not self.load_robots(h)

    def load_robots(self, h: HostState) -> bool:
        """Use the stored robots.txt of a host if it is fresh; True when rules are set."""
        rec = self.frontier.get_host(h.key)
        if rec is None or rec.robots_fetched is None or rec.robots_status == "error":
            return False
        if time.time() - rec.robots_fetched >= self.config.robots_ttl:
            return False
        self.apply_robots(h, rec)
        return True

    def apply_robots(self, h: HostState, rec: HostRecord) -> None:
        h.rules = robots_rules(rec.robots_status, rec.robots)
        delay = h.rules.crawl_delay(self.token)
        h.crawl_delay = min(delay, self.config.max_crawl_delay) if delay else 0.0
        h.robots_expires = (rec.robots_fetched or time.time()) + self.config.robots_ttl

    def robots_allow(self, e: Entry, h: HostState) -> bool:
        """robots.txt decided without the network; False when the URL is settled here."""
        rules = h.rules
        if (
            self.config.respect_robots
            and rules is not None
            and not rules.allowed(self.token, e.url)
        ):
            self.outcomes.skip(e, "robots-disallowed", metadata=True)
            return False
        return True

    async def fetch_robots(self, h: HostState, start: float) -> None:
        """Fetch, store and apply a host's robots.txt (``start``: when the request began)."""
        rec = self.frontier.get_host(h.key) or HostRecord(h.key, None, None, None, 0)
        url, res, status, detail = await self.fetcher.site_file(
            U.robots_url(h.key), MAX_ROBOTS_BYTES, "robots_fetches"
        )
        if status == "down":
            self.host_down(h, detail, url)
            return
        body = b""
        if status == "ok" and res is not None:
            body = res.payload[:MAX_ROBOTS_BYTES]
        now_wall = time.time()
        cfg = self.config
        if status == "error":
            rec.robots_attempts += 1
            if rec.robots_attempts >= cfg.robots_max_attempts:
                n = self.outcomes.fail_host(h, "robots-unavailable")
                self.writer.write_metadata(
                    U.robots_url(h.key),
                    {"robots": "unavailable", "detail": detail, "failed-urls": n},
                )
                rec.robots_attempts = 0
            else:
                wait = backoff_delay(
                    rec.robots_attempts - 1, cfg.retry_base_delay, cfg.retry_max_delay
                )
                self.outcomes.defer_host(h, wait)
                self.writer.write_metadata(
                    U.robots_url(h.key), {"robots": "disallow-all", "detail": detail}
                )
            rec.robots_status = "error"
            rec.robots_fetched = now_wall
            self.frontier.put_host(rec)
            h.rules = None
            h.exhausted = False
        else:
            rec.robots, rec.robots_status = body, status
            rec.robots_fetched, rec.robots_attempts = now_wall, 0
            self.frontier.put_host(rec)
            self.apply_robots(h, rec)
            if status == "ok" and cfg.use_sitemaps and h.rules:
                self.links.queue_sitemaps(h.rules.sitemaps, base=url, depth=0, sitemap=False)
        # The robots.txt request counts against the (possibly new) crawl-delay.
        h.next_slot = max(h.next_slot, start + h.interval)

    def host_down(self, h: HostState, reason: str, url: str) -> None:
        """The host cannot (or may not) be reached: its URLs fail with ``reason`` now, and
        those found later in this run too; nothing is sent to it, so its rate slot is free."""
        h.down = reason
        h.next_slot = 0.0
        n = self.outcomes.fail_host(h, reason)
        self.writer.write_metadata(url, {"failure": reason, "failed-urls": n})

    # -- TDMRep ------------------------------------------------------------------------
    def tdmrep_stale(self, h: HostState) -> bool:
        """tdmrep.json must be fetched before the host's pages (none yet, or expired)."""
        return self.config.tdmrep and time.time() >= h.tdm_expires and not self.load_tdmrep(h)

    def load_tdmrep(self, h: HostState) -> bool:
        """Use the stored tdmrep.json outcome of a host if it is fresh; True when set."""
        rec = self.frontier.get_host(h.key)
        if rec is None or rec.tdmrep_fetched is None:
            return False
        ttl = self.config.robots_ttl
        if rec.tdmrep_status == "error":
            ttl = min(ttl, TDMREP_ERROR_TTL)
        if time.time() - rec.tdmrep_fetched >= ttl:
            return False
        self.apply_tdmrep(h, rec.tdmrep if rec.tdmrep_status == "ok" else None)
        h.tdm_expires = rec.tdmrep_fetched + ttl
        return True

    def apply_tdmrep(self, h: HostState, body: bytes | None) -> None:
        h.tdm = TdmRep()
        if body is not None:
            with contextlib.suppress(ValueError):  # stored only after it parsed
                h.tdm = parse_tdmrep(body)

    def tdm_allows(self, h: HostState, e: Entry) -> bool:
        """A TDMRep reservation skips the URL unfetched (opt_out: skip); False if settled."""
        if h.tdm is None or self.config.opt_out != "skip":
            return True
        rule = h.tdm.reserved(e.url)
        if rule is None:
            return True
        self.stats.count("opt_out", "tdm-reservation")
        fields = {"opt-out": "tdm-reservation", **tdm_fields(rule), "action": "skipped"}
        self.writer.write_metadata(e.url, fields)
        self.outcomes.skip(e, "opt-out:tdm-reservation", decision="tdm-reservation")
        return False

    async def fetch_tdmrep(self, h: HostState) -> None:
        """Fetch a host's /.well-known/tdmrep.json; anything but a usable file: no rules."""
        url, res, status, detail = await self.fetcher.site_file(
            h.key + TDMREP_PATH, MAX_TDMREP_BYTES, "tdmrep_fetches"
        )
        body: bytes | None = None
        rules: TdmRep | None = None
        if status == "down":
            self.host_down(h, detail, url)
            status = "error"
        elif status == "ok" and res is not None:
            if res.truncated is not None:
                status, detail = "invalid", f"larger than {MAX_TDMREP_BYTES} bytes"
            else:
                try:
                    rules = parse_tdmrep(res.payload)
                except ValueError as err:
                    status, detail = "invalid", str(err)
                else:
                    body = res.payload
        self.stats.count("tdmrep", status)
        if status == "ok" and rules is not None and rules.ignored:
            self.stats.count("tdmrep", "ignored-rules", rules.ignored)
        if status in ("invalid", "error"):
            self.writer.write_metadata(
                h.key + TDMREP_PATH, {"tdmrep": status, "detail": detail, "action": "no-rules"}
            )
        now_wall = time.time()
        self.frontier.put_tdmrep(h.key, body, status, now_wall)
        h.tdm = rules if rules is not None else TdmRep()
        ttl = self.config.robots_ttl
        h.tdm_expires = now_wall + (min(ttl, TDMREP_ERROR_TTL) if status == "error" else ttl)

    def give_up_tdmrep(self, h: HostState) -> None:
        """Fetching tdmrep.json broke: no rules for a while rather than endless re-asking."""
        h.tdm = TdmRep()
        h.tdm_expires = time.time() + TDMREP_ERROR_TTL

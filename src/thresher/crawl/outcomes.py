"""How URLs end and why, in words a user can act on: :class:`Outcomes` settles a URL
(finish, skip, fail, retry) in the frontier and the run's counters; the reason names, the flag
or setting that lifts each one, the summary lines ``thresher crawl`` prints, and the error for
a crawl in which no seed could be fetched."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from thresher.crawl.frontier.base import FAILED, PAGE, SKIPPED
from thresher.crawl.proxies import redact
from thresher.errors import ThresherError
from thresher.retry import backoff_delay

if TYPE_CHECKING:
    from thresher.archive.writer import WarcWriter
    from thresher.crawl.config import CrawlConfig
    from thresher.crawl.counters import RunCounters
    from thresher.crawl.frontier.base import CrawlFrontier, Entry
    from thresher.crawl.politeness import HostState

__all__ = [
    "BLOCKED_PRIVATE",
    "CONNECTION_REFUSED",
    "DNS_ERROR",
    "HOST_DOWN",
    "PROXY_FAULTS",
    "PROXY_UNREACHABLE",
    "QUICK_RETRY",
    "REFUSED_RETRY_DELAYS",
    "RERUN_REASONS",
    "TRANSIENT_STATUS",
    "CrawlFailedError",
    "Outcomes",
    "counted_reasons",
    "hint",
    "reason_lines",
    "unfetched_seeds",
    "with_hint",
]

#: a URL or redirect target resolves to a loopback, private or reserved address
BLOCKED_PRIVATE = "blocked-private-address"
#: the host answered the TCP handshake with a reset (ECONNREFUSED): nothing listens there
CONNECTION_REFUSED = "connection-refused"
#: the host name does not resolve
DNS_ERROR = "dns-error"
#: the proxy itself cannot be connected to
PROXY_UNREACHABLE = "proxy-unreachable"
#: errors after which a URL fails at once (no backoff); on robots.txt every URL of the host
#: fails with that reason, and so do its URLs found later in the same run
HOST_DOWN = frozenset({BLOCKED_PRIVATE, CONNECTION_REFUSED, DNS_ERROR, PROXY_UNREACHABLE})
#: HTTP statuses retried with backoff (the server is busy or failing for a while)
TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
#: failure reasons worth another try when the crawl is run again: the host was down or
#: forbidden (the server may be up now, or --allow-private given) or the error was transient
RERUN_REASONS = frozenset(
    {
        *HOST_DOWN,
        "robots-unavailable",
        "timeout",
        "connection-error",
        *(f"http-{s}" for s in TRANSIENT_STATUS),
    }
)
#: errors retried at once, after the short waits of :data:`REFUSED_RETRY_DELAYS`
QUICK_RETRY = frozenset({CONNECTION_REFUSED, PROXY_UNREACHABLE})
#: waits (seconds) before those retries: a restarting server gets a moment, and a closed
#: port costs about a second in all instead of minutes of backoff
REFUSED_RETRY_DELAYS = (0.25, 0.75)
#: errors that count against the health of the proxy the request went through
PROXY_FAULTS = frozenset({"connection-error", "timeout", CONNECTION_REFUSED, PROXY_UNREACHABLE})

_HINTS = {
    BLOCKED_PRIVATE: "use --allow-private",
    PROXY_UNREACHABLE: "check --proxy",
    "host-page-cap": "raise max_pages_per_host",
    "sitemap-cap": "raise max_sitemap_urls",
    "max-depth": "raise --max-depth",
    "content-type": "set non_html: archive",
    "too-many-redirects": "raise max_redirects",
    "timeout": "raise timeout",
    "trap:url-too-long": "raise max_url_length",
    "trap:path-too-deep": "raise max_path_segments",
}


def hint(reason: str) -> str | None:
    """The flag or setting that lifts a failure or skip reason, if there is one."""
    if reason.startswith("opt-out:"):
        return "set opt_out: record to archive and record them"
    if reason == "ssrf-blocked":  # the name before 0.1 (in older crawl folders)
        reason = BLOCKED_PRIVATE
    return _HINTS.get(reason)


def with_hint(reason: str, n: int) -> str:
    """``reason: n``, followed by the flag that lifts it in parentheses where one exists."""
    h = hint(reason)
    return f"{reason}: {n}" + (f" ({h})" if h else "")


def reason_lines(title: str, counts: Mapping[str, int], indent: str = "  ") -> list[str]:
    """``title N:`` then one indented ``with_hint`` line per reason, most frequent first;
    nothing when no URL has a reason."""
    items = sorted(((r, n) for r, n in counts.items() if n), key=lambda rn: (-rn[1], rn[0]))
    if not items:
        return []
    total = sum(n for _, n in items)
    return [f"{title} {total}:", *(indent + with_hint(r, n) for r, n in items)]


def counted_reasons(title: str, counts: Mapping[str, int]) -> dict[str, int | str]:
    """``{"title: reason": n}`` per reason, the value ``"n (hint)"`` where a flag lifts it
    (the crawl counters of a ``thresher run`` summary, printed as ``key value``)."""
    out: dict[str, int | str] = {}
    for reason, n in sorted(counts.items(), key=lambda rn: (-rn[1], rn[0])):
        h = hint(reason)
        out[f"{title}: {reason}"] = f"{n} ({h})" if h else n
    return out


def unfetched_seeds(outcomes: Iterable[tuple[int, str | None]]) -> dict[str, int] | None:
    """Reason → seeds when every seed (``(state, reason)`` from the frontier) failed or was
    skipped; None when one was fetched or is still waiting (a stopped run)."""
    reasons: dict[str, int] = {}
    for state, reason in outcomes:
        if state not in (FAILED, SKIPPED):
            return None
        reasons[reason or "unknown"] = reasons.get(reason or "unknown", 0) + 1
    return reasons or None


class CrawlFailedError(ThresherError):
    """No seed URL could be fetched: the crawl archived nothing to extract."""

    exit_code = 1

    @classmethod
    def for_seeds(cls, reasons: Mapping[str, int]) -> CrawlFailedError:
        """The error naming why the seeds failed, with the flag that lifts each reason."""
        why = ", ".join(
            r + (f" ({h})" if (h := hint(r)) else "")
            for r in sorted(reasons, key=lambda r: (-reasons[r], r))
        )
        return cls(f"no seed URL could be fetched: {why or 'no answer'}")


class Outcomes:
    """Settles URLs: the frontier's state, the metadata record that says why, the run's
    counters, and the counts ``max_pages`` and the live progress read."""

    def __init__(
        self,
        config: CrawlConfig,
        frontier: CrawlFrontier,
        writer: WarcWriter,
        stats: RunCounters,
        token: str,
    ) -> None:
        self.config = config
        self.frontier = frontier
        self.writer = writer
        self.stats = stats
        self.token = token
        self.pages_done = 0  # pages answered (done or failed), all runs: max_pages counts them
        self.answered = 0  # URLs settled this run (for the live queue estimate)

    def finish(self, e: Entry, state: int, **kw: Any) -> None:
        """A URL answered (done, or failed with an HTTP status): its fields as stored."""
        self.frontier.finish(e.fp, state, **kw)
        if state == FAILED:
            self.stats.count("failed_by_reason", kw.get("reason") or "")
        self.answered += 1
        if e.kind == PAGE:
            self.pages_done += 1  # max_pages counts every page that got an answer

    def skip(
        self, e: Entry, reason: str, *, metadata: bool = False, decision: str | None = None
    ) -> None:
        """A URL not fetched (robots.txt, opt-out, caps): ``metadata`` records robots.txt."""
        self.stats.count("skipped_by_reason", reason)
        if metadata:
            self.writer.write_metadata(e.url, {"robots": "disallowed", "agent": self.token})
        self.frontier.finish(e.fp, SKIPPED, reason=reason, decision=decision)
        self.answered += 1

    def fail(self, e: Entry, reason: str, detail: str = "") -> None:
        """A URL that will not be fetched: a metadata record says why."""
        fields: dict[str, object] = {"failure": reason, "attempts": e.attempts + 1}
        if detail:
            fields["detail"] = redact(detail)
        self.writer.write_metadata(e.url, fields)
        self.frontier.finish(e.fp, FAILED, reason=reason)
        self.stats.count("failed_by_reason", reason)
        self.answered += 1
        if e.kind == PAGE:
            self.pages_done += 1

    def retry_or_fail(
        self,
        e: Entry,
        reason: str,
        host: HostState | None,
        *,
        detail: str = "",
        wait: float | None = None,
    ) -> None:
        """Queue the URL again after a backoff (at least ``wait``), or fail it when its
        retries are used up."""
        if e.attempts >= self.config.max_retries:
            self.fail(e, reason, detail)
            return
        self.stats.retries += 1
        cfg = self.config
        delay = backoff_delay(e.attempts, cfg.retry_base_delay, cfg.retry_max_delay)
        if wait is not None:
            delay = max(delay, wait)
        self.frontier.retry(e.fp, time.time() + delay, reason)
        if host is not None:
            host.exhausted = False

    def fail_host(self, h: HostState, reason: str) -> int:
        """Fail every queued URL of a host with ``reason``; returns how many."""
        n = self.frontier.fail_host(h.key, reason)
        h.queue.clear()
        self.stats.count("errors_by_kind", reason, n)
        self.stats.count("failed_by_reason", reason, n)
        return n

    def defer_host(self, h: HostState, wait: float) -> None:
        """Send nothing to a host for ``wait`` seconds: its URLs in memory go back."""
        h.pause(wait, time.monotonic())
        self.frontier.release(q.fp for q in h.queue)
        h.queue.clear()
        self.frontier.defer_host(h.key, time.time() + wait)
        h.exhausted = False

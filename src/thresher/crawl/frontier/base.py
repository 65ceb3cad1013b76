"""What every crawl frontier holds and offers: URL kinds and states, the entry handed to a
fetch, a host's stored site files, and the :class:`CrawlFrontier` protocol that the SQLite
frontier (one crawler) and the Redis frontier (many crawlers, one crawl) both implement."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "DONE",
    "FAILED",
    "FEED",
    "LEASED",
    "PAGE",
    "QUEUED",
    "SITEMAP",
    "SKIPPED",
    "STATE_NAMES",
    "CrawlFrontier",
    "Entry",
    "HostRecord",
    "Row",
]

# URL kinds
PAGE, SITEMAP, FEED = 0, 1, 2
# URL states
QUEUED, LEASED, DONE, FAILED, SKIPPED = 0, 1, 2, 3, 4
STATE_NAMES = {
    QUEUED: "queued",
    LEASED: "leased",
    DONE: "done",
    FAILED: "failed",
    SKIPPED: "skipped",
}

#: a URL to add: ``(fp, url, host, depth, kind, hops, via)``
Row = tuple[int, str, str, int, int, int, str | None]


@dataclass(slots=True)
class Entry:
    """One URL taken from the frontier to fetch."""

    fp: int
    url: str
    host: str
    depth: int
    kind: int
    attempts: int
    hops: int
    via: str | None
    etag: str | None = None
    last_modified: str | None = None
    payload_digest: str | None = None
    record_id: str | None = None
    warc_date: str | None = None
    #: the lease this entry was handed out under (shared frontiers; None for SQLite)
    lease: str | None = None


@dataclass(slots=True)
class HostRecord:
    """What is stored about a host: its robots.txt and how it was obtained."""

    host: str
    robots: bytes | None
    robots_status: str | None  # "ok", "missing" (4xx), "error"
    robots_fetched: float | None
    robots_attempts: int
    tdmrep: bytes | None = None  # the /.well-known/tdmrep.json body, when usable
    tdmrep_status: str | None = None  # "ok", "missing" (4xx), "invalid", "error"
    tdmrep_fetched: float | None = None


class CrawlFrontier(Protocol):
    """Queue, seen set, leases, host files and outcomes of one crawl.

    Times are wall-clock seconds (``time.time()``). Outcomes (:meth:`finish`,
    :meth:`retry`) become durable at :meth:`commit`, together with the WARC lengths that
    hold their records; after a crash :meth:`recover` puts the work of the lost interval
    back in the queue."""

    #: URLs of one host taken into memory at a time
    lease_batch: int
    #: other crawler processes share this state (rate slots and leases are then remote)
    shared: bool

    # -- recovery and local state
    def recover(self) -> None: ...
    def warc_lengths(self) -> dict[str, int]: ...
    def get_meta(self, key: str) -> str | None: ...
    def set_meta(self, key: str, value: str | None) -> None: ...

    # -- queue
    def add(
        self, rows: Iterable[Row], state: int = QUEUED, reason: str | None = None
    ) -> list[Row]: ...
    def lease(self, host: str, limit: int, now: float | None = None) -> list[Entry]: ...
    def release(self, fps: Iterable[int]) -> None: ...
    def hosts_ready(self, now: float | None = None) -> list[str]: ...
    def next_ready_at(self) -> float | None: ...
    def finish(
        self,
        fp: int,
        state: int,
        *,
        status: int | None = None,
        reason: str | None = None,
        decision: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        payload_digest: str | None = None,
        record_id: str | None = None,
        warc_date: str | None = None,
    ) -> None: ...
    def retry(self, fp: int, next_at: float, reason: str) -> None: ...
    def defer_host(self, host: str, next_at: float) -> None: ...
    def fail_host(self, host: str, reason: str) -> int: ...
    def requeue_failed(self, reasons: Collection[str]) -> int: ...
    def requeue_done(self) -> int: ...

    # -- the crawl's shared coordination (no-ops for a frontier of one crawler)
    async def reserve_slot(self, host: str, interval: float) -> float:
        """Seconds to wait before the next request to ``host`` may start."""
        ...

    async def claim(self, entry: Entry) -> bool:
        """Whether the fetched ``entry`` is still this crawler's to archive."""
        ...

    def may_fetch_site_file(self, host: str, name: str) -> bool:
        """Whether this crawler fetches ``host``'s ``name`` file now (not another one)."""
        ...

    def reserve_page(self, entry: Entry, max_pages: int | None, cap: int | None) -> str:
        """Before a page's request, one unit of the crawl's ``max_pages`` and of its host's
        ``cap`` for all crawlers: ``ok``, ``budget`` (spent), ``cap`` (the host's is done),
        ``wait`` (pages in flight may free one) or ``lost`` (the lease is gone). A frontier
        of one crawler answers ``ok``: the scheduler's own counts are the whole rule."""
        ...

    def heartbeat(self) -> None:
        """Keep this crawler's leases alive (called at every checkpoint)."""
        ...

    # -- hosts
    def get_host(self, host: str) -> HostRecord | None: ...
    def put_host(self, rec: HostRecord) -> None: ...
    def put_tdmrep(self, host: str, body: bytes | None, status: str, fetched: float) -> None: ...

    # -- counts
    def counts(self) -> dict[str, int]: ...
    def reasons(self, state: int) -> dict[str, int]: ...
    def outcomes(self, fps: Iterable[int]) -> dict[int, tuple[int, str | None]]: ...
    def host_pages(self, host: str) -> int: ...

    # -- durability
    def commit(self, warc_lengths: dict[str, int]) -> None: ...
    def abandon(self) -> None: ...
    def close(self) -> None: ...

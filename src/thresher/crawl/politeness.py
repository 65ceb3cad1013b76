"""Per-host politeness: request spacing, adaptive slow-down, Retry-After, and retry backoff."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from thresher.crawl.frontier import Entry
from thresher.crawl.robots import RobotsRules
from thresher.crawl.tdmrep import TdmRep

__all__ = ["HostState"]

MAX_SLOWDOWN = 32.0


@dataclass(eq=False)
class HostState:
    """Scheduling state of one ``scheme://host[:port]`` origin."""

    key: str
    base_interval: float
    queue: deque[Entry] = field(default_factory=deque)
    inflight: int = 0
    next_slot: float = 0.0  # monotonic time of the earliest next request start
    paused_until: float = 0.0
    last_start: float = -1e9  # monotonic time the last request to this host started
    slowdown: float = 1.0
    crawl_delay: float = 0.0
    rules: RobotsRules | None = None
    robots_expires: float = 0.0  # wall-clock time the cached robots.txt goes stale
    robots_busy: bool = False  # its robots.txt or tdmrep.json is being fetched
    tdm: TdmRep | None = None  # the TDMRep rules of the host (None: not loaded yet)
    tdm_expires: float = 0.0  # wall-clock time the cached tdmrep.json goes stale
    in_heap: bool = False
    exhausted: bool = False  # the database had no more ready URLs at the last look
    pages: int = 0
    down: str | None = None  # why the host cannot be reached (its URLs fail with it this run)

    @property
    def interval(self) -> float:
        """Seconds between request starts: rate, crawl-delay and slow-down combined."""
        return max(self.base_interval, self.crawl_delay) * self.slowdown

    def take_slot(self, now: float) -> float:
        """Reserve the next start time (never earlier than ``now``) and return it."""
        start = max(now, self.next_slot)
        self.next_slot = start + self.interval
        return start

    def ready_at(self) -> float:
        return max(self.next_slot, self.paused_until)

    def slow_down(self) -> None:
        """The host answered slowly or with an error: double the spacing (bounded)."""
        self.slowdown = min(MAX_SLOWDOWN, self.slowdown * 2.0)

    def recover(self) -> None:
        """A healthy answer: ease the spacing back towards the configured rate."""
        if self.slowdown > 1.0:
            self.slowdown = max(1.0, self.slowdown * 0.8)

    def pause(self, seconds: float, now: float) -> None:
        """Send nothing to this host for ``seconds`` (Retry-After, robots.txt errors)."""
        self.paused_until = max(self.paused_until, now + seconds)

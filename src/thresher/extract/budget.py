"""Per-page time budget: a deadline the extraction code checks as it goes, so the budget
holds in any thread and any worker process (no signals)."""

from __future__ import annotations

import time


class PageTimeout(Exception):
    """A page used up its time budget."""


class Deadline:
    """A point in time after which ``check()`` raises :class:`PageTimeout`."""

    __slots__ = ("at", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds if seconds > 0 else float("inf")

    def left(self) -> float:
        """Seconds until the deadline (infinite without a budget)."""
        return self.at - time.monotonic()

    def check(self) -> None:
        """Raise PageTimeout when the deadline has passed."""
        if time.monotonic() > self.at:
            raise PageTimeout(f"page took longer than {self.seconds:g}s")


#: How many elements the walker visits between two deadline checks.
CHECK_EVERY = 512

"""Waiting between tries of an HTTP request: a server's ``Retry-After`` and jittered
exponential backoff, shared by the crawler, the reader, Common Crawl fetches and the LLM
client so that every one of them reads the header the same way."""

from __future__ import annotations

import random
import time
from email.utils import parsedate_to_datetime

__all__ = ["backoff_delay", "parse_retry_after"]


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Exponential backoff with full jitter around the nominal delay (attempt 0 → ~base)."""
    nominal = min(cap, base * (2.0**attempt))
    return nominal * random.uniform(0.5, 1.5)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds, also fractional, or an
    HTTP date; a date in the past is 0); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)

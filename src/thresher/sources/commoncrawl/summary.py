"""The line ``thresher extract`` prints after a run that fetched from Common Crawl."""

from __future__ import annotations

from thresher.stats import StepStats


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000  # type: ignore[assignment]
    return f"{n} B"  # pragma: no cover


def _count(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def fetch_line(stats: StepStats) -> str | None:
    """``fetched 1.2 MB from Common Crawl: 40 records, 2 files (3 retries, ...)``, or None
    when nothing came from Common Crawl."""
    c = stats.counters
    if not any(k.startswith("cc_") for k in c):
        return None
    records, files = c.get("cc_fetch:records", 0), c.get("cc_fetch:files", 0)
    parts = [_count(files, "file")] if files else []
    if records or not files:
        parts.append(_count(records, "record"))
    extra = [_count(c["cc_fetch:retries"], "retry", "retries")] if c.get("cc_fetch:retries") else []
    if c.get("cc_fetch:reconnects"):
        extra.append(_count(c["cc_fetch:reconnects"], "reconnect"))
    failed = sum(v for k, v in c.items() if k.startswith("cc_fail:"))
    skipped = sum(v for k, v in c.items() if k.startswith("cc_skip:"))
    if failed:
        extra.append(f"{failed} failed")
    if skipped:
        extra.append(f"{skipped} wrong records skipped")
    tail = f" ({', '.join(extra)})" if extra else ""
    return (
        f"fetched {_size(c.get('cc_fetch:bytes', 0))} from Common Crawl: {', '.join(parts)}{tail}"
    )

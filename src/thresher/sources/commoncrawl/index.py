"""The CDX index client (pywb's API, as Common Crawl's index server speaks it).

``{index}/{CRAWL}-index?url=PATTERN&output=json&showNumPages=true`` says how many pages the
answer has; ``...&page=K`` is one page of captures, one JSON object per line. Captures are
kept when their status and MIME type (``mime`` or ``mime-detected``) are wanted; lines that
are not captures are counted, and an answer with no capture line at all is one error.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode

from thresher.errors import InputError
from thresher.sources.commoncrawl.config import CommonCrawlConfig
from thresher.sources.commoncrawl.http import Client
from thresher.stats import StepStats


@dataclass(frozen=True)
class Capture:
    """What fetching and checking one record needs from its index line."""

    url: str
    filename: str
    offset: int
    length: int
    languages: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Capture:
        return cls(**data)


#: largest answer to a page count, and to one page of captures (a page of the CDX server
#: holds about 15,000 lines of about 500 bytes)
MAX_COUNT_BYTES = 1 << 20
MAX_PAGE_BYTES = 64 << 20


def index_url(config: CommonCrawlConfig, crawl: str, **params: str | int) -> str:
    query = urlencode({"output": "json", **params})
    return f"{config.index_server.rstrip('/')}/{crawl}-index?{query}"


def page_count(client: Client, config: CommonCrawlConfig, crawl: str, pattern: str) -> int:
    """How many pages of captures the index has for ``pattern`` (0 when none match)."""
    url = index_url(config, crawl, url=pattern, showNumPages="true")
    answer = client.get_bounded(url, MAX_COUNT_BYTES)
    if answer.status == 404:
        if b"no captures" in answer.body.lower():
            return 0
        raise InputError(f"{url}: HTTP 404 (is {crawl} a crawl of {config.index_server}?)")
    if answer.status != 200:
        raise InputError(f"{url}: the index answered HTTP {answer.status}")
    try:
        data = json.loads(answer.body)
        pages = data["pages"] if isinstance(data, dict) else data
        if not isinstance(pages, int) or isinstance(pages, bool) or pages < 0:
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise InputError(
            f"{url}: the index answered something that is not a page count: {_snippet(answer.body)}"
        ) from None
    return pages


def fetch_page(
    client: Client, config: CommonCrawlConfig, crawl: str, pattern: str, page: int,
    stats: StepStats,
) -> list[Capture]:  # fmt: skip
    """The wanted captures of one page of the index's answer, in the index's order."""
    url = index_url(config, crawl, url=pattern, page=page)
    answer = client.get_bounded(url, MAX_PAGE_BYTES)
    if answer.status == 404:
        return []  # "No Captures found": a page past the end, or an emptied index
    if answer.status != 200:
        raise InputError(f"{url}: the index answered HTTP {answer.status}")
    rows: list[dict[str, Any]] = []
    bad = 0
    for line in answer.body.splitlines():
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            row = None
        if isinstance(row, dict) and _is_capture(row):
            rows.append(row)
        else:
            bad += 1
    if bad:
        stats.count("cc_index:bad_lines", bad)
    if bad and not rows:
        raise InputError(
            f"{url}: the index answered something that is not CDX JSON: {_snippet(answer.body)}"
        )
    return select(rows, config, stats)


def _is_capture(row: dict[str, Any]) -> bool:
    try:
        return (
            bool(row["url"])
            and bool(row["filename"])
            and int(row["offset"]) >= 0
            and (int(row["length"]) > 0)
        )
    except (KeyError, ValueError, TypeError):
        return False


def select(
    rows: list[dict[str, Any]], config: CommonCrawlConfig, stats: StepStats
) -> list[Capture]:
    """The captures of ``rows`` with a wanted status and MIME type; the rest counted."""
    statuses = {str(s) for s in config.statuses}
    mimes = {m.lower() for m in config.mime_types}
    out: list[Capture] = []
    for row in rows:
        stats.count("cc_index:captures")
        if str(row.get("status", "")) not in statuses:
            stats.count(f"cc_index:status:{row.get('status', 'none')}")
            continue
        types = {str(row.get(k, "")).lower() for k in ("mime", "mime-detected")}
        if mimes and not types & mimes:
            stats.count(f"cc_index:mime:{row.get('mime-detected') or row.get('mime') or 'none'}")
            continue
        out.append(
            Capture(
                url=str(row["url"]),
                filename=str(row["filename"]),
                offset=int(row["offset"]),
                length=int(row["length"]),
                languages=str(row["languages"]) if row.get("languages") else None,
            )
        )
    stats.count("cc_index:selected", len(out))
    return out


def _snippet(body: bytes) -> str:
    text = body[:80].decode("utf-8", "replace").replace("\n", " ").strip()
    return repr(text + ("..." if len(body) > 80 else "")) if text else "an empty answer"

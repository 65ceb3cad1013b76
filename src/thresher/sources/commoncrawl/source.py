"""The Common Crawl source: ``cc:CRAWL/PATTERN`` slices and ``cc:CRAWL`` whole snapshots.

A slice item is one page of the index's answer: its wanted captures are fetched by range
(``fetchers`` at once, yielded in index order) and every fetched range is kept in the item's
cache (:mod:`.cache`) as soon as it arrives, so a rerun after a kill fetches only what is
missing. A snapshot item is one file of the paths file, streamed (:mod:`.snapshot`); its
resume is the shard marker of the file. Network failures left after the retries raise
:class:`~thresher.errors.Unfinished`: the item's shard gets no marker and the rerun does it.
"""

from __future__ import annotations

import hashlib
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

from thresher.errors import InputError, Unfinished
from thresher.sources.commoncrawl.cache import Entry, ItemCache
from thresher.sources.commoncrawl.config import CommonCrawlConfig
from thresher.sources.commoncrawl.http import Client, FetchFailed, client_for
from thresher.sources.commoncrawl.index import Capture, fetch_page, page_count
from thresher.sources.commoncrawl.records import read_capture
from thresher.sources.commoncrawl.snapshot import data_url, file_pages, snapshot_paths
from thresher.sources.commoncrawl.spec import (
    FILE_ITEM,
    INDEX_ITEM,
    PREFIX,
    file_item,
    index_item,
    parse_index_item,
    parse_spec,
)
from thresher.sources.page import Page
from thresher.sources.registry import work_folder
from thresher.stats import StepStats

if TYPE_CHECKING:
    from thresher.extract.config import ExtractConfig

#: the item kind of this source in :mod:`thresher.sources.registry`
KIND = "cc"


def claims(spec: str) -> bool:
    return spec.startswith(PREFIX)


class CommonCrawlSource:
    """Expands ``cc:`` specs into items and reads an item as pages (see the module)."""

    def expand(self, spec: str, config: ExtractConfig) -> list[tuple[str, str]]:
        parsed = parse_spec(spec)
        cc = config.cc
        client = client_for(cc)
        if parsed.pattern is None:
            return [(file_item(p), KIND) for p in snapshot_paths(client, cc, parsed.crawl)]
        pages = page_count(client, cc, parsed.crawl, parsed.pattern)
        if pages == 0:
            raise InputError(f"{spec}: the index of {parsed.crawl} has no capture of that pattern")
        return [(index_item(k, parsed.crawl, parsed.pattern), KIND) for k in range(pages)]

    def iter_pages(self, locator: str, config: ExtractConfig, stats: StepStats) -> Iterator[Page]:
        client = client_for(config.cc)
        if locator.startswith(FILE_ITEM):
            path = locator[len(FILE_ITEM) :]
            yield from file_pages(client, config.cc, path, config.max_record_bytes, stats)
        elif locator.startswith(INDEX_ITEM):
            folder = work_folder()
            cache = ItemCache(folder / "cc" / _key(locator) if folder is not None else None)
            try:
                yield from slice_pages(client, config, locator, cache, stats)
            finally:
                cache.close()
        else:
            raise InputError(f"{locator}: not a Common Crawl item")


def _key(locator: str) -> str:
    return hashlib.sha1(locator.encode("utf-8")).hexdigest()[:20]


def slice_pages(
    client: Client, config: ExtractConfig, locator: str, cache: ItemCache, stats: StepStats
) -> Iterator[Page]:
    """The pages of one index page: captures from the cache or the index, records from the
    cache or fetched; definite failures (an error status, a range answered whole) and wrong
    records counted as drops with their reason. Records whose retries ran out (503, network,
    timeout) make the item :class:`~thresher.errors.Unfinished` once the others are read."""
    page_no, crawl, pattern = parse_index_item(locator)
    cc = config.cc
    saved = cache.captures()
    if saved is None:
        index_stats = StepStats("index")
        captures = fetch_page(client, cc, crawl, pattern, page_no, index_stats)
        cache.save_captures(captures, dict(index_stats.counters))
        stats.merge(index_stats)
    else:
        captures, counters = saved
        stats.counters.update(counters)
    unfetched: Counter[str] = Counter()
    for capture, entry, data in _fetched(client, cc, captures, cache, config.max_record_bytes):
        if entry is None:
            stats.seen += 1
            stats.drop("too_large")
            continue
        stats.count("cc_fetch:retries", entry.retries)
        if entry.unfinished:
            unfetched[entry.failure or "network"] += 1
            continue
        if entry.failure is not None:
            stats.seen += 1
            stats.drop("fetch_failed")
            stats.count(f"cc_fail:{entry.failure}")
            continue
        stats.count("cc_fetch:records")
        stats.count("cc_fetch:bytes", entry.size)
        page, skip = read_capture(data or b"", capture, config.max_record_bytes)
        if page is None:
            stats.seen += 1
            stats.drop("wrong_record")
            stats.count(f"cc_skip:{skip}")
            continue
        yield page
    if unfetched:  # the others are journalled: the rerun fetches just these
        why = ", ".join(f"{k} {v}" for k, v in unfetched.most_common())
        raise Unfinished(
            f"cc:{crawl}/{pattern} index page {page_no}: {unfetched.total()} record(s) not "
            f"fetched ({why})"
        )


def _fetched(
    client: Client, cc: CommonCrawlConfig, captures: list[Capture], cache: ItemCache,
    max_record_bytes: int,
) -> Iterator[tuple[Capture, Entry | None, bytes | None]]:  # fmt: skip
    """(capture, entry, bytes) in index order: cached ones read back, the others fetched by
    ``cc.fetchers`` threads, at most twice as many ahead of the one being yielded; entry
    None for a capture too large to fetch."""
    window: deque[tuple[int, Future[tuple[Entry, bytes | None]] | None]] = deque()
    todo = iter(enumerate(captures))
    with ThreadPoolExecutor(cc.fetchers, thread_name_prefix="cc-fetch") as pool:

        def fill() -> None:
            for n, capture in todo:
                fetch = n not in cache.entries and capture.length <= max_record_bytes
                window.append((n, pool.submit(_fetch, client, cc, n, capture, cache) if fetch
                               else None))  # fmt: skip
                if sum(1 for _, f in window if f is not None) >= 2 * cc.fetchers:
                    return

        fill()
        while window:
            n, future = window.popleft()
            if future is not None:
                yield captures[n], *future.result()
            elif n in cache.entries:
                entry = cache.entries[n]
                yield captures[n], entry, cache.read(entry) if entry.failure is None else None
            else:
                yield captures[n], None, None
            fill()


def _fetch(
    client: Client, cc: CommonCrawlConfig, n: int, capture: Capture, cache: ItemCache
) -> tuple[Entry, bytes | None]:
    """Fetch one capture's range and keep it in the cache (in a fetching thread)."""
    end = capture.offset + capture.length - 1
    url = data_url(cc, capture.filename)
    try:
        answer = client.get(url, {"Range": f"bytes={capture.offset}-{end}"},
                            max_body=capture.length)  # fmt: skip
    except FetchFailed as e:  # not journalled: the rerun of the unfinished item asks again
        return Entry(n, retries=cc.tries - 1, failure=e.reason, unfinished=True), None
    if answer.status == 206 or (answer.status == 200 and capture.offset == 0):
        return cache.add(n, answer.body, answer.retries, None), answer.body
    reason = "range_ignored" if answer.status == 200 else f"http_{answer.status}"
    return cache.add(n, None, answer.retries, reason), None
